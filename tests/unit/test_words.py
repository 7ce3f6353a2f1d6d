"""Folding and word splitting: what counts as the same word, and what must not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.clitics import bare_forms
from bot.core.words import CJK_CHARS, WORD_CHARS, fold, is_cjk, token_spans, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Census, 2026!", ["census", "2026"]),
        ("ISIS crisis", ["isis", "crisis"]),
        ("Makhmūr Mexmûr café", ["makhmur", "mexmur", "cafe"]),
        ("Makhmu\u0304r", ["makhmur"]),  # decomposed macron is one word too
        ("ＫＵＲＤ", ["kurd"]),  # full-width letters
        ("STRASSE Straße", ["strasse", "strasse"]),
        ("snake_case", ["snake", "case"]),
        ("Erbil-based", ["erbil", "based"]),
        ("Kurdistan's", ["kurdistan", "s"]),
        ("Москва и Курдистан", ["москва", "и", "курдистан"]),
        ("हिन्दी समाचार", ["हिन्दी", "समाचार"]),  # vowel signs and virama stay inside the word
        ("कैसे फैला", ["कैसे", "फैला"]),  # a nonspacing vowel sign does not split a word
        # Chinese and Japanese runs: their overlapping pairs of characters
        ("特斯拉汽车", ["特斯", "斯拉", "拉汽", "汽车"]),
        ("東京", ["東京"]),
        ("東", ["東"]),  # a run of one character is that character
        ("東京、大阪", ["東京", "大阪"]),  # punctuation ends a run
        ("iPhone发布会", ["iphone", "发布", "布会"]),  # a Latin word beside a run stands apart
        ("2026年", ["2026", "年"]),
        ("バス停", ["バス", "ス停"]),  # a voiced kana is one character
        ("ﾊﾞｽ", ["バス"]),  # half-width kana become full-width
        ("シックス・アパート", ["シッ", "ック", "クス", "アパ", "パー", "ート"]),  # the middle dot separates
        # written with spaces: whole words
        ("서울 시장", [fold("서울"), fold("시장")]),
        ("ข่าว กรุงเทพมหานคร", [fold("ข่าว"), fold("กรุงเทพมหานคร")]),
        ("", []),
        ("!!! ...", []),
    ],
)
def test_words(text: str, expected: list[str]):
    assert words(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # accents in Latin, Greek and Cyrillic
        ("Makhmūr", "Makhmur"),
        ("Mexmûr", "Mexmur"),
        ("ΑΘΉΝΑ", "Αθηνα"),  # tonos
        ("ещё", "еще"),  # Russian writers leave the dots of ё out
        ("Москва\u0301", "Москва"),  # a stress mark
        # Arabic script: harakat, hamza and madda forms, letter variants, tatweel
        ("أربيل", "اربيل"),  # alef with hamza above
        ("إربيل", "اربيل"),  # alef with hamza below
        ("آمد", "امد"),  # alef with madda
        ("كوردستان", "کوردستان"),  # arabic kaf, keheh
        ("علي", "علی"),  # arabic yeh, farsi yeh
        ("مستشفى", "مستشفی"),  # alef maksura
        ("مدينة", "مدينه"),  # teh marbuta, heh
        ("مَخْمُور", "مخمور"),  # Arabic short vowels
        ("کوردستـــان", "کوردستان"),  # tatweel
        # every heh: Urdu heh goal and teh marbuta goal, heh doachashmee, heh with hamza
        ("امریکہ", "امریکه"),
        ("صلاۃ", "صلاه"),
        ("بھارت", "بهارت"),  # Urdu aspiration, typed ه on Arabic and Persian keyboards
        ("ھەولێر", "هەولێر"),  # Sorani h typed as ھ
        ("خانۀ", "خانه"),  # Persian ezafe on heh
        ("خانهٔ", "خانه"),  # the same, with a combining hamza
        ("ۂ", "ه"),
        # invisible characters
        ("می\u200cخواهم", "میخواهم"),  # zero-width non-joiner
        ("Makh\u200bmour", "Makhmour"),  # zero-width space
        ("\u200fMakhmour\u200e", "Makhmour"),  # bidi marks
        # Hindi writers often leave the nukta off the consonants of loanwords
        ("ज़्यादा", "ज्यादा"),
        ("फ़िल्म", "फिल्म"),
        # compatibility forms
        ("ﾊﾞｽ", "バス"),
    ],
)
def test_what_writers_treat_as_optional_folds_away(a: str, b: str):
    assert words(a) == words(b)
    assert len(words(a)) >= 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("мой", "мои"),  # й is a letter, not и with a mark
        ("кайся", "каися"),
        ("ўсё", "усё"),  # Belarusian ў
        ("Київ", "Киів"),  # Ukrainian ї is a letter; so is і
        ("кіт", "кит"),
        ("ѓавол", "гавол"),  # Macedonian ѓ
        ("कैसे", "कस"),  # Hindi vowel signs are letters
        ("मेरा", "मरा"),
        ("हिन्दी", "हिनदी"),  # virama
        ("पड़ा", "पडा"),  # ड़ is a letter of its own, unlike the nukta of loanwords
        ("バス", "パス"),  # kana voicing marks
        ("バス", "ハス"),
        ("が", "か"),
        ("ที่", "ท"),  # Thai vowel and tone marks
        ("ه", "ی"),
    ],
)
def test_marks_that_are_letters_stay(a: str, b: str):
    assert words(a) != words(b)


@pytest.mark.parametrize(
    "text",
    [
        "™eÂ\xa0ralise dans dautres villes. ",  # mojibake in Le Monde's feed
        "Côte dâ€™IvoireÂ\xa0: les discussions entre gouvernement et soldats sont diffÃ©rÃ©es",
        "éaÂ\u2003b and a long enough run of plain English words",
    ],
)
def test_non_ascii_whitespace_after_a_folded_token_splits_words(text: str):
    assert words(text) == _split_the_slow_way(text)


def test_fold_is_idempotent():
    for text in ["Makhmūr", "أربيل", "ＫＵＲＤ", "Straße", "й", "कैसे", "バス", "ﾊﾞｽ", "بھارت", "ज़्यादा"]:
        assert fold(fold(text)) == fold(text)


@pytest.mark.parametrize(
    ("word", "forms", "not_forms"),
    [
        ("والموصل", {"الموصل", "موصل"}, set()),
        ("بالموصل", {"الموصل", "موصل"}, set()),
        ("للموصل", {"الموصل", "موصل"}, set()),  # ل + ال, with the article put back
        ("وللموصل", {"الموصل", "موصل"}, set()),
        ("فالموصل", {"الموصل", "موصل"}, set()),
        ("كالموصل", {"الموصل", "موصل"}, set()),
        ("بكركوك", {"کرکوک"}, set()),
        ("ومخمور", {"مخمور"}, set()),
        ("کەرکووکدا", {"کەرکووک"}, set()),  # in Kirkuk
        ("هەولێرەوە", {"هەولێر"}, set()),  # from Erbil
        ("کەرکووکیش", {"کەرکووک"}, set()),  # Kirkuk too
        ("کەرکووکی", {"کەرکووک"}, set()),  # of Kirkuk
        ("هێرشەکانیشدا", {"هێرش", "هێرشەکان"}, set()),  # in the attacks too
        ("شارێکدا", {"شار"}, set()),  # in a city
        ("سلێمانییەوە", {"سلێمانی"}, set()),  # from Sulaymaniyah: یەوە after î
        ("هەڵەبجەدا", {"هەڵەبجە"}, set()),
        ("شمال", set(), {"مال"}),  # ش is no proclitic
        ("ایران", set(), {"ایر"}),  # the plural ان is left out
        ("کوردستان", set(), {"کورد"}),  # ستان is no suffix
        ("هەولێرم", set(), {"هەولێر"}),  # nor the possessive م
        ("وقم", set(), {"قم"}),  # a stem keeps three letters
        ("للحر", set(), {"الحر", "حر"}),
    ],
)
def test_bare_forms_of_arabic_script_words(word: str, forms: set[str], not_forms: set[str]):
    (folded,) = words(word)
    found = set(bare_forms(folded))
    assert {fold(form) for form in forms} <= found
    assert not {fold(form) for form in not_forms} & found
    assert folded not in found


def test_cjk_words_are_told_apart():
    assert is_cjk("東京") and is_cjk("東") and is_cjk("バス")
    assert not is_cjk("census") and not is_cjk(fold("서울")) and not is_cjk("")


SAMPLES = ["census", "Makhmūr", "Â\xa0", "™", "ＫＵＲＤ", "أربيل", "کوردستـــان", "Straße", "हिन्दी", "a_b",
           "特斯拉汽车", "東京タワー", "ﾊﾞｽ", "iPhone发布会", "мой", "ещё", "بھارت", "والموصل",
           "کەرکووکدا"]  # fmt: skip
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")


def _split_the_slow_way(text: str) -> list[str]:
    """Words of text folded whole, each Chinese or Japanese run as its pairs."""
    found = []
    for word in re.findall(f"[{WORD_CHARS}]+", fold(text)):
        position = 0
        for run in _CJK_RUN.finditer(word):
            if run.start() > position:
                found.append(word[position : run.start()])
            chars = run.group()
            found += [chars] if len(chars) == 1 else [chars[n : n + 2] for n in range(len(chars) - 1)]
            position = run.end()
        if position < len(word):
            found.append(word[position:])
    return found


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(SAMPLES),
            st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
        ),
        max_size=30,
    ).map(" ".join)
)
def test_the_fast_paths_split_exactly_as_folding_the_whole_text(text: str):
    assert words(text) == _split_the_slow_way(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(SAMPLES), st.sampled_from([" ", "", ", ", "。", "-"])), max_size=12)
)
def test_token_spans_are_the_words_where_they_stand(parts: list[tuple[str, str]]):
    text = "".join(sample + separator for sample, separator in parts)
    spans = token_spans(text)
    assert [span.word for span in spans] == words(text)
    for span in spans:
        assert len(span.starts) == len(span.ends) == len(span.word)
        assert span.start == span.starts[0] and span.end == span.ends[-1]
        assert span.word in words(text[span.start : span.end]), "the written characters fold to the word"

"""Folding and word splitting: what counts as the same word."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.words import WORD_CHARS, fold, words


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
        ("हिन्दी समाचार", ["हिनदी", "समाचार"]),  # vowel signs stay inside the word
        ("", []),
        ("!!! ...", []),
    ],
)
def test_words(text: str, expected: list[str]):
    assert words(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("أربيل", "اربيل"),  # alef with hamza above
        ("إربيل", "اربيل"),  # alef with hamza below
        ("آمد", "امد"),  # alef with madda
        ("كوردستان", "کوردستان"),  # arabic kaf, keheh
        ("علي", "علی"),  # arabic yeh, farsi yeh
        ("مستشفى", "مستشفی"),  # alef maksura
        ("مدينة", "مدينه"),  # teh marbuta, heh
        ("کوردستـــان", "کوردستان"),  # tatweel
        ("می\u200cخواهم", "میخواهم"),  # zero-width non-joiner
        ("Makh\u200bmour", "Makhmour"),  # zero-width space
        ("\u200fMakhmour\u200e", "Makhmour"),  # bidi marks
        ("مَخْمُور", "مخمور"),  # Arabic short vowels
    ],
)
def test_arabic_script_variants_and_invisible_marks_fold_together(a: str, b: str):
    assert words(a) == words(b)
    assert len(words(a)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "™eÂ\xa0ralise dans dautres villes. ",  # mojibake in Le Monde's feed
        "Côte dâ€™IvoireÂ\xa0: les discussions entre gouvernement et soldats sont diffÃ©rÃ©es",
        "éaÂ\u2003b and a long enough run of plain English words",
    ],
)
def test_non_ascii_whitespace_after_a_folded_token_splits_words(text: str):
    assert words(text) == re.findall(f"[{WORD_CHARS}]+", fold(text))


def test_fold_is_idempotent():
    for text in ["Makhmūr", "أربيل", "ＫＵＲＤ", "Straße"]:
        assert fold(fold(text)) == fold(text)


SAMPLES = ["census", "Makhmūr", "ＫＵＲＤ", "أربيل", "کوردستـــان", "Straße", "हिन्दी", "a_b"]


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
    folded = fold(text)
    expected = re.findall(f"[{WORD_CHARS}]+", folded)
    assert words(text) == expected

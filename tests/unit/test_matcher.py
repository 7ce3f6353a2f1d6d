"""Matching: every syntax and Unicode rule, and the index against the reference."""

from __future__ import annotations

import random

import pytest

from bot.core.items import Item
from bot.core.matcher import Document, Matcher, matches
from bot.core.query import source_label
from bot.core.query_parser import parse_query
from bot.core.reference import ReferenceMatcher

RUDAW = source_label("Rudaw English", "www.rudaw.net")
BBC = source_label("BBC World", "feeds.bbci.co.uk")

CASES = [
    # whole words, case-insensitive
    ("census", "The Census, finally", True),
    ("census", "censuses were taken", False),
    ("ISIS", "a crisis in the region", False),
    ("ISIS", "ISIS attack repelled", True),
    ("Kurd", "Kurdistan Region", False),
    ("2026", "census of 2026", True),
    # words: all of them, any order
    ("oil prices", "prices of oil rose", True),
    ("oil prices", "oil exports rose", False),
    # exact phrase
    ('"Qarachogh mountains"', "fighting in the Qarachogh mountains", True),
    ('"Qarachogh mountains"', "the mountains near Qarachogh", False),
    ('"oil prices"', "oil-prices fell", True),
    ('"oil prices"', "oil, prices", True),  # punctuation between the words is not a word
    ("al-Sudani", "Prime Minister al-Sudani said", True),
    ("al-Sudani", "al Sudani", True),
    ("al-Sudani", "Sudani al", False),
    # alternatives, and OR binding tighter than AND
    ("Makhmour OR Makhmur OR Mexmûr", "news from Mexmur", True),
    ("Makhmour census OR camp", "Makhmour camp reopens", True),
    ("Makhmour census OR camp", "Makhmour census begins", True),
    ("Makhmour census OR camp", "census and camp, but elsewhere", False),
    ("Makhmour census OR camp", "Makhmour votes", False),
    # exclusion
    ("census -football", "census of football clubs", False),
    ("census -football", "census of farms", True),
    ('census -"world cup"', "census before the world cup", False),
    ('census -"world cup"', "census: the world needs a cup", True),
    # prefix
    ("kurd*", "Kurdish parties", True),
    ("kurd*", "Kurd", True),
    ("kurd*", "the Kurdistan Region", True),
    ("kurd*", "Iraqi kurd", True),
    ("kurd*", "a kur dish", False),
    ('"oil pri*"', "oil pricing", True),
    ('"oil pri*"', "pricing oil", False),
    # regex characters are literal
    ("a.b", "a b", True),
    ("a.b", "axb", False),
    ("c++", "the C language", True),
    # Unicode: accents, compatibility forms, Arabic-script variants, invisibles
    ("Makhmur", "Makhmūr farmers", True),
    ("Makhmūr", "MAKHMUR farmers", True),
    ("Mexmûr", "Mexmur", True),
    ("café", "CAFE", True),
    ("kurd", "ＫＵＲＤ news", True),
    ("أربيل", "انفجار في اربيل اليوم", True),
    ("إربيل", "اربيل", True),
    ("كوردستان", "حكومة کوردستان", True),
    ("علي", "علی", True),
    ("مستشفى", "مستشفی", True),
    ("مدينة", "مدينه", True),
    ("کوردستان", "کوردستـــان", True),
    ("میخواهم", "می\u200cخواهم", True),
    ("Makhmour", "\u200fMakh\u200bmour\u200e", True),
    ("مخمور", "مَخْمُور", True),
    ("Курдистан", "новости: Курдистан.", True),
    ("Курдистан", "Курдистана", False),
    ("समाचार", "हिन्दी समाचार", True),
    # folding only what writers treat as optional
    ("еще", "Ещё не поздно", True),
    ("ещё", "еще", True),
    ("мой", "Мои друзья", False),  # й is a letter
    ("мои", "мой", False),
    ("кайся", "каися", False),
    ("Київ", "КИЇВ", True),
    ("Київ", "Киів", False),  # so is Ukrainian ї
    ("Αθήνα", "ΑΘΗΝΑ", True),
    ("कस", "कैसे फैला", False),  # Hindi vowel signs are letters
    ("मरा", "मेरा", False),
    ("कैसे", "कैसे फैला", True),
    ("ज्यादा", "ज़्यादा लोग", True),  # the nukta of loanwords is left out by many writers
    ("पडा", "पड़ा", False),
    ("パス", "バスの時刻", False),  # kana voicing marks are letters
    ("バス", "ﾊﾞｽの時刻", True),
    # every heh of Arabic, Persian, Urdu and Sorani is one
    ("امریکه", "امریکہ نے کہا", True),
    ("امریکہ", "امریکه", True),
    ("بهارت", "بھارت", True),
    ("هەولێر", "ھەولێر", True),
    ("خانه", "خانۀ", True),
    # Arabic proclitics: و ف, then ب ل ك, then the article, alone or together
    ("الموصل", "معارك والموصل", True),
    ("الموصل", "بالموصل", True),
    ("الموصل", "للموصل", True),  # ل + ال
    ("الموصل", "وللموصل", True),
    ("الموصل", "فالموصل", True),
    ("الموصل", "كالموصل", True),
    ("الموصل", "وبالموصل", True),
    ("موصل", "والموصل", True),
    ("موصل", "للموصل", True),
    ("موصل", "الموصل", True),
    ("الموصل", "موصل", False),  # the article of a keyword is not optional
    ("كركوك", "وكركوك", True),
    ("كركوك", "بكركوك", True),
    ("أربيل", "لأربيل", True),
    ("مخمور", "ومخمور", True),
    ("كرم", "بكرم", True),  # ب + كرم
    ("مال", "شمال", False),  # ش is no proclitic
    ("موصل", "موصلات", False),
    ("مصر", "مصرف", False),
    ("قم", "وقم", False),  # a keyword under three letters matches whole words only
    ("قم", "قم", True),
    ("الحر", "للحر", False),  # its stem after لل would be two letters
    # Sorani suffixes: determiners, ezafe, "also", postpositions, the copula
    ("کەرکووک", "لە کەرکووکدا", True),
    ("هەولێر", "لە هەولێرەوە", True),
    ("کەرکووک", "کەرکووکیش", True),
    ("هەولێر", "هەولێری پایتەخت", True),
    ("هەولێر", "ئەمە هەولێرە", True),
    ("شار", "لە شارەکەدا", True),
    ("شار", "شارێکی گەورە", True),
    ("هێرش", "هێرشەکانیشدا", True),
    ("سلێمانی", "لە سلێمانییەوە", True),
    ("هەڵەبجە", "لە هەڵەبجەدا", True),
    ("هەڵەبجە", "لە هەڵەبجەوە", True),
    ("کورد", "کوردستان", False),  # ستان is no suffix
    ("ایر", "ایران", False),  # nor the plural ان
    ("هەولێر", "هەولێرم", False),  # nor the possessive م
    ("کەرکووک", "ئەکەرکووک", False),
    # clitics with phrases, prefixes and exclusions
    ('"جامعة الموصل"', "في جامعة الموصل", True),
    ('"جامعة الموصل"', "وجامعة الموصل", True),
    ('"جامعة الموصل"', "جامعة والموصل", True),
    ('"جامعة الموصل"', "الموصل جامعة", False),
    ('"جامعة الموص*"', "جامعة للموصل", True),
    ("کورد*", "وکوردستان", True),
    ("موص*", "والموصل", True),
    ("الموص*", "للموصل", True),
    ("موص*", "شموصل", False),
    ("census -الموصل", "census والموصل", False),  # an exclusion excludes the clitic forms
    ("census -موصل", "census للموصل", False),
    ("census -کەرکووک", "census لە کەرکووکدا", False),
    ('census -"جامعة الموصل"', "census وجامعة الموصل", False),
    ("census -الموصل", "census شمال", True),
    # Chinese and Japanese keywords inside longer runs
    ("特斯拉", "特斯拉汽车发布新车", True),
    ("特斯拉", "美国电动车公司特斯拉", True),
    ("特斯拉", "特斯", False),
    ("特斯拉", "特 斯拉", False),
    ("特斯拉", "斯拉特", False),
    ("東京", "東京タワーの夜景", True),
    ("東京", "今日の東京都", True),
    ("東京タワー", "東京のタワー", False),
    ("东京", "東京", False),  # simplified and traditional Han are different characters
    ("東", "東京", False),  # a single character matches when it stands alone
    ("東", "東、西", True),
    ("東京*", "東京都", True),  # * adds nothing: keywords already match inside runs
    ("iPhone", "iPhone发布会", True),
    ("发布会", "iPhone发布会", True),
    ("2026", "2026年の予定", True),
    ('"特斯拉 汽车"', "特斯拉 汽车", True),
    ('"特斯拉 汽车"', "特斯拉汽车", False),  # a space in a keyword is a space in the text
    ("特斯拉 汽车", "特斯拉汽车", True),
    ("特斯拉 -小米", "特斯拉和小米手机", False),
    ("特斯拉 -小米", "特斯拉和小米", False),
    ("特斯拉 -小米", "特斯拉汽车", True),
    # Hangul and Thai are written with spaces: whole words
    ("서울", "서울 시장", True),
    ("서울", "서울시", False),
    ("กรุงเทพ", "ข่าว กรุงเทพ วันนี้", True),
    ("กรุงเทพ", "กรุงเทพมหานคร", False),
]


@pytest.mark.parametrize(("query", "text", "expected"), CASES)
def test_rule(query: str, text: str, expected: bool):
    parsed = parse_query(query)
    assert matches(parsed, Document.from_text(text)) is expected
    assert (ReferenceMatcher([(0, parsed)]).match([text]) == {0}) is expected
    index: Matcher[int] = Matcher()
    index.add(0, parsed)
    assert (index.match(Document.from_text(text)) == [0]) is expected


@pytest.mark.parametrize(
    ("query", "source", "expected"),
    [
        ("source:rudaw census", RUDAW, True),
        ("source:rudaw census", BBC, False),
        ("source:bbc.co.uk census", BBC, True),  # each word is part of "bbc world feeds bbci co uk"
        ("source:aljazeera census", BBC, False),
        ("source:bbci.co.uk census", BBC, True),
        ('source:"rudaw english" census', RUDAW, True),
        ("source:rudaw source:bbc census", BBC, True),  # several sources: any of them
        ("census -source:bbc", BBC, False),
        ("census -source:bbc", RUDAW, True),
    ],
)
def test_source_scope(query: str, source: str, expected: bool):
    parsed = parse_query(query)
    assert matches(parsed, Document.from_text("Census news", source=source)) is expected
    assert (ReferenceMatcher([(0, parsed)]).match(["Census news"], source) == {0}) is expected


def test_a_phrase_does_not_span_title_and_summary():
    item = Item(feed="F", key="k", title="Rising oil", link="", summary="Prices of bread")
    assert not matches(parse_query('"oil prices"'), Document.from_item(item))
    assert matches(parse_query("oil prices"), Document.from_item(item))
    assert ReferenceMatcher([(0, parse_query('"oil prices"'))]).match([item.title, item.summary]) == set()


def test_document_from_item_reads_title_summary_and_content():
    item = Item(feed="F", key="k", title="Alpha", link="", summary="beta", content="gamma")
    assert {"alpha", "beta", "gamma"} <= Document.from_item(item).words


def test_matcher_finds_exactly_the_matching_subscriptions():
    matcher: Matcher[int] = Matcher()
    queries = ["census", "oil prices", "Makhmour camp", "football", "kurd*", '"census begins"']
    queries.append("census -begins")
    matcher.add_all((i, parse_query(q)) for i, q in enumerate(queries))
    document = Document.from_text("Census begins in Makhmour", "the camp, Kurdish fields and oil")
    assert sorted(matcher.match(document)) == [0, 2, 4, 5]


def test_subscriptions_with_the_same_query_share_an_entry_and_each_comes_back_once():
    matcher: Matcher[int] = Matcher()
    matcher.add_all([(1, parse_query("oil prices")), (2, parse_query("Prices OIL")), (3, parse_query("oil"))])
    assert sorted(matcher.match(Document.from_text("oil prices rose"))) == [1, 2, 3]
    matcher.remove(1)
    assert sorted(matcher.match(Document.from_text("oil prices rose"))) == [2, 3]
    matcher.remove(2)
    assert matcher.match(Document.from_text("oil prices rose")) == [3]
    assert len(matcher) == 1


def test_adding_and_removing_updates_the_index_incrementally():
    matcher: Matcher[str] = Matcher()
    matcher.add("a", parse_query("census"))
    matcher.add("b", parse_query("cens*"))
    document = Document.from_text("census")
    assert sorted(matcher.match(document)) == ["a", "b"]
    matcher.remove("a")
    assert matcher.match(document) == ["b"]
    matcher.remove("a")  # unknown ids are ignored
    matcher.add("b", parse_query("oil"))  # replacing a query files it anew
    assert matcher.match(document) == []
    assert len(matcher) == 1
    matcher.remove("b")
    assert matcher.match(Document.from_text("oil census")) == []


def test_index_agrees_with_the_reference_on_random_queries():
    rng = random.Random(7)
    vocabulary = ["census", "oil", "prices", "makhmour", "erbil", "camp", "kurd", "kurdistan", "isis"]

    def random_query() -> str:
        parts = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.random()
            word = rng.choice(vocabulary)
            if kind < 0.15:
                parts.append(f'"{word} {rng.choice(vocabulary)}"')
            elif kind < 0.3:
                parts.append(f"{word} OR {rng.choice(vocabulary)}")
            elif kind < 0.4:
                parts.append(word[:3] + "*")
            else:
                parts.append(word)
        if rng.random() < 0.3:
            parts.append("-" + rng.choice(vocabulary))
        return " ".join(parts)

    queries = [(i, parse_query(random_query())) for i in range(300)]
    matcher: Matcher[int] = Matcher()
    matcher.add_all(queries)
    reference = ReferenceMatcher(queries)
    for _ in range(300):
        text = " ".join(rng.choices(vocabulary, k=rng.randint(0, 10)))
        found = matcher.match(Document.from_text(text))
        assert len(found) == len(set(found)) and set(found) == reference.match([text])


@pytest.mark.parametrize(
    ("before", "added", "text"),
    [
        ([], "census", "Census begins"),  # a word met before any query was filed under it
        (["census"], "census -football", "Census begins"),  # a word whose postings gain tests
        (["cens*"], "census", "Census begins"),
        ([], "cens*", "Census begins"),  # a prefix added after its words were met
        (["source:bbc census"], "source:rudaw census", "Census begins"),  # a new source: value
        (["census -source:bbc"], "census -source:rudaw", "Census begins"),
        (["census"], "census", "Census begins"),  # one more chat on a query matched before
        (["kurd*"], "kurd*", "Kurdish and Kurdistan"),
    ],
)
def test_what_the_index_learned_from_earlier_items_follows_queries_added_and_removed(
    before: list[str], added: str, text: str
):
    matcher: Matcher[int] = Matcher()
    matcher.add_all((n, parse_query(q)) for n, q in enumerate(before, start=1))
    document = Document.from_text(text, source=RUDAW)
    earlier = sorted(matcher.match(document))
    matcher.add(0, parse_query(added))
    expected = sorted(ReferenceMatcher([(0, parse_query(added))]).match([text], RUDAW)) + earlier
    assert sorted(matcher.match(Document.from_text(text, source=RUDAW))) == sorted(expected)
    matcher.remove(0)
    assert sorted(matcher.match(Document.from_text(text, source=RUDAW))) == earlier

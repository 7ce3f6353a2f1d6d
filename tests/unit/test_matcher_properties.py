"""Property: for any queries and any text, the index finds exactly what the reference finds."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.matcher import Document, Matcher
from bot.core.query import Query, QueryError, source_label
from bot.core.query_parser import parse_query
from bot.core.reference import ReferenceMatcher

# Words in several scripts, with the variants folding must merge: accents, Arabic-script
# letter forms, tatweel, zero-width joiners, full-width and upper-case letters; marks that
# are letters; Arabic proclitics and Sorani suffixes (alone, to be joined to the words
# around them, and written on names); Chinese and Japanese runs.
WORDS = [
    "census", "Census", "CENSUS", "oil", "prices", "camp", "kurd", "kurdish", "Kurdistan",
    "Makhmour", "Makhmur", "Makhmūr", "Mexmûr", "café", "cafe", "ＫＵＲＤ", "isis", "crisis",
    "أربيل", "اربيل", "إربيل", "كوردستان", "کوردستان", "کوردستـــان", "مدينة", "مدينه",
    "مَخْمُور", "مخمور", "علي", "علی", "می\u200cخواهم", "میخواهم",
    "Курдистан", "курдистан", "перепись", "мой", "мои", "ещё", "еще",
    "समाचार", "हिन्दी", "कैसे", "कस", "ज़्यादा", "2026", "abc",
    "الموصل", "موصل", "والموصل", "بالموصل", "للموصل", "وللموصل", "كركوك", "بكركوك", "مال", "شمال",
    "كمال", "قم", "وقم", "و", "ب", "لل", "ال", "ش",
    "کەرکووک", "کەرکووکدا", "کەرکووکیش", "هەولێر", "هەولێرەوە", "ھەولێر", "شار", "شارەکەدا",
    "دا", "ەوە", "ی", "ەکان", "امریکہ", "امریکه",
    "特斯拉", "特斯拉汽车", "汽车", "東京", "東京都", "東", "バス", "パス", "ﾊﾞｽ", "iPhone发布会", "서울",
]  # fmt: skip
SEPARATORS = [" ", ", ", ". ", "-", " — ", "\n", "'s ", "/", " (", ") ", "_", "\u200b", "", "", "，", "。"]
SOURCES = [source_label("Rudaw English", "www.rudaw.net"), source_label("BBC World", "feeds.bbci.co.uk"), ""]

word = st.sampled_from(WORDS)
# Fewer words, for queries with parentheses: texts then often hold all the words of a group.
FEW_WORDS = ["census", "Census", "oil", "prices", "camp", "kurdish", "Makhmūr", "makhmur",
             "الموصل", "والموصل", "کەرکووک", "کەرکووکدا", "特斯拉", "特斯拉汽车", "汽车"]  # fmt: skip
few_words = st.sampled_from(FEW_WORDS)


@st.composite
def texts(draw: st.DrawFn, word: st.SearchStrategy[str] = word) -> str:
    parts = draw(st.lists(st.tuples(word, st.sampled_from(SEPARATORS)), max_size=25))
    return "".join(w + s for w, s in parts)


@st.composite
def terms(draw: st.DrawFn, word: st.SearchStrategy[str] = word) -> str:
    kind = draw(st.sampled_from(["word", "word", "phrase", "prefix", "hyphenated"]))
    first = draw(word)
    if kind == "phrase":
        return '"' + " ".join([first, *draw(st.lists(word, min_size=1, max_size=2))]) + '"'
    if kind == "prefix":
        return first[: draw(st.integers(min_value=3, max_value=max(3, len(first))))] + "*"
    if kind == "hyphenated":
        return f"{first}-{draw(word)}"
    return first


@st.composite
def queries(draw: st.DrawFn) -> str:
    groups = draw(st.lists(st.lists(terms(), min_size=1, max_size=3), min_size=1, max_size=3))
    parts = [" OR ".join(group) for group in groups]
    parts += ["-" + t for t in draw(st.lists(terms(), max_size=2))]
    parts += ["source:" + s for s in draw(st.lists(st.sampled_from(["rudaw", "bbc", "net"]), max_size=1))]
    return " ".join(draw(st.permutations(parts)))


@st.composite
def parts(draw: st.DrawFn, depth: int = 0, *, group: bool = False, within: str = "and") -> str:
    """A part of a query with operators and parentheses: a term, or a group of parts put
    together with AND (written or not) or OR, in any letter case, maybe after a NOT or a
    minus. A group is mostly of the other kind than the one it stands *within* (a group of
    the same kind merges into it)."""
    if not group and (depth >= 3 or draw(st.integers(min_value=0, max_value=depth)) > 0):
        return draw(terms(few_words))
    kind = "or" if within == "and" else "and"
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        kind = within
    inner = draw(st.lists(parts(depth + 1, within=kind), min_size=2, max_size=max(2, 3 - depth)))
    joiners = [" OR ", " or ", " Or "] if kind == "or" else [" ", " AND ", " and "]
    text = "(" + draw(st.sampled_from(joiners)).join(inner) + ")"
    return draw(st.sampled_from(["", "", "", "", "-", "NOT ", "not "])) + text


@st.composite
def nested_queries(draw: st.DrawFn) -> str:
    pieces = [draw(parts(group=True))]
    if draw(st.booleans()):  # (else the group alone: the index files it under its own terms)
        pieces += draw(st.lists(parts(), max_size=1))
        pieces += ["NOT " + t for t in draw(st.lists(terms(few_words), max_size=1))]
        pieces += [
            "source:" + s for s in draw(st.lists(st.sampled_from(["rudaw", "bbc", "net"]), max_size=1))
        ]
    return " ".join(draw(st.permutations(pieces)))


@settings(max_examples=300, deadline=None)
@given(st.lists(nested_queries(), min_size=1, max_size=12),
       st.lists(texts(few_words), min_size=1, max_size=2), st.sampled_from(SOURCES))  # fmt: skip
def test_index_and_reference_agree_on_nested_queries(query_texts: list[str], fields: list[str], source: str):
    _index_agrees_with_reference(_parsed(query_texts), fields, source)


@settings(max_examples=300, deadline=None)
@given(st.lists(queries(), min_size=1, max_size=12), st.lists(texts(), min_size=1, max_size=2),
       st.sampled_from(SOURCES))  # fmt: skip
def test_index_and_reference_agree(query_texts: list[str], fields: list[str], source: str):
    _index_agrees_with_reference(_parsed(query_texts), fields, source)


def _index_agrees_with_reference(parsed: list[tuple[int, Query]], fields: list[str], source: str) -> None:
    index: Matcher[int] = Matcher()
    index.add_all(parsed)
    expected = ReferenceMatcher(parsed).match(fields, source)
    found = index.match(Document.from_text(*fields, source=source))
    assert len(found) == len(set(found)), "each subscription once"
    assert set(found) == expected


def _parsed(query_texts: list[str], first: int = 0) -> list[tuple[int, Query]]:
    """The texts that parse, numbered (one too long or with too many terms is no query)."""
    parsed = []
    for number, text in enumerate(query_texts, start=first):
        try:
            parsed.append((number, parse_query(text)))
        except QueryError:
            continue
    return parsed


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(queries(), nested_queries()), min_size=1, max_size=10),
       st.lists(st.one_of(queries(), nested_queries()), max_size=6),
       st.lists(texts(), min_size=1, max_size=4), st.sampled_from(SOURCES), st.randoms())  # fmt: skip
def test_the_index_stays_right_while_subscriptions_come_and_go(
    first: list[str], later: list[str], documents: list[str], source: str, rng: random.Random
):
    """What the index remembers between items (the words it has met, the sources named) is
    kept right when queries are added and removed in between."""
    live = dict(_parsed(first))
    index: Matcher[int] = Matcher()
    index.add_all(live.items())
    arriving = _parsed(later, first=len(first))
    for text in documents:
        found = index.match(Document.from_text(text, source=source))
        assert sorted(found) == sorted(ReferenceMatcher(live).match([text], source))
        for subscription in rng.sample(sorted(live), k=len(live) // 2):
            index.remove(subscription)
            del live[subscription]
        if arriving:
            subscription, query = arriving.pop()
            index.add(subscription, query)
            live[subscription] = query
    assert len(index) == len(live)

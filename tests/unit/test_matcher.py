"""Matching: whole words, case- and accent-insensitive, indexed like the reference."""

from __future__ import annotations

import random

import pytest

from bot.core.items import Item
from bot.core.matcher import Document, Matcher, matches
from bot.core.query import parse_query


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("census", "The Census, finally", True),
        ("census", "censuses were taken", False),
        ("ISIS", "a crisis in the region", False),
        ("ISIS", "ISIS attack repelled", True),
        ("Kurd", "Kurdistan Region", False),
        ("Makhmour", "MAKHMOUR camp", True),
        ("Makhmur", "Makhmūr farmers", True),
        ("Makhmūr", "Makhmur farmers", True),
        ("oil prices", "prices of oil rose", True),
        ("oil prices", "oil exports rose", False),
        ("أربيل", "انفجار في اربيل اليوم", True),
        ("كوردستان", "حكومة کوردستان", True),
        ("Курдистан", "новости: Курдистан.", True),
        ("2026", "census of 2026", True),
    ],
)
def test_reference_matching(query: str, text: str, expected: bool):
    assert matches(parse_query(query), Document.from_text(text)) is expected


def test_matcher_finds_exactly_the_matching_subscriptions():
    matcher: Matcher[int] = Matcher()
    matcher.add_all(
        [
            (1, parse_query("census")),
            (2, parse_query("oil prices")),
            (3, parse_query("Makhmour camp")),
            (4, parse_query("football")),
        ]
    )
    document = Document.from_text("Census begins in Makhmour", "the camp and oil fields")
    assert matcher.match(document) == {1, 3}


def test_adding_and_removing_updates_the_index():
    matcher: Matcher[str] = Matcher()
    matcher.add("a", parse_query("census"))
    matcher.add("b", parse_query("census"))
    document = Document.from_text("census")
    assert matcher.match(document) == {"a", "b"}
    matcher.remove("a")
    assert matcher.match(document) == {"b"}
    matcher.remove("a")  # unknown ids are ignored
    matcher.add("b", parse_query("oil"))  # replacing a query re-files it
    assert matcher.match(document) == set()
    assert len(matcher) == 1


def test_document_from_item_reads_title_summary_and_content():
    item = Item(feed="F", key="k", title="Alpha", link="", summary="beta", content="gamma")
    assert Document.from_item(item).words == {"alpha", "beta", "gamma"}


def test_index_agrees_with_the_reference_on_random_queries():
    rng = random.Random(7)
    vocabulary = [
        "census",
        "oil",
        "prices",
        "makhmour",
        "erbil",
        "camp",
        "kurd",
        "kurdistan",
        "isis",
        "crisis",
    ]
    queries = {i: parse_query(" ".join(rng.sample(vocabulary, rng.randint(1, 3)))) for i in range(200)}
    matcher: Matcher[int] = Matcher()
    matcher.add_all(queries.items())
    for _ in range(300):
        document = Document.from_text(" ".join(rng.choices(vocabulary, k=rng.randint(0, 8))))
        expected = {i for i, q in queries.items() if matches(q, document)}
        assert matcher.match(document) == expected

"""Parsing what users type after /subscribe."""

from __future__ import annotations

import pytest

from bot.core.query import MAX_QUERY_CHARS, QueryError, parse_query, split_queries


def test_split_on_commas_and_drop_empty_parts():
    assert split_queries("census,  oil   prices , ,Makhmour") == ["census", "oil prices", "Makhmour"]
    assert split_queries("  ") == []


def test_a_query_keeps_the_text_and_folds_its_words():
    query = parse_query("  Oil   Prices ")
    assert query.text == "Oil Prices"
    assert query.words == ("oil", "prices")


def test_same_words_in_another_order_or_case_are_the_same_subscription():
    assert parse_query("oil prices").key == parse_query("Prices OIL").key
    assert parse_query("Makhmūr").key == parse_query("makhmur").key


def test_markup_characters_are_kept_literally():
    query = parse_query("<b>census</b>")
    assert query.text == "<b>census</b>"
    assert query.words == ("b", "census")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("!!! ???", "no letters or digits"),
        ("x" * (MAX_QUERY_CHARS + 1), f"at most {MAX_QUERY_CHARS} characters"),
    ],
)
def test_unusable_queries_say_why(text: str, reason: str):
    with pytest.raises(QueryError, match=reason):
        parse_query(text)


def test_a_query_of_exactly_the_limit_is_accepted():
    assert parse_query("x" * MAX_QUERY_CHARS).words == ("x" * MAX_QUERY_CHARS,)

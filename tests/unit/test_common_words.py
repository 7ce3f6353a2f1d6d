"""Keywords made only of very common words, which would bring nearly every story."""

from __future__ import annotations

import pytest

from bot.core.common_words import COMMON_WORDS, check_not_too_common, common_terms
from bot.core.query import QueryError
from bot.core.query_parser import parse_query
from bot.core.words import words


@pytest.mark.parametrize(
    ("text", "common"),
    [
        ("the", ["the"]),
        ("THE", ["the"]),
        ("The AND of", ["the", "of"]),
        ("the -football", ["the"]),
        ("census OR the", ["the"]),
        ("(the of) OR census", ["the", "of"]),
        ("the*", ["the*"]),
        ("في", ["في"]),
        ("لە", ["لە"]),  # shown as typed, though folded to له
        ('"و"', ['"و"']),  # (standing alone and unquoted, و is "and": an operator)
        ("در", ["در"]),  # Persian
        ("der und", ["der", "und"]),
        ("и", ["и"]),
        ("και", ["και"]),
        ("की", ["की"]),
        ("the source:rudaw", ["the"]),
    ],
)
def test_only_common_words_are_found(text: str, common: list[str]):
    query = parse_query(text)
    assert [query.written(term) for term in common_terms(query)] == common
    with pytest.raises(QueryError, match="nearly every story"):
        check_not_too_common(query)


@pytest.mark.parametrize(
    "text",
    [
        "the census",
        "census AND the",
        "(the OR of) census",
        '"the who"',  # a phrase is a deliberate choice
        "who",  # the WHO
        "us",
        "war",  # German "was", English "war"
        "die",
        "census",
        "لە هەولێر",
        "the (census OR camp)",
    ],
)
def test_a_word_that_narrows_the_matches_makes_it_fine(text: str):
    query = parse_query(text)
    assert common_terms(query) == []
    check_not_too_common(query)


def test_the_lists_are_folded_as_keywords_are():
    assert all(words(typed)[0] in COMMON_WORDS for typed in ["Für", "لە", "ہے", "ΚΑΙ", "ЧТО"])
    assert "fur" in COMMON_WORDS and "له" in COMMON_WORDS and "لە" not in COMMON_WORDS

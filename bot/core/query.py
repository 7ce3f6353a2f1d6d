"""Subscription queries: what a user types after /subscribe, parsed and validated.

A query is a keyword of one or more words; an item matches when it contains every word
as a whole word (case, accents and letter variants aside, see :mod:`bot.core.words`).
Several queries can be given at once, separated by commas.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.text import collapse_whitespace
from bot.core.words import words

__all__ = ["MAX_QUERY_CHARS", "Query", "QueryError", "parse_query", "split_queries"]

MAX_QUERY_CHARS = 100


class QueryError(ValueError):
    """A query that cannot be used; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed subscription query.

    ``text`` is the query as the user typed it (whitespace collapsed); ``words`` are its
    folded words, each once, in order; ``key`` identifies queries that match the same items.
    """

    text: str
    words: tuple[str, ...]

    @property
    def key(self) -> str:
        return " ".join(sorted(self.words))


def split_queries(text: str) -> list[str]:
    """Split comma-separated queries, dropping empty ones (``"a, ,b"`` -> ``["a", "b"]``)."""
    return [part for part in (collapse_whitespace(p) for p in text.split(",")) if part]


def parse_query(text: str) -> Query:
    """Parse one query, raising :class:`QueryError` with a reason a user can act on."""
    text = collapse_whitespace(text)
    if not text:
        raise QueryError("the keyword is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"a keyword can have at most {MAX_QUERY_CHARS} characters, this one has {len(text)}")
    found = tuple(dict.fromkeys(words(text)))
    if not found:
        raise QueryError("the keyword has no letters or digits to look for")
    return Query(text=text, words=found)

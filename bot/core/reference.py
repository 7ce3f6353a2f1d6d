"""The reference matcher: every query tested against every item, word by word.

It is the specification :class:`bot.core.matcher.Matcher`'s index must agree with (a
property-based test checks it) and the baseline the matching benchmark measures against.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

from bot.core.clitics import ARTICLE, MIN_STEM, PROCLITICS, SUFFIXES
from bot.core.query import AllOf, AnyOf, Part, Query, Term, Without, source_matches
from bot.core.words import CJK_CHARS, WORD_CHARS, fold

__all__ = ["ReferenceMatcher"]

SubscriptionId = TypeVar("SubscriptionId", bound=Hashable)

_WORD_RUN = re.compile(f"[{WORD_CHARS}]+")
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
_ELIDED_ARTICLE = fold("لل")  # ل + ال


def _spelled(text: str) -> str:
    """Folded text with each Chinese or Japanese run written as its character pairs."""

    def pairs(match: re.Match[str]) -> str:
        run = match.group()
        return " " + " ".join(run[n : n + 2] for n in range(max(1, len(run) - 1))) + " "

    return _CJK_RUN.sub(pairs, text)


def _written_as(written: str, word: str, *, prefix: bool) -> bool:
    """Whether a written word reads as a word of a term (both folded): the same word (or,
    for a prefix, one that starts with it), or, for a word of MIN_STEM letters or more,
    that word with proclitics before it and, unless a prefix, Sorani suffixes after it;
    a word that starts with the article also stands after لل (ل + ال)."""
    if written.startswith(word) if prefix else written == word:
        return True
    if len(word) < MIN_STEM:
        return False
    for cut in range(len(written)):
        head, rest = written[:cut], written[cut:]
        if head and head not in PROCLITICS:
            continue
        stems = [word]
        if head.endswith(_ELIDED_ARTICLE) and word.startswith(ARTICLE):
            stems.append(word[len(ARTICLE) :])
        for stem in stems:
            if not rest.startswith(stem):
                continue
            if prefix:
                if len(rest) >= MIN_STEM:
                    return True
            elif len(stem) >= MIN_STEM and (rest == stem or rest[len(stem) :] in SUFFIXES):
                return True
    return False


def _found(term: Term, fields: list[list[str]], text: str) -> bool:
    """Whether the words of *term* stand in a row in one of the fields (lists of words)."""
    if not all(word in text or word.removeprefix(ARTICLE) in text for word in term.words):
        return False  # (quick: a written form holds the word, or the word without ال)
    size, last = len(term.words), len(term.words) - 1
    for written in fields:
        for start in range(len(written) - size + 1):
            if all(
                _written_as(written[start + n], word, prefix=term.prefix and n == last)
                for n, word in enumerate(term.words)
            ):
                return True
    return False


class ReferenceMatcher(Generic[SubscriptionId]):
    """Every query tested against every item, word by word: each field of the item folded
    and split into words with a regular expression (Chinese and Japanese runs spelled as
    their character pairs first), and each term looked for at every place, its words read
    with the clitics around them that :mod:`bot.core.clitics` describes."""

    def __init__(
        self, queries: Mapping[SubscriptionId, Query] | Iterable[tuple[SubscriptionId, Query]]
    ) -> None:
        self._queries = list(queries.items() if isinstance(queries, Mapping) else queries)

    def match(self, texts: Sequence[str], source: str = "") -> set[SubscriptionId]:
        spelled = [_spelled(fold(text)) for text in texts]
        fields = [_WORD_RUN.findall(text) for text in spelled]
        text = "\x00".join(spelled)
        found: set[SubscriptionId] = set()
        for subscription, query in self._queries:
            if query.sources and not any(source_matches(s, source) for s in query.sources):
                continue
            if any(source_matches(s, source) for s in query.excluded_sources):
                continue
            if (
                all(any(_found(term, fields, text) for term in group) for group in query.groups)
                and not any(_found(term, fields, text) for term in query.excluded)
                and all(_holds(part, fields, text) for part in query.nested)
            ):
                found.add(subscription)
        return found


def _holds(part: Part, fields: list[list[str]], text: str) -> bool:
    """Whether a part of a query (terms put together with AND, OR and NOT) holds."""
    if isinstance(part, Term):
        return _found(part, fields, text)
    if isinstance(part, Without):
        return not _holds(part.part, fields, text)
    if isinstance(part, AnyOf):
        return any(_holds(piece, fields, text) for piece in part.parts)
    assert isinstance(part, AllOf)
    return all(_holds(piece, fields, text) for piece in part.parts)

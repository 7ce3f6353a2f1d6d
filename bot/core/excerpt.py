"""Which part of a story an alert shows: the part that explains why it matched.

An alert shows the title and an excerpt of about 300 characters. Usually that is the
start of the summary. But when a keyword matched only further on (deep in the summary, or
in the full text), the start tells the reader nothing about why the story came: then the
excerpt is the passage around the first match, from the start of its sentence, marked with
"…" where it was cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.core.text import truncate

__all__ = ["choose_excerpt"]

ELLIPSIS = "…"
# A sentence ends after . ! ? … (and their CJK and Arabic forms), before a space or not.
_SENTENCE = re.compile(r"[^.!?…。！？؟]*(?:[.!?…。！？؟]+\s*|$)")
WORDS_BEFORE = 6  # words kept before a match found inside a long sentence


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.end() > m.start()]


def _passage_from(text: str, start: int, limit: int) -> str:
    """*text* from *start*, cut to *limit* characters, with "…" where it was cut."""
    lead = f"{ELLIPSIS} " if start > 0 else ""
    return lead + truncate(text[start:].strip(), limit - len(lead))


def _passage(text: str, limit: int, contains: Callable[[str], bool]) -> str | None:
    """The passage of *text* around its first match, or None without one."""
    if not contains(text):
        return None
    for start, end in _sentences(text):
        if not contains(text[start:end]):
            continue
        passage = _passage_from(text, start, limit)
        if contains(passage):
            return passage
        # A long sentence with the match far into it: start a few words before the match,
        # the word after which the rest of the sentence no longer holds it.
        words = [start + m.start() for m in re.finditer(r"\S+", text[start:end])]
        first = next((i for i, word in enumerate(words) if not contains(text[word:end])), len(words)) - 1
        return _passage_from(text, words[max(0, first - WORDS_BEFORE)], limit)
    return _passage_from(text, 0, limit)  # a match across sentences: the start shows it


def choose_excerpt(
    title: str, summary: str, content: str, *, limit: int, contains: Callable[[str], bool]
) -> str:
    """The excerpt an alert shows (see the module docstring). *contains* tells whether a
    piece of text holds a match of the alert's keywords (the same test that puts them in
    bold)."""
    lead = truncate(summary, limit)
    if contains(title) or contains(lead):
        return lead
    for text in (summary, content):
        found = _passage(text, limit, contains) if text else None
        if found is not None:
            return found
    return lead

"""One story, one alert: which recent items are the same story.

When several feeds carry the same story (the same wire copy), or one outlet publishes a
story under two links, a reader should get one alert. :class:`StoryGroups` gives each new
item a story id: the id of an item of the last 48 hours that it is the same story as, else
a new one.

Two items are the same story (:func:`same_story`) when they have, in this order:

1. **the same link** (normalized as for delivery; a site's front page, with no path, does
   not count), and similar titles or agreeing texts: a page that a feed gives as the link
   of all its items is not one story;
2. **the same title** (the same folded words, at least ``min_title_words`` of them, so
   "Letters" or "Featured Advertiser" never merge), unless both have text to compare and
   the texts differ: a series that reuses its title every day is not one story;
3. **near-identical text and a similar title**, in two feeds: at least ``near_identical``
   (70%) of the word 3-shingles of the shorter text (of the first :data:`TEXT_WORDS` words
   of each) are in the other, and the titles share at least ``similar_titles`` (60%) of
   their words (Jaccard). A text shorter than ``min_text_words`` (12) words is not
   compared. The title is needed too because a feed's boilerplate is the same text under
   different stories (GeekPark gives each award of its yearly series the same blurb). Within
   one feed a changed title is a new story: a live blog's posts under one standing summary
   ("Ukraine war live: Kyiv hit by drones overnight", "… hit by drones again overnight")
   differ in nothing else, and an outlet's own copy of a story keeps its title.

and **no number that disagrees**: the titles hold the same numbers, and (for 2 and 3) each
number of the start of one text is in the start of the other. Templates differ only there
("Census day 1" and "Census day 2"; an insider's sale of 1,500 shares on June 28th and
another on July 5th; a weekly calendar), and so do a story's updates ("3 dead", "5 dead"),
which are news. Numbers are compared by value whatever their digits (``٢٠٢٣`` is ``2023``).
Two items dated more than the window apart are never the same story.

Every rule prefers missing a merge to making a wrong one: a wrong merge hides a story from
the reader, a missed one costs an extra alert. The thresholds are :class:`Rules`; the
corpus report (``python -m tests.quality.sameness_report``) shows what each one prevents.

**Words** are :func:`bot.core.words.words` (folded as for matching, in every script). Runs
of Chinese, Japanese, Thai, Lao, Khmer or Burmese letters, written without spaces between
words, are split into overlapping letter pairs, so the same pairs come out whether
``words`` gives a whole run or already its pairs.

**Exact shingles, not MinHash.** MinHash with LSH (datasketch) estimates the Jaccard
similarity of sets to find near-duplicates among millions of documents. Here there are a
few thousand recent items of at most :data:`TEXT_WORDS` shingles each, so the share of
shingles is counted exactly: no estimate, no banding to tune, and the measure can be the
share of the *shorter* text (a summary cut at 25 words is contained in the full one),
which MinHash's Jaccard is not. Measured on a poll of 1,000 items against 5,000 recent
ones (``python -m tests.quality.sameness_speed``), this module took 65 µs an item and
12.5 MB; datasketch's MinHash LSH (128 permutations) took 230 µs an item and 23 MB only to
find candidates, and would bring numpy and scipy.

Only candidates are compared: the items with the same link or title, and those whose
titles could share enough words, found by prefix filtering (Chaudhuri et al., 2006): with
each title's distinct words in one fixed order (longest first, as long words are rare),
two titles that share at least a share *t* of their words share one of the first
``n - ceil(t * n) + 1`` words of each, so only those are indexed, each under the title's
numbers too (titles whose numbers differ are never the same story). Shingles are kept as
Python string hashes (64 bits), which differ between processes: signatures are not
stored, and a restarted bot rebuilds its groups from the items' titles and summaries.

Memory is bounded: items leave after the window, and at most ``max_items`` are kept (the
oldest leave first). So is time: an item is compared with the latest ``max_candidates``
items that share its link or title, and the latest ``max_candidates`` whose titles share a
word and the numbers with its own (a feed whose titles all share their long words would
otherwise make every item meet every other).
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from array import array
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from bot.core.dedup import normalize_link, seen_token
from bot.core.items import Item
from bot.core.words import words

__all__ = [
    "MAX_CANDIDATES",
    "MAX_ITEMS",
    "TEXT_WORDS",
    "WINDOW",
    "Assignment",
    "Rules",
    "Sameness",
    "Signature",
    "StoryGroups",
    "compact",
    "same_story",
    "signature",
    "text_overlap",
    "title_similarity",
]

WINDOW = timedelta(hours=48)
MAX_ITEMS = 10_000
MAX_CANDIDATES = 1_000

TEXT_WORDS = 40  # words of the start of the text that are compared
SHINGLE = 3  # words per shingle
NUMBER_SLACK = 8  # words one text may run ahead of the other (an inserted dateline) for numbers
_TEXT_CHARS = 800  # characters read for a text: more than TEXT_WORDS + NUMBER_SLACK words

# Scripts written without spaces between words; their runs become overlapping letter pairs.
_UNSPACED = re.compile(
    "([\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)"
)
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds of :func:`same_story` (see the module docstring)."""

    near_identical: float = 0.7  # share of the shorter text's shingles found in the other
    texts_agree: float = 0.3  # below this share, two texts tell different stories
    similar_titles: float = 0.6  # Jaccard of the titles' words, with near-identical text
    text_in_one_feed: bool = False  # whether near-identical text also merges two items of one feed
    min_title_words: int = 5  # a shorter title is too generic to mean one story by itself
    min_text_words: int = 12  # a shorter text is too short to tell stories apart
    numbers_agree: bool = True  # whether numbers that disagree keep two items apart


class Sameness(StrEnum):
    """Why an item was found the same story as an earlier one."""

    LINK = "same link"
    TITLE = "same title"
    TEXT = "near-identical text"


@dataclass(frozen=True, slots=True)
class Signature:
    """What an item is compared by: its link, the words of its title and the start of its text."""

    feed: str
    link: str  # normalized; "" when the item has no link of its own
    title: tuple[str, ...]
    text_words: int  # words in the start of the text (at most TEXT_WORDS + NUMBER_SLACK)
    numbers: tuple[tuple[int, str], ...]  # (position, value) of the numbers in that start
    shingles: array[int]  # hashes of the 3-shingles of its first TEXT_WORDS words, sorted
    # Read by every comparison, so made once: the title's distinct words (the title itself
    # when no word repeats), and the numbers in it, sorted, each as often as it occurs
    # ("0.1.0" is not "0.1.1")
    title_words: tuple[str, ...]
    title_numbers: tuple[str, ...]

    def has_text(self, rules: Rules) -> bool:
        """Whether the text is long enough to compare."""
        return self.text_words >= rules.min_text_words

    def numbers_before(self, position: int) -> set[str]:
        return {value for at, value in self.numbers if at < position}


def _tokens(text: str) -> list[str]:
    """The words of *text*, with runs of unspaced scripts as overlapping letter pairs."""
    folded = words(text)
    if text.isascii() or not _UNSPACED.search(" ".join(folded)):
        return folded
    found: list[str] = []
    for word in folded:
        if not _UNSPACED.search(word):
            found.append(word)
            continue
        for i, part in enumerate(_UNSPACED.split(word)):
            if not part:
                continue
            if i % 2 == 0 or len(part) < 3:  # letters of a spaced script, or a pair already
                found.append(part)
            else:
                found.extend(part[j : j + 2] for j in range(len(part) - 1))
    return found


def _story_link(link: str) -> str:
    normalized = normalize_link(link)
    if not normalized:
        return ""
    parts = urlsplit(normalized)
    return normalized if parts.path.strip("/") or parts.query else ""


def _number(token: str) -> str | None:
    """*token*'s value when it holds digits, in ASCII digits: ``٢٠٢٣`` is ``2023``."""
    if not _DIGIT.search(token):
        return None
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in token)


def _distinct(words: tuple[str, ...]) -> tuple[str, ...]:
    distinct = tuple(dict.fromkeys(words))
    return words if len(distinct) == len(words) else distinct


def signature(item: Item) -> Signature:
    """The signature of *item* (see the module docstring), from its title and its summary,
    else its full text."""
    title = tuple(map(sys.intern, _tokens(item.title)))  # title words recur: one copy each
    raw = item.summary or item.content
    text = _tokens(raw[:_TEXT_CHARS])
    if len(raw) > _TEXT_CHARS and text:
        text.pop()  # may be a word cut in two
    if title and tuple(text[: len(title)]) == title:
        text = text[len(title) :]  # a feed that repeats the title at the start of the text
    text = text[: TEXT_WORDS + NUMBER_SLACK]
    head = text[:TEXT_WORDS]
    shingles = {hash(" ".join(head[i : i + SHINGLE])) for i in range(len(head) - SHINGLE + 1)}
    numbers = tuple((i, value) for i, word in enumerate(text) if (value := _number(word)) is not None)
    return Signature(
        feed=item.feed,
        link=_story_link(item.link),
        title=title,
        text_words=len(text),
        numbers=numbers,
        shingles=array("q", sorted(shingles)),
        title_words=_distinct(title),
        title_numbers=tuple(sorted(filter(None, map(_number, title)))),
    )


def compact(item: Item) -> Item:
    """As much of *item* as its signature reads: what is stored to find its story again."""
    raw = item.summary or item.content
    return replace(item, summary=raw[: _TEXT_CHARS + 1], content="")


def text_overlap(a: Signature, b: Signature) -> float:
    """The share of the shorter text's shingles that the other text has too (0 to 1)."""
    smaller = min(len(a.shingles), len(b.shingles))
    return len(set(a.shingles).intersection(b.shingles)) / smaller if smaller else 0.0


def title_similarity(a: Signature, b: Signature) -> float:
    """Jaccard similarity of the titles' sets of words (0 to 1)."""
    x, y = a.title_words, b.title_words
    shared = len(set(x).intersection(y))
    return shared / (len(x) + len(y) - shared) if x or y else 0.0


def _title_numbers_disagree(a: Signature, b: Signature) -> bool:
    return a.title_numbers != b.title_numbers


def _numbers_disagree(a: Signature, b: Signature) -> bool:
    if _title_numbers_disagree(a, b):
        return True
    n = min(a.text_words, b.text_words, TEXT_WORDS)
    return not (
        a.numbers_before(n) <= b.numbers_before(n + NUMBER_SLACK)
        and b.numbers_before(n) <= a.numbers_before(n + NUMBER_SLACK)
    )


def same_story(a: Signature, b: Signature, rules: Rules | None = None) -> Sameness | None:
    """Why *a* and *b* are the same story, or None when they are not (see the module docstring).

    The cheap tests come first: most pairs compared differ in their titles.
    """
    rules = rules or Rules()
    both_texts = a.has_text(rules) and b.has_text(rules)
    if a.link and a.link == b.link:
        if rules.numbers_agree and _title_numbers_disagree(a, b):
            return None  # a live blog's "day 1" and "day 2" under one address
        if title_similarity(a, b) >= rules.similar_titles or (
            both_texts and text_overlap(a, b) >= rules.texts_agree
        ):
            return Sameness.LINK
        return None
    same_title = a.title == b.title and len(a.title) >= rules.min_title_words
    by_text = both_texts and (a.feed != b.feed or rules.text_in_one_feed)
    if not same_title and (not by_text or title_similarity(a, b) < rules.similar_titles):
        return None
    if rules.numbers_agree and _numbers_disagree(a, b):
        return None
    if same_title:
        if not both_texts or text_overlap(a, b) >= rules.texts_agree:
            return Sameness.TITLE
        return None
    return Sameness.TEXT if text_overlap(a, b) >= rules.near_identical else None


@dataclass(frozen=True, slots=True)
class Assignment:
    """The story of an item; when it joined an earlier story, also the item it was found
    the same as (its feed and key) and why."""

    story: str
    same_as: tuple[str, str] | None = None
    reason: Sameness | None = None


@dataclass(frozen=True, slots=True)
class _Entry:
    serial: int
    story: str
    feed: str
    key: str
    seen: datetime
    published: datetime | None
    signature: Signature
    title_prefix: tuple[str, ...]  # the title words it is indexed under


_REASON_RANK = {Sameness.LINK: 0, Sameness.TITLE: 1, Sameness.TEXT: 2}


class StoryGroups:
    """The stories of the recent items: :meth:`assign` gives each new item the story id of
    an earlier item of the window that it is the same story as (:func:`same_story`), else a
    new id.

    A story's id is a token of its first item's feed and key, so a restart that assigns the
    same items again gives the same ids. Items are kept for *window* after they were seen,
    and at most *max_items* of them; a new item is compared with at most *max_candidates*.
    """

    def __init__(
        self,
        *,
        window: timedelta = WINDOW,
        max_items: int = MAX_ITEMS,
        max_candidates: int = MAX_CANDIDATES,
        rules: Rules | None = None,
    ) -> None:
        self.window = window
        self.max_items = max_items
        self.max_candidates = max_candidates
        self.rules = rules or Rules()
        self._serial = 0
        self._entries: dict[int, _Entry] = {}
        self._order: deque[int] = deque()
        self._by_item: dict[tuple[str, str], int] = {}
        self._by_link: dict[str, list[int]] = {}
        self._by_title: dict[tuple[str, ...], list[int]] = {}
        # (the title's numbers, a word of its prefix) -> items: see _similar_key
        self._by_title_word: dict[tuple[tuple[str, ...], str], list[int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, item: Item, story: str, *, seen: datetime) -> None:
        """Take back an item of *story* seen at *seen* (a restarted bot, from what it
        stored): later copies of the story are found the same as it."""
        if (item.feed, item.key) in self._by_item:
            return
        sig = signature(item)
        prefix = self._title_prefix(sig.title)
        self._add(_Entry(self._serial, story, item.feed, item.key, seen, item.published, sig, prefix))
        self._serial += 1

    def assign(self, item: Item, *, now: datetime) -> Assignment:
        """Give *item*, seen at *now*, its story. An item assigned before keeps its story."""
        self.evict(now)
        known = self._by_item.get((item.feed, item.key))
        if known is not None:
            return Assignment(self._entries[known].story)
        sig = signature(item)
        prefix = self._title_prefix(sig.title)
        best = self._best_match(sig, prefix, item.published)
        if best is None:
            assignment = Assignment(seen_token(f"{item.feed}\n{item.key}"))
        else:
            match, reason = best
            assignment = Assignment(match.story, (match.feed, match.key), reason)
        entry = _Entry(self._serial, assignment.story, item.feed, item.key, now, item.published, sig, prefix)
        self._serial += 1
        self._add(entry)
        while len(self._entries) > self.max_items:
            self._remove(self._order[0])
        return assignment

    def evict(self, now: datetime) -> None:
        """Forget the items seen more than the window before *now*."""
        while self._order and now - self._entries[self._order[0]].seen > self.window:
            self._remove(self._order[0])

    def _title_prefix(self, title: tuple[str, ...]) -> tuple[str, ...]:
        """The first words of *title* in the fixed order (longest first), as many as prefix
        filtering needs for the title similarity of near-identical texts."""
        distinct = sorted(set(title), key=lambda word: (-len(word), hash(word)))
        needed = math.ceil(round(self.rules.similar_titles * len(distinct), 9))
        return tuple(distinct[: len(distinct) - needed + 1])

    def _candidates(self, sig: Signature, prefix: tuple[str, ...]) -> list[int]:
        """The items to compare *sig* with, oldest first: the latest :attr:`max_candidates`
        with its link or title, and of the latest :attr:`max_candidates` whose titles share
        a word of its *prefix*, those whose titles are similar enough to be compared."""
        latest = self.max_candidates
        exact = set(self._by_link.get(sig.link, ())[-latest:]) if sig.link else set()
        if len(sig.title) >= self.rules.min_title_words:
            exact.update(self._by_title.get(sig.title, ())[-latest:])
        similar: set[int] = set()
        if sig.has_text(self.rules):
            for word in prefix:  # (each word's items are in the order they came: the latest last)
                similar.update(self._by_title_word.get(self._similar_key(sig, word), ())[-latest:])
        similar -= exact
        # Only a similar title (rule 3) can make these the same story: tested here at once,
        # as title_similarity does, before the whole comparison.
        mine, count, least = set(sig.title_words), len(sig.title_words), self.rules.similar_titles
        entries = self._entries
        alike = []
        for serial in sorted(similar)[-latest:]:
            words = entries[serial].signature.title_words
            shared = len(mine.intersection(words))
            if shared / (count + len(words) - shared) >= least:
                alike.append(serial)
        return sorted([*sorted(exact)[-latest:], *alike])

    def _similar_key(self, sig: Signature, word: str) -> tuple[tuple[str, ...], str]:
        """Where an item is indexed for similar titles: under a word of its title's prefix,
        with the title's numbers when they must agree (their titles are never the same story
        otherwise: synthetic or templated titles, "Census day 1", "Census day 2", that share
        every long word would each meet every other, up to max_candidates)."""
        return (sig.title_numbers if self.rules.numbers_agree else (), word)

    def _best_match(
        self, sig: Signature, prefix: tuple[str, ...], published: datetime | None
    ) -> tuple[_Entry, Sameness] | None:
        best: tuple[_Entry, Sameness] | None = None
        for serial in self._candidates(sig, prefix):
            entry = self._entries[serial]
            if published and entry.published and abs(published - entry.published) > self.window:
                continue
            reason = same_story(sig, entry.signature, self.rules)
            if reason is not None and (best is None or _REASON_RANK[reason] < _REASON_RANK[best[1]]):
                best = entry, reason
        return best

    def _indexes(self, entry: _Entry) -> Iterable[tuple[dict[Any, list[int]], object]]:
        sig = entry.signature
        if sig.link:
            yield self._by_link, sig.link
        if len(sig.title) >= self.rules.min_title_words:
            yield self._by_title, sig.title
        if sig.has_text(self.rules):
            for word in entry.title_prefix:
                yield self._by_title_word, self._similar_key(sig, word)

    def _add(self, entry: _Entry) -> None:
        self._entries[entry.serial] = entry
        self._order.append(entry.serial)
        self._by_item[(entry.feed, entry.key)] = entry.serial
        for index, key in self._indexes(entry):
            index.setdefault(key, []).append(entry.serial)

    def _remove(self, serial: int) -> None:
        entry = self._entries.pop(serial)
        if self._order[0] == serial:
            self._order.popleft()
        else:
            self._order.remove(serial)
        del self._by_item[(entry.feed, entry.key)]
        for index, key in self._indexes(entry):
            serials = index[key]
            serials.remove(serial)  # usually the first: the oldest leave first
            if not serials:
                del index[key]

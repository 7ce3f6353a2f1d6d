"""News items: the normalized form of a feed entry, whatever the feed's format.

What a reader gets from an entry, in order: mojibake repaired first (ftfy, before anything
else could lose letters), then markup made plain text with each paragraph a sentence, then
control characters and the boilerplate at the text's edges removed (see
:mod:`bot.core.boilerplate`). The summary is the entry's own description; a photo's caption
(``media:description``) is used only for an entry that has nothing else (a video). The link
is the story's own address (:mod:`bot.core.links`), the date as the feed meant it
(:mod:`bot.core.dates`).
"""

from __future__ import annotations

import calendar
import hashlib
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin, urlsplit

import ftfy

from bot.core.boilerplate import strip_boilerplate
from bot.core.dates import parse_feed_date
from bot.core.links import story_link
from bot.core.text import (
    MAX_MARKUP_CHARS,
    collapse_whitespace,
    html_to_text,
    plain_to_text,
    strip_bidi_controls,
    strip_controls,
    truncate,
)

__all__ = ["DateShown", "Item", "counted_from", "item_key", "normalize_entry"]

# Stored and matched text is bounded, so that one bloated entry cannot bloat the database.
MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 1500
MAX_CONTENT_CHARS = 20_000
MAX_LINK_CHARS = 2048
MAX_KEY_CHARS = 512

UNTITLED = "(untitled)"


class DateShown(StrEnum):
    """How an item's date is shown: what its feed gave."""

    MOMENT = "moment"  # a time with its zone: shown in the reader's time zone
    LOCAL = "local"  # a time without a zone: shown as written (``published`` holds it as UTC)
    DAY = "day"  # a day: shown as that day (``published`` is its midnight, UTC)


@dataclass(frozen=True, slots=True)
class Item:
    """One news item, as plain text.

    ``key`` is stable across polls of the same feed: the entry's guid, else its link,
    else a hash of its title and summary. ``content`` is the full text when the feed
    carries it; it is used for matching and never stored.
    """

    feed: str
    key: str
    title: str
    link: str
    summary: str
    published: datetime | None = None
    content: str = ""
    date_shown: DateShown = DateShown.MOMENT


def counted_from(item: Item, seen: datetime) -> Item:
    """*item* as readers are shown it: one without a date, or dated after *seen* (when the
    bot first saw it: a date in the future), is dated *seen*, in the reader's time zone.
    A date that is a day, or a time without a zone, is in the future only when no zone's
    clock could read it yet (today's date in +03:00 is tomorrow's in UTC after 21:00)."""
    slack = _DATE_SLACK.get(item.date_shown, timedelta(0))
    if item.published is not None and item.published <= seen + slack:
        return item
    return replace(item, published=seen, date_shown=DateShown.MOMENT)


# How far ahead of the moment it was seen a day, or a time without a zone, may lie and still
# be a true date: clocks in some zones run up to 14 hours ahead of UTC.
_DATE_SLACK = {DateShown.DAY: timedelta(hours=14), DateShown.LOCAL: timedelta(hours=14)}


def item_key(guid: str, link: str, title: str, summary: str) -> str:
    """Return the stable key of an entry: guid, else link, else a hash of title+summary."""
    for candidate in (guid.strip(), link.strip()):
        if candidate:
            return candidate if len(candidate) <= MAX_KEY_CHARS else _digest(candidate)
    return _digest(f"{title}\n{summary}")


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _text(value: Any, detail: Any) -> str:
    """Plain text of a feedparser text construct (see the module docstring), parsing markup
    only when it is markup; without control characters (which entities such as ``&#27;``
    can also bring) or boilerplate at its edges."""
    if not isinstance(value, str) or not value:
        return ""
    kind = detail.get("type", "") if isinstance(detail, Mapping) else ""
    repaired = ftfy.fix_encoding(value[:MAX_MARKUP_CHARS])
    text = plain_to_text(repaired) if kind == "text/plain" else html_to_text(repaired)
    return strip_boilerplate(collapse_whitespace(strip_controls(text)))


def _raw(entry: Mapping[str, Any], field: str) -> Any:
    """A field as the feed gave it: feedparser's mapping fills some fields from others (and
    warns when it does), which the bot does not want (``published`` is not ``updated``)."""
    return dict.get(entry, field) if isinstance(entry, dict) else entry.get(field)


def _published(entry: Mapping[str, Any], problems: Counter[str]) -> tuple[datetime | None, DateShown]:
    """The entry's date as its feed wrote it (read by the bot, which knows more date
    formats than feedparser), else as feedparser read it."""
    for field in ("published", "updated", "created"):
        raw = _raw(entry, field)
        found = parse_feed_date(raw) if isinstance(raw, str) else None
        if found is not None:
            if found.day_only:
                return datetime.combine(found.written.date(), datetime.min.time(), UTC), DateShown.DAY
            if not found.zoned:
                return found.written.replace(tzinfo=UTC), DateShown.LOCAL
            return found.moment, DateShown.MOMENT
    for field in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = _raw(entry, field)
        if isinstance(parsed, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC), DateShown.MOMENT
            except (OverflowError, ValueError, OSError):
                problems["a date out of range (date left out)"] += 1
                continue
    return None, DateShown.MOMENT


def _content(entry: Mapping[str, Any]) -> str:
    parts = entry.get("content")
    if not isinstance(parts, list):
        return ""
    texts = [_text(part.get("value"), part) for part in parts if isinstance(part, Mapping)]
    return truncate(" ".join(t for t in texts if t), MAX_CONTENT_CHARS)


def _absolute_link(link: Any, base_url: str, problems: Counter[str]) -> str:
    if not isinstance(link, str) or len(link) > MAX_LINK_CHARS:
        return ""
    link = link.strip()
    try:  # urlsplit and urljoin raise ValueError on "http://[::1", say
        if link and base_url and not urlsplit(link).scheme:
            return urljoin(base_url, link)
        urlsplit(link)
    except ValueError:
        problems["a link that is not a web address (link left out)"] += 1
        return ""
    return link


def _origins(entry: Mapping[str, Any]) -> list[str]:
    """The story's own address where a feed names it beside a redirector link."""
    found = []
    for field in ("feedburner_origlink", "pheedo_origlink", "origlink"):
        value = _raw(entry, field)
        if isinstance(value, str) and len(value) <= MAX_LINK_CHARS:
            found.append(value.strip())
    return found


def normalize_entry(
    entry: Mapping[str, Any], feed: str, *, base_url: str = "", problems: Counter[str] | None = None
) -> Item:
    """Turn one feedparser entry (a mapping) into an :class:`Item` (see the module docstring).

    Never raises on odd input: missing fields become empty strings, a missing title
    becomes ``(untitled)`` and a summary falls back to the start of the full content.
    Control characters are removed from every text, bidi overrides from the title.
    A relative link is resolved against *base_url*, the feed's own URL. A field that cannot
    be used (a malformed link, a date out of range) is left out, and counted in *problems*
    by what was wrong, so the caller can report them once per feed.
    """
    problems = problems if problems is not None else Counter()
    title = strip_bidi_controls(_text(entry.get("title"), entry.get("title_detail")))
    summary = _text(entry.get("summary"), entry.get("summary_detail"))
    content = _content(entry)
    if not summary and content:
        summary = content
    if not summary:  # a video, say: its caption is all it says
        summary = _text(_raw(entry, "media_description"), None)
    raw_link = _absolute_link(entry.get("link"), base_url, problems)
    guid = entry.get("id")
    guid = guid if isinstance(guid, str) else ""
    published, shown = _published(entry, problems)
    return Item(
        feed=feed,
        # The key keeps the link as the feed gave it, so a story seen before this cleaning
        # is still the same story.
        key=item_key(guid, raw_link, title, summary),
        title=truncate(title, MAX_TITLE_CHARS) or UNTITLED,
        link=story_link(raw_link, origins=_origins(entry), guid=guid),
        summary=truncate(summary, MAX_SUMMARY_CHARS),
        published=published,
        content=content if content != summary else "",
        date_shown=shown,
    )

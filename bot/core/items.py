"""News items: the normalized form of a feed entry, whatever the feed's format."""

from __future__ import annotations

import calendar
import hashlib
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.core.text import (
    MAX_MARKUP_CHARS,
    collapse_whitespace,
    html_to_text,
    strip_bidi_controls,
    strip_controls,
    truncate,
)

__all__ = ["Item", "item_key", "normalize_entry"]

# Stored and matched text is bounded, so that one bloated entry cannot bloat the database.
MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 1500
MAX_CONTENT_CHARS = 20_000
MAX_LINK_CHARS = 2048
MAX_KEY_CHARS = 512

UNTITLED = "(untitled)"


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


def item_key(guid: str, link: str, title: str, summary: str) -> str:
    """Return the stable key of an entry: guid, else link, else a hash of title+summary."""
    for candidate in (guid.strip(), link.strip()):
        if candidate:
            return candidate if len(candidate) <= MAX_KEY_CHARS else _digest(candidate)
    return _digest(f"{title}\n{summary}")


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _text(value: Any, detail: Any) -> str:
    """Plain text of a feedparser text construct, parsing markup only when it is markup;
    without control characters (which entities such as ``&#27;`` can also bring)."""
    if not isinstance(value, str) or not value:
        return ""
    kind = detail.get("type", "") if isinstance(detail, Mapping) else ""
    text = value[:MAX_MARKUP_CHARS] if kind == "text/plain" else html_to_text(value)
    return collapse_whitespace(strip_controls(text))


def _published(entry: Mapping[str, Any], problems: Counter[str]) -> datetime | None:
    for field in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(field)
        if isinstance(parsed, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                problems["a date out of range (date left out)"] += 1
                continue
    return None


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


def normalize_entry(
    entry: Mapping[str, Any], feed: str, *, base_url: str = "", problems: Counter[str] | None = None
) -> Item:
    """Turn one feedparser entry (a mapping) into an :class:`Item`.

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
    link = _absolute_link(entry.get("link"), base_url, problems)
    guid = entry.get("id")
    guid = guid if isinstance(guid, str) else ""
    return Item(
        feed=feed,
        key=item_key(guid, link, title, summary),
        title=truncate(title, MAX_TITLE_CHARS) or UNTITLED,
        link=link,
        summary=truncate(summary, MAX_SUMMARY_CHARS),
        published=_published(entry, problems),
        content=content if content != summary else "",
    )

"""Parsing feed bodies with feedparser into items, bounded and without surprises.

Only the first :data:`MAX_ENTRIES` entries are read. A field or entry that cannot be used
costs only itself (see :func:`parse_feed`). The document's own declaration of its encoding
wins over a server's ``charset=`` (see :func:`_trusted_content_type`), and a photo's caption
is kept apart from the entry's own text (see :func:`_keep_captions_apart`). This runs in the
worker processes of :mod:`bot.adapters.feeds`.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import feedparser
from feedparser.namespaces.mediarss import Namespace as MediaRSS

from bot.core.items import Item, normalize_entry
from bot.core.schedule import feed_not_before

__all__ = ["MAX_ENTRIES", "FeedError", "Parsed", "describe_problems", "parse_feed", "parse_job"]

MAX_ENTRIES = 1_000  # entries read per fetch, in document order: a feed's work is bounded


class FeedError(Exception):
    """A feed could not be fetched or is not a feed; the message is the reason, for logs.
    *retry_after* is the wait in seconds the server asked for, if it did."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def parse_feed(
    body: bytes,
    source_name: str,
    *,
    url: str = "",
    content_type: str = "",
    problems: Counter[str] | None = None,
    pace: dict[str, str] | None = None,
) -> list[Item]:
    """Parse feed bytes into items; raises :class:`FeedError` when *body* is not a feed.

    The body is always given to feedparser as a stream: a string could be taken for a path.
    The feed's URL is not given to feedparser, which would resolve guids against it (so every
    key would change when a feed moves); relative links are resolved by the normalizer instead.
    Only the first :data:`MAX_ENTRIES` entries are read. What had to be left out (a malformed
    link, an entry that could not be read at all) is counted in *problems*; the other entries
    and fields are kept. What the feed says of its own pace (``ttl``, ``sy:updatePeriod`` and
    ``sy:updateFrequency``) goes into *pace*.
    """
    problems = problems if problems is not None else Counter()
    _keep_captions_apart()
    content_type = _trusted_content_type(body, content_type)
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    entries = parsed.get("entries", [])
    if not parsed.get("version") and not entries:
        raise FeedError("not a feed (no RSS or Atom content; an HTML page?)")
    if not entries and parsed.get("bozo"):
        raise FeedError(f"malformed feed: {parsed.get('bozo_exception')}")
    if pace is not None:
        channel = parsed.get("feed", {})
        for field in ("ttl", "sy_updateperiod", "sy_updatefrequency"):
            value = channel.get(field)
            if isinstance(value, str):
                pace[field] = value[:20]
    if len(entries) > MAX_ENTRIES:
        problems[f"an entry after the first {MAX_ENTRIES} (not read)"] += len(entries) - MAX_ENTRIES
    items = []
    for entry in entries[:MAX_ENTRIES]:
        try:
            items.append(normalize_entry(entry, source_name, base_url=url, problems=problems))
        except Exception as exc:  # a surprise costs that story, not the feed's others
            problems[f"an entry that could not be read ({type(exc).__name__}: {exc}; dropped)"] += 1
    return items


_XML_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([-\w.:]+)["']""")
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?[^;\"']*[\"']?", re.IGNORECASE)


def _trusted_content_type(body: bytes, content_type: str) -> str:
    """The Content-Type to tell feedparser: without its ``charset=`` when the document
    declares its own encoding, which wins, as it does for feed readers (Miniflux reads the
    XML declaration first). Servers send a default ``charset=ISO-8859-1`` for documents in
    other encodings far more often than documents misstate their own; feedparser, following
    RFC 3023, would believe the server and turn Greek or Cyrillic into Latin letters."""
    if "charset" not in content_type.lower() or _XML_ENCODING.match(body[:300]) is None:
        return content_type
    return _CHARSET.sub("", content_type)


_captions_apart = False


def _keep_captions_apart() -> None:
    """Make feedparser keep an entry's ``media:description`` and ``media:title`` (a photo's
    caption and title) apart from the entry's own summary and title.

    Its Media RSS handlers read them as the entry's description and title: an entry with a
    photo caption got the caption as its summary, its own ``<description>`` moved into its
    content (the New York Times' feeds). Without those handlers feedparser keeps them as
    ``media_description`` and ``media_title``, like any element it has no handler for; the
    normalizer uses the caption only for an entry with no text of its own (a video)."""
    global _captions_apart
    if _captions_apart:
        return
    for handler in ("_start_media_description", "_end_media_description",
                    "_start_media_title", "_end_media_title"):  # fmt: skip
        if hasattr(MediaRSS, handler):
            delattr(MediaRSS, handler)
    _captions_apart = True


def describe_problems(problems: Mapping[str, int]) -> str:
    """``2 × a link that is not a web address (link left out); ...``: one line for the log."""
    return "; ".join(f"{count} × {what}" for what, count in sorted(problems.items()))


@dataclass(frozen=True, slots=True)
class Parsed:
    """What parsing a body gave: its items and what had to be left out, or why it is not a feed."""

    items: list[Item]
    problems: dict[str, int]
    seconds: float  # CPU time the parse took
    error: str = ""
    not_before: float | None = None  # seconds the feed asks readers to wait between polls


def parse_job(body: bytes, source_name: str, url: str, content_type: str) -> Parsed:
    """Parse a downloaded body (in a worker process or thread); never raises a FeedError."""
    started = time.thread_time()
    problems: Counter[str] = Counter()
    pace: dict[str, str] = {}
    try:
        items = parse_feed(
            body, source_name, url=url, content_type=content_type, problems=problems, pace=pace
        )
    except FeedError as exc:
        return Parsed([], dict(problems), time.thread_time() - started, error=str(exc))
    not_before = feed_not_before(
        ttl=pace.get("ttl", ""),
        update_period=pace.get("sy_updateperiod", ""),
        update_frequency=pace.get("sy_updatefrequency", ""),
    )
    return Parsed(items, dict(problems), time.thread_time() - started, not_before=not_before)

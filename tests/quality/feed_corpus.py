"""The real outlet feeds of the shared corpus, as the reader's run serves them.

The corpus lives beside the project, in ``../shared/feeds`` (or where
``NEWSBOT_FEED_CORPUS`` points), as for ``tests/adapters/test_feed_corpus.py``. Each feed
is served with the Content-Type its outlet would send. Two servers are misconfigured, as
real ones are: they declare ``charset=ISO-8859-1`` (Apache's old default) for a document
that says, correctly, that it is windows-1251 or ISO-8859-7, and the HTTP header wins
(RFC 3023), which makes "Áóçóëóêå" of "Бузулуке". A third declares UTF-8 for Latin-1 bytes,
which feedparser recovers from.

A feed is served as if published at the run (:meth:`FeedFile.served_at`): its dates moved
by whole days so that its newest entry is of the day before the run
(:mod:`tests.quality.time_shift`). Every check reads those served bytes.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import feedparser
from ftfy import fix_text

from bot.core.dates import parse_feed_date
from tests.quality.dates_as_written import read_written_date
from tests.quality.story import Story
from tests.quality.time_shift import ShiftedFeed, shift_feed

__all__ = [
    "CORPUS",
    "OUTLETS",
    "REAL_FEEDS",
    "FeedFile",
    "Outlet",
    "feed_files",
    "newest_entry_date",
    "reader_text",
    "repair",
]

CORPUS = Path(os.environ.get("NEWSBOT_FEED_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "feeds"))
REAL_FEEDS = CORPUS / "real"

RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=UTF-8"
TEXT_XML = "text/xml; charset=UTF-8"
MISCONFIGURED_LATIN1 = "text/xml; charset=ISO-8859-1"


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str  # the feed's name in the bot's feeds file, shown in alerts
    content_type: str


OUTLETS: Mapping[str, Outlet] = {
    "aif-ru-rss2.xml": Outlet("AiF", RSS),
    "aktuality-sk-rss2.xml": Outlet("Aktuality.sk", RSS),
    "bbc-inourtime-podcast-rss2.xml": Outlet("BBC In Our Time", "application/rss+xml"),
    "bbc-news-frontpage-rss2.xml": Outlet("BBC News", TEXT_XML),
    "bbc-urdu-rss2.xml": Outlet("BBC Urdu", TEXT_XML),
    "citydog-by-rss2-bom.xml": Outlet("CityDog", RSS),
    "geekpark-rss2.xml": Outlet("GeekPark", "application/xml; charset=utf-8"),
    "github-releases-atom.xml": Outlet("GitHub releases", ATOM),
    "golem-rss2-iso8859-1.xml": Outlet("Golem", "application/rss+xml; charset=ISO-8859-1"),
    "google-alerts-atom.xml": Outlet("Google Alerts", ATOM),
    "guardian-rss2.xml": Outlet("The Guardian", TEXT_XML),
    "hackernews-rss2.xml": Outlet("Hacker News", RSS),
    "heise-atom.xml": Outlet("heise online", ATOM),
    "hoder-persian-blog-rss2.xml": Outlet("Hoder", TEXT_XML),
    "huffpost-canada-rss2.xml": Outlet("HuffPost Canada", RSS),
    # Latin-1 bytes, a correct declaration, and a server that says UTF-8.
    "jornaldenoticias-rss2-iso8859-1.xml": Outlet("Jornal de Notícias", TEXT_XML),
    "kc0011-forum-rss2-gb2312.xml": Outlet("kc0011", "text/xml; charset=gb2312"),
    "lemonde-rss2.xml": Outlet("Le Monde", RSS),
    # ISO-8859-7 bytes, a correct declaration, and a server that says ISO-8859-1.
    "liberal-gr-rss2-iso8859-7.xml": Outlet("Liberal.gr", MISCONFIGURED_LATIN1),
    "livemint-rss2.xml": Outlet("Mint", RSS),
    "news18-hindi-rss2.xml": Outlet("News18 Hindi", RSS),
    "npr-news-rss2.xml": Outlet("NPR", TEXT_XML),
    "nytimes-homepage-rss2.xml": Outlet("The New York Times", RSS),
    # windows-1251 bytes, a correct declaration, and a server that says ISO-8859-1.
    "oren-ru-rss2-windows1251.xml": Outlet("Oren.ru", MISCONFIGURED_LATIN1),
    "orf-at-rss1.xml": Outlet("ORF", "application/rdf+xml; charset=UTF-8"),
    "reddit-homelab-atom.xml": Outlet("Reddit r/homelab", ATOM),
    "reuters-mostread-rss2-invalid.xml": Outlet("Reuters Most Read", RSS),
    "reuters-rss2.xml": Outlet("Reuters", TEXT_XML),
    "sixapart-jp-rss2.xml": Outlet("Six Apart Japan", "application/rss+xml; charset=utf-8"),
    "spiegel-update-podcast-rss2.xml": Outlet("SPIEGEL Update", RSS),
    "suspilne-ukrnet-rss2.xml": Outlet("Suspilne", RSS),
    "tagesschau-rss090-rdf-iso8859-1.xml": Outlet("tagesschau", "application/rdf+xml; charset=ISO-8859-1"),
    "techcrunch-rss2.xml": Outlet("TechCrunch", RSS),
    "tjsp-rss091-iso8859-1.xml": Outlet("TJRS", "text/xml; charset=ISO-8859-1"),
    "uol-noticias-rss-noversion.xml": Outlet("UOL Notícias", "text/xml; charset=ISO-8859-1"),
    "washingtonpost-wellness-rss2.xml": Outlet("The Washington Post", TEXT_XML),
    "weblabor-hu-rss092-iso8859-2.xml": Outlet("Weblabor", "text/xml; charset=iso-8859-2"),
    "yandex-news-moscow-rss2-mojibake.xml": Outlet("Yandex.News Moscow", RSS),
    "youtube-channel-atom.xml": Outlet("YouTube", TEXT_XML),
}

# One <item> or <entry> element (RSS 0.9x/1.0/2.0, Atom), as bytes.
_ELEMENT = re.compile(rb"<(item|entry)\b[^>]*?(?:/>|>.*?</\1\s*>)", re.S)


def _written(entry: Mapping[str, Any]) -> datetime | None:
    """The moment an entry is dated, read from the date as the feed wrote it."""
    for field in ("published", "updated", "created"):
        value = entry.get(field)
        if isinstance(value, str) and (said := read_written_date(value)) is not None:
            return said.moment
    return None


def newest_entry_date(entries: Sequence[Mapping[str, Any]]) -> datetime | None:
    """The moment of the newest of feedparser's *entries*, each dated as the bot dates it
    (published, else updated, else created; read by the bot's own reader of feed dates)."""
    newest = None
    for entry in entries:
        for name in ("published", "updated", "created"):
            value = entry.get(name)
            if isinstance(value, str) and value.strip():
                if (read := parse_feed_date(value)) is not None and (newest is None or read.moment > newest):
                    newest = read.moment
                break
    return newest


@dataclass(frozen=True)
class FeedFile:
    """One real feed: its bytes, how it is served, and its entries read back for checks.

    With *now* set, it is served as if published then: every date moved by whole days
    (:attr:`time_shift`), and everything here reads those served bytes."""

    path: Path
    outlet: Outlet
    now: datetime | None = None

    def served_at(self, now: datetime) -> FeedFile:
        """This feed as published at *now*: its dates moved so its newest entry is of the
        day before *now*."""
        return replace(self, now=now)

    @cached_property
    def file_bytes(self) -> bytes:
        return self.path.read_bytes()

    @cached_property
    def time_shift(self) -> ShiftedFeed | None:
        if self.now is None:
            return None
        as_written = feedparser.parse(io.BytesIO(self.file_bytes))
        return shift_feed(
            self.file_bytes,
            newest=newest_entry_date(as_written.entries),
            now=self.now,
            encoding=as_written.get("encoding") or "utf-8",
        )

    @cached_property
    def body(self) -> bytes:
        """The bytes served: the file's, with its dates moved when *now* is set."""
        return self.file_bytes if self.time_shift is None else self.time_shift.body

    @cached_property
    def parsed(self) -> Any:
        """The feed as its own declaration says to read it (no HTTP header)."""
        return feedparser.parse(io.BytesIO(self.body))

    @cached_property
    def elements(self) -> list[tuple[int, int]]:
        """Where each ``<item>``/``<entry>`` element stands in :attr:`body`."""
        return [m.span() for m in _ELEMENT.finditer(self.body)]

    @property
    def entries(self) -> Sequence[Mapping[str, Any]]:
        return list(self.parsed.entries)

    @cached_property
    def oldest(self) -> int:
        """The index of the oldest entry: by date when every entry has one, else the last
        in the document (feeds list the newest first)."""
        stamps = [_written(entry) for entry in self.entries]
        dated = [(stamp, -i) for i, stamp in enumerate(stamps) if stamp is not None]
        if dated and len(dated) == len(stamps):
            return -min(dated)[1]
        return len(stamps) - 1

    @property
    def can_alert(self) -> bool:
        """Whether serving it whole brings new entries (it has more than one)."""
        return len(self.entries) > 1

    def with_oldest_only(self) -> bytes:
        """The document with every ``<item>``/``<entry>`` but the oldest removed, otherwise
        byte for byte the same. A feed whose elements cannot be told apart is left whole."""
        if len(self.elements) != len(self.entries) or len(self.elements) < 2:
            return self.body
        keep = self.elements[self.oldest]
        out, position = [], 0
        for start, end in self.elements:
            if (start, end) != keep:
                out.append(self.body[position:start])
                position = end
        out.append(self.body[position:])
        return b"".join(out)

    @cached_property
    def feed_time(self) -> datetime | None:
        """When the captured feed was current: the date of its newest entry (as written)."""
        stamps = [s for s in map(_written, self.entries) if s is not None]
        return max(stamps, default=None)

    def story(self, index: int) -> Story:
        entry = self.entries[index]
        element = ""
        if len(self.elements) == len(self.entries):
            start, end = self.elements[index]
            element = self.body[start:end].decode(self.parsed.get("encoding") or "utf-8", "replace")
        return Story(
            feed=self.outlet.name,
            entry=entry,
            element=element,
            reader_text=reader_text(entry),
            feed_time=self.feed_time,
        )

    def new_entries(self) -> list[int]:
        """The entries that arrive as new when the feed is served whole."""
        return [i for i in range(len(self.entries)) if i != self.oldest]


_HIDDEN = re.compile(r"<(script|style|noscript|template|iframe|object|svg)\b.*?</\1\s*>", re.S | re.I)


def reader_text(entry: Mapping[str, Any]) -> str:
    """Title, summary and full text of *entry* as the outlet meant them: tags dropped,
    entities decoded, mojibake repaired (ftfy)."""
    parts = [entry.get("title", ""), entry.get("summary", "")]
    parts += [c.get("value", "") for c in entry.get("content") or [] if isinstance(c, Mapping)]
    text = " \n".join(p for p in parts if isinstance(p, str))
    text = _HIDDEN.sub(" ", text)
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    return repair(re.sub(r"[ \t]+", " ", text))


def repair(text: str) -> str:
    """*text* with its mojibake undone (ftfy), and nothing else changed: quotes, widths and
    ligatures stay as the outlet wrote them."""
    return fix_text(text, uncurl_quotes=False, fix_character_width=False, fix_latin_ligatures=False)


def feed_files() -> list[FeedFile]:
    """Every feed of the corpus's ``real/`` folder that the run knows how to serve."""
    if not REAL_FEEDS.is_dir():
        return []
    return [
        FeedFile(path, OUTLETS[path.name])
        for path in sorted(REAL_FEEDS.glob("*.xml"))
        if path.name in OUTLETS
    ]

"""Every feed of the shared corpus (feedparser's conformance suite and real news feeds) is ingested.

The corpus lives beside the project, in ``../shared/feeds`` (or where ``NEWSBOT_FEED_CORPUS``
points); a checkout without it skips these tests.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import feedparser
import pytest

from bot.adapters.parsing import FeedError, parse_feed
from bot.core.matcher import Document, Matcher
from bot.core.query_parser import parse_query

CORPUS = Path(os.environ.get("NEWSBOT_FEED_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "feeds"))

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the shared feed corpus is not present at {CORPUS}"
)

FEED_SUFFIXES = {".xml", ".rdf", ".rss", ".atom", ".json"}


def corpus_files(*folders: str) -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        path
        for folder in folders
        for path in (CORPUS / folder).rglob("*")
        if path.is_file() and path.suffix.lower() in FEED_SUFFIXES
    )


def ingest(path: Path) -> list:
    """What the fetcher does with a body: parse and normalize, or refuse with a FeedError."""
    return parse_feed(path.read_bytes(), path.stem, url="https://feeds.example.org/" + path.name)


def test_the_corpus_is_complete_enough_to_mean_something():
    assert len(corpus_files("feedparser-corpus")) > 2000
    assert len(corpus_files("real")) > 30


def test_no_file_of_the_corpus_raises_and_a_refusal_never_loses_an_entry():
    surprises = []
    for path in corpus_files("feedparser-corpus", "real"):
        try:
            ingest(path)
        except FeedError as exc:
            # Refused ("not a feed", "malformed feed: ..."): only documents with no entry at all.
            entries = feedparser.parse(io.BytesIO(path.read_bytes())).entries
            if not str(exc) or entries:
                surprises.append(f"{path.relative_to(CORPUS)}: refused with {len(entries)} entries: {exc}")
        except Exception as exc:
            surprises.append(f"{path.relative_to(CORPUS)}: {exc!r}")
    assert surprises == []


@pytest.mark.parametrize(
    "path", corpus_files("feedparser-corpus/wellformed", "real"), ids=lambda p: str(p.relative_to(CORPUS))
)
def test_every_entry_of_a_well_formed_feed_becomes_an_item_with_an_id(path: Path):
    try:
        items = ingest(path)
    except FeedError:
        # A well-formed document with neither a feed version nor entries (a test of feed-level
        # elements only) is refused as "not a feed"; that must be all.
        return
    for item in items:
        assert item.key.strip(), item
        assert item.title.strip(), item


TAG = re.compile(r"</?(p|div|br|img|a|span|script|style|b|i|strong|em|table)\b[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize("path", corpus_files("real"), ids=lambda p: p.name)
def test_real_feeds_give_clean_text(path: Path):
    try:
        items = ingest(path)
    except FeedError:
        assert path.name.endswith("-invalid.xml")
        return
    assert items
    for item in items:
        for text in (item.title, item.summary):
            assert not TAG.search(text), (path.name, text)
            assert "  " not in text and text == text.strip()
            assert "&amp;" not in text and "&quot;" not in text and "&#" not in text
            assert "\ufffd" not in text, (path.name, text)  # a wrongly decoded byte


# (file, a keyword in the feed's own script that its first item must match)
SCRIPTS = [
    ("oren-ru-rss2-windows1251.xml", "Cyrillic"),
    ("citydog-by-rss2-bom.xml", "Cyrillic"),
    ("suspilne-ukrnet-rss2.xml", "Cyrillic"),
    ("liberal-gr-rss2-iso8859-7.xml", "Greek"),
    ("kc0011-forum-rss2-gb2312.xml", "CJK"),
    ("bbc-urdu-rss2.xml", "Arabic"),
    ("hoder-persian-blog-rss2.xml", "Arabic"),
    ("news18-hindi-rss2.xml", "Devanagari"),
    ("golem-rss2-iso8859-1.xml", "Latin"),
]

SCRIPT_RANGES = {
    "Cyrillic": "\u0400-\u04ff",
    "Greek": "\u0370-\u03ff",
    "CJK": "\u4e00-\u9fff",
    "Arabic": "\u0600-\u06ff",
    "Devanagari": "\u0900-\u097f",
    "Latin": "A-Za-zÀ-ÿ",
}


@pytest.mark.parametrize(("name", "script"), SCRIPTS)
def test_feeds_in_any_encoding_decode_to_text_their_own_keywords_match(name: str, script: str):
    path = CORPUS / "real" / name
    items = ingest(path)
    words = [
        word
        for item in items
        for word in re.findall(f"[{SCRIPT_RANGES[script]}]{{4,}}", item.title + " " + item.summary)
    ]
    assert words, f"no {script} text decoded from {name}"
    keyword = max(words, key=len)
    matcher = Matcher()
    matcher.add(1, parse_query(keyword))
    hits = [item for item in items if matcher.match(Document.from_item(item)) == [1]]
    assert hits, (keyword, name)

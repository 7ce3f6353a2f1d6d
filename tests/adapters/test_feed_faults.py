"""A fault in one entry of a feed costs that entry's field, not the feed; a feed's work is bounded."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.adapters.feeds import FeedError, HttpFeedFetcher, check_public_address, user_agent
from bot.adapters.parsing import MAX_ENTRIES
from bot.core.sources import FeedSource
from bot.service.ports import FetchOutcome, FetchResult
from tests.fakes.feed_server import Answer, FeedServer, rss

GOOD = {"title": "Census begins", "link": "https://example.org/census", "guid": "g1"}
BAD_LINK = {"title": "Oil prices", "link": "http://[::1", "guid": "g2"}
BAD_RELATIVE = {"title": "Camp reopens", "link": "//[::1/camp", "guid": "g3"}


@pytest.fixture
def server():
    with FeedServer() as feeds:
        yield feeds


def fetch(source: FeedSource, **options: float) -> FetchResult:
    async def run() -> FetchResult:
        fetcher = HttpFeedFetcher(
            timeout=10,
            max_bytes=5_000_000,
            user_agent=user_agent(),
            parse_processes=int(options.get("parse_processes", 0)),
            parse_timeout=options.get("parse_timeout", 20.0),
        )
        try:
            return await fetcher.fetch(source, None)
        finally:
            await fetcher.close()

    return asyncio.run(run())


def test_a_malformed_link_costs_only_that_link_and_is_logged_once(
    server: FeedServer, caplog: pytest.LogCaptureFixture
):
    server.serve("/f", rss([GOOD, BAD_LINK, BAD_RELATIVE]))
    with caplog.at_level(logging.WARNING, logger="bot.adapters.feeds"):
        result = fetch(FeedSource("Local", server.url("/f")))
    assert result.outcome is FetchOutcome.FETCHED
    assert [(i.key, i.title, i.link) for i in result.items] == [
        ("g1", "Census begins", "https://example.org/census"),
        ("g2", "Oil prices", ""),
        ("g3", "Camp reopens", ""),
    ]
    [line] = [r.getMessage() for r in caplog.records if "Local" in r.getMessage()]
    assert line == "feed Local: left out: 2 × a link that is not a web address (link left out)"


def test_only_the_first_entries_of_a_huge_feed_are_read(server: FeedServer, caplog: pytest.LogCaptureFixture):
    count = MAX_ENTRIES + 500
    server.serve("/f", rss([{"title": f"Story {n}", "guid": f"g{n}"} for n in range(count)]))
    with caplog.at_level(logging.WARNING, logger="bot.adapters.feeds"):
        result = fetch(FeedSource("Huge", server.url("/f")))
    assert result.outcome is FetchOutcome.FETCHED
    assert [item.key for item in result.items] == [f"g{n}" for n in range(MAX_ENTRIES)]
    assert "500 × an entry after the first 1000 (not read)" in caplog.text


@pytest.mark.parametrize("location", ["http://[::1:80/x", "//[::1/x", "http://[::1"])
def test_a_redirect_to_a_malformed_address_fails_the_feed_with_the_reason(server: FeedServer, location: str):
    server.serve("/f", Answer(b"", status=302, headers={"Location": location}))
    result = fetch(FeedSource("Local", server.url("/f")))
    assert result.outcome is FetchOutcome.FAILED
    assert "URL" in result.error and "unexpected" not in result.error


def test_a_malformed_address_is_refused_with_a_reason():
    with pytest.raises(FeedError, match="not a valid URL"):
        asyncio.run(check_public_address("http://[::1:80/x"))
    source = FeedSource("Broken", "http://[::1:80/x", trusted=False)
    assert (source.is_remote, source.host) == (False, "local file")
    assert fetch(source).outcome is FetchOutcome.FAILED


SLOW_FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>slow</title>" + b"<i/>" * 1_000_000


def test_a_parse_past_its_deadline_fails_the_feed_and_not_the_others(server: FeedServer):
    """Parsing a million unknown elements takes feedparser many seconds; the deadline is 1 s."""
    server.serve("/slow", SLOW_FEED)
    server.serve("/quick", rss([GOOD]))

    async def run() -> list[FetchResult]:
        fetcher = HttpFeedFetcher(
            timeout=10, max_bytes=5_000_000, user_agent=user_agent(), parse_processes=1, parse_timeout=1
        )
        try:
            return await asyncio.gather(
                fetcher.fetch(FeedSource("Slow", server.url("/slow")), None),
                fetcher.fetch(FeedSource("Quick", server.url("/quick")), None),
            )
        finally:
            await fetcher.close()

    slow, quick = asyncio.run(run())
    assert (slow.outcome, slow.error) == (FetchOutcome.FAILED, "parsing took longer than 1 s")
    assert quick.outcome is FetchOutcome.FETCHED and [i.key for i in quick.items] == ["g1"]


def test_a_local_file_feed_with_a_malformed_link_keeps_its_stories(tmp_path: Path):
    path = tmp_path / "feed.xml"
    path.write_bytes(rss([BAD_LINK, GOOD]))
    assert [i.key for i in fetch(FeedSource("File", str(path))).items] == ["g2", "g1"]

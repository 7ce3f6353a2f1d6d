"""What a feed's server and the feed itself say about when to come back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.adapters.feeds import HttpFeedFetcher, cache_seconds
from bot.adapters.parsing import parse_feed
from bot.core.sources import FeedSource
from bot.service.ports import FeedState, FetchOutcome
from tests.fakes.feed_server import Answer, FeedServer, rss


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"cache-control": "public, max-age=600"}, 600),
        ({"cache-control": "s-maxage=120, public"}, 120),
        ({"cache-control": "no-cache, max-age=600"}, None),
        ({"expires": "Tue, 01 Dec 2026 12:30:00 GMT", "date": "Tue, 01 Dec 2026 12:00:00 GMT"}, 1800),
        ({"expires": "0"}, None),
        ({"expires": "Tue, 01 Dec 2026 11:00:00 GMT", "date": "Tue, 01 Dec 2026 12:00:00 GMT"}, 0),
        ({}, None),
    ],
)
def test_how_long_a_response_stays_fresh(headers: dict[str, str], expected: float | None):
    assert cache_seconds(headers, now=datetime(2026, 12, 1, 12, tzinfo=UTC)) == expected


def test_a_feed_says_its_own_pace():
    body = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        b"<channel><title>t</title><ttl>45</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"
        b"<sy:updateFrequency>2</sy:updateFrequency><item><title>a</title><guid>1</guid></item></channel></rss>"
    )
    pace: dict[str, str] = {}
    parse_feed(body, "Wire", pace=pace)
    assert pace == {"ttl": "45", "sy_updateperiod": "hourly", "sy_updatefrequency": "2"}


def test_the_fetcher_reports_the_longest_wait_asked():
    body = rss([{"title": "a", "guid": "1"}]).replace(b"<channel>", b"<channel><ttl>30</ttl>")

    async def fetch() -> tuple[float | None, float | None]:
        with FeedServer() as server:
            headers = {"Content-Type": "application/rss+xml", "Cache-Control": "max-age=60", "ETag": '"v1"'}
            server.serve("/f.xml", Answer(body, headers=headers))
            fetcher = HttpFeedFetcher(timeout=10, max_bytes=1_000_000, user_agent="test")
            try:
                source = FeedSource("Wire", server.url("/f.xml"))
                first = await fetcher.fetch(source, None)
                assert first.outcome is FetchOutcome.FETCHED
                again = await fetcher.fetch(source, FeedState(url=source.url, etag=first.etag, body_hash="x"))
                assert again.outcome is FetchOutcome.NOT_MODIFIED
                return first.not_before, again.not_before
            finally:
                await fetcher.close()

    assert asyncio.run(fetch()) == (1800.0, 60.0), "the feed's ttl of 30 min; then the 304's max-age"

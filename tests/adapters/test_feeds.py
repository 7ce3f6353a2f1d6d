"""Fetching and parsing feeds over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import pytest

from bot.adapters.feeds import HttpFeedFetcher, parse_feed, user_agent
from bot.core.sources import FeedSource
from bot.service.ports import FeedState, FetchOutcome, FetchResult
from tests.fakes.feed_server import Answer, FeedServer, rss

FEED = rss(
    [
        {
            "title": "Census <begins>",
            "link": "https://example.org/1",
            "guid": "g1",
            "description": "<p>Counting &amp; more</p>",
        }
    ]
)


@pytest.fixture
def server():
    with FeedServer() as feeds:
        yield feeds


def fetch(source: FeedSource, state: FeedState | None = None, **options: float) -> FetchResult:
    async def run() -> FetchResult:
        fetcher = HttpFeedFetcher(
            timeout=options.get("timeout", 5.0),
            max_bytes=int(options.get("max_bytes", 100_000)),
            user_agent=user_agent("https://example.org/newsbot"),
        )
        try:
            return await fetcher.fetch(source, state)
        finally:
            await fetcher.close()

    return asyncio.run(run())


def test_a_feed_is_fetched_and_parsed_into_items(server: FeedServer):
    server.serve("/f", FEED)
    result = fetch(FeedSource("Local", server.url("/f")))
    assert result.outcome is FetchOutcome.FETCHED
    [item] = result.items
    assert (item.key, item.title, item.link, item.summary) == (
        "g1",
        "Census <begins>",
        "https://example.org/1",
        "Counting & more",
    )
    _, headers = server.requests[0]
    assert (
        headers["user-agent"].startswith("newsbot/")
        and "https://example.org/newsbot" in headers["user-agent"]
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(b"gone", status=404, headers={}), "HTTP 404"),
        (Answer(b"oops", status=500, headers={}), "HTTP 500"),
        (
            Answer(
                b"<!doctype html><html><body><p>Hello</p></body></html>",
                headers={"Content-Type": "text/html"},
            ),
            "not a feed",
        ),
        (Answer(b"\x00\x01\x02 garbage \xff\xfe", headers={}), "not a feed"),
        (Answer(b"<rss version='2.0'><channel><title>cut off bef", headers={}), "malformed feed"),
        (Answer(b"x" * 200_000, headers={"Content-Type": "application/rss+xml"}), "too large"),
    ],
)
def test_bad_answers_fail_with_a_reason(server: FeedServer, answer: Answer, reason: str):
    server.serve("/f", answer)
    result = fetch(FeedSource("Local", server.url("/f")))
    assert result.outcome is FetchOutcome.FAILED
    assert reason in result.error


def test_a_body_larger_than_the_cap_without_content_length_is_cut_off(server: FeedServer):
    big = gzip.compress(b"<rss>" + b" " * 500_000 + b"</rss>")  # small on the wire, big unpacked
    server.serve(
        "/f", Answer(big, headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"})
    )
    result = fetch(FeedSource("Local", server.url("/f")))
    assert result.outcome is FetchOutcome.FAILED and "too large" in result.error


def test_a_slow_feed_times_out(server: FeedServer):
    server.serve("/f", Answer(FEED, delay=3.0))
    result = fetch(FeedSource("Local", server.url("/f")), timeout=0.5)
    assert result.outcome is FetchOutcome.FAILED and "timed out" in result.error


def test_an_unreachable_host_fails_with_a_reason():
    result = fetch(FeedSource("Nowhere", "http://127.0.0.1:1/feed"))
    assert result.outcome is FetchOutcome.FAILED and "network error" in result.error


def test_redirects_are_followed_up_to_five(server: FeedServer):
    server.serve("/f", FEED)
    for hop in range(1, 7):
        target = "/f" if hop == 1 else f"/r{hop - 1}"
        server.serve(f"/r{hop}", Answer(b"", status=301, headers={"Location": target}))
    assert fetch(FeedSource("Local", server.url("/r5"))).outcome is FetchOutcome.FETCHED
    result = fetch(FeedSource("Local", server.url("/r6")))
    assert result.outcome is FetchOutcome.FAILED and "redirects" in result.error


def test_validators_are_sent_and_304_means_not_modified(server: FeedServer):
    server.serve(
        "/f",
        Answer(
            FEED,
            headers={
                "ETag": '"v1"',
                "Last-Modified": "Wed, 25 Nov 2026 10:00:00 GMT",
                "Content-Type": "application/rss+xml",
            },
        ),
    )
    first = fetch(FeedSource("Local", server.url("/f")))
    assert (first.etag, first.last_modified) == ('"v1"', "Wed, 25 Nov 2026 10:00:00 GMT")

    server.serve("/f", Answer(b"", status=304, headers={}))
    state = FeedState(
        url=server.url("/f"), etag=first.etag, last_modified=first.last_modified, body_hash=first.body_hash
    )
    second = fetch(FeedSource("Local", server.url("/f")), state)
    assert second.outcome is FetchOutcome.NOT_MODIFIED
    headers = server.requests[-1][1]
    assert headers["if-none-match"] == '"v1"'
    assert headers["if-modified-since"] == "Wed, 25 Nov 2026 10:00:00 GMT"


def test_an_unchanged_body_is_not_parsed_again(server: FeedServer):
    server.serve("/f", FEED)
    first = fetch(FeedSource("Local", server.url("/f")))
    state = FeedState(url=server.url("/f"), body_hash=first.body_hash)
    assert fetch(FeedSource("Local", server.url("/f")), state).outcome is FetchOutcome.NOT_MODIFIED


def test_a_local_file_feed(tmp_path: Path):
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    assert [i.key for i in fetch(FeedSource("File", str(path))).items] == ["g1"]
    missing = fetch(FeedSource("File", str(tmp_path / "missing.xml")))
    assert missing.outcome is FetchOutcome.FAILED and "file not found" in missing.error


def test_relative_links_are_resolved_against_the_feed_url_but_guids_are_kept_as_given():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>a</title><link>/news/1</link><guid isPermaLink="false">g1</guid></item></channel></rss>"""
    [item] = parse_feed(body, "F", url="https://example.org/feeds/rss.xml")
    assert item.link == "https://example.org/news/1"
    assert item.key == "g1", "a key must not depend on where the feed is served from"

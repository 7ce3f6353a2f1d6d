"""Fetching and parsing feeds over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime
from pathlib import Path

import brotli
import pytest

from bot.adapters.feeds import (
    FeedError,
    HttpFeedFetcher,
    check_public_address,
    retry_after,
    user_agent,
)
from bot.adapters.parsing import parse_feed
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


def make_fetcher(**options: float) -> HttpFeedFetcher:
    return HttpFeedFetcher(
        timeout=options.get("timeout", 5.0),
        max_bytes=int(options.get("max_bytes", 100_000)),
        user_agent=user_agent("https://example.org/newsbot"),
        per_host=int(options.get("per_host", 2)),
        allow_private=bool(options.get("allow_private", False)),
    )


def fetch(source: FeedSource, state: FeedState | None = None, **options: float) -> FetchResult:
    async def run() -> FetchResult:
        fetcher = make_fetcher(**options)
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


def test_brotli_and_gzip_are_accepted_and_decoded(server: FeedServer):
    server.serve(
        "/f", Answer(brotli.compress(FEED), headers={"Content-Encoding": "br", "Content-Type": "text/xml"})
    )
    result = fetch(FeedSource("Local", server.url("/f")))
    assert [item.key for item in result.items] == ["g1"]
    accepted = server.requests[0][1]["accept-encoding"]
    assert "br" in accepted and "gzip" in accepted


def test_a_chain_of_permanent_redirects_reports_the_new_url(server: FeedServer):
    server.serve("/new", FEED)
    server.serve("/old", Answer(b"", status=301, headers={"Location": "/older"}))
    server.serve("/older", Answer(b"", status=308, headers={"Location": server.url("/new")}))
    assert fetch(FeedSource("Local", server.url("/old"))).moved_to == server.url("/new")


def test_a_temporary_redirect_is_not_a_move(server: FeedServer):
    server.serve("/new", FEED)
    server.serve("/perm", Answer(b"", status=301, headers={"Location": "/temp"}))
    server.serve("/temp", Answer(b"", status=302, headers={"Location": "/new"}))
    result = fetch(FeedSource("Local", server.url("/perm")))
    assert result.outcome is FetchOutcome.FETCHED
    assert result.moved_to == server.url("/temp"), "the permanent hop moved; the temporary one did not"
    server.serve("/t2", Answer(b"", status=307, headers={"Location": "/new"}))
    assert fetch(FeedSource("Local", server.url("/t2"))).moved_to == ""


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_from_a_feed_server_is_reported(server: FeedServer, status: int):
    server.serve("/f", Answer(b"slow down", status=status, headers={"Retry-After": "120"}))
    result = fetch(FeedSource("Local", server.url("/f")))
    assert result.outcome is FetchOutcome.FAILED
    assert result.retry_after == 120 and f"HTTP {status}" in result.error


def test_retry_after_reads_seconds_and_dates():
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert retry_after("30", now=now) == 30
    assert retry_after("Wed, 25 Nov 2026 10:05:00 GMT", now=now) == 300
    assert retry_after("Wed, 25 Nov 2026 09:00:00 GMT", now=now) == 0
    assert retry_after("999999999", now=now) == 24 * 3600
    assert retry_after("soon", now=now) is None and retry_after("", now=now) is None


def test_requests_to_one_host_are_limited(server: FeedServer):
    for n in range(6):
        server.serve(f"/f{n}", Answer(FEED, delay=0.3))

    async def run() -> list[FetchResult]:
        fetcher = make_fetcher(per_host=2)
        try:
            return await asyncio.gather(
                *(fetcher.fetch(FeedSource(f"F{n}", server.url(f"/f{n}")), None) for n in range(6))
            )
        finally:
            await fetcher.close()

    results = asyncio.run(run())
    assert all(result.outcome is FetchOutcome.FETCHED for result in results)
    assert server.most_in_flight == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://localhost/feed",
        "http://10.1.2.3/feed",
        "http://192.168.0.1/feed",
        "http://172.16.0.1/feed",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/feed",
        "http://[::ffff:127.0.0.1]/feed",
        "http://0.0.0.0/feed",
        "ftp://example.org/feed",
        "file:///etc/passwd",
    ],
)
def test_untrusted_urls_on_private_networks_are_refused(url: str):
    with pytest.raises(FeedError):
        asyncio.run(check_public_address(url))


def test_a_public_address_is_accepted():
    asyncio.run(check_public_address("https://93.184.216.34/rss"))


def test_a_feed_added_from_a_chat_may_not_reach_the_local_network(server: FeedServer):
    server.serve("/f", FEED)
    untrusted = FeedSource("Added", server.url("/f"), trusted=False)
    refused = fetch(untrusted)
    assert refused.outcome is FetchOutcome.FAILED and "private network" in refused.error
    assert server.hits("/f") == 0
    assert fetch(untrusted, allow_private=True).outcome is FetchOutcome.FETCHED

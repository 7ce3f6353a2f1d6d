"""Poll cycles against a real feed server on 127.0.0.1, through the real fetcher, in fake time."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.feeds import HttpFeedFetcher, user_agent
from bot.core.sources import FeedSource
from tests.fakes.feed_server import Answer, FeedServer, rss
from tests.service.test_polling import POLL

ADMIN = 7
CHAT = 10
STORY = {"title": "Census begins", "link": "https://news.example/census", "guid": "g1"}
OTHER = {"title": "Oil prices", "link": "https://news.example/oil", "guid": "g2"}


@pytest.fixture
def server():
    with FeedServer() as feeds:
        yield feeds


@pytest.fixture
def bot(make_bot, server):
    """A bot polling one feed, "Wire", at /feed.xml of the local server."""

    def fetcher() -> HttpFeedFetcher:
        return HttpFeedFetcher(timeout=5, max_bytes=1_000_000, user_agent=user_agent())

    made = make_bot([FeedSource("Wire", server.url("/feed.xml"))], admins=(ADMIN,), fetcher=fetcher())
    made.commands.chat_seen((ADMIN, None), "private", "")
    made.commands.chat_seen((CHAT, None), "private", "")
    made.commands.subscribe((CHAT, None), "census")
    return made


async def cycle(bot):
    """One poll cycle, then everything it queued delivered; the caller's event loop is the
    fetcher's for the whole test (an httpx client belongs to one loop)."""
    report = await bot.poller.poll_once()
    await bot.delivery.run_until_idle()
    return report


def in_one_loop(bot, scenario) -> None:
    async def run() -> None:
        try:
            await scenario()
        finally:
            await bot.fetcher.close()

    asyncio.run(run())


def test_validators_make_an_unchanged_feed_a_304(bot, server: FeedServer):
    async def scenario():
        server.serve("/feed.xml", Answer(rss([OTHER]), headers={"ETag": '"v1"', "Content-Type": "text/xml"}))
        await cycle(bot)
        report = await cycle(bot)
        assert ": 0 feeds fetched, 1 unchanged" in report.summary()
        assert server.requests[-1][1]["if-none-match"] == '"v1"'

    in_one_loop(bot, scenario)


def test_a_story_whose_guid_changed_is_not_alerted_again(bot, server: FeedServer):
    async def scenario():
        server.serve("/feed.xml", rss([OTHER]))
        await cycle(bot)
        server.serve("/feed.xml", rss([STORY, OTHER]))
        await cycle(bot)
        server.serve("/feed.xml", rss([{**STORY, "guid": "g1-after-a-cms-move"}, OTHER]))
        await cycle(bot)
        assert len(bot.sender.to(CHAT)) == 1

    in_one_loop(bot, scenario)


def test_a_permanently_moved_feed_is_fetched_at_its_new_address(bot, server: FeedServer):
    async def scenario():
        server.serve("/feed.xml", Answer(b"", status=301, headers={"Location": "/moved.xml"}))
        server.serve("/moved.xml", rss([OTHER]))
        await cycle(bot)
        server.serve("/moved.xml", rss([STORY, OTHER]))
        await cycle(bot)
        assert (server.hits("/feed.xml"), server.hits("/moved.xml")) == (1, 2)
        assert len(bot.sender.to(CHAT)) == 1

    in_one_loop(bot, scenario)


def test_retry_after_from_the_feed_server_is_waited_for(bot, server: FeedServer):
    async def scenario():
        server.serve("/feed.xml", Answer(b"busy", status=429, headers={"Retry-After": "1200"}))
        await cycle(bot)
        for _ in range(3):
            bot.time.now += POLL
            await cycle(bot)
        assert server.hits("/feed.xml") == 1
        bot.time.now += 1200 - 3 * POLL
        await cycle(bot)
        assert server.hits("/feed.xml") == 2

    in_one_loop(bot, scenario)


def test_a_feed_down_for_hours_backs_off_and_the_admins_hear_of_it_once(bot, server: FeedServer):
    async def scenario():
        server.serve("/feed.xml", rss([OTHER]))
        await cycle(bot)
        server.serve("/feed.xml", Answer(b"oops", status=500, headers={}))
        for _ in range(24 * 3600 // POLL):
            bot.time.now += POLL
            await cycle(bot)
        assert server.hits("/feed.xml") < 20, "a failing feed is tried less and less often"
        [notice] = bot.sender.to(ADMIN)
        assert "<b>Wire</b> has been failing for" in notice and "HTTP 500" in notice
        health = bot.feeds.describe(ADMIN)
        assert "⚠️ failing for" in health and "HTTP 500 Internal Server Error; next poll in" in health

    in_one_loop(bot, scenario)

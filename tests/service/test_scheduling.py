"""Each feed on its own schedule: a slow feed delays only itself; a feed's pace, its
server's wishes and its failures set when it is polled next; old stories are not news."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from bot.core.formatting import to_plain_text
from bot.core.items import Item
from bot.core.schedule import PollBounds
from bot.core.sources import FeedSource
from bot.service.polling import FeedPolicy, PollLimits
from bot.service.ports import FeedState, FetchOutcome, FetchResult
from tests.service.conftest import ScriptedFetcher, news
from tests.service.test_polling import cycle, subscribe

CHAT = 10
BOUNDS = PollBounds.of(usual=300, shortest=60, longest=1800)


class StuckFetcher(ScriptedFetcher):
    """A fetcher whose answer for *stuck* never comes (until released)."""

    def __init__(self, stuck: str) -> None:
        super().__init__()
        self.stuck = stuck
        self.release = asyncio.Event()

    async def fetch(self, source: FeedSource, state: FeedState | None) -> FetchResult:
        if source.name == self.stuck:
            self.requests.append((source.name, source.url))
            await self.release.wait()
        return await super().fetch(source, state)


def dated(key: str, title: str, when: datetime) -> Item:
    return Item(
        feed="Wire", key=key, title=title, link=f"https://news.example/{key}", summary="", published=when
    )


def test_a_feed_that_never_answers_delays_no_other_feed(make_bot):
    fetcher = StuckFetcher("Slow")
    bot = make_bot(["Wire", "Slow"], fetcher=fetcher)
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Wire")
    bot.fetcher.publish("Slow")

    async def settle() -> None:
        """Let the polls that can finish, finish (no real time passes: the clock is fake)."""
        for _ in range(20):
            await asyncio.sleep(0)

    async def run() -> None:
        scheduler = bot.scheduler
        assert scheduler.tick() == 2  # both due at start
        await settle()
        for minute in range(1, 6):
            bot.time.now += 330  # the usual wait and its jitter: Wire is due again, Slow still busy
            if minute == 3:
                bot.fetcher.publish("Wire", news("1", "Census results"))
            scheduler.tick()
            await settle()
        await bot.delivery.run_until_idle()
        assert fetcher.fetched("Wire") == 6 and fetcher.fetched("Slow") == 1
        assert scheduler.busy == 1, "only the stuck feed is being polled"
        fetcher.release.set()
        await scheduler.stop()

    asyncio.run(run())
    [alert] = bot.sender.to(CHAT)
    assert "Census results" in to_plain_text(alert), "the stuck neighbour did not hold the alert back"


def test_a_busy_feed_is_polled_more_often_than_a_quiet_one(make_bot):
    bot = make_bot(["Wire", "Weekly"])
    now = datetime.fromtimestamp(bot.time.now, tz=UTC)
    bot.fetcher.publish("Wire", *(dated(f"w{n}", "story", now - timedelta(minutes=4 * n)) for n in range(10)))
    bot.fetcher.publish("Weekly", *(dated(f"k{n}", "story", now - timedelta(days=7 * n)) for n in range(10)))
    cycle(bot)
    wire = bot.poller.next_poll["Wire"] - bot.time.now
    weekly = bot.poller.next_poll["Weekly"] - bot.time.now
    assert 60 <= wire <= 66, "a story every four minutes: polled every minute, the shortest wait"
    assert 1620 <= weekly <= 1800, "a story a week: polled every half hour, the longest wait"
    assert bot.store.feeds.feed_state("Wire").publish_gap == 240


def test_a_feed_that_says_nothing_of_its_pace_is_polled_at_the_usual_interval(make_bot):
    bot = make_bot()
    bot.fetcher.publish("Wire", news("1", "undated"))
    cycle(bot)
    assert 270 <= bot.poller.next_poll["Wire"] - bot.time.now <= 330


def test_the_servers_wish_is_honoured_up_to_the_longest_wait(make_bot):
    bot = make_bot()
    bot.fetcher.results["Wire"] = FetchResult(FetchOutcome.FETCHED, items=[news("1", "x")], not_before=900)
    cycle(bot)
    assert 810 <= bot.poller.next_poll["Wire"] - bot.time.now <= 990
    bot.fetcher.results["Wire"] = FetchResult(FetchOutcome.NOT_MODIFIED, not_before=86_400)
    cycle(bot)
    assert bot.poller.next_poll["Wire"] - bot.time.now <= 1800


def test_a_failing_feed_is_due_again_after_its_backoff(make_bot):
    bot = make_bot()
    bot.fetcher.fail("Wire", "HTTP 503", retry_after=3600)
    cycle(bot)
    assert bot.poller.next_poll["Wire"] - bot.time.now == 3600
    assert bot.poller.due(bot.time.now + 3599) == []
    assert [s.name for s in bot.poller.due(bot.time.now + 3600)] == ["Wire"]


def test_an_old_story_that_reappears_is_not_news_and_undated_ones_count_from_now(make_bot, caplog):
    caplog.set_level(logging.INFO)
    bot = make_bot()
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Wire")
    cycle(bot)
    now = datetime.fromtimestamp(bot.time.now, tz=UTC)
    bot.fetcher.publish(
        "Wire",
        dated("old", "Census of 2016", now - timedelta(days=8)),
        dated("week", "Census this week", now - timedelta(days=6)),
        dated("future", "Census tomorrow", now + timedelta(days=1)),
        news("undated", "Census undated"),
    )
    report = cycle(bot)
    assert (report.new_items, report.too_old) == (4, 1)
    texts = [to_plain_text(text) for text in bot.sender.to(CHAT)]
    assert not any("Census of 2016" in text for text in texts)
    assert len(texts) == 3
    seen_at = "15 Jan 2027, 08:00 UTC"  # the fake clock: when the bot first saw them
    assert seen_at in next(t for t in texts if "Census tomorrow" in t), "a future date counts from now"
    assert seen_at in next(t for t in texts if "Census undated" in t), (
        "an undated story shows when it was seen"
    )
    assert "1 new items dated over 7.0 days ago were recorded as seen, not sent" in caplog.text


def test_stories_of_any_age_when_the_operator_says_so(make_bot):
    bot = make_bot(limits=PollLimits(max_story_age=0))
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Wire")
    cycle(bot)
    now = datetime.fromtimestamp(bot.time.now, tz=UTC)
    bot.fetcher.publish("Wire", dated("old", "Census of 2016", now - timedelta(days=3000)))
    cycle(bot)
    assert len(bot.sender.to(CHAT)) == 1


def test_feed_policy_backoff_starts_at_the_usual_interval():
    assert FeedPolicy(bounds=BOUNDS).backoff_first == 300

"""Poll cycles: baseline, new items, matching, one alert per item and chat, failures isolated."""

from __future__ import annotations

import asyncio

from bot.core.dedup import item_tokens
from bot.core.formatting import to_plain_text
from bot.service.ports import FetchOutcome
from tests.service.conftest import news

CHAT = 10
ADMIN = 7
POLL = 300  # seconds between cycles, the default backoff's first wait


def cycle(bot):
    """One poll cycle, then everything it queued delivered."""

    async def poll_and_deliver():
        report = await bot.poller.poll_once()
        await bot.delivery.run_until_idle()
        return report

    return asyncio.run(poll_and_deliver())


def subscribe(bot, chat: int, text: str) -> None:
    bot.commands.chat_seen((chat, None), "private", "")
    bot.commands.subscribe((chat, None), text)


def test_first_poll_is_a_baseline_then_new_matching_items_alert(make_bot):
    bot = make_bot()
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Wire", news("1", "Census in Erbil"))
    report = cycle(bot)
    assert report.count(FetchOutcome.FETCHED) == 1 and report.new_items == 0
    assert bot.sender.sent == []

    bot.fetcher.publish(
        "Wire", news("2", "The census, at last"), news("3", "Football"), news("1", "Census in Erbil")
    )
    report = cycle(bot)
    assert (report.new_items, report.alerts_queued) == (2, 1)
    assert cycle(bot).delivery.sent == 1, "the next cycle reports what was sent since"
    [alert] = bot.sender.to(CHAT)
    assert "The census, at last" in to_plain_text(alert) and "<code>census</code>" in alert

    assert len(bot.sender.sent) == 1, "an item is alerted once"


def test_one_message_per_item_even_when_several_keywords_match(make_bot):
    bot = make_bot()
    subscribe(bot, CHAT, "census, Erbil, oil prices")
    bot.fetcher.publish("Wire")
    cycle(bot)
    bot.fetcher.publish("Wire", news("1", "Erbil census", "oil prices"))
    cycle(bot)
    [alert] = bot.sender.to(CHAT)
    assert "Matched: <code>census</code>, <code>Erbil</code>, <code>oil prices</code>" in alert


def test_the_same_story_in_two_feeds_reaches_a_chat_once(make_bot):
    bot = make_bot(["A", "B"])
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("A")
    bot.fetcher.publish("B")
    cycle(bot)
    story = "https://news.example/census-story"
    bot.fetcher.publish("A", news("a-1", "Census", feed="A", link=story))
    bot.fetcher.publish("B", news("b-9", "Census", feed="B", link=story + "#top"))
    cycle(bot)
    assert len(bot.sender.to(CHAT)) == 1


def test_a_failing_feed_is_skipped_and_the_others_go_on(make_bot, caplog):
    bot = make_bot(["Good", "Bad"])
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Good")
    bot.fetcher.fail("Bad", "timed out after 30 s")
    cycle(bot)
    bot.time.now += POLL
    bot.fetcher.publish("Good", news("1", "census news", feed="Good"))
    report = cycle(bot)
    assert report.count(FetchOutcome.FAILED) == 1
    assert len(bot.sender.to(CHAT)) == 1
    assert "feed Bad failed (2 in a row): timed out after 30 s" in caplog.text
    assert bot.store.feeds.feed_state("Bad").error_streak == 2


def test_a_crash_after_queuing_loses_no_alert_and_repeats_none(make_bot):
    bot = make_bot()
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Wire")
    cycle(bot)
    bot.fetcher.publish("Wire", news("1", "census"))

    asyncio.run(bot.poller.poll_once())  # queued; the process dies before delivering
    assert bot.sender.sent == []

    restarted = make_bot(fetcher=bot.fetcher)
    cycle(restarted)
    cycle(restarted)
    assert len(restarted.sender.to(CHAT)) == 1


def test_inactive_chats_get_no_alerts_but_keep_subscriptions(make_bot):
    bot = make_bot()
    subscribe(bot, CHAT, "census")
    bot.commands.chat_left(CHAT)
    bot.fetcher.publish("Wire")
    cycle(bot)
    bot.fetcher.publish("Wire", news("1", "census"))
    cycle(bot)
    assert bot.sender.sent == []
    assert [q.text for q in bot.subscriptions.of_chat(CHAT)] == ["census"]


def test_seen_records_are_pruned_after_retention(make_bot):
    bot = make_bot()
    bot.fetcher.publish("Wire", news("1", "a"), news("2", "b"))
    cycle(bot)
    bot.fetcher.publish("Wire", news("2", "b"))
    bot.time.now += 31 * 86400
    cycle(bot)
    assert set(bot.store.feeds.seen_tokens("Wire")) == set(item_tokens(news("2", "b")))


def test_the_database_stays_the_same_size_over_months_of_polling(make_file_bot, tmp_path):
    """Time travel: a busy feed polled every 3 hours for 90 days, its stories alerted to a
    chat. Seen records, recent items and sent alerts are all pruned, so the database file
    is no bigger after three months than after one."""
    bot = make_file_bot()
    subscribe(bot, CHAT, "census")
    database = tmp_path / "data" / "newsbot.json"
    published = 0
    sizes = {}
    for step in range(90 * 8):
        published += 3  # 24 stories a day, the feed showing the latest 40
        stories = [news(str(n), f"Census story {n}") for n in range(max(0, published - 40), published)]
        bot.fetcher.publish("Wire", *stories)
        cycle(bot)
        bot.time.now += 3 * 3600
        if step % (30 * 8) == 30 * 8 - 1:
            bot.store.sink.checkpoint_now()  # type: ignore[attr-defined]
            sizes[(step + 1) // 8] = database.stat().st_size
    assert len(bot.sender.to(CHAT)) == published - 3  # every story after the first poll
    assert len(bot.store.feeds.seen_tokens("Wire")) <= 2 * (40 + 30 * 24)
    assert sizes[90] <= sizes[30] * 1.05, sizes


def test_cycles_do_not_overlap(make_bot):
    bot = make_bot()
    bot.fetcher.publish("Wire")

    async def two_at_once():
        return await asyncio.gather(bot.poller.poll_once(), bot.poller.poll_once())

    first, second = asyncio.run(two_at_once())
    assert first is not None and second is None


def test_source_scope_uses_the_feeds_name_and_host(make_bot):
    bot = make_bot(["Rudaw", "BBC"])
    subscribe(bot, CHAT, "source:rudaw census")
    subscribe(bot, CHAT + 1, "census -source:rudaw.example")
    bot.fetcher.publish("Rudaw")
    bot.fetcher.publish("BBC")
    cycle(bot)
    bot.fetcher.publish("Rudaw", news("r1", "Census in Erbil", feed="Rudaw"))
    bot.fetcher.publish("BBC", news("b1", "Census in Mosul", feed="BBC"))
    cycle(bot)
    assert [("Erbil" in html) for html in bot.sender.to(CHAT)] == [True]
    assert [("Mosul" in html) for html in bot.sender.to(CHAT + 1)] == [True]
    assert "Census in Erbil" in bot.commands.subscribe((CHAT + 2, None), "source:rudaw census")


def poll_every(bot, seconds: float, until: float) -> None:
    while bot.time.now < until:
        cycle(bot)
        bot.time.now += seconds


def test_a_failing_feed_backs_off_exponentially_and_recovers(make_bot):
    bot = make_bot(["Good", "Bad"])
    bot.fetcher.publish("Good")
    bot.fetcher.fail("Bad")
    start = bot.time.now
    poll_every(bot, POLL, until=start + 86400)
    # 288 cycles in a day; waits of about 5, 10, 20 ... min up to 6 h leave some ten tries.
    assert bot.fetcher.fetched("Good") == 288
    assert 6 <= bot.fetcher.fetched("Bad") <= 14
    state = bot.store.feeds.feed_state("Bad")
    assert state.error_streak == bot.fetcher.fetched("Bad") and state.failing_since == start

    bot.fetcher.publish("Bad")
    bot.time.now = state.retry_at
    report = cycle(bot)
    assert report.count(FetchOutcome.FETCHED) == 2
    recovered = bot.store.feeds.feed_state("Bad")
    assert (recovered.error_streak, recovered.failing_since, recovered.retry_at) == (0, None, None)


def test_retry_after_from_a_feed_server_is_honoured(make_bot):
    bot = make_bot()
    bot.fetcher.fail("Wire", "HTTP 429 Too Many Requests", retry_after=3600)
    start = bot.time.now
    poll_every(bot, POLL, until=start + 3600)
    assert bot.fetcher.fetched("Wire") == 1
    bot.time.now = start + 3600
    cycle(bot)
    assert bot.fetcher.fetched("Wire") == 2


def test_the_admins_are_told_once_when_a_feed_keeps_failing_and_when_it_is_back(make_bot):
    bot = make_bot(admins=(ADMIN,))
    bot.commands.chat_seen((ADMIN, None), "private", "")
    bot.fetcher.publish("Wire")
    cycle(bot)
    bot.fetcher.fail("Wire", "HTTP 500 <Internal Server Error>")
    poll_every(bot, POLL, until=bot.time.now + 2 * 86400)
    [notice] = bot.sender.to(ADMIN)
    assert "<b>Wire</b> has been failing for" in notice
    assert "HTTP 500 &lt;Internal Server Error&gt;" in notice

    bot.fetcher.publish("Wire")
    bot.time.now = bot.store.feeds.feed_state("Wire").retry_at
    cycle(bot)
    poll_every(bot, POLL, until=bot.time.now + 3600)
    assert len(bot.sender.to(ADMIN)) == 2
    assert "<b>Wire</b> works again, after failing for" in bot.sender.to(ADMIN)[1]


def test_a_short_failure_does_not_bother_the_admins(make_bot):
    bot = make_bot(admins=(ADMIN,))
    bot.commands.chat_seen((ADMIN, None), "private", "")
    bot.fetcher.publish("Wire")
    cycle(bot)
    bot.fetcher.fail("Wire")
    poll_every(bot, POLL, until=bot.time.now + 3600)
    bot.fetcher.publish("Wire")
    poll_every(bot, POLL, until=bot.time.now + 86400)
    assert bot.sender.to(ADMIN) == []


def test_a_permanent_redirect_moves_the_feed_and_a_restart_remembers_it(make_bot):
    bot = make_bot()
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Wire", news("1", "old"), moved_to="https://moved.example/rss")
    cycle(bot)
    bot.fetcher.publish("Wire", news("1", "old"), news("2", "census"))
    restarted = make_bot(fetcher=bot.fetcher)
    cycle(restarted)
    assert [url for _, url in bot.fetcher.requests] == [
        "https://wire.example/rss",
        "https://moved.example/rss",
    ]
    assert len(restarted.sender.to(CHAT)) == 1, "the move is the same feed: its items are not new"


def test_a_feed_that_failed_before_its_first_success_is_not_flooded(make_bot):
    bot = make_bot()
    subscribe(bot, CHAT, "census")
    bot.fetcher.fail("Wire")
    cycle(bot)
    bot.fetcher.publish("Wire", news("1", "census old"), news("2", "census older"))
    bot.time.now += POLL
    cycle(bot)
    assert bot.fetcher.fetched("Wire") == 2
    assert bot.sender.sent == []

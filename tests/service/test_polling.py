"""Poll cycles: baseline, new items, matching, one alert per item and chat, failures isolated."""

from __future__ import annotations

import asyncio

from bot.core.dedup import item_tokens
from bot.service.ports import FetchOutcome
from tests.service.conftest import news

CHAT = 10


def cycle(bot):
    """One poll cycle, then everything it queued delivered."""

    async def poll_and_deliver():
        report = await bot.poller.poll_once()
        await bot.delivery.run_until_idle()
        return report

    return asyncio.run(poll_and_deliver())


def subscribe(bot, chat: int, text: str) -> None:
    bot.commands.chat_seen(chat, "private", "")
    bot.commands.subscribe(chat, text)


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
    assert "The census, at last" in alert and "<code>census</code>" in alert

    assert len(bot.sender.sent) == 1, "an item is alerted once"


def test_one_message_per_item_even_when_several_keywords_match(make_bot):
    bot = make_bot()
    subscribe(bot, CHAT, "census, Erbil, oil prices")
    bot.fetcher.publish("Wire")
    cycle(bot)
    bot.fetcher.publish("Wire", news("1", "Erbil census", "oil prices"))
    cycle(bot)
    [alert] = bot.sender.to(CHAT)
    assert "Matched your keywords: <code>census</code>, <code>Erbil</code>, <code>oil prices</code>" in alert


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
    bot.fetcher.publish("Good", news("1", "census news", feed="Good"))
    report = cycle(bot)
    assert report.count(FetchOutcome.FAILED) == 1
    assert len(bot.sender.to(CHAT)) == 1
    assert "feed Bad failed: timed out after 30 s" in caplog.text
    assert bot.store.feed_state("Bad").error_streak == 2


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
    assert set(bot.store.seen_tokens("Wire")) == set(item_tokens(news("2", "b")))


def test_the_database_stays_the_same_size_over_months_of_polling(make_bot, tmp_path):
    """Time travel: a busy feed polled every 3 hours for 90 days, its stories alerted to a
    chat. Seen records, recent items and sent alerts are all pruned, so the database file
    is no bigger after three months than after one."""
    bot = make_bot()
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
            bot.store.checkpoint()
            sizes[(step + 1) // 8] = database.stat().st_size
    assert len(bot.sender.to(CHAT)) == published - 3  # every story after the first poll
    assert len(bot.store.seen_tokens("Wire")) <= 2 * (40 + 30 * 24)
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
    assert "Census in Erbil" in bot.commands.subscribe(CHAT + 2, "source:rudaw census")

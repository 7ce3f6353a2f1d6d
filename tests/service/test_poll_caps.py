"""What one poll may bring: a feed's new items and a chat's alerts are capped, and what a
chat matched over its cap arrives as one summary message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.formatting import MESSAGE_LIMIT, format_overflow, visible_length
from bot.core.items import Item
from bot.core.pace import FloodGuard
from bot.service.polling import PollLimits
from tests.service.conftest import news
from tests.service.test_polling import cycle, subscribe

CHAT, OTHER = 10, 20
NO_GUARD = FloodGuard(alerts=0)  # these tests are about the caps of one poll, not the hour's guard
NOON = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def story(n: int, title: str = "Census news", feed: str = "Wire", minutes_ago: int | None = None) -> Item:
    published = None if minutes_ago is None else NOON - timedelta(minutes=minutes_ago)
    return Item(feed=feed, key=f"{feed}-{n}", title=f"{title} #{n}", link=f"https://news.example/{feed}/{n}",
                summary="", published=published)  # fmt: skip


def alerts(bot, chat: int) -> list[str]:
    return [text for text in bot.sender.to(chat) if "Matched" in text]


def summaries(bot, chat: int) -> list[str]:
    return [text for text in bot.sender.to(chat) if "matched your keywords in this poll" in text]


def test_a_feed_gives_at_most_its_cap_of_new_items_per_poll_the_newest(make_bot, caplog):
    bot = make_bot(limits=PollLimits(new_items_per_feed=5, alerts_per_chat=100))
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Wire")
    cycle(bot)
    # Twelve new stories, oldest first in the feed; the five newest are n = 7..11.
    published = [story(n, minutes_ago=100 - n) for n in range(12)]
    bot.fetcher.publish("Wire", *published)
    report = cycle(bot)
    assert (report.new_items, report.over_cap) == (12, 7)
    assert "feed Wire: 7 new items over the cap of 5 were recorded as seen" in caplog.text
    assert "(7 over the per-feed cap)" in report.summary()
    got = alerts(bot, CHAT)
    assert [f"#{n}</b>" in text for n, text in zip(range(7, 12), got, strict=True)] == [True] * 5
    assert summaries(bot, CHAT) == [], "items over the feed's cap are not matched at all"

    cycle(bot)
    assert len(bot.sender.to(CHAT)) == 5, "the others were recorded as seen: never sent"


def test_a_chat_gets_at_most_its_cap_per_cycle_across_feeds_and_one_summary(make_bot):
    bot = make_bot(["A", "B"], flood=NO_GUARD)
    subscribe(bot, CHAT, "census")
    subscribe(bot, OTHER, "Erbil")
    bot.fetcher.publish("A")
    bot.fetcher.publish("B")
    cycle(bot)
    shared = "https://news.example/shared"
    bot.fetcher.publish(
        "A", *(story(n, feed="A") for n in range(8)), news("s1", "Census in Erbil", feed="A", link=shared)
    )
    bot.fetcher.publish(
        "B", *(story(n, feed="B") for n in range(8)), news("s2", "Census in Erbil", feed="B", link=shared)
    )
    report = cycle(bot)

    assert len(alerts(bot, CHAT)) == 10
    [summary] = summaries(bot, CHAT)
    assert bot.sender.to(CHAT)[-1] == summary, "the summary comes after the cycle's alerts"
    assert summary.startswith("…and 7 more stories matched your keywords in this poll:")
    assert summary.count("<a href=") == 7 and summary.splitlines()[-1].startswith("• "), "all 7 listed"
    assert "<i>(A, " in summary or "<i>(B, " in summary, "each with its source (and time) in italics"
    assert [len(alerts(bot, OTHER)), summaries(bot, OTHER)] == [1, []], "the story in both feeds counts once"
    assert (report.summarised, report.summaries) == (7, 1)
    assert "7 more in summaries to 1 chats" in report.summary()

    cycle(bot)
    assert len(summaries(bot, CHAT)) == 1, "nothing new: no second summary"


def test_a_summary_lists_ten_stories_then_how_many_more_all_escaped(make_bot):
    bot = make_bot(flood=NO_GUARD)
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Wire")
    cycle(bot)
    bot.fetcher.publish("Wire", *(story(n, title='Census <b>&amp;</b> "oil"') for n in range(45)))
    cycle(bot)
    [summary] = summaries(bot, CHAT)
    lines = summary.splitlines()
    assert lines[0] == "…and 35 more stories matched your keywords in this poll:"
    assert len(lines) == 12 and lines[-1] == "and 25 more"
    assert "Census &lt;b&gt;&amp;amp;&lt;/b&gt; &quot;oil&quot; #10" in lines[1]
    assert '<a href="https://news.example/Wire/10">' in lines[1]


def test_a_summary_stays_under_telegrams_limit_whatever_the_titles():
    heavy = [story(n, title="🛢️" * 400, feed="📰" * 64) for n in range(10)]
    summary = format_overflow(heavy, 99_990, tz=UTC)
    assert visible_length(summary) < MESSAGE_LIMIT - 500
    assert summary.splitlines()[-1].startswith("and ") and summary.splitlines()[-1].endswith(" more")


def test_a_big_poll_takes_its_first_new_items_in_feed_order_when_undated(make_bot, caplog):
    bot = make_bot(limits=PollLimits(new_items_per_feed=50, alerts_per_chat=100), flood=NO_GUARD)
    subscribe(bot, CHAT, "census")
    bot.fetcher.publish("Wire", *(story(n) for n in range(1000)))
    cycle(bot)
    bot.fetcher.publish("Wire", *(story(n) for n in range(4000)))  # 3,000 new, undated: feed order
    report = cycle(bot)
    assert (report.new_items, report.over_cap, report.alerts_queued) == (3000, 2950, 50)
    assert "feed Wire: 2,950 new items over the cap of 50 were recorded as seen" in caplog.text
    assert "#1000</b>" in alerts(bot, CHAT)[0] and "#1049</b>" in alerts(bot, CHAT)[-1]
    cycle(bot)
    assert len(bot.sender.to(CHAT)) == 50

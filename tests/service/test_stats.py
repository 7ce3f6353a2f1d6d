"""/stats for admins: times as times in the admin's time zone, counts named for what they count."""

from __future__ import annotations

from bot.core.formatting import to_plain_text
from tests.service.conftest import news
from tests.service.test_polling import cycle, subscribe

ADMIN = 7


def test_stats_shows_when_the_bot_started_and_last_polled_and_what_it_remembers(make_bot):
    bot = make_bot(admins=(ADMIN,))  # started at 15 Jan 2027, 08:00 UTC (the fake clock)
    subscribe(bot, ADMIN, "census")
    bot.chat_settings.timezone((ADMIN, None), "Asia/Baghdad")
    bot.fetcher.publish("Wire", news("1", "One"), news("2", "Two", link=""), news("3", "Three"))
    bot.time.now += 600
    cycle(bot)
    bot.time.now += 180
    lines = to_plain_text(bot.commands.stats(ADMIN)).split("\n")
    assert "Running since 15 Jan 2027, 11:00 +03 (13 min)" in lines
    assert any(line.startswith("Last poll: 15 Jan 2027, 11:10 +03 (3 min ago).") for line in lines), lines
    assert "Stories remembered for /subscribe previews: 3, from the last 7 days" in lines
    # Two of the three stories have a link: each leaves a mark of its id, and of its link.
    assert "Marks of stories seen, so that none comes twice: 5 (one of each story's id, one of its link)" in (
        lines
    )
    assert "Messages waiting to be sent: 0" in lines
    assert not any("record" in line.lower() for line in lines)


def test_stats_before_any_poll(make_bot):
    bot = make_bot(admins=(ADMIN,))
    lines = to_plain_text(bot.commands.stats(ADMIN)).split("\n")
    assert "Running since 15 Jan 2027, 08:00 UTC (0 s)" in lines
    assert "Last poll: none yet" in lines
    assert "only the bot's admins" in bot.commands.stats(ADMIN + 1)

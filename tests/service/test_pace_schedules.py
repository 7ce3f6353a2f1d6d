"""A chat's pace over time: stories already held follow a new digest time or pace, the
night the clocks go back loses nothing, and a press with forged data is answered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from tests.service.conftest import news

CHAT = 42


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def poll(bot, *items) -> None:
    bot.fetcher.publish("Wire", *items)
    asyncio.run(bot.poller.poll_once())


def deliver(bot) -> list[str]:
    """Release what is due and send it; the texts that reached the chat."""
    bot.pace.release_due()
    asyncio.run(bot.delivery.run_until_idle(max_wait=0))
    return bot.sender.to(CHAT)


def test_the_night_the_clocks_go_back_loses_no_story(make_bot):
    """Berlin, daily digest at 02:30. On 31 October 2027 the clocks go back at 03:00 CEST
    (01:00 UTC) to 02:00 CET, so 02:30 comes twice. A story that comes at the second 02:10
    waits for the next day's digest, and comes in it."""
    bot = make_bot()
    bot.time.now = at("2027-10-30 12:00")
    poll(bot, news("0", "Weather"))  # the first poll only learns what the feed has
    bot.commands.subscribe((CHAT, None), "census")
    bot.chat_settings.timezone((CHAT, None), "Europe/Berlin")
    bot.chat_settings.digest((CHAT, None), "daily 02:30")

    bot.time.now = at("2027-10-31 00:10")  # 02:10 CEST
    poll(bot, news("1", "Census day one in Makhmour"), news("0", "Weather"))
    bot.time.now = at("2027-10-31 00:31")  # 02:31 CEST: the daily digest
    assert any("Census day one" in text for text in deliver(bot))

    bot.time.now = at("2027-10-31 01:10")  # 02:10 CET, the second time
    poll(bot, news("2", "Census counters reach Sinjar"), news("1", "Census day one in Makhmour"))
    deliver(bot)
    bot.time.now = at("2027-11-01 01:31")  # 02:31 CET the next day
    texts = deliver(bot)
    held = [story.item.title for story in bot.store.outbox.held()]
    assert any("Sinjar" in text for text in texts) or "Census counters reach Sinjar" in held, (
        "the second story was neither sent nor kept"
    )


def test_a_new_daily_time_takes_the_stories_already_held(make_bot):
    """Daily at 08:00; at 11:00 the reader moves the digest to 20:00. The story held since
    10:00 should come in the 20:00 digest, not wait alone until 08:00 the next day."""
    bot = make_bot()
    bot.time.now = at("2027-05-03 09:00")
    poll(bot, news("0", "Weather"))
    bot.commands.subscribe((CHAT, None), "census")
    bot.chat_settings.digest((CHAT, None), "daily 08:00")
    bot.time.now = at("2027-05-03 10:00")
    poll(bot, news("1", "Census day one in Makhmour"), news("0", "Weather"))
    bot.time.now = at("2027-05-03 11:00")
    bot.chat_settings.digest((CHAT, None), "daily 20:00")
    bot.time.now = at("2027-05-03 12:00")
    poll(bot, news("2", "Census counters reach Sinjar"), news("1", "Census day one in Makhmour"))
    bot.time.now = at("2027-05-03 20:01")
    digests = [text for text in deliver(bot) if "digest" in text]
    assert len(digests) == 1 and "Sinjar" in digests[0]
    assert "Makhmour" in digests[0]


def test_switching_from_daily_to_hourly_takes_the_stories_already_held(make_bot):
    """Daily at 08:00; at 11:00 the reader switches to hourly digests: the story held
    since 10:00 should come in the 12:00 digest, not at 08:00 tomorrow."""
    bot = make_bot()
    bot.time.now = at("2027-05-03 09:00")
    poll(bot, news("0", "Weather"))
    bot.commands.subscribe((CHAT, None), "census")
    bot.chat_settings.digest((CHAT, None), "daily 08:00")
    bot.time.now = at("2027-05-03 10:00")
    poll(bot, news("1", "Census day one in Makhmour"), news("0", "Weather"))
    bot.time.now = at("2027-05-03 11:00")
    bot.chat_settings.digest((CHAT, None), "hourly")
    bot.time.now = at("2027-05-03 12:01")
    assert any("Makhmour" in text for text in deliver(bot)), "the story waits for tomorrow's 08:00"


@pytest.mark.parametrize("data", ["mute:²", "unsub:¹", "undo:³", "rm:①", "keep:²"])
def test_a_forged_press_with_a_superscript_digit_is_answered(make_bot, data):
    """str.isdigit() accepts "²", which int() refuses: the press is answered, nothing changes."""
    bot = make_bot()
    bot.commands.subscribe((CHAT, None), "census")
    pressed = bot.presses.press((CHAT, None), data)
    assert pressed.answer
    assert [s.query.text for s in bot.subscriptions.in_place(CHAT, None)] == ["census"]

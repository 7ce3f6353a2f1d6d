"""The delivery loop: pacing, what Telegram's refusals lead to, and nothing lost."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.core.formatting import to_plain_text
from bot.service.ports import (
    BadMarkup,
    ChatMoved,
    ChatUnreachable,
    MessageRejected,
    OutboxEntry,
    RetryLater,
    TemporaryFailure,
)


def queue(bot, *chats: int, prefix: str = "a", html: str = "<b>news</b> for {chat}") -> None:
    for chat in chats:
        bot.store.chats.register_chat(chat, "private" if chat > 0 else "group", "")
    bot.store.outbox.enqueue(
        OutboxEntry(key=f"{prefix}:{chat}:{n}", chat_id=chat, html=html.format(chat=chat), created=float(n))
        for n, chat in enumerate(chats)
    )


def deliver(bot) -> None:
    asyncio.run(bot.delivery.run_until_idle())


def test_alerts_go_once_and_a_restart_sends_only_what_was_left(make_bot):
    bot = make_bot()
    queue(bot, 1, 2, 3)
    bot.sender.fail = lambda chat, text: TemporaryFailure("timed out") if chat == 3 else None
    # Chat 3 keeps failing: after its tries it waits for a later round, a minute away.
    asyncio.run(bot.delivery.run_until_idle(max_wait=30))
    assert [chat for chat, _, _ in bot.sender.sent] == [1, 2]
    report = asyncio.run(bot.poller.poll_once())
    assert "2 messages sent, 0 not sent, 1 to try again later" in report.summary()

    again = make_bot()  # a restart on the same data
    deliver(again)
    assert [chat for chat, _, _ in again.sender.sent] == [3], "only the one never confirmed"


def test_retry_after_waits_as_long_as_telegram_says_and_sends_the_same_message(make_bot):
    bot = make_bot()
    answers = iter([RetryLater(7.0), RetryLater(3.0)])
    bot.sender.fail = lambda chat, text: next(answers, None)
    queue(bot, 1)
    deliver(bot)
    assert bot.sender.to(1) == ["<b>news</b> for 1"]
    assert bot.time.slept[:2] == [7.0, 3.0]


def test_network_errors_back_off_with_jitter_then_wait_for_a_later_round(make_bot):
    bot = make_bot()
    failures = {"left": 6}

    def flaky(chat, text):
        failures["left"] -= 1
        return TemporaryFailure("HTTP 502") if failures["left"] >= 0 else None

    bot.sender.fail = flaky
    queue(bot, 1)
    deliver(bot)
    assert bot.sender.to(1) == ["<b>news</b> for 1"], "never dropped"
    waits = bot.time.slept
    backoffs = [w for w in waits if w < 60]
    assert len(backoffs) >= 3
    for attempt, wait in enumerate(backoffs[:3], start=1):
        assert 0.5 * 2 ** (attempt - 1) * 0.5 <= wait <= 0.5 * 2 ** (attempt - 1) * 1.5
    assert any(w >= 59 for w in waits), "after the retry budget it waited for a later round"


def test_a_blocked_chat_becomes_inactive_and_the_others_still_get_theirs(make_bot):
    bot = make_bot()
    bot.commands.chat_seen((2, None), "private", "")
    bot.commands.subscribe((2, None), "census")
    bot.sender.fail = lambda chat, text: (
        ChatUnreachable("Forbidden: bot was blocked by the user") if chat == 2 else None
    )
    queue(bot, 1, 2, 3)
    queue(bot, 2, prefix="b")
    deliver(bot)
    assert sorted(chat for chat, _, _ in bot.sender.sent) == [1, 3]
    assert not bot.store.chats.is_active(2)
    assert bot.store.outbox.pending() == [], "its other pending alert is dropped, not retried"
    assert [q.text for q in bot.subscriptions.of_chat(2)] == ["census"], "subscriptions are kept"
    bot.commands.chat_seen((2, None), "private", "")  # /start from the chat
    assert bot.store.chats.is_active(2)


def test_a_migrated_group_gets_its_messages_and_subscriptions_at_its_new_id(make_bot):
    bot = make_bot()
    bot.commands.chat_seen((-5, None), "group", "")
    bot.commands.subscribe((-5, None), "census")
    bot.sender.fail = lambda chat, text: ChatMoved(-1005) if chat == -5 else None
    queue(bot, -5)
    deliver(bot)
    assert bot.sender.to(-1005) == ["<b>news</b> for -5"]
    assert [q.text for q in bot.subscriptions.of_chat(-1005)] == ["census"]
    assert bot.subscriptions.of_chat(-5) == []


def test_html_telegram_cannot_parse_is_sent_again_as_plain_text(make_bot):
    bot = make_bot()
    bot.sender.fail = lambda chat, text: BadMarkup("Can't parse entities") if "<b>" in text else None
    queue(bot, 1, html="<b>Census &amp; more</b>")
    deliver(bot)
    assert bot.sender.plain == [(1, "Census & more")]
    assert to_plain_text("<b>Census &amp; more</b>") == "Census & more"


def test_other_refusals_are_kept_with_their_reason_for_stats(make_bot):
    bot = make_bot(admins=(9,))
    bot.sender.fail = lambda chat, text: MessageRejected("Message is too long")
    queue(bot, 1)
    deliver(bot)
    assert bot.store.chats.is_active(1)
    assert "Messages refused for good: 1" in bot.commands.stats(9)
    assert "Message is too long" in bot.commands.stats(9)


@pytest.mark.parametrize(("chat", "expected_gaps"), [(1, [0, 0, 0, 1, 1]), (-7, [0] * 20 + [3, 3])])
def test_each_chat_is_paced_after_a_short_burst(make_bot, chat, expected_gaps):
    bot = make_bot()
    count = len(expected_gaps)
    bot.store.chats.register_chat(chat, "private" if chat > 0 else "group", "")
    bot.store.outbox.enqueue(
        OutboxEntry(key=f"k{n}", chat_id=chat, html=f"m{n}", created=float(n)) for n in range(count + 1)
    )
    deliver(bot)
    times = [at for _, _, at in bot.sender.sent]
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(times)]
    assert gaps[: count - 1] == expected_gaps[1:count]


def test_a_slow_chat_does_not_hold_back_the_others(make_bot):
    bot = make_bot()
    bot.store.chats.register_chat(1, "private", "")
    bot.store.outbox.enqueue(
        OutboxEntry(key=f"k{n}", chat_id=1, html=f"m{n}", created=float(n)) for n in range(6)
    )
    queue(bot, 2, prefix="other")
    deliver(bot)
    order = [chat for chat, _, _ in bot.sender.sent]
    assert order.index(2) < 4, "chat 2 went while chat 1 was paced"

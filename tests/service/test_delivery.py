"""Delivery: what happens when Telegram says no."""

from __future__ import annotations

import asyncio

from bot.service.ports import (
    ChatUnreachable,
    MessageRejected,
    OutboxEntry,
    OutboxKind,
    RetryLater,
    TemporaryFailure,
)


def queue(bot, *chats: int) -> None:
    for chat in chats:
        bot.store.register_chat(chat, "private", "")
    bot.store.enqueue(
        OutboxEntry(
            key=f"alert:{chat}:x", chat_id=chat, kind=OutboxKind.ALERT, html=f"hi {chat}", created=1.0
        )
        for chat in chats
    )


def deliver(bot):
    return asyncio.run(bot.outbox.deliver())


def test_a_blocked_chat_is_deactivated_and_the_others_still_get_their_message(make_bot):
    bot = make_bot()
    bot.sender.fail = lambda chat, html: (
        ChatUnreachable("Forbidden: bot was blocked by the user") if chat == 2 else None
    )
    queue(bot, 1, 2, 3)
    report = deliver(bot)
    assert (report.sent, report.unreachable, report.remaining) == (2, 1, 0)
    assert [chat for chat, _ in bot.sender.sent] == [1, 3]
    assert not bot.store.is_active(2)


def test_retry_after_waits_and_sends_the_same_message(make_bot):
    bot = make_bot()
    answers = iter([RetryLater(0.01), RetryLater(0.01), None])
    bot.sender.fail = lambda chat, html: next(answers)
    queue(bot, 1)
    assert deliver(bot).sent == 1
    assert bot.sender.sent == [(1, "hi 1")]


def test_temporary_failures_stay_pending_for_the_next_round(make_bot):
    bot = make_bot()
    bot.sender.fail = lambda chat, html: TemporaryFailure("timed out")
    queue(bot, 1, 2, 3, 4, 5)
    report = deliver(bot)
    assert report.sent == 0 and report.remaining == 5
    bot.sender.fail = lambda chat, html: None
    assert deliver(bot).sent == 5


def test_a_rejected_message_is_kept_as_failed_with_its_reason(make_bot):
    bot = make_bot()
    bot.sender.fail = lambda chat, html: MessageRejected("Can't parse entities")
    queue(bot, 1)
    report = deliver(bot)
    assert (report.failed, report.remaining) == (1, 0)
    assert bot.store.stats().failed_messages == 1
    assert bot.store.is_active(1)

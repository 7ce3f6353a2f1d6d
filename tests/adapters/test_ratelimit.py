"""The one keeper of Telegram's limits, driven as PTB drives it: each request passes
``process_request`` on its way to Telegram (played here by a coroutine that records what
reaches it, and answers 429 when told to)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from telegram.error import RetryAfter

from bot.adapters.ratelimit import PACED, TelegramRateLimiter
from bot.core.pacing import ChatBuckets, Pacing


class Telegram:
    """Records (chat, when) for each request that reaches it; the first *refusals* get 429."""

    def __init__(self, refusals: int = 0, retry_after: int = 1) -> None:
        self.arrivals: list[tuple[int, float]] = []
        self._refusals = refusals
        self._retry_after = retry_after

    async def answer(self, chat: int) -> dict[str, Any]:
        self.arrivals.append((chat, time.monotonic()))
        if self._refusals:
            self._refusals -= 1
            raise RetryAfter(self._retry_after)
        return {"message_id": len(self.arrivals)}


def send(limiter: TelegramRateLimiter, telegram: Telegram, chat: int, paced: bool = False) -> Any:
    return limiter.process_request(
        telegram.answer, (chat,), {}, "sendMessage", {"chat_id": chat}, PACED if paced else None
    )


def limiter() -> TelegramRateLimiter:
    return TelegramRateLimiter(overall_per_second=30, chats=ChatBuckets(Pacing().rate_of))


def test_a_429_holds_every_request_and_a_reply_goes_again_after_it():
    async def scenario() -> Telegram:
        rate_limiter, telegram = limiter(), Telegram(refusals=1, retry_after=1)
        refused = asyncio.create_task(send(rate_limiter, telegram, 1))
        while not telegram.arrivals:  # chat 1's reply reached Telegram and was answered 429
            await asyncio.sleep(0)
        await send(rate_limiter, telegram, 2)  # another chat's reply, after the 429
        await refused
        return telegram

    telegram = asyncio.run(scenario())
    (first, refused_at), *later = telegram.arrivals
    assert first == 1 and sorted(chat for chat, _ in later) == [1, 2], "chat 1's reply went again"
    assert all(at - refused_at >= 1.0 for _, at in later), "nothing went before Telegram's wait was over"


def test_the_delivery_loops_requests_get_the_429_and_decide_themselves():
    async def scenario() -> None:
        rate_limiter, telegram = limiter(), Telegram(refusals=1, retry_after=1)
        try:
            await send(rate_limiter, telegram, 1, paced=True)
        except RetryAfter:
            assert len(telegram.arrivals) == 1, "not sent again by the limiter"
        else:
            raise AssertionError("the 429 did not reach the delivery loop")

    asyncio.run(scenario())


def test_a_chats_replies_and_the_loops_messages_share_its_allowance():
    async def scenario() -> Telegram:
        chats: ChatBuckets[int | str] = ChatBuckets(Pacing().rate_of)  # the buckets the loop reads
        rate_limiter, telegram = TelegramRateLimiter(overall_per_second=30, chats=chats), Telegram()
        for _ in range(3):  # the delivery loop's messages, each picked while chat 1 had room
            assert chats.ready_in(1) == 0
            await send(rate_limiter, telegram, 1, paced=True)
        assert chats.ready_in(1) > 0, "the loop's messages took chat 1's burst"
        await send(rate_limiter, telegram, 1)  # a reply: it waits for the room the loop left
        return telegram

    telegram = asyncio.run(scenario())
    times = [at for _, at in telegram.arrivals]
    assert times[3] - times[0] >= 1.0, "the reply waited a second after the burst of three"

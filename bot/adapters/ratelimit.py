"""Pacing every request to Telegram under its limits, with exact waits.

PTB's ``AIORateLimiter`` (aiolimiter) waits a whole 1/rate period whenever its bucket is
nearly full, instead of the time actually left, and knows no limit per private chat. This
limiter keeps an overall limit (every request that names a chat) and each chat's own
allowance, in the same :class:`~bot.core.pacing.ChatBuckets` the delivery loop reads: a
reply and an alert to one chat count against one allowance. Requests to one chat wait in
turn, in their own lane, so a group at its per-minute limit holds back only its own
replies; the overall bucket serves everyone first come, first served.

The delivery loop picks only chats that have room and takes their token itself: its
requests carry :data:`PACED` and pass the overall limit only.

When the bot stops, requests still waiting for their chat's allowance give up
(:meth:`TelegramRateLimiter.abandon_waits`, raising :class:`ChatBusy`), so a group whose
replies queue for its per-minute limit cannot hold the shutdown for minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import TelegramError
from telegram.ext import BaseRateLimiter

from bot.adapters.lanes import Lanes
from bot.core.pacing import ChatBuckets

__all__ = ["PACED", "ChatBusy", "TelegramRateLimiter", "TokenBucket"]

PACED = "paced"  # rate_limit_args of a request whose chat allowance was already taken


class ChatBusy(TelegramError):
    """A request gave up waiting for its chat's allowance: the bot is stopping."""


class TokenBucket:
    """*rate* tokens a second, at most *burst* stored; :meth:`take` waits for one, in turn."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._updated = clock()
        self._turn = asyncio.Lock()  # asyncio's lock is fair: waiters are served in order

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def take(self) -> None:
        async with self._turn:
            self._refill()
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1


class TelegramRateLimiter(BaseRateLimiter[str]):
    """See the module docstring. A 429 that comes anyway reaches the caller, whose business
    it is to wait and retry."""

    def __init__(self, *, overall_per_second: float, chats: ChatBuckets[int | str]) -> None:
        self._overall = TokenBucket(overall_per_second, burst=overall_per_second)
        self._chats = chats
        self._lanes: Lanes[int | str] = Lanes()
        self._abandoned = asyncio.Event()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def abandon_waits(self) -> None:
        """From now on, a request that would wait for its chat's allowance gives up instead."""
        self._abandoned.set()

    async def _take_chat_token(self, chat_id: int | str) -> None:
        async with self._lanes.turn(chat_id):
            while (wait := self._chats.ready_in(chat_id)) > 0:
                if self._abandoned.is_set():
                    raise ChatBusy(f"gave up waiting {wait:.0f} s for chat {chat_id}'s allowance: stopping")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._abandoned.wait(), timeout=wait)
            self._chats.spend(chat_id)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if chat_id is not None:
            if rate_limit_args != PACED and endpoint != "answerCallbackQuery":
                await self._take_chat_token(_chat_key(chat_id))
            await self._overall.take()
        return await callback(*args, **kwargs)


def _chat_key(chat_id: object) -> int | str:
    """A chat id as a number where it is one ("-100123" too), else the @username."""
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdecimal() else text

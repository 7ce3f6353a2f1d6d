"""Pacing every request to Telegram under its limits, with exact waits.

PTB's ``AIORateLimiter`` (aiolimiter) waits a whole 1/rate period whenever its bucket is
nearly full, instead of the time actually left: a sender that sends one message after the
other then gets about 26 messages a second out of a limit of 30. This limiter does the same
job (an overall limit, and one per group, for every request that names a chat) with token
buckets that wait exactly as long as needed, first come first served.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter

__all__ = ["TelegramRateLimiter", "TokenBucket"]


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


class TelegramRateLimiter(BaseRateLimiter[None]):
    """An overall limit for every request that names a chat, and a per-minute limit per
    group (a negative chat id, or a public @username). Telegram's answer to a request sent
    too fast anyway (429) reaches the caller, whose business it is to wait and retry."""

    def __init__(self, *, overall_per_second: float, group_per_minute: float) -> None:
        self._overall = TokenBucket(overall_per_second, burst=overall_per_second)
        self._group_per_minute = group_per_minute
        self._groups: dict[str | int, TokenBucket] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _group(self, chat_id: str | int) -> TokenBucket:
        bucket = self._groups.get(chat_id)
        if bucket is None:
            if len(self._groups) > 10_000:  # groups idle for a minute are full again: forget them
                self._groups = {chat: b for chat, b in self._groups.items() if b._tokens < b.burst}
            bucket = self._groups[chat_id] = TokenBucket(self._group_per_minute / 60, self._group_per_minute)
        return bucket

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if chat_id is not None:
            is_group = isinstance(chat_id, str) or int(chat_id) < 0
            if is_group:
                await self._group(chat_id).take()
            await self._overall.take()
        return await callback(*args, **kwargs)

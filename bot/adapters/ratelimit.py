"""Telegram's limits, kept in one place: every request to Telegram that names a chat.

This limiter is the only keeper of the limits: it takes a token for each request, from the
overall bucket (every request that names a chat) and from the chat's own allowance (every
message to it, replies and alerts alike), both :mod:`bot.core.pacing` token buckets with
exact waits. PTB's ``AIORateLimiter`` (aiolimiter) waits a whole 1/rate period whenever its
bucket is nearly full, instead of the time actually left, and knows no limit per private
chat.

Requests to one chat wait in turn, in their own lane, so a group at its per-minute limit
holds back only its own replies; the overall bucket serves everyone first come, first
served. The delivery loop never waits on one chat: it reads the same chats' buckets
(:class:`~bot.core.pacing.ChatBuckets`) to pick a chat that has room, and its requests
carry :data:`PACED`, so their chat's token is taken at once, without a turn in the lane.

A 429 (Telegram's ``retry_after``) holds every request for as long as it says. A reply
is then sent again (up to :data:`RETRIES` times); the delivery loop's requests get the
429, and the loop sends the same message again after the wait (it decides what a message
that failed becomes).

When the bot stops, requests still waiting give up (:meth:`TelegramRateLimiter.abandon_waits`,
raising :class:`ChatBusy`), so a group whose replies queue for its per-minute limit cannot
hold the shutdown for minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.adapters.lanes import Lanes
from bot.core.pacing import ChatBuckets, Rate, TokenBucket

__all__ = ["PACED", "RETRIES", "ChatBusy", "TelegramRateLimiter"]

log = logging.getLogger(__name__)

PACED = "paced"  # rate_limit_args of a request whose chat was picked with room: it does not wait for it
RETRIES = 2  # times a request other than the delivery loop's is sent again after a 429


class ChatBusy(TelegramError):
    """A request gave up waiting for Telegram's limits: the bot is stopping."""


class TelegramRateLimiter(BaseRateLimiter[str]):
    """See the module docstring."""

    def __init__(
        self,
        *,
        overall_per_second: float,
        chats: ChatBuckets[int | str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overall = TokenBucket(Rate(overall_per_second, burst=overall_per_second), clock)
        self._overall_turn = asyncio.Lock()  # asyncio's lock is fair: waiters are served in order
        self._chats = chats
        self._lanes: Lanes[int | str] = Lanes()
        self._abandoned = asyncio.Event()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def abandon_waits(self) -> None:
        """From now on, a request that would wait for Telegram's limits gives up instead."""
        self._abandoned.set()

    async def _wait(self, seconds: float, what: str) -> None:
        if self._abandoned.is_set():
            raise ChatBusy(f"gave up waiting {seconds:.1f} s for {what}: stopping")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._abandoned.wait(), timeout=seconds)

    async def _take_chat_token(self, chat_id: int | str) -> None:
        async with self._lanes.turn(chat_id):
            while (wait := self._chats.ready_in(chat_id)) > 0:
                await self._wait(wait, f"chat {chat_id}'s allowance")
            self._chats.spend(chat_id)

    async def _take_overall_token(self) -> None:
        async with self._overall_turn:
            while (wait := self._overall.ready_in()) > 0:
                await self._wait(wait, "the overall limit")
            self._overall.spend()

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
        if chat_id is None:
            return await callback(*args, **kwargs)
        chat = _chat_key(chat_id)
        tries = 0
        while True:
            if endpoint == "answerCallbackQuery":  # an answer to a press is not a message to the chat
                pass
            elif rate_limit_args == PACED:
                self._chats.spend(chat)
            else:
                await self._take_chat_token(chat)
            await self._take_overall_token()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                self._overall.hold(seconds)
                log.warning("Telegram asks to wait %.1f s (429, chat %s): every request waits", seconds, chat)
                tries += 1
                if rate_limit_args == PACED or tries > RETRIES:
                    raise


def _seconds(retry_after: int | timedelta) -> float:
    """Telegram's retry_after in seconds (a timedelta when PTB_TIMEDELTA is set)."""
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


def _chat_key(chat_id: object) -> int | str:
    """A chat id as a number where it is one ("-100123" too), else the @username."""
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdecimal() else text

"""Handling updates from many chats at once, each chat in turn, within a command budget.

PTB handles updates one after the other by default, so one chat that floods the bot (or a
group whose replies wait for its per-minute limit) holds up every other chat. Here updates
from different chats run concurrently, while each chat's own updates run in the order they
came (so ``/subscribe`` then ``/list`` answers in that order). Each chat also has a command
budget: a burst, then a steady rate. Commands beyond it are dropped unanswered, and the chat
is told once, so a flood costs the bot next to nothing and nobody else waits for it.

When the bot stops, updates still waiting for their chat's turn are dropped
(:meth:`ChatLanes.abandon_waits`): PTB waits for every update it has taken to be handled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.adapters.lanes import Lanes
from bot.core.pacing import ChatBuckets, Rate

__all__ = ["ChatLanes"]

log = logging.getLogger(__name__)

NOTICE_EVERY_SECONDS = 600.0  # at most one "slow down" notice per chat in this time


def _chat_of(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


def _answered(update: object) -> bool:
    """Whether the bot answers this update, so it counts against the chat's budget: a
    command, a button press, or any text in a private chat (groups' chatter is ignored)."""
    if not isinstance(update, Update):
        return False
    if update.callback_query is not None:
        return True
    message = update.message or update.edited_message
    if message is None or message.text is None:
        return False
    return message.text.startswith("/") or message.chat.type == "private"


class ChatLanes(BaseUpdateProcessor):
    """See the module docstring. *budget* is each chat's command allowance; *notify* tells
    a chat, once in a while, that some of its commands were dropped."""

    def __init__(
        self,
        *,
        budget: Rate,
        notify: Callable[[int], Awaitable[None]],
        max_concurrent_updates: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._budget: ChatBuckets[int] = ChatBuckets(lambda chat: budget, clock)
        self._notify = notify
        self._clock = clock
        self._lanes: Lanes[int] = Lanes()
        self._notified: dict[int, float] = {}  # chat -> when it was last told
        self._notices: set[asyncio.Task[None]] = set()
        self._abandoned = False

    def abandon_waits(self) -> None:
        """Drop the updates still waiting for their chat's turn (the bot is stopping)."""
        self._abandoned = True

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Let the notices being sent finish."""
        if self._notices:
            await asyncio.gather(*self._notices, return_exceptions=True)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = _chat_of(update)
        if chat is None:
            await coroutine
            return
        if _answered(update) and not self._budget.try_spend(chat):
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # dropped: never run, and no "never awaited" warning
            self._dropped(chat)
            return
        async with self._lanes.turn(chat):
            if self._abandoned and asyncio.iscoroutine(coroutine):
                coroutine.close()
                return
            await coroutine

    def _dropped(self, chat: int) -> None:
        now = self._clock()
        if now - self._notified.get(chat, float("-inf")) < NOTICE_EVERY_SECONDS:
            return
        if len(self._notified) > 10_000:
            self._notified = {c: at for c, at in self._notified.items() if now - at < NOTICE_EVERY_SECONDS}
        self._notified[chat] = now
        log.warning("chat %d sends commands faster than its budget; the excess is dropped", chat)
        task = asyncio.create_task(self._tell(chat), name=f"flood notice {chat}")
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def _tell(self, chat: int) -> None:
        try:
            await self._notify(chat)
        except Exception as exc:  # a courtesy: the bot goes on either way
            log.warning("could not tell chat %d that its commands were dropped: %s", chat, exc)

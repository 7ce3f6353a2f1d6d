"""Delivering the outbox: every alert and announcement is stored before it is sent.

A message leaves the outbox only when Telegram accepted it (marked sent) or refused it for
good (marked failed, with the reason). A crash between sending and marking can repeat that
one message on the next start; nothing that was enqueued is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.service.ports import (
    ChatUnreachable,
    MessageRejected,
    RetryLater,
    Sender,
    Store,
    TemporaryFailure,
)

__all__ = ["DeliveryReport", "Outbox"]

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_WAITS = 5
MAX_CONSECUTIVE_TEMPORARY_FAILURES = 3
SENT_RETENTION_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    unreachable: int = 0
    failed: int = 0
    remaining: int = 0


class Outbox:
    """Sends what the store holds as pending, one message at a time, in priority order."""

    def __init__(self, store: Store, sender: Sender, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._sender = sender
        self._clock = clock
        self._lock = asyncio.Lock()

    async def deliver(self) -> DeliveryReport:
        """Send every pending message once; runs one at a time (a second call waits its turn).

        Messages that fail temporarily stay pending for the next call; after a few
        temporary failures in a row (Telegram unreachable) the rest is left for later too.
        """
        async with self._lock:
            sent = unreachable = failed = 0
            temporary_in_a_row = 0
            pending = self._store.pending()
            for position, entry in enumerate(pending):
                if not self._store.is_active(entry.chat_id):
                    continue  # deactivated meanwhile; its pending messages were failed with it
                try:
                    await self._send_with_waits(entry.chat_id, entry.html)
                except ChatUnreachable as exc:
                    log.info("chat %d is unreachable (%s); it is now inactive", entry.chat_id, exc)
                    self._store.deactivate_chat(entry.chat_id, str(exc))
                    unreachable += 1
                except MessageRejected as exc:
                    log.warning("message %s to chat %d was refused: %s", entry.key, entry.chat_id, exc)
                    self._store.mark_failed(entry.key, str(exc))
                    failed += 1
                except (TemporaryFailure, RetryLater) as exc:
                    log.warning("message %s to chat %d failed for now: %s", entry.key, entry.chat_id, exc)
                    failed += 1
                    temporary_in_a_row += 1
                    if temporary_in_a_row >= MAX_CONSECUTIVE_TEMPORARY_FAILURES:
                        log.warning(
                            "Telegram keeps failing; %d message(s) wait for the next round",
                            len(pending) - position - 1,
                        )
                        break
                else:
                    self._store.mark_sent(entry.key, self._clock())
                    sent += 1
                    temporary_in_a_row = 0
            self._store.prune_sent(self._clock() - SENT_RETENTION_SECONDS)
            remaining = len(self._store.pending())
            return DeliveryReport(sent=sent, unreachable=unreachable, failed=failed, remaining=remaining)

    async def _send_with_waits(self, chat_id: int, html: str) -> None:
        """Send, waiting as long as Telegram asks on 429 before trying the same message again."""
        for _ in range(MAX_RETRY_AFTER_WAITS):
            try:
                await self._sender.send(chat_id, html)
                return
            except RetryLater as exc:
                log.info("Telegram asks to wait %.1f s before sending to chat %d", exc.seconds, chat_id)
                await asyncio.sleep(exc.seconds)
        await self._sender.send(chat_id, html)

"""Delivering alerts and announcements: one loop, one message at a time, nothing lost.

Every message is in the store before it is sent (alerts in the outbox, announcements as
their broadcast's targets) and its outcome is recorded durably as soon as Telegram answers.
After a crash the loop starts again from what the store holds: a message confirmed is never
sent again, and the only one that can repeat is the one in flight at the moment of the crash
(one at a time, by design).

The loop sends alerts first, so an announcement to thousands of chats never holds alerts
back. Each chat has one allowance (about one message a second to a private chat, with short
bursts, 20 a minute to a group), shared with the replies to its commands and kept by the
rate limiter every request to Telegram passes (which also keeps the overall limit, 30 a
second by default): the loop reads the chats' allowances and takes a message only for a
chat that has room now, sending to another chat meanwhile, so it never waits on one chat.

What Telegram answers decides what happens next:

* 429: wait as long as it says, then send the same message again; never dropped.
* Network errors, timeouts, 5xx: retry with exponential backoff and jitter; after a few
  tries the message waits for a later round (it stays pending).
* 403, or a chat that no longer exists: the chat becomes inactive (its subscriptions are
  kept; any command from it brings it back), and its pending messages are dropped.
* The group became a supergroup: its subscriptions and pending messages move there.
* 400 "can't parse entities": the same text goes again as plain text.

An alert is sent with the other feeds its story came from so far ("Also: …"); a copy that
comes after it was sent edits it (no new notification), so the text of a sent alert is
kept for as long as copies of its story may come (:data:`bot.core.sameness.WINDOW`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from bot.core.backoff import backoff_delay
from bot.core.formatting import to_plain_text, with_also
from bot.core.language import DEFAULT_LANGUAGE, speaking
from bot.core.pacing import ChatBuckets, Pacing
from bot.core.sameness import WINDOW as STORY_WINDOW
from bot.service.ports import (
    DEFAULT_OPTIONS,
    BadMarkup,
    Broadcast,
    BroadcastStatus,
    BroadcastStore,
    ChatMoved,
    ChatMoves,
    ChatRegistry,
    ChatUnreachable,
    Durability,
    MessageRejected,
    OutboxEntry,
    OutboxStore,
    Outcome,
    RetryLater,
    Sender,
    SendOptions,
    SentAlerts,
    StorageFailure,
    TemporaryFailure,
    TopicGone,
)

__all__ = ["Delivery", "DeliveryCounts", "Pacing", "Retries"]

log = logging.getLogger(__name__)

SENT_RETENTION_SECONDS = 7 * 24 * 3600
PRUNE_SECONDS = 3600  # how often what is no longer needed is forgotten
PRUNE_BATCH = 500  # records forgotten in one step, so that pruning never holds the loop long
REPORT_MESSAGES = 2  # a broadcast's report edits its author's message and tells them anew


@dataclass(frozen=True, slots=True)
class Retries:
    """How a message that fails for a network error, a timeout or a 5xx is retried."""

    attempts: int = 4  # tries in a row before the message waits for a later round
    backoff_seconds: float = 0.5  # the first wait; it doubles each time, give or take half
    backoff_cap_seconds: float = 30.0
    later_seconds: float = 60.0  # the wait before a later round


@dataclass(slots=True)
class DeliveryCounts:
    """What the loop did since the counts were last taken."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    deferred: int = 0  # kept failing for now; waiting for a later round


@dataclass(slots=True)
class _Job:
    chat_id: int
    html: str
    alert: OutboxEntry | None = None
    broadcast: str | None = None

    @property
    def options(self) -> SendOptions:
        alert = self.alert
        if alert is None:
            return DEFAULT_OPTIONS
        return SendOptions(
            thread_id=alert.thread_id, silent=alert.silent, preview=alert.preview, buttons=alert.buttons
        )


@dataclass(slots=True)
class _Cursor:
    """Where a broadcast is: the next target to try, and targets waiting for a later round."""

    position: int = 0
    later: list[tuple[float, int]] = field(default_factory=list)  # (not before, chat), soonest first


Progress = Callable[[Broadcast, bool], Awaitable[None]]


class Delivery:
    """The delivery loop (see the module docstring). Start it with :meth:`run`."""

    def __init__(
        self,
        sender: Sender,
        *,
        outbox: OutboxStore,
        broadcasts: BroadcastStore,
        chats: ChatRegistry,
        moves: ChatMoves,
        sent: SentAlerts,
        durability: Durability,
        pacing: Pacing | None = None,
        chat_buckets: ChatBuckets[int | str] | None = None,
        retries: Retries = Retries(),
        progress_every_seconds: float = 3.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        jitter: Callable[[], float] = random.random,
        on_topic_gone: Callable[[int, int], None] = lambda chat_id, thread_id: None,
        on_chat_moved: Callable[[int, int], None] | None = None,
        progress: Progress | None = None,
        language_of: Callable[[int], str] = lambda chat_id: DEFAULT_LANGUAGE,
    ) -> None:
        """*on_chat_moved*: what a group that became a supergroup means (by default its
        records move: *moves*); *progress*: how a broadcast's progress is shown."""
        self._outbox = outbox
        self._broadcasts = broadcasts
        self._chats = chats
        self._moves = moves
        self._sent = sent
        self._durability = durability
        self._on_chat_moved = on_chat_moved or moves.migrate_chat
        self._progress_shown = progress
        self._sender = sender
        self._on_topic_gone = on_topic_gone  # a forum topic was deleted or closed
        self._language_of = language_of  # (the "Also:" line under an alert is written at sending)
        self._retries = retries
        self._progress_every = progress_every_seconds
        self._clock = clock
        self._monotonic = monotonic
        # Read only: the rate limiter that every request to Telegram passes (replies too)
        # takes the tokens, so a chat's replies and its alerts count against one allowance.
        # Buckets of its own, which no sender spends, hold nothing back.
        self._pacer = (
            chat_buckets if chat_buckets is not None else ChatBuckets((pacing or Pacing()).rate_of, monotonic)
        )
        self._sleep = sleep
        self._jitter = jitter
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._later: dict[str, float] = {}  # alert key -> not before
        self._cursors: dict[str, _Cursor] = {}
        self._reported: dict[str, float] = {}  # broadcast -> when progress was last shown
        self._last_prune = float("-inf")
        self._pruning = False  # a prune is under way, a batch a step
        self.counts = DeliveryCounts()

    # --- control ------------------------------------------------------------------------

    def wake(self) -> None:
        """There is something new to send."""
        self._wake.set()

    def take_counts(self) -> DeliveryCounts:
        counts, self.counts = self.counts, DeliveryCounts()
        return counts

    async def run(self) -> None:
        """Send whatever is due, wait for more, until :meth:`stop`."""
        self._stopping.clear()
        log.info("delivery started: %d alerts pending, %d broadcasts in progress",
                 len(self._outbox.pending()), len(self._broadcasts.broadcasts_in_progress()))  # fmt: skip
        while not self._stopping.is_set():
            try:
                if not await self._step(wait=True):
                    break
            except StorageFailure as exc:  # the disk is full or failing: say so, try again
                log.error("delivery: the storage is failing (%s); trying again in a second", exc)
                await self._pause(1.0)
            except Exception:  # the loop must outlive any one message
                log.exception("delivery: unexpected error; going on in a second")
                await self._pause(1.0)

    def stop(self) -> None:
        """Finish the message in flight, then leave :meth:`run` (the rest stays pending)."""
        self._stopping.set()
        self._wake.set()

    async def run_until_idle(self, max_wait: float = 60.0) -> None:
        """Send everything that is or becomes due, waiting for pacing and retries, then
        return when nothing is due within *max_wait* seconds.

        For tests and one-off runs; the bot uses :meth:`run`.
        """
        while await self._step(wait=False, max_wait=max_wait):
            pass

    async def _step(self, *, wait: bool, max_wait: float = float("inf")) -> bool:
        """Send the next due message, or wait for one. False when the loop is stopping, or
        when *wait* is false and nothing is due within *max_wait* seconds."""
        if self._pruning or self._due_prune():
            self._prune()
        in_progress = self._broadcasts.broadcasts_in_progress()
        over = [b for b in in_progress if not b.remaining]
        for broadcast in over:
            if self._pacer.ready_in(broadcast.chat_id, REPORT_MESSAGES) == 0:
                await self._finish_broadcast(broadcast)
        if over:
            in_progress = self._broadcasts.broadcasts_in_progress()
        job, delay = self._next(in_progress)
        if job is not None:
            await self._deliver(job)
            return not self._stopping.is_set()
        if self._pruning:
            delay = 0.0  # the next batch, once the loop had its turn
        if not wait and (delay is None or delay > max_wait):
            return False
        if wait:
            await self._durability.durable()  # idle: what was recorded reaches the disk now
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            return not self._stopping.is_set()
        return await self._pause(delay or 0.0)

    def _due_prune(self) -> bool:
        now = self._monotonic()
        if now - self._last_prune < PRUNE_SECONDS:
            return False
        self._last_prune = now
        return True

    def _prune(self) -> None:
        """Forget a batch of what is no longer needed; the next step takes the next batch."""
        # A prune the storage refuses waits for the next hour's: it must not hold messages back.
        self._pruning = False
        now = self._clock()
        pruned = self._sent.prune_sent(
            now - SENT_RETENTION_SECONDS, texts_before=now - STORY_WINDOW.total_seconds(), limit=PRUNE_BATCH
        )
        self._pruning = pruned >= PRUNE_BATCH

    async def _pause(self, seconds: float) -> bool:
        """Wait *seconds*; False if the loop is told to stop meanwhile."""
        if self._sleep is not None:
            await self._sleep(seconds)
            return not self._stopping.is_set()
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    # --- choosing the next message ------------------------------------------------------

    def _next(self, in_progress: list[Broadcast]) -> tuple[_Job | None, float | None]:
        """The next message that may go now, or how long until one may (None: nothing)."""
        now = self._monotonic()
        soonest: float | None = None

        def later(delay: float) -> None:
            nonlocal soonest
            soonest = delay if soonest is None else min(soonest, delay)

        # Alerts first, oldest first, then the edits that add sources to alerts already
        # sent (they make no sound and can wait), then announcements (*in_progress*).
        full: set[int] = set()  # chats found with no room now
        for entry in self._outbox.waiting():
            not_before = self._later.get(entry.key, 0.0)
            if not_before > now:
                later(not_before - now)
                continue
            chat = entry.chat_id
            if chat in full:
                continue
            delay = self._pacer.ready_in(chat)
            if delay > 0:
                full.add(chat)
                later(delay)
                continue
            with speaking(self._language_of(chat)):
                html = with_also(entry.html, entry.also)
            return _Job(chat, html, alert=entry), None

        for broadcast in in_progress:
            chat_id, wait = self._next_target(broadcast, now)
            if chat_id is not None:
                return _Job(chat_id, broadcast.html, broadcast=broadcast.id), None
            if wait is not None:
                later(wait)
        return None, soonest

    def _next_target(self, broadcast: Broadcast, now: float) -> tuple[int | None, float | None]:
        """The broadcast's next chat that may receive it now, or how long until one may."""
        cursor = self._cursors.setdefault(broadcast.id, _Cursor())
        targets, done = broadcast.targets, self._broadcasts.broadcast_done(broadcast.id)
        while cursor.position < len(targets):
            chat_id = targets[cursor.position]
            if chat_id in done:
                cursor.position += 1
                continue
            if not self._chats.is_active(chat_id):
                self._broadcasts.record_broadcast(broadcast.id, chat_id, Outcome.BLOCKED, "inactive")
                cursor.position += 1
                continue
            delay = self._pacer.ready_in(chat_id)
            if delay == 0:
                return chat_id, None
            # No room now (its replies, say): the others go first.
            heapq.heappush(cursor.later, (now + delay, chat_id))
            cursor.position += 1
        later = cursor.later
        while later:
            not_before, chat_id = later[0]
            if chat_id in done:
                heapq.heappop(later)
                continue
            if not_before > now:
                return None, max(0.1, not_before - now)
            delay = self._pacer.ready_in(chat_id)
            if delay == 0:
                heapq.heappop(later)
                return chat_id, None
            heapq.heapreplace(later, (now + max(delay, 0.1), chat_id))
        # All done: a step finishes it once its author's chat has room for the report.
        return None, self._pacer.ready_in(broadcast.chat_id, REPORT_MESSAGES)

    # --- sending ------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt,
            first=self._retries.backoff_seconds,
            cap=self._retries.backoff_cap_seconds,
            jitter=self._jitter(),
        )

    async def _deliver(self, job: _Job) -> None:
        # What became of the messages before it is kept before this one goes: a bot killed
        # now sends again at most the message in flight.
        await self._durability.recorded()
        text, as_html, attempt = job.html, True, 0
        chat_id = job.chat_id
        edits = job.alert.edits if job.alert is not None else None
        message_id: int | None = None
        while True:
            try:
                if edits is None:
                    message_id = await self._sender.send(chat_id, text, html=as_html, options=job.options)
                else:
                    await self._sender.edit(chat_id, edits, text, options=job.options)
            except RetryLater as exc:
                log.info("Telegram asks to wait %.1f s (chat %d)", exc.seconds, chat_id)
                if not await self._pause(exc.seconds):
                    return  # stopping: the message stays pending
                continue
            except ChatMoved as exc:
                log.info("chat %d became %d; moving its subscriptions and messages", chat_id, exc.new_chat_id)
                self._on_chat_moved(chat_id, exc.new_chat_id)
                if edits is not None:  # its message stays in the old group: nothing to edit there
                    self._record(job, Outcome.FAILED, str(exc))
                    return
                chat_id = exc.new_chat_id
                continue
            except ChatUnreachable as exc:
                log.info("chat %d is unreachable (%s); it is now inactive", chat_id, exc)
                self._moves.deactivate_chat(chat_id, str(exc))
                self._record(job, Outcome.BLOCKED, str(exc))
                return
            except BadMarkup as exc:
                if as_html and edits is None:
                    log.warning("chat %d refused the HTML (%s); sending plain text", chat_id, exc)
                    text, as_html = to_plain_text(job.html), False
                    continue
                self._record(job, Outcome.FAILED, str(exc))
                return
            except TopicGone as exc:
                log.info("chat %d: the topic %s is gone (%s); its subscriptions are paused",
                         chat_id, job.options.thread_id, exc)  # fmt: skip
                self._record(job, Outcome.FAILED, str(exc))
                if job.alert is not None and job.alert.thread_id is not None:
                    self._on_topic_gone(chat_id, job.alert.thread_id)
                return
            except MessageRejected as exc:
                log.warning("chat %d refused a message for good: %s", chat_id, exc)
                self._record(job, Outcome.FAILED, str(exc))
                return
            except TemporaryFailure as exc:
                attempt += 1
                if attempt >= self._retries.attempts:
                    log.warning("chat %d: still failing after %d tries (%s); trying again later",
                                chat_id, attempt, exc)  # fmt: skip
                    self._defer(job)
                    return
                if not await self._pause(self._backoff(attempt)):
                    return
                continue
            self._record(job, Outcome.SENT, "", message_id)
            if job.broadcast is not None:
                await self._progress(job.broadcast)
            return

    def _defer(self, job: _Job) -> None:
        self.counts.deferred += 1
        not_before = self._monotonic() + self._retries.later_seconds
        if job.alert is not None:
            self._later[job.alert.key] = not_before
        elif job.broadcast is not None:
            cursor = self._cursors.setdefault(job.broadcast, _Cursor())
            heapq.heappush(cursor.later, (not_before, job.chat_id))
            cursor.position += 1

    def _record(self, job: _Job, outcome: Outcome, reason: str, message_id: int | None = None) -> None:
        if outcome is Outcome.SENT:
            self.counts.sent += 1
        elif outcome is Outcome.BLOCKED:
            self.counts.blocked += 1
        else:
            self.counts.failed += 1
        if job.alert is not None:
            self._later.pop(job.alert.key, None)
            self._outbox.record_alert(
                job.alert.key, outcome, reason, self._clock(), message_id, also_shown=job.alert.also
            )
        elif job.broadcast is not None:
            self._broadcasts.record_broadcast(job.broadcast, job.chat_id, outcome, reason)

    # --- broadcast progress -------------------------------------------------------------

    async def _progress(self, broadcast_id: str) -> None:
        """Show a broadcast's progress, at most every few seconds, when its author's chat has
        room for it (else after a later message)."""
        now = self._monotonic()
        if now - self._reported.get(broadcast_id, float("-inf")) < self._progress_every:
            return
        broadcast = self._broadcasts.broadcast(broadcast_id)
        if broadcast is None or not broadcast.remaining or self._pacer.ready_in(broadcast.chat_id) > 0:
            return
        self._reported[broadcast_id] = now
        await self._show(broadcast, finished=False)

    async def _finish_broadcast(self, broadcast: Broadcast) -> None:
        finished = replace(broadcast, status=BroadcastStatus.DONE, finished=self._clock())
        self._broadcasts.save_broadcast(finished)
        self._cursors.pop(broadcast.id, None)
        self._reported.pop(broadcast.id, None)
        self._pruning = True  # its records per chat go next, a batch a step
        log.info("broadcast %s finished: %d sent, %d blocked, %d failed",
                 broadcast.id, broadcast.sent, broadcast.blocked, broadcast.failed)  # fmt: skip
        await self._show(finished, finished=True)

    async def _show(self, broadcast: Broadcast, *, finished: bool) -> None:
        if self._progress_shown is None:
            return
        try:
            await self._progress_shown(broadcast, finished)
        except Exception as exc:  # progress is a courtesy; the broadcast goes on
            log.warning("could not show the progress of broadcast %s: %s", broadcast.id, exc)

"""Polling each feed on its own schedule, so a slow or failing feed delays only itself.

A tick (run every second by the composition root, on PTB's JobQueue) starts the feeds that
are due and not being polled already, together as one batch, and returns at once: a batch
runs as its own task while the next ticks start other feeds. Every poll tells when its feed
is due again (:class:`~bot.service.polling.Poller`). What the polls did is logged in one
line when the first polls at start are done, then every *report_every* seconds, and kept for
/stats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bot.service.poll_reports import Batch, CycleReport, FeedReport
from bot.service.polling import Poller

__all__ = ["FeedScheduler"]

log = logging.getLogger(__name__)


class FeedScheduler:
    """See the module docstring."""

    def __init__(
        self,
        poller: Poller,
        *,
        report_every: float,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._poller = poller
        self._report_every = report_every
        self._clock = clock
        self._monotonic = monotonic
        self._busy: dict[str, asyncio.Task[Batch]] = {}  # feed name -> the batch polling it
        self._batches: set[asyncio.Task[Batch]] = set()
        self._done: list[FeedReport] = []
        self._summarised = 0
        self._summaries = 0
        self._reported = monotonic()
        self._first_done = False
        self._first_polls = asyncio.Event()
        self._stopped = False

    @property
    def busy(self) -> int:
        """How many feeds are being polled now."""
        return len(self._busy)

    def tick(self) -> int:
        """Start polling the feeds that are due; log a report when one is due. Returns how
        many feeds were started."""
        if self._stopped:
            return 0
        due = self._poller.due(self._clock(), busy=self._busy)
        if due:
            batch = asyncio.create_task(
                self._poller.poll_batch(due, each_done=self._feed_done), name=f"poll {len(due)} feeds"
            )
            for source in due:
                self._busy[source.name] = batch
            self._batches.add(batch)
            batch.add_done_callback(self._finished)
        elif not self._batches:
            self._first_polls.set()  # nothing to poll at start, or those polls are over
        if self._monotonic() - self._reported >= self._report_every:
            self._report()
        return len(due)

    def _feed_done(self, report: FeedReport) -> None:
        """One feed's poll is over: it may be started again when it is due."""
        self._busy.pop(report.feed, None)
        self._done.append(report)

    def _finished(self, batch: asyncio.Task[Batch]) -> None:
        self._batches.discard(batch)
        for name in [name for name, task in self._busy.items() if task is batch]:
            del self._busy[name]
        self._first_polls.set()
        if batch.cancelled():
            return
        if batch.exception() is not None:  # poll_batch guards each feed: not expected
            log.error("a batch of polls failed", exc_info=batch.exception())
            return
        result = batch.result()
        self._summarised += result.summarised
        self._summaries += result.summaries
        if not self._first_done:  # the polls at start: say at once how they went
            self._first_done = True
            self._report()

    def _report(self) -> None:
        now = self._monotonic()
        seconds, self._reported = now - self._reported, now
        if not self._done:
            return
        report = CycleReport(
            feeds=self._done,
            delivery=self._poller.take_delivery_counts(),
            pending=self._poller.pending_alerts(),
            seconds=seconds,
            summarised=self._summarised,
            summaries=self._summaries,
            ended_at=self._clock(),
        )
        self._done, self._summarised, self._summaries = [], 0, 0
        self._poller.last_report = report
        log.info("%s", report.summary())

    async def first_polls(self) -> None:
        """Return once the polls started by the first tick are over, however they ended (at
        once if that tick found nothing to poll). The console waits for them before its
        first prompt, so that /subscribe previews what they found."""
        await self._first_polls.wait()

    async def stop(self) -> None:
        """Stop starting polls and cancel those running (a cancelled poll recorded nothing,
        so it is simply polled again at the next start)."""
        self._stopped = True
        batches = set(self._batches)
        for batch in batches:
            batch.cancel()
        for batch in batches:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await batch

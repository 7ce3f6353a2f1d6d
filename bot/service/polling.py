"""One poll cycle: fetch every feed, find new items, match them, queue their alerts.

A feed that fails is logged with its name and skipped; the others go on. Each feed's
result is written to the store at once (seen items, recent items and its alerts together),
so a crash mid-cycle loses nothing that was written and repeats nothing that was sent; the
delivery loop is woken as soon as a feed's alerts are queued.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo

from bot.core.dedup import delivery_token, item_tokens, new_items, prune_seen
from bot.core.formatting import format_alert
from bot.core.items import Item
from bot.core.matcher import Document
from bot.core.query import source_label
from bot.core.sources import FeedSource
from bot.service.delivery import Delivery, DeliveryCounts
from bot.service.ports import (
    FeedFetcher,
    FeedState,
    FetchOutcome,
    OutboxEntry,
    PollRecord,
    Store,
)
from bot.service.recent import RecentItems
from bot.service.subscriptions import Subscriptions

__all__ = ["CycleReport", "FeedReport", "Poller"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedReport:
    feed: str
    outcome: FetchOutcome
    new_items: int = 0
    alerts: int = 0
    error: str = ""


@dataclass(frozen=True, slots=True)
class CycleReport:
    feeds: Sequence[FeedReport]
    delivery: DeliveryCounts  # what the delivery loop did since the previous cycle
    pending: int
    seconds: float

    def count(self, outcome: FetchOutcome) -> int:
        return sum(1 for feed in self.feeds if feed.outcome is outcome)

    @property
    def new_items(self) -> int:
        return sum(feed.new_items for feed in self.feeds)

    @property
    def alerts_queued(self) -> int:
        return sum(feed.alerts for feed in self.feeds)

    def summary(self) -> str:
        return (
            f"poll cycle: {self.count(FetchOutcome.FETCHED)} feeds fetched, "
            f"{self.count(FetchOutcome.NOT_MODIFIED)} unchanged, {self.count(FetchOutcome.FAILED)} failed; "
            f"{self.new_items} new items; {self.alerts_queued} alerts queued; "
            f"since the last cycle {self.delivery.sent} messages sent, "
            f"{self.delivery.blocked + self.delivery.failed} not sent; {self.pending} alerts pending; "
            f"{self.seconds:.1f} s"
        )


class Poller:
    """Runs poll cycles over a fixed list of feed sources."""

    def __init__(
        self,
        sources: Sequence[FeedSource],
        *,
        fetcher: FeedFetcher,
        store: Store,
        subscriptions: Subscriptions,
        recent: RecentItems,
        delivery: Delivery,
        tz: tzinfo,
        concurrency: int,
        seen_retention_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sources = list(sources)
        self._fetcher = fetcher
        self._store = store
        self._subscriptions = subscriptions
        self._recent = recent
        self._delivery = delivery
        self._tz = tz
        self._concurrency = concurrency
        self._seen_retention = seen_retention_seconds
        self._clock = clock
        self.last_report: CycleReport | None = None
        self._running = asyncio.Lock()

    async def poll_once(self) -> CycleReport | None:
        """Poll every feed once, then deliver what was queued; log and return a summary.

        Cycles never overlap: while one runs, another call returns None at once.
        """
        if self._running.locked():
            log.warning("the previous poll cycle is still running; this one is skipped")
            return None
        async with self._running:
            return await self._cycle()

    async def _cycle(self) -> CycleReport:
        started = time.monotonic()
        slots = asyncio.Semaphore(self._concurrency)

        async def poll(source: FeedSource) -> FeedReport:
            async with slots:
                return await self._poll_feed(source)

        feeds = await asyncio.gather(*(poll(source) for source in self.sources))
        report = CycleReport(
            feeds=feeds,
            delivery=self._delivery.take_counts(),
            pending=len(self._store.pending()),
            seconds=time.monotonic() - started,
        )
        self.last_report = report
        log.info("%s", report.summary())
        return report

    async def _poll_feed(self, source: FeedSource) -> FeedReport:
        try:
            return await self._poll_feed_unguarded(source)
        except Exception as exc:  # one feed's surprise must not stop the others
            log.exception("feed %s: unexpected error while polling", source.name)
            return FeedReport(source.name, FetchOutcome.FAILED, error=f"unexpected error: {exc!r}")

    async def _poll_feed_unguarded(self, source: FeedSource) -> FeedReport:
        state = self._store.feed_state(source.name)
        known = state if state is not None and state.url == source.url else None
        result = await self._fetcher.fetch(source, known)
        now = self._clock()

        if result.outcome is FetchOutcome.FAILED:
            failed = replace(known or FeedState(url=source.url), last_error=result.error)
            failed = replace(failed, error_streak=failed.error_streak + 1)
            self._store.record_feed_failure(source.name, failed)
            log.warning("feed %s failed: %s", source.name, result.error)
            return FeedReport(source.name, FetchOutcome.FAILED, error=result.error)

        if result.outcome is FetchOutcome.NOT_MODIFIED:
            if known is not None and known.error_streak:
                self._store.record_feed_failure(source.name, replace(known, error_streak=0, last_error=""))
            return FeedReport(source.name, FetchOutcome.NOT_MODIFIED)

        # The first poll of a feed (or of a feed whose URL changed) only learns what exists.
        first_poll = known is None
        seen = {} if first_poll else self._store.seen_tokens(source.name)
        fresh = new_items(result.items, seen, first_poll=first_poll)
        label = source_label(source.name, source.host)
        change = self._recent.note(result.items if first_poll else fresh, now=now)
        record = PollRecord(
            feed=source.name,
            state=FeedState(
                url=source.url,
                etag=result.etag,
                last_modified=result.last_modified,
                body_hash=result.body_hash,
                last_success=now,
            ),
            seen=prune_seen(
                seen,
                (token for item in result.items for token in item_tokens(item)),
                now=now,
                retention_seconds=self._seen_retention,
            ),
            recent_added=change.added,
            recent_dropped=change.dropped,
            alerts=self._alerts_for(fresh, label, now),
        )
        queued = self._store.record_poll(record)
        if queued:
            self._delivery.wake()
        if first_poll:
            log.info(
                "feed %s: first poll, %d existing items recorded as seen", source.name, len(result.items)
            )
        return FeedReport(source.name, FetchOutcome.FETCHED, new_items=len(fresh), alerts=queued)

    def _alerts_for(self, items: Sequence[Item], source: str, now: float) -> list[OutboxEntry]:
        alerts = []
        for item in items:
            token = delivery_token(item)
            for chat_id, queries in self._subscriptions.match(Document.from_item(item, source)).items():
                if not self._store.is_active(chat_id):
                    continue
                alerts.append(
                    OutboxEntry(
                        key=f"alert:{chat_id}:{token}",
                        chat_id=chat_id,
                        html=format_alert(item, queries, tz=self._tz),
                        created=now,
                    )
                )
        return alerts

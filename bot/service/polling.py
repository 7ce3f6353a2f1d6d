"""Polling feeds: fetch, find new items, match them, queue their alerts.

A feed that fails is logged with its name and skipped; the others go on. Each feed's
result is written to the store at once (seen items, recent items and its alerts together),
so a crash mid-poll loses nothing that was written and repeats nothing that was sent; the
delivery loop is woken as soon as a feed's alerts are queued.

Each feed has its own schedule (see :mod:`bot.core.schedule` and
:mod:`bot.service.scheduling`): every poll works out when the feed is due next, from how
often it publishes, what its server and the feed itself ask, and its failures.

What one poll may bring is bounded (:class:`PollLimits`): a feed's newest new items up to a
cap (the others are recorded as seen and never sent), and a chat's alerts up to a cap over
the feeds polled together; the stories a chat matched over that cap come as one summary
message once those polls are done, never as thousands of queued alerts. A crash before then
loses that summary (its stories were recorded as seen with their feed's poll); its key, one
per chat and batch of polls, keeps it from ever arriving twice. A story dated more than
``max_story_age`` before the bot first sees it (an old story that reappears in its feed) is
recorded as seen and not sent; one dated in the future, or not dated, counts from the
moment the bot first saw it.

Each story reaches a chat once: items that are the same story (:mod:`bot.core.sameness`:
the same wire copy in several feeds) share one alert key per chat. A later copy of a story
the chat already has is not a new alert: the feed that carried it is added to the alert's
"Also:" line (the alert waiting or held is sent with it, one already sent is edited).

What follows each fetch for the feed itself (backing off while it fails, a permanent
redirect, telling the admins it is down or back, when it is due next) is decided by
:mod:`bot.core.feed_health`; the poller stores what it decides and queues its notices.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, tzinfo

from bot.core.dedup import item_tokens, new_items, prune_seen
from bot.core.feed_health import (
    Answer,
    FeedBack,
    FeedDown,
    FeedHealth,
    FeedPolicy,
    after_fetch,
    backing_off,
    remembered,
)
from bot.core.formatting import (
    SUMMARY_ITEMS,
    format_duration,
    format_feed_back,
    format_feed_down,
    format_overflow,
)
from bot.core.items import Item, counted_from
from bot.core.language import speaking
from bot.core.matcher import Document
from bot.core.query import source_label
from bot.core.sameness import Assignment, StoryGroups, compact
from bot.core.schedule import PollBounds, publishing_gap
from bot.core.sources import FeedSource
from bot.service.delivery import Delivery, DeliveryCounts
from bot.service.pace import AlertPace
from bot.service.poll_reports import Batch, CycleReport, FeedReport
from bot.service.ports import (
    ChatRegistry,
    FeedFetcher,
    FeedMemory,
    FeedState,
    FetchOutcome,
    HeldStory,
    OutboxEntry,
    OutboxStore,
    PollLog,
    PollRecord,
    StorageFailure,
    StoryCopy,
    StoryRecord,
)
from bot.service.recent import RecentItems
from bot.service.subscriptions import Place, Subscriptions

__all__ = ["FeedPolicy", "PollLimits", "Poller"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollLimits:
    """How much one poll may bring (see the module docstring)."""

    new_items_per_feed: int = 50
    alerts_per_chat: int = 10
    max_story_age: float = 7 * 24 * 3600.0  # 0: stories of any age are sent


@dataclass(slots=True)
class _Overflow:
    """A chat's matches over its cap in one cycle: how many, and the first few to show."""

    keys: set[str] = field(default_factory=set)
    shown: list[Item] = field(default_factory=list)


class _CycleAlerts:
    """The alerts each chat got from a batch of feeds polled together, and the rest.

    Feeds are polled concurrently, but each feed's alerts are chosen, written and counted
    without yielding to the event loop, so the count never runs over the cap. An alert the
    outbox already holds (the story reached the chat in an earlier cycle) still counts:
    the cap is on what a poll offers a chat, which errs on the side of fewer messages."""

    def __init__(self, cap: int, started: float) -> None:
        self.cap = cap
        self.started = started
        self._taken: dict[Place, set[str]] = {}
        self._over: dict[Place, _Overflow] = {}

    def choose(
        self, candidates: Sequence[tuple[OutboxEntry, Item]]
    ) -> tuple[list[OutboxEntry], list[tuple[OutboxEntry, Item]]]:
        """Split a feed's candidate alerts into those within the caps and those over."""
        within: list[OutboxEntry] = []
        over: list[tuple[OutboxEntry, Item]] = []
        chosen: dict[Place, set[str]] = {}
        for entry, item in candidates:
            place = (entry.chat_id, entry.thread_id)
            taken = self._taken.get(place, set())
            mine = chosen.setdefault(place, set())
            if entry.key in taken or entry.key in mine:
                continue  # the same story from another feed, or twice in this one
            if len(taken) + len(mine) < self.cap:
                mine.add(entry.key)
                within.append(entry)
            else:
                over.append((entry, item))
        return within, over

    def commit(self, within: Sequence[OutboxEntry], over: Sequence[tuple[OutboxEntry, Item]]) -> None:
        """The feed's choice was written: count it."""
        for entry in within:
            self._taken.setdefault((entry.chat_id, entry.thread_id), set()).add(entry.key)
        for entry, item in over:
            overflow = self._over.setdefault((entry.chat_id, entry.thread_id), _Overflow())
            if entry.key in overflow.keys:
                continue
            overflow.keys.add(entry.key)
            if len(overflow.shown) < SUMMARY_ITEMS:
                overflow.shown.append(item)

    def summaries(
        self, tz_of: Callable[[int], tzinfo], language_of: Callable[[int], str], now: float
    ) -> list[OutboxEntry]:
        """One message per chat (or topic) that matched more than its cap: what it did not get,
        in the chat's language."""
        entries = []
        for (chat_id, thread_id), overflow in self._over.items():
            with speaking(language_of(chat_id)):
                html = format_overflow(overflow.shown, len(overflow.keys), tz=tz_of(chat_id))
            entries.append(
                OutboxEntry(
                    key=f"summary:{chat_id}:{thread_id or 0}:{self.started:.3f}",  # one per place and batch
                    chat_id=chat_id,
                    html=html,
                    created=now,
                    thread_id=thread_id,
                )
            )
        return entries

    @property
    def summarised(self) -> int:
        return sum(len(overflow.keys) for overflow in self._over.values())

    @property
    def chats_over(self) -> int:
        return len(self._over)


@dataclass(frozen=True, slots=True)
class _Matched:
    """What a poll's new items bring to the chats they match: the alerts to go now, the
    stories held for later (see :class:`~bot.service.pace.AlertPace`), the later copies of
    stories that chats already have (their alerts name this feed too), and the items that
    matched a chat (their stories are kept, so a restart still knows them)."""

    alerts: list[tuple[OutboxEntry, Item]]
    held: list[HeldStory]
    copies: list[StoryCopy]
    items: list[Item]


class Poller:
    """Polls the feeds of the list :attr:`sources` (which may change at any time) and
    works out when each is due again."""

    def __init__(
        self,
        sources: Sequence[FeedSource],
        *,
        fetcher: FeedFetcher,
        feeds: FeedMemory,
        polls: PollLog,
        outbox: OutboxStore,
        chats: ChatRegistry,
        subscriptions: Subscriptions,
        recent: RecentItems,
        stories: StoryGroups,
        delivery: Delivery,
        pace: AlertPace,
        seen_retention_seconds: float,
        policy: FeedPolicy | None = None,
        limits: PollLimits | None = None,
        admins: Sequence[int] = (),
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._sources = list(sources)
        self.last_checked: dict[str, float] = {}  # feed name -> when it last answered (any way)
        self._policy = policy or FeedPolicy()
        self._limits = limits or PollLimits()
        self._admins = tuple(admins)
        self._jitter = jitter
        self._fetcher = fetcher
        self._feeds = feeds
        self._polls = polls
        self._outbox = outbox
        self._chats = chats
        self._subscriptions = subscriptions
        self._recent = recent
        self._stories = stories
        self._delivery = delivery
        self._pace = pace
        self._seen_retention = seen_retention_seconds
        self._clock = clock
        self.last_report: CycleReport | None = None
        self.next_poll: dict[str, float] = {}  # feed name -> when it is due (epoch seconds)
        self._running = asyncio.Lock()

    @property
    def sources(self) -> tuple[FeedSource, ...]:
        """The feeds polled: the feeds file's, and those admins added."""
        return tuple(self._sources)

    def watch(self, source: FeedSource) -> None:
        self._sources.append(source)

    def unwatch(self, source: FeedSource) -> None:
        self._sources.remove(source)

    @property
    def bounds(self) -> PollBounds:
        return self._policy.bounds

    def due(self, now: float, busy: Collection[str] = ()) -> list[FeedSource]:
        """The feeds due at *now* (a feed never polled is due), except those in *busy*."""
        return [
            source
            for source in self.sources
            if source.name not in busy and self.next_poll.get(source.name, float("-inf")) <= now
        ]

    def take_delivery_counts(self) -> DeliveryCounts:
        """What the delivery loop did since this was last asked (for the reports)."""
        return self._delivery.take_counts()

    def pending_alerts(self) -> int:
        return len(self._outbox.pending())

    async def poll_once(self) -> CycleReport | None:
        """Poll every feed now, whatever its schedule; log and return a summary.

        For one-off runs and tests (the bot polls each feed on its own schedule, see
        :mod:`bot.service.scheduling`). Two calls never overlap: while one runs, another
        returns None at once.
        """
        if self._running.locked():
            log.warning("the previous poll of every feed is still running; this one is skipped")
            return None
        async with self._running:
            started = time.monotonic()
            batch = await self.poll_batch(self.sources)
            report = CycleReport(
                feeds=batch.feeds,
                delivery=self._delivery.take_counts(),
                pending=len(self._outbox.pending()),
                seconds=time.monotonic() - started,
                summarised=batch.summarised,
                summaries=batch.summaries,
                ended_at=self._clock(),
            )
            self.last_report = report
            log.info("%s", report.summary())
            return report

    async def poll_batch(
        self, sources: Sequence[FeedSource], each_done: Callable[[FeedReport], None] = lambda report: None
    ) -> Batch:
        """Poll *sources* together (their alerts share the per-chat cap), then queue the
        summaries of what went over it. *each_done* hears of each feed as soon as its own
        poll is over, so one slow feed does not hold the others as busy."""
        cycle = _CycleAlerts(self._limits.alerts_per_chat, self._clock())

        async def poll(source: FeedSource) -> FeedReport:
            report = await self._poll_feed(source, cycle)
            each_done(report)
            return report

        # All at once: the fetcher limits how many downloads run, overall and per host.
        feeds = await asyncio.gather(*(poll(source) for source in sources))
        self._queue_summaries(cycle)
        return Batch(feeds, summarised=cycle.summarised, summaries=cycle.chats_over)

    async def poll_source(self, source: FeedSource) -> FeedReport:
        """Poll one feed now, outside the cycle (a feed just added gets its baseline)."""
        cycle = _CycleAlerts(self._limits.alerts_per_chat, self._clock())
        report = await self._poll_feed(source, cycle)
        self._queue_summaries(cycle)
        return report

    def _queue_summaries(self, cycle: _CycleAlerts) -> None:
        """Queue, after the cycle's alerts, one summary to each chat that matched more."""
        summaries = cycle.summaries(self._pace.tz, self._pace.language, self._clock())
        if not summaries:
            return
        try:
            queued = self._outbox.enqueue(summaries)
        except StorageFailure as exc:  # the stories are recorded as seen: they are not retried
            log.error("the summaries of %d stories over the per-chat cap to %d chats could not be "
                      "saved (%s); they are lost", cycle.summarised, len(summaries), exc)  # fmt: skip
            return
        if queued:
            self._delivery.wake()

    async def _poll_feed(self, source: FeedSource, cycle: _CycleAlerts) -> FeedReport:
        try:
            report = await self._poll_feed_unguarded(source, cycle)
        except StorageFailure as exc:  # nothing was recorded: the same items are new next time
            log.error("feed %s: the poll could not be saved (%s); it is tried again at the next poll",
                      source.name, exc)  # fmt: skip
            report = FeedReport(source.name, FetchOutcome.FAILED, error=f"not saved: {exc}")
        except Exception as exc:  # one feed's surprise must not stop the others
            log.exception("feed %s: unexpected error while polling", source.name)
            report = FeedReport(source.name, FetchOutcome.FAILED, error=f"unexpected error: {exc!r}")
        if report.next_poll is None:
            report = replace(report, next_poll=self._clock() + self._policy.bounds.usual)
        self.next_poll[source.name] = report.next_poll  # type: ignore[assignment]
        return report

    async def _poll_feed_unguarded(self, source: FeedSource, cycle: _CycleAlerts) -> FeedReport:
        state = self._feeds.feed_state(source.name)
        health = _health_of(state) if state is not None else None
        known = state if remembered(health, source.url) is not None else None
        until = backing_off(health, url=source.url, now=self._clock())
        if known is not None and until is not None:
            return FeedReport(source.name, FetchOutcome.DEFERRED, error=known.last_error, next_poll=until)
        target = replace(source, url=known.fetch_url) if known is not None else source
        result = await self._fetcher.fetch(target, known)
        if source not in self.sources:  # removed while it was being fetched
            return FeedReport(source.name, FetchOutcome.NOT_MODIFIED)
        now = self._clock()
        gap = publishing_gap(
            item.published.timestamp() for item in result.items if item.published is not None
        )
        answer = Answer(
            failed=result.outcome is FetchOutcome.FAILED,
            error=result.error,
            retry_after=result.retry_after,
            moved_to=result.moved_to,
            not_before=result.not_before,
            publish_gap=gap,
        )
        verdict = after_fetch(
            health, answer, url=source.url, now=now, policy=self._policy, jitter=self._jitter()
        )
        if verdict.moved:
            log.info("feed %s moved permanently to %s", source.name, result.moved_to)
        if result.outcome is not FetchOutcome.FAILED:
            self.last_checked[source.name] = now
        self._tell_admins(source.name, verdict.notice, now)
        if result.outcome is not FetchOutcome.FETCHED:
            if verdict.changed:
                self._feeds.save_state(
                    source.name, _with_health(known or FeedState(url=source.url), verdict.health)
                )
            if result.outcome is FetchOutcome.FAILED:
                wait = verdict.backoff
                retry = f"next try in {wait:.0f} s" if wait else "next try at its usual time"
                log.warning("feed %s failed (%d in a row): %s; %s",
                            source.name, verdict.health.error_streak, result.error, retry)  # fmt: skip
            return FeedReport(source.name, result.outcome, error=result.error, next_poll=verdict.next_poll)

        # The first successful poll of a feed (or of a feed whose URL changed) only learns
        # what exists.
        first_poll = known is None or known.last_success is None
        seen = {} if first_poll else self._feeds.seen_tokens(source.name)
        fresh, taken, kept_seen = self._deduplicate(result.items, seen, first_poll=first_poll, now=now)
        over_cap = len(fresh) - len(taken)
        taken, too_old = self._dated(taken, now)
        label = source_label(source.name, source.host)
        change = self._recent.note(result.items if first_poll else taken, now=now)
        stories = self._assign_stories(taken, now)
        matched = self._alerts_for(taken, stories, label, now)
        alerts, over = cycle.choose(matched.alerts)
        record = PollRecord(
            feed=source.name,
            state=_with_health(
                FeedState(
                    url=source.url,
                    etag=result.etag,
                    last_modified=result.last_modified,
                    body_hash=result.body_hash,
                    last_success=now,
                    items=len(result.items),
                ),
                verdict.health,
            ),
            seen=kept_seen,
            recent_added=change.added,
            recent_dropped=change.dropped,
            alerts=alerts,
            held=matched.held,
            copies=matched.copies,
            stories=[
                StoryRecord(compact(item), stories[(item.feed, item.key)].story, now)
                for item in matched.items
            ],
        )
        queued = self._polls.record_poll(record)
        cycle.commit(alerts, over)
        if queued:
            self._delivery.wake()
        if first_poll:
            log.info(
                "feed %s: first poll, %d existing items recorded as seen", source.name, len(result.items)
            )
        if over_cap:
            log.warning("feed %s: %s new items over the cap of %d were recorded as seen",
                        source.name, f"{over_cap:,}", self._limits.new_items_per_feed)  # fmt: skip
        if too_old:
            log.info("feed %s: %d new items dated over %s ago were recorded as seen, not sent",
                     source.name, too_old, format_duration(self._limits.max_story_age))  # fmt: skip
        return FeedReport(
            source.name,
            FetchOutcome.FETCHED,
            new_items=len(fresh),
            alerts=queued,
            parse_seconds=result.parse_seconds,
            over_cap=over_cap,
            too_old=too_old,
            next_poll=verdict.next_poll,
        )

    def _dated(self, items: Sequence[Item], now: float) -> tuple[list[Item], int]:
        """The new *items* that are news, each dated, and how many were too old.

        A story dated more than ``max_story_age`` before *now* (when the bot first sees it)
        is an old one that reappeared in its feed: dropped. An undated story, or one dated
        in the future, counts from *now*."""
        seen_at = datetime.fromtimestamp(now, tz=UTC)
        oldest = now - self._limits.max_story_age if self._limits.max_story_age else float("-inf")
        kept: list[Item] = []
        for item in items:
            published = item.published
            if published is not None and published.timestamp() < oldest:
                continue
            kept.append(counted_from(item, seen_at))
        return kept, len(items) - len(kept)

    def _deduplicate(
        self, items: Sequence[Item], seen: dict[str, float], *, first_poll: bool, now: float
    ) -> tuple[list[Item], Sequence[Item], dict[str, float]]:
        """The new items of a poll, those of them within the per-feed cap, and the seen
        tokens to keep (some 20 µs an item; a fetch brings at most 1,000 items)."""
        fresh = new_items(items, seen, first_poll=first_poll)
        present = (token for item in items for token in item_tokens(item))
        kept = prune_seen(seen, present, now=now, retention_seconds=self._seen_retention)
        return fresh, _newest(fresh, self._limits.new_items_per_feed), kept

    def _tell_admins(self, feed: str, notice: FeedDown | FeedBack | None, now: float) -> None:
        """Queue *notice* to every admin who has a chat with the bot (durable, like alerts),
        each written in the admin's language."""
        if notice is None:
            return
        entries = []
        for admin in self._admins:
            if self._chats.is_active(admin):
                with speaking(self._pace.language(admin)):
                    html = (
                        format_feed_down(feed, notice.error, notice.failing_for)
                        if isinstance(notice, FeedDown)
                        else format_feed_back(feed, notice.failed_for)
                    )
                entries.append(
                    OutboxEntry(
                        key=f"feed-{notice.event}:{admin}:{feed}:{now:.0f}",
                        chat_id=admin,
                        html=html,
                        created=now,
                    )
                )
        if entries and self._outbox.enqueue(entries):
            self._delivery.wake()

    def _assign_stories(self, items: Sequence[Item], now: float) -> dict[tuple[str, str], Assignment]:
        """The story of each of *items* (see :mod:`bot.core.sameness`), by feed and key."""
        seen_at = datetime.fromtimestamp(now, tz=UTC)
        return {(item.feed, item.key): self._stories.assign(item, now=seen_at) for item in items}

    def _alerts_for(
        self, items: Sequence[Item], stories: Mapping[tuple[str, str], Assignment], source: str, now: float
    ) -> _Matched:
        """What *items* bring to the chats they match (see :class:`_Matched`)."""
        alerts: list[tuple[OutboxEntry, Item]] = []
        held: list[HeldStory] = []
        copies: list[StoryCopy] = []
        reached: list[Item] = []
        for item in items:
            story = stories[(item.feed, item.key)]
            places = [
                (place, matched)
                for place, matched in self._subscriptions.match(Document.from_item(item, source)).items()
                if self._chats.is_active(place[0])
            ]
            if places:
                reached.append(item)
            for (chat_id, thread_id), matched in places:
                key = (
                    f"alert:{chat_id}:{story.story}"
                    if thread_id is None
                    else f"alert:{chat_id}:{thread_id}:{story.story}"
                )
                if self._outbox.has_alert(key):
                    copies.append(StoryCopy(key, item.feed))
                    continue
                placed = self._pace.place((chat_id, thread_id), item, matched, key=key, now=now)
                if isinstance(placed, OutboxEntry):
                    alerts.append((placed, item))
                elif placed is not None:
                    held.append(placed)
        return _Matched(alerts, held, copies, reached)


def _newest(items: Sequence[Item], limit: int) -> Sequence[Item]:
    """The *limit* newest of *items*, in their order (an item without a date is as new as
    can be: it counts from now)."""
    if len(items) <= limit:
        return items

    def age(index: int) -> float:
        published = items[index].published
        return -published.timestamp() if published is not None else float("-inf")

    kept = sorted(sorted(range(len(items)), key=age)[:limit])
    return [items[index] for index in kept]


_HEALTH = tuple(health_field.name for health_field in fields(FeedHealth))


def _health_of(state: FeedState) -> FeedHealth:
    """The part of a feed's stored state that :mod:`bot.core.feed_health` decides on."""
    return FeedHealth(**{name: getattr(state, name) for name in _HEALTH})


def _with_health(state: FeedState, health: FeedHealth) -> FeedState:
    return replace(state, **{name: getattr(health, name) for name in _HEALTH})

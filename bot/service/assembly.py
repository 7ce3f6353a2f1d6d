"""Assembling the use cases from their ports: one place, used by the bot, the console and tests."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from bot.core.pacing import ChatBuckets, Pacing
from bot.core.query import source_label
from bot.core.sources import FeedSource
from bot.service.broadcasts import Broadcasts
from bot.service.catalogue import FeedCatalogue
from bot.service.commands import Commands
from bot.service.delivery import Delivery
from bot.service.polling import FeedPolicy, Poller, PollLimits
from bot.service.ports import FeedFetcher, Sender, Store
from bot.service.recent import RecentItems
from bot.service.scheduling import FeedScheduler
from bot.service.subscriptions import Subscriptions

__all__ = ["Services", "assemble"]


@dataclass(frozen=True, slots=True)
class Services:
    subscriptions: Subscriptions
    recent: RecentItems
    delivery: Delivery
    broadcasts: Broadcasts
    poller: Poller
    scheduler: FeedScheduler
    commands: Commands
    feeds: FeedCatalogue


def assemble(
    *,
    store: Store,
    fetcher: FeedFetcher,
    sender: Sender,
    sources: Sequence[FeedSource],
    admins: Collection[int],
    tz: tzinfo,
    max_subscriptions_per_chat: int,
    seen_retention_seconds: float,
    pacing: Pacing | None = None,
    chat_buckets: ChatBuckets[int | str] | None = None,
    feed_policy: FeedPolicy | None = None,
    poll_limits: PollLimits | None = None,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Services:
    """Build every use case on top of *store*, *fetcher* and *sender*. *clock* is wall time
    (what is stored); *monotonic* and *sleep* pace the delivery loop (tests pass fakes)."""
    recent = RecentItems(
        store.recent_items(), source_labels={s.name: source_label(s.name, s.host) for s in sources}
    )
    subscriptions = Subscriptions(store, max_per_chat=max_subscriptions_per_chat, seen=recent.documents())
    delivery = Delivery(
        store,
        sender,
        pacing=pacing or Pacing(),
        chat_buckets=chat_buckets,
        clock=clock,
        monotonic=monotonic,
        sleep=sleep,
    )
    delivery.on_chat_moved = subscriptions.move_chat
    poller = Poller(
        sources,
        fetcher=fetcher,
        store=store,
        subscriptions=subscriptions,
        recent=recent,
        delivery=delivery,
        tz=tz,
        seen_retention_seconds=seen_retention_seconds,
        policy=feed_policy,
        limits=poll_limits,
        admins=tuple(admins),
        clock=clock,
    )
    commands = Commands(
        store=store,
        subscriptions=subscriptions,
        recent=recent,
        poller=poller,
        admins=admins,
        tz=tz,
        clock=clock,
    )
    broadcasts = Broadcasts(store=store, delivery=delivery, sender=sender, admins=admins, clock=clock)
    delivery.on_progress = broadcasts.show_progress
    feeds = FeedCatalogue(
        sources,
        store=store,
        fetcher=fetcher,
        poller=poller,
        recent=recent,
        is_admin=commands.is_admin,
        clock=clock,
    )
    scheduler = FeedScheduler(poller, report_every=poller.bounds.usual, clock=clock, monotonic=monotonic)
    return Services(subscriptions, recent, delivery, broadcasts, poller, scheduler, commands, feeds)

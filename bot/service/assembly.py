"""Assembling the use cases from their ports: one place, used by the bot, the console and tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from bot.core.query import source_label
from bot.core.sources import FeedSource
from bot.service.commands import Commands
from bot.service.delivery import Outbox
from bot.service.polling import Poller
from bot.service.ports import FeedFetcher, Sender, Store
from bot.service.recent import RecentItems
from bot.service.subscriptions import Subscriptions

__all__ = ["Services", "assemble"]


@dataclass(frozen=True, slots=True)
class Services:
    subscriptions: Subscriptions
    recent: RecentItems
    outbox: Outbox
    poller: Poller
    commands: Commands


def assemble(
    *,
    store: Store,
    fetcher: FeedFetcher,
    sender: Sender,
    sources: Sequence[FeedSource],
    admins: Collection[int],
    tz: tzinfo,
    max_subscriptions_per_chat: int,
    fetch_concurrency: int,
    seen_retention_seconds: float,
    clock: Callable[[], float] = time.time,
) -> Services:
    """Build every use case on top of *store*, *fetcher* and *sender*."""
    recent = RecentItems(
        store.recent_items(), source_labels={s.name: source_label(s.name, s.host) for s in sources}
    )
    subscriptions = Subscriptions(store, max_per_chat=max_subscriptions_per_chat, seen=recent.documents())
    outbox = Outbox(store, sender, clock=clock)
    poller = Poller(
        sources,
        fetcher=fetcher,
        store=store,
        subscriptions=subscriptions,
        recent=recent,
        outbox=outbox,
        tz=tz,
        concurrency=fetch_concurrency,
        seen_retention_seconds=seen_retention_seconds,
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
    return Services(subscriptions, recent, outbox, poller, commands)

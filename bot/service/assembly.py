"""Assembling the use cases from their ports: one place, used by the bot, the console and tests."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from bot.core.formatting import format_topic_paused
from bot.core.language import DEFAULT_LANGUAGE, speaking
from bot.core.pace import FloodGuard
from bot.core.pacing import ChatBuckets, Pacing
from bot.core.query import source_label
from bot.core.sameness import StoryGroups
from bot.core.sources import FeedSource
from bot.service.broadcasts import BroadcastProgress, Broadcasts
from bot.service.catalogue import FeedCatalogue
from bot.service.chat_language import ChatLanguages
from bot.service.chat_settings import ChatSettingsCommands
from bot.service.commands import Commands
from bot.service.delivery import Delivery
from bot.service.pace import AlertPace
from bot.service.permissions import Membership, Permissions
from bot.service.polling import FeedPolicy, Poller, PollLimits
from bot.service.ports import Durability, FeedFetcher, OutboxEntry, Sender, Storage
from bot.service.presses import Presses
from bot.service.recent import RecentItems
from bot.service.scheduling import FeedScheduler
from bot.service.subscriptions import Subscriptions
from bot.service.undo import Undos

__all__ = ["NoGroupAdmins", "Services", "assemble"]


class NoGroupAdmins:
    """Membership for a bot that cannot ask Telegram (tests, one-off runs): in a group, only
    the bot's admins and members of a group that allows everyone may change things."""

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class Services:
    subscriptions: Subscriptions
    recent: RecentItems
    delivery: Delivery
    broadcasts: Broadcasts
    broadcast_progress: BroadcastProgress
    poller: Poller
    scheduler: FeedScheduler
    pace: AlertPace
    commands: Commands
    feeds: FeedCatalogue
    presses: Presses
    chat_settings: ChatSettingsCommands
    permissions: Permissions
    languages: ChatLanguages
    durability: Durability  # what replies wait for: the changes made, on the disk


def assemble(
    *,
    storage: Storage,
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
    flood: FloodGuard | None = None,
    membership: Membership | None = None,
    default_timezone: str = "UTC",
    default_language: str = DEFAULT_LANGUAGE,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Services:
    """Build every use case on top of *storage*, *fetcher* and *sender*. *clock* is wall time
    (what is stored); *monotonic* and *sleep* pace the delivery loop (tests pass fakes)."""
    recent = RecentItems(
        storage.feeds.recent_items(), source_labels={s.name: source_label(s.name, s.host) for s in sources}
    )
    subscriptions = Subscriptions(
        storage.subscriptions, moves=storage, max_per_chat=max_subscriptions_per_chat, seen=recent.documents()
    )

    def topic_gone(chat_id: int, thread_id: int) -> None:
        """A forum topic was deleted or closed: pause its subscriptions, tell the group once."""
        paused = subscriptions.pause((chat_id, thread_id))
        if paused:
            now = clock()
            with speaking(languages.of(chat_id)):
                notice = format_topic_paused([s.query.text for s in paused])
            storage.outbox.enqueue(
                [OutboxEntry(f"topic-gone:{chat_id}:{thread_id}:{now:.0f}", chat_id, notice, now)]
            )

    pace = AlertPace(
        storage.chats,
        storage.outbox,
        default_tz=tz,
        default_language=default_language,
        flood=flood or FloodGuard(),
        clock=clock,
    )
    languages = ChatLanguages(pace, default=default_language)
    broadcast_progress = BroadcastProgress(sender, clock=clock, language_of=pace.language)
    delivery = Delivery(
        sender,
        outbox=storage.outbox,
        broadcasts=storage.broadcasts,
        chats=storage.chats,
        moves=storage,
        sent=storage,
        durability=storage,
        pacing=pacing or Pacing(),
        chat_buckets=chat_buckets,
        clock=clock,
        monotonic=monotonic,
        sleep=sleep,
        on_topic_gone=topic_gone,
        on_chat_moved=subscriptions.move_chat,
        progress=broadcast_progress,
        language_of=pace.language,
    )
    stories = StoryGroups()
    for record in storage.feeds.stories():  # the stories of the last 48 hours that reached chats
        stories.remember(record.item, record.story, seen=datetime.fromtimestamp(record.seen_at, tz=UTC))
    poller = Poller(
        sources,
        fetcher=fetcher,
        feeds=storage.feeds,
        polls=storage,
        outbox=storage.outbox,
        chats=storage.chats,
        subscriptions=subscriptions,
        recent=recent,
        stories=stories,
        delivery=delivery,
        pace=pace,
        seen_retention_seconds=seen_retention_seconds,
        policy=feed_policy,
        limits=poll_limits,
        admins=tuple(admins),
        clock=clock,
    )
    presses = Presses(subscriptions, undos=Undos(clock), clock=clock)
    commands = Commands(
        chats=storage.chats,
        moves=storage,
        report=storage,
        subscriptions=subscriptions,
        recent=recent,
        poller=poller,
        pace=pace,
        presses=presses,
        admins=admins,
        clock=clock,
    )
    chat_settings = ChatSettingsCommands(pace, subscriptions, default_timezone=default_timezone)
    permissions = Permissions(membership or NoGroupAdmins(), pace, admins=admins)
    broadcasts = Broadcasts(
        store=storage.broadcasts,
        chats=storage.chats,
        delivery=delivery,
        progress=broadcast_progress,
        admins=admins,
        clock=clock,
    )
    feeds = FeedCatalogue(
        sources,
        store=storage.feeds,
        fetcher=fetcher,
        poller=poller,
        recent=recent,
        is_admin=commands.is_admin,
        clock=clock,
    )
    scheduler = FeedScheduler(poller, report_every=poller.bounds.usual, clock=clock, monotonic=monotonic)
    return Services(
        subscriptions, recent, delivery, broadcasts, broadcast_progress, poller, scheduler, pace, commands,
        feeds, presses, chat_settings, permissions, languages, storage,
    )  # fmt: skip

"""What the use cases need from the edges: storage, feed fetching and message sending.

The adapters implement these Protocols; tests may pass their own fakes. Values that cross
the boundary are frozen dataclasses; errors a sender may raise are the small hierarchy below.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.core.items import Item
from bot.core.sources import FeedSource

__all__ = [
    "ChatUnreachable",
    "DeliveryError",
    "FeedFetcher",
    "FeedState",
    "FetchOutcome",
    "FetchResult",
    "MessageRejected",
    "OutboxEntry",
    "OutboxKind",
    "PollRecord",
    "RecentItem",
    "RetryLater",
    "Sender",
    "Store",
    "StoreStats",
    "StoredSubscription",
    "TemporaryFailure",
]


# --- storage values -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    id: int
    chat_id: int
    query: str


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the bot remembers of a feed between polls."""

    url: str
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    last_success: float | None = None
    last_error: str = ""
    error_streak: int = 0


@dataclass(frozen=True, slots=True)
class RecentItem:
    """An item kept for a while so /subscribe can show what a new keyword would have caught."""

    item: Item
    seen_at: float


class OutboxKind(StrEnum):
    ALERT = "alert"
    BROADCAST = "broadcast"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One message to deliver. ``key`` makes delivery idempotent: (chat, item) for an alert,
    (chat, broadcast) for an announcement; a key is enqueued at most once."""

    key: str
    chat_id: int
    kind: OutboxKind
    html: str
    created: float


@dataclass(frozen=True, slots=True)
class PollRecord:
    """Everything one successful poll of a feed changes, written at once."""

    feed: str
    state: FeedState
    seen: dict[str, float]
    recent_added: Sequence[RecentItem] = ()
    recent_dropped: Sequence[tuple[str, str]] = ()  # (feed, item key)
    alerts: Sequence[OutboxEntry] = ()


@dataclass(frozen=True, slots=True)
class StoreStats:
    chats: int
    active_chats: int
    subscriptions: int
    feeds: int
    seen_items: int
    recent_items: int
    pending_messages: int
    failed_messages: int


class Store(Protocol):
    """The bot's persistent state. Every method that changes state is durable on return."""

    def register_chat(self, chat_id: int, kind: str, title: str) -> bool: ...
    def deactivate_chat(self, chat_id: int, reason: str) -> None: ...
    def is_active(self, chat_id: int) -> bool: ...
    def active_chat_ids(self) -> list[int]: ...

    def all_subscriptions(self) -> list[StoredSubscription]: ...
    def add_subscriptions(self, chat_id: int, queries: Sequence[str]) -> list[StoredSubscription]: ...
    def remove_subscriptions(self, ids: Iterable[int]) -> None: ...

    def feed_state(self, feed: str) -> FeedState | None: ...
    def seen_tokens(self, feed: str) -> dict[str, float]: ...
    def record_poll(self, record: PollRecord) -> int: ...
    def record_feed_failure(self, feed: str, state: FeedState) -> None: ...
    def recent_items(self) -> list[RecentItem]: ...

    def enqueue(self, entries: Iterable[OutboxEntry]) -> int: ...
    def pending(self) -> list[OutboxEntry]: ...
    def mark_sent(self, key: str, at: float) -> None: ...
    def mark_failed(self, key: str, reason: str) -> None: ...
    def prune_sent(self, before: float) -> int: ...

    def outbox_counts(self, key_prefix: str) -> dict[str, int]: ...

    def stats(self) -> StoreStats: ...


# --- feeds ----------------------------------------------------------------------------


class FetchOutcome(StrEnum):
    FETCHED = "fetched"
    NOT_MODIFIED = "not modified"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of fetching and parsing one feed."""

    outcome: FetchOutcome
    items: Sequence[Item] = ()
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    error: str = ""


class FeedFetcher(Protocol):
    async def fetch(self, source: FeedSource, state: FeedState | None) -> FetchResult:
        """Fetch and parse *source*, conditionally on *state*'s validators; never raises."""
        ...


# --- sending --------------------------------------------------------------------------


class DeliveryError(Exception):
    """A message could not be delivered."""


class ChatUnreachable(DeliveryError):
    """The chat will not take messages (the bot was blocked, removed or the chat is gone)."""


class RetryLater(DeliveryError):
    """Telegram asks to wait *seconds* before sending again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds:g} s")
        self.seconds = seconds


class MessageRejected(DeliveryError):
    """Telegram refused this message itself (a 400 other than a missing chat)."""


class TemporaryFailure(DeliveryError):
    """A network error, timeout or server error: the same message may succeed later."""


class Sender(Protocol):
    async def send(self, chat_id: int, html: str) -> None:
        """Send a Telegram-HTML message, raising a :class:`DeliveryError` when it fails."""
        ...

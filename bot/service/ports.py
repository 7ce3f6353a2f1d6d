"""What the use cases need from the edges: storage, feed fetching and message sending.

The adapters implement these Protocols; tests may pass their own fakes. Values that cross
the boundary are frozen dataclasses; errors a sender may raise are the small hierarchy below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.core.items import Item
from bot.core.pace import ChatSettings, DeliveryMode, HoldReason
from bot.core.sources import FeedSource

__all__ = [
    "DEFAULT_OPTIONS",
    "AddedFeeds",
    "BadMarkup",
    "Broadcast",
    "BroadcastStatus",
    "BroadcastStore",
    "Button",
    "Buttons",
    "ChatMoved",
    "ChatMoves",
    "ChatPreferences",
    "ChatRegistry",
    "ChatUnreachable",
    "Chats",
    "DeliveryError",
    "Durability",
    "FeedFetcher",
    "FeedMemory",
    "FeedState",
    "Feeds",
    "FetchOutcome",
    "FetchResult",
    "HeldStories",
    "HeldStory",
    "MessageRejected",
    "Outbox",
    "OutboxEntry",
    "OutboxStore",
    "Outcome",
    "PollLog",
    "PollRecord",
    "RecentItem",
    "Reply",
    "RetryLater",
    "SendOptions",
    "Sender",
    "SentAlerts",
    "Storage",
    "StorageFailure",
    "StoreReport",
    "StoreStats",
    "StoredSubscription",
    "StoryCopy",
    "StoryRecord",
    "SubscriptionStore",
    "TemporaryFailure",
    "TopicGone",
]


# --- storage values -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    """A chat's subscription. ``thread_id``: the forum topic it was made in (None: the
    chat itself); ``delivery``: its own pace (None: the chat's); ``muted_until``: no alerts
    before then (epoch seconds); ``number``: its number in its place (the chat or topic),
    which /list shows and /unsubscribe takes, kept until it is removed."""

    id: int
    chat_id: int
    query: str
    thread_id: int | None = None
    delivery: DeliveryMode | None = None
    muted_until: float | None = None
    number: int = 0


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the bot remembers of a feed between polls.

    ``url`` is the URL the feed was configured with (a changed configuration starts the feed
    afresh); ``location`` is where it is fetched from after permanent redirects.
    """

    url: str
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    last_success: float | None = None
    last_error: str = ""
    error_streak: int = 0
    location: str = ""
    items: int = 0  # entries in the last successful fetch
    failing_since: float | None = None
    retry_at: float | None = None  # backing off: not fetched again before this time
    reported_down: bool = False  # the admins were told it is failing
    publish_gap: float | None = None  # typical seconds between its stories (its pace)

    @property
    def fetch_url(self) -> str:
        return self.location or self.url


@dataclass(frozen=True, slots=True)
class RecentItem:
    """An item kept for a while so /subscribe can show what a new keyword would have caught."""

    item: Item
    seen_at: float


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button under a message: its *label*, and the callback *data* a press sends
    back (ids only, at most 64 bytes)."""

    label: str
    data: str


Buttons = tuple[tuple[Button, ...], ...]  # rows of buttons


@dataclass(frozen=True, slots=True)
class Reply:
    """A command's answer: Telegram HTML, and buttons under it."""

    html: str
    buttons: Buttons = ()


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A message to deliver (an alert, a digest, a notice). ``key`` (chat and story) makes
    delivery idempotent: a key is enqueued at most once, so a story reaches a chat at most
    once. ``thread_id``: the forum topic it goes to; ``silent``: without a notification;
    ``preview``: with the link's preview; ``also``: the other feeds that carried the same
    story (shown under the alert). An entry with ``edits`` is not a new message: it replaces
    the text of that message (an alert sent before the story's other copies came)."""

    key: str
    chat_id: int
    html: str
    created: float
    thread_id: int | None = None
    silent: bool = False
    preview: bool = False
    buttons: Buttons = ()
    instant: bool = False  # an alert sent at once: it counts for the chat's flood guard
    source: str = ""  # the feed of the story the alert shows
    also: tuple[str, ...] = ()
    edits: int | None = None  # the id of the message whose text this replaces


@dataclass(frozen=True, slots=True)
class StoryRecord:
    """An item of a story that reached a chat, kept for the 48 hours its copies may come
    (see :mod:`bot.core.sameness`): as much of the item as its signature reads, its story,
    and when it was seen."""

    item: Item
    story: str
    seen_at: float


@dataclass(frozen=True, slots=True)
class StoryCopy:
    """A later copy of a story a chat already has an alert for (sent, waiting or held):
    the alert's *key*, and the feed that carried the copy."""

    key: str
    source: str


@dataclass(frozen=True, slots=True)
class HeldStory:
    """A story held for a chat (and topic) until *until*, for *reason*: it comes in a digest
    then. ``key`` is the alert's key, so a story is held, or sent, once."""

    key: str
    chat_id: int
    thread_id: int | None
    item: Item  # without its summary and full text: a digest shows title, source and time
    keywords: tuple[str, ...]
    reason: HoldReason
    until: float
    held_at: float
    also: tuple[str, ...] = ()  # the other feeds that carried the story


class BroadcastStatus(StrEnum):
    DRAFT = "draft"  # previewed to its author, not confirmed
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    """What became of one message."""

    SENT = "sent"
    BLOCKED = "blocked"  # the chat blocked the bot, removed it, or is gone
    FAILED = "failed"  # Telegram refused this message for good


@dataclass(frozen=True, slots=True)
class Broadcast:
    """An announcement to every active chat: ``targets`` are the chats active when it was
    confirmed, in the order they are tried; the store knows which are done
    (:meth:`BroadcastStore.broadcast_done`)."""

    id: str
    html: str
    status: BroadcastStatus
    author: int
    chat_id: int  # where the author confirmed it, and where its progress is shown
    created: float
    message_id: int | None = None  # the message edited with progress
    targets: tuple[int, ...] = ()  # emptied once it is over: its counts are what remains
    total: int = 0  # how many targets it had
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    started: float | None = None
    finished: float | None = None

    @property
    def done(self) -> int:
        """How many targets it was delivered to or given up on."""
        return self.sent + self.blocked + self.failed

    @property
    def remaining(self) -> int:
        return self.total - self.done


@dataclass(frozen=True, slots=True)
class PollRecord:
    """Everything one successful poll of a feed changes, written at once."""

    feed: str
    state: FeedState
    seen: dict[str, float]
    recent_added: Sequence[RecentItem] = ()
    recent_dropped: Sequence[tuple[str, str]] = ()  # (feed, item key)
    alerts: Sequence[OutboxEntry] = ()
    held: Sequence[HeldStory] = ()
    copies: Sequence[StoryCopy] = ()
    stories: Sequence[StoryRecord] = ()


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
    broadcasts_in_progress: int


class StorageFailure(Exception):
    """The store could not write a change (a full disk, say); the message says which file
    and why. The change was not made, in memory or on disk (except a message's outcome,
    kept in memory so the message is not sent twice: see the store)."""


class ChatRegistry(Protocol):
    """Which chats use the bot."""

    def register_chat(self, chat_id: int, kind: str, title: str) -> bool:
        """Record that *chat_id* uses the bot (again); True when that is news."""
        ...

    def is_active(self, chat_id: int) -> bool: ...
    def active_chat_ids(self) -> list[int]: ...


class ChatMoves(Protocol):
    """Chats that leave the bot or move: every store's records of them follow, at once."""

    def deactivate_chat(self, chat_id: int, reason: str) -> None:
        """Stop sending to *chat_id* (its subscriptions are kept); its waiting messages fail."""
        ...

    def migrate_chat(self, old: int, new: int) -> None:
        """The group *old* became the supergroup *new*: its subscriptions and waiting
        messages move there, and *new* is the active chat."""
        ...


class ChatPreferences(Protocol):
    """What each chat chose (a chat that chose nothing has the defaults)."""

    def chat_settings(self, chat_id: int) -> ChatSettings: ...
    def save_chat_settings(self, chat_id: int, settings: ChatSettings) -> None: ...


class SubscriptionStore(Protocol):
    def all_subscriptions(self) -> list[StoredSubscription]: ...
    def subscriptions_of(self, chat_id: int) -> list[StoredSubscription]:
        """A chat's subscriptions, all its topics together."""
        ...

    def add_subscriptions(
        self, chat_id: int, queries: Sequence[str], thread_id: int | None = None
    ) -> list[StoredSubscription]:
        """Add subscriptions to a chat (or topic), numbered after the highest number its
        subscriptions have, or removed ones kept for an undo have (see remove_subscriptions)."""
        ...

    def update_subscription(self, subscription: StoredSubscription) -> None:
        """Save a subscription's own pace and mute."""
        ...

    def remove_subscriptions(self, ids: Iterable[int], *, kept_for: float = 0.0) -> None:
        """Remove subscriptions. For *kept_for* seconds they are kept for
        :meth:`restore_subscriptions`, and no new subscription of their place takes their
        numbers."""
        ...

    def restore_subscriptions(self, removed: Sequence[StoredSubscription]) -> list[StoredSubscription]:
        """Bring removed subscriptions back as they were, with their numbers (a number that
        another subscription has meanwhile: the next free one). Returns them as stored."""
        ...


class FeedMemory(Protocol):
    """What the bot remembers of each feed between polls."""

    def feed_state(self, feed: str) -> FeedState | None: ...
    def seen_tokens(self, feed: str) -> dict[str, float]: ...
    def save_state(self, feed: str, state: FeedState) -> None: ...


class AddedFeeds(Protocol):
    """Feeds admins added from a chat."""

    def added_feeds(self) -> list[FeedSource]: ...
    def add_feed(self, source: FeedSource, added_by: int | None, at: float) -> None: ...
    def remove_feed(self, name: str) -> None:
        """Forget an added feed with its state and seen items."""
        ...

    def feed_state(self, feed: str) -> FeedState | None: ...


class PollLog(Protocol):
    def record_poll(self, record: PollRecord) -> int:
        """Record everything one poll of a feed changes, at once; returns how many alerts
        were queued (a key queued or held before is skipped)."""
        ...


class OutboxStore(Protocol):
    """Messages to deliver, and what became of them. A key is queued at most once."""

    def enqueue(self, entries: Iterable[OutboxEntry]) -> int: ...
    def pending(self) -> list[OutboxEntry]: ...
    def waiting(self) -> Iterator[OutboxEntry]:
        """The messages still to deliver, in the order they are tried: alerts (digests,
        notices) oldest first, then edits that add sources to messages already sent. It
        reads the outbox as it is, without a copy: stop reading before changing it."""
        ...

    def has_alert(self, key: str) -> bool: ...
    def record_alert(
        self,
        key: str,
        outcome: Outcome,
        reason: str,
        at: float,
        message_id: int | None = None,
        also_shown: Sequence[str] = (),
    ) -> None: ...


class HeldStories(Protocol):
    """Stories held for digests (they are held by :meth:`PollLog.record_poll`)."""

    def held(self) -> list[HeldStory]: ...
    def held_due(self, now: float) -> list[HeldStory]:
        """The stories held until *now* or earlier, oldest first (at the cost of those)."""
        ...

    def release(self, keys: Sequence[str], digests: Sequence[OutboxEntry]) -> int: ...
    def reschedule(self, keys: Sequence[str], until: float, reason: HoldReason | None = None) -> None: ...
    def alert_times(self, since: float) -> dict[int, list[float]]: ...


class SentAlerts(Protocol):
    def prune_sent(
        self, before: float, *, texts_before: float | None = None, limit: int | None = None
    ) -> int:
        """Forget what is no longer needed: the records of broadcasts that are over,
        delivered messages sent before *before*, and the texts of those sent before
        *texts_before* with the stories seen before then; at most *limit* records (None:
        all). Returns how many it removed or shortened: fewer than *limit* means it is done."""
        ...


class BroadcastStore(Protocol):
    def save_broadcast(self, broadcast: Broadcast) -> None: ...
    def broadcast(self, broadcast_id: str) -> Broadcast | None: ...
    def broadcasts_in_progress(self) -> list[Broadcast]: ...
    def broadcast_done(self, broadcast_id: str) -> AbstractSet[int]: ...
    def record_broadcast(self, broadcast_id: str, chat_id: int, outcome: Outcome, reason: str) -> None: ...


class StoreReport(Protocol):
    """What /stats shows of the database."""

    def stats(self) -> StoreStats: ...
    def failed_alerts(self, limit: int) -> list[tuple[OutboxEntry, str]]: ...


class Durability(Protocol):
    async def durable(self) -> None:
        """Return once every change made so far survives a crash of the machine."""
        ...

    async def recorded(self) -> None:
        """Return once every change made so far outlives the bot's process (a kill), if not
        yet a crash of the machine."""
        ...


class Chats(ChatRegistry, ChatPreferences, Protocol):
    """The chats' repository."""


class Feeds(FeedMemory, AddedFeeds, Protocol):
    """The feeds' repository: also what the bot saw lately, read once at start."""

    def recent_items(self) -> list[RecentItem]: ...
    def stories(self) -> list[StoryRecord]:
        """The items of stories that reached chats (for 48 hours), oldest first."""
        ...


class Outbox(OutboxStore, HeldStories, Protocol):
    """The outbox's repository."""


class Storage(ChatMoves, PollLog, SentAlerts, StoreReport, Durability, Protocol):
    """Every repository of one database, and the changes that span several of them."""

    @property
    def chats(self) -> Chats: ...
    @property
    def subscriptions(self) -> SubscriptionStore: ...
    @property
    def feeds(self) -> Feeds: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def broadcasts(self) -> BroadcastStore: ...


# --- feeds ----------------------------------------------------------------------------


class FetchOutcome(StrEnum):
    FETCHED = "fetched"
    NOT_MODIFIED = "not modified"
    FAILED = "failed"
    DEFERRED = "deferred"  # not fetched: the feed is backing off after failures


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of fetching and parsing one feed."""

    outcome: FetchOutcome
    items: Sequence[Item] = ()
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    error: str = ""
    moved_to: str = ""  # the feed's new URL, after permanent redirects (301, 308)
    retry_after: float | None = None  # seconds the feed's server asked us to wait
    parse_seconds: float = 0.0  # CPU time spent parsing the body
    # Seconds the server's caching headers, or the feed's <ttl>/sy:updatePeriod, ask readers
    # to wait before coming back.
    not_before: float | None = None


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


class ChatMoved(DeliveryError):
    """The group became a supergroup with a new id; messages must go there."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"the chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class MessageRejected(DeliveryError):
    """Telegram refused this message itself (a 400 other than a missing chat)."""


class TopicGone(MessageRejected):
    """The forum topic the message was for was deleted or closed."""


class BadMarkup(MessageRejected):
    """Telegram could not parse the message's HTML; the same text as plain text may pass."""


class TemporaryFailure(DeliveryError):
    """A network error, timeout or server error: the same message may succeed later."""


@dataclass(frozen=True, slots=True)
class SendOptions:
    """How a message goes: to a forum topic, without a notification, with the link's
    preview, with buttons under it."""

    thread_id: int | None = None
    silent: bool = False
    preview: bool = False
    buttons: Buttons = ()


DEFAULT_OPTIONS = SendOptions()


class Sender(Protocol):
    async def send(
        self, chat_id: int, text: str, *, html: bool = True, options: SendOptions = DEFAULT_OPTIONS
    ) -> int | None:
        """Send a message (Telegram HTML, or plain text), raising a :class:`DeliveryError`;
        return the id of the message sent (None if it is not known)."""
        ...

    async def edit(
        self, chat_id: int, message_id: int, html: str, *, options: SendOptions = DEFAULT_OPTIONS
    ) -> None:
        """Replace the text (and the buttons) of a message the bot sent, raising a
        :class:`DeliveryError`. *options*: its preview and buttons."""
        ...

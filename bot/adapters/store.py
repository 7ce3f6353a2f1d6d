"""The bot's database: one TinyDB file, written atomically, and a journal beside it.

This is the only module that imports TinyDB. Writes go to a temporary file that is
fsynced and then renamed over the database, so a crash at any moment leaves either the old
or the new file, never a torn one. Each public method that changes state is durable when it
returns; :meth:`Store.batch` groups several changes into one write.

What happens to each message sent (sent, blocked, failed) and each feed's poll (its state,
seen items, recent items and new alerts) are too frequent to rewrite the whole file for:
they are appended to the journal (``<database>.journal``, one JSON line,
written before the method returns, so a killed process loses none) and folded into the
database by a checkpoint every 20,000 records or sixty seconds, at close, and at open after
a crash. The journal reaches the disk itself (fdatasync) at most 50 ms after a record, or
when the delivery loop is idle. Records are idempotent: folding one in twice changes nothing.

A change the disk refuses (full, say) raises :class:`StoreError` (a
:class:`~bot.service.ports.StorageFailure`) and is not made, in memory or on disk: the
tables, the indexes and the pending alerts stay as they were (see
:mod:`bot.adapters.durable_files` for the files themselves). The one exception is what
became of a message already sent: that is kept in memory, so the message is not sent
again, and reaches the file with the next checkpoint that succeeds.

The data directory is created 0700 and every file in it 0600. A directory that already
exists is left as the operator made it, with a warning if other users may write in it.

TinyDB is used from the event loop's thread only (it has no locking); a lock file keeps a
second bot process off the same data directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from tinydb import TinyDB
from tinydb.operations import delete
from tinydb.storages import Storage
from tinydb.table import Document

from bot.adapters.durable_files import (
    Journal,
    StoreError,
    open_private,
    remove_leftovers,
    replace_file,
)
from bot.core.items import DateShown, Item
from bot.core.pace import ChatSettings, DeliveryMode, HoldReason, QuietHours
from bot.core.sources import FeedSource
from bot.service.ports import (
    Broadcast,
    BroadcastStatus,
    Button,
    FeedState,
    HeldStory,
    OutboxEntry,
    Outcome,
    PollRecord,
    RecentItem,
    StoredSubscription,
    StoreStats,
    StoryCopy,
    StoryRecord,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["AtomicJSONStorage", "Store", "StoreError"]

log = logging.getLogger(__name__)

Place = tuple[int, int | None]  # a subscription's chat, and its forum topic (None: the chat)


class AtomicJSONStorage(Storage):
    """A TinyDB storage that keeps the data in memory and replaces the file atomically.

    :meth:`write` persists at once unless inside :meth:`deferred`, which persists once at
    the end. A file that is not valid JSON is never overwritten: opening it raises.

    A write that fails (a full disk) takes the data back to what the file holds, and so does
    an error inside :meth:`deferred`: TinyDB changes the dictionary :meth:`read` returns
    before it calls :meth:`write`, so without that the refused change would stay in memory
    and reach the file with the next write that succeeds.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._deferred = 0
        self._dirty = False
        remove_leftovers(self.path)
        self._persisted = self._read_file()  # what the file holds, to go back to
        self._data: dict[str, dict[str, Any]] = self._decode(self._persisted)

    def _read_file(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise StoreError(f"cannot read the database file {self.path}: {exc.strerror}") from None

    def _decode(self, raw: bytes) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError(
                f"the database file {self.path} is corrupt ({exc}); it was left untouched. "
                "Restore it from a backup, or move it away to start with an empty database."
            ) from None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StoreError(
                f"the database file {self.path} is not a newsbot database; it was left untouched."
            )
        return data

    def read(self) -> dict[str, dict[str, Any]]:
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        self._dirty = True
        if not self._deferred:
            self.flush()

    @property
    def in_batch(self) -> bool:
        return self._deferred > 0

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold writes until the outermost ``deferred`` block ends, then write once; an
        error inside the block undoes its changes instead."""
        self._deferred += 1
        try:
            yield
        except BaseException:
            self._deferred -= 1
            if not self._deferred:
                self.rollback()
            raise
        self._deferred -= 1
        if not self._deferred:
            self.flush()

    def rollback(self) -> None:
        """Forget every change not written yet: the data is what the file holds. (Also
        without a write pending: a TinyDB update that raised halfway changed documents in
        place, and never called write.)"""
        self._data = self._decode(self._persisted)
        self._dirty = False

    def flush(self) -> None:
        if not self._dirty:
            return
        try:
            payload = json.dumps(self._data, ensure_ascii=False, separators=(",", ":")).encode()
            replace_file(self.path, payload)
        except BaseException:
            self.rollback()
            raise
        self._persisted = payload
        self._dirty = False

    def close(self) -> None:
        self.flush()


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment else None


def _item_to_doc(recent: RecentItem) -> dict[str, Any]:
    item = recent.item
    return {
        "feed": item.feed,
        "key": item.key,
        "title": item.title,
        "link": item.link,
        "summary": item.summary,
        "published": _epoch(item.published),
        "date_shown": item.date_shown.value,
        "seen_at": recent.seen_at,
    }


def _doc_to_item(doc: Mapping[str, Any]) -> RecentItem:
    published = doc.get("published")
    item = Item(
        feed=doc["feed"],
        key=doc["key"],
        title=doc["title"],
        link=doc["link"],
        summary=doc["summary"],
        published=datetime.fromtimestamp(published, tz=UTC) if published is not None else None,
        date_shown=DateShown(doc.get("date_shown", DateShown.MOMENT.value)),
    )
    return RecentItem(item=item, seen_at=doc["seen_at"])


_FEED_STATE_FIELDS = frozenset(field.name for field in dataclasses.fields(FeedState))


def _state_to_doc(feed: str, state: FeedState) -> dict[str, Any]:
    return {"name": feed, **dataclasses.asdict(state)}


def _doc_to_state(doc: Mapping[str, Any]) -> FeedState:
    # Fields added since a database was written take their defaults.
    return FeedState(**{key: value for key, value in doc.items() if key in _FEED_STATE_FIELDS})


P = ParamSpec("P")
R = TypeVar("R")


def _whole(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Make the store method *method*, which writes the tables once, whole or nothing: an
    error, from the disk or from TinyDB halfway through an update, undoes it. Its changes
    to memory other than the tables come after the write, which raises first."""

    @functools.wraps(method)
    def whole(store: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(store, *args, **kwargs)
        except BaseException:
            store._undo()
            raise

    return whole


class Store:
    """The bot's persistent state in one TinyDB file (see the module docstring).

    Tables: ``chats``, ``subscriptions``, ``feeds`` (feed state), ``seen`` (seen-item tokens,
    one document per feed), ``recent`` (recent items for previews), ``outbox`` (alerts) and
    ``broadcasts``. Pending alerts and broadcasts in progress are also kept in memory.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = _lock_file(path)
        try:
            self._open(path)
        except BaseException:
            self._release_lock()
            raise

    def _open(self, path: Path) -> None:
        self._db = TinyDB(path, storage=AtomicJSONStorage)
        self._storage: AtomicJSONStorage = self._db.storage  # type: ignore[assignment]
        self._chats = self._db.table("chats", cache_size=0)
        self._subscriptions = self._db.table("subscriptions", cache_size=0)
        self._feeds = self._db.table("feeds", cache_size=0)
        self._seen = self._db.table("seen", cache_size=0)
        self._recent = self._db.table("recent", cache_size=0)
        self._outbox = self._db.table("outbox", cache_size=0)
        self._broadcasts = self._db.table("broadcasts", cache_size=0)
        self._added_feeds = self._db.table("added_feeds", cache_size=0)
        self._held_table = self._db.table("held", cache_size=0)
        self._stories = self._db.table("stories", cache_size=0)
        self._index()
        self._number_subscriptions()
        journal = path.with_name(path.name + ".journal")
        replayed = self._replay(journal)  # written to the database file before going on
        self._journal = Journal(journal)
        if replayed:
            self._journal.clear()
        self._unfolded: list[dict[str, Any]] = []
        # What journaled polls changed, until a checkpoint folds them into the tables.
        self._states: dict[str, FeedState] = {}
        self._seen_unfolded: dict[str, dict[str, float]] = {}
        self._alerts_unfolded: set[str] = set()
        # Alerts sent since the last checkpoint (the table has them as pending), and sent
        # alerts whose other sources changed since: what a later copy of the story amends.
        self._sent_unfolded: dict[str, tuple[OutboxEntry, int] | None] = {}
        self._last_checkpoint = time.monotonic()
        self._checkpoint_failed: float | None = None  # when the last checkpoint was refused
        self._pending = {
            doc["key"]: _doc_to_entry(doc) for doc in self._outbox.all() if doc["status"] == "pending"
        }
        self._held: dict[str, HeldStory] = {doc["key"]: _doc_to_held(doc) for doc in self._held_table.all()}
        self._in_progress: dict[str, Broadcast] = {}
        self._done: dict[str, set[int]] = {}  # broadcast -> chats done, for those in progress
        for doc in self._broadcasts.all():
            if doc["status"] in (BroadcastStatus.DRAFT, BroadcastStatus.SENDING):
                self._in_progress[doc["id"]] = _doc_to_broadcast(doc)
                self._done[doc["id"]] = set(doc["done"])

    def _index(self) -> None:
        """Build the in-memory indexes over the tables, so lookups do not scan them."""
        self._chat_docs = {doc["chat_id"]: doc.doc_id for doc in self._chats.all()}
        self._feed_docs = {doc["name"]: doc.doc_id for doc in self._feeds.all()}
        self._seen_docs = {doc["feed"]: doc.doc_id for doc in self._seen.all()}
        self._recent_docs = {(doc["feed"], doc["key"]): doc.doc_id for doc in self._recent.all()}
        self._outbox_docs = {doc["key"]: doc.doc_id for doc in self._outbox.all()}
        self._broadcast_docs = {doc["id"]: doc.doc_id for doc in self._broadcasts.all()}
        self._held_docs = {doc["key"]: doc.doc_id for doc in self._held_table.all()}
        self._story_docs = {
            (doc["item"]["feed"], doc["item"]["key"]): doc.doc_id for doc in self._stories.all()
        }
        # Subscriptions, and removed ones kept for an undo: each one's place and number, the
        # numbers each place uses, and when each kept one may be forgotten.
        self._numbered: dict[int, tuple[Place, int]] = {}
        self._numbers: dict[Place, dict[int, int]] = {}
        self._kept: dict[int, float] = {}
        for doc in self._subscriptions.all():
            if "number" in doc:  # (a database from before numbers: see _number_subscriptions)
                self._file_number(doc.doc_id, _place(doc), doc["number"])
            if "removed_until" in doc:
                self._kept[doc.doc_id] = doc["removed_until"]

    @classmethod
    def open(cls, data_dir: Path, name: str = "newsbot.json") -> Store:
        """Open (or create, 0700) the database *name* in *data_dir*."""
        try:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            mode = data_dir.stat().st_mode
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {data_dir}: {exc.strerror}") from None
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            log.warning(
                "the data directory %s may be written by other users (mode %s): they could replace "
                "the database; make it private with: chmod 700 %s",
                data_dir,
                stat.filemode(mode),
                data_dir,
            )
        return cls(data_dir / name)

    def close(self) -> None:
        if self._lock is None:
            return  # closed already
        try:
            try:
                self.checkpoint()
            except StoreError:
                log.error("the journal %s keeps what could not be folded in; it is replayed at the next "
                          "start", self._journal.path)  # fmt: skip
            self._journal.close()
            self._db.close()
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group the changes made inside the block into one atomic write: all of them are
        made, or, if the write fails, none (the tables and their indexes are as before)."""
        outermost = not self._storage.in_batch
        try:
            with self._storage.deferred():
                yield
        except BaseException:
            if outermost:
                self._index()  # the tables went back to the file; the indexes follow
            raise

    def _undo(self) -> None:
        """After an error outside a batch: the tables as the file holds them, and their
        indexes (inside a batch, the outermost block does that)."""
        if not self._storage.in_batch:
            self._storage.rollback()
            self._index()

    # --- chats --------------------------------------------------------------------------

    @_whole
    def register_chat(self, chat_id: int, kind: str, title: str) -> bool:
        """Record that *chat_id* uses the bot; reactivate it if it was inactive.

        Returns True when something changed (a new chat, or one that came back).
        """
        doc_id = self._chat_docs.get(chat_id)
        now = datetime.now(UTC).timestamp()
        if doc_id is None:
            self._chat_docs[chat_id] = self._chats.insert(
                {"chat_id": chat_id, "type": kind, "title": title, "active": True, "since": now, "reason": ""}
            )
            return True
        doc = self._chats.get(doc_id=doc_id)
        if doc is not None and not doc["active"]:
            self._chats.update({"active": True, "reason": "", "since": now}, doc_ids=[doc_id])
            return True
        return False

    def deactivate_chat(self, chat_id: int, reason: str) -> None:
        """Stop sending to *chat_id* (its subscriptions are kept); its pending alerts fail."""
        doomed = [key for key, entry in self._pending.items() if entry.chat_id == chat_id]
        if any(key not in self._outbox_docs for key in doomed):
            self.checkpoint()  # alerts still only journaled go into the outbox table first
        with self.batch():
            doc_id = self._chat_docs.get(chat_id)
            if doc_id is not None:
                self._chats.update({"active": False, "reason": reason}, doc_ids=[doc_id])
            if doomed:
                self._outbox.update(
                    {"status": Outcome.BLOCKED.value, "reason": reason},
                    doc_ids=[self._outbox_docs[key] for key in doomed],
                )
        for key in doomed:
            del self._pending[key]

    def migrate_chat(self, old: int, new: int) -> None:
        """The group *old* became the supergroup *new*: move its subscriptions and pending
        alerts there, and make *new* the active chat."""
        self.checkpoint()  # every pending alert in the outbox table
        with self.batch():
            old_doc = self._chats.get(doc_id=self._chat_docs[old]) if old in self._chat_docs else None
            kind, title = (old_doc["type"], old_doc["title"]) if old_doc else ("supergroup", "")
            self.register_chat(new, "supergroup" if kind == "group" else kind, title)
            if old in self._chat_docs:
                self._chats.update(
                    {"active": False, "reason": f"moved to {new}"}, doc_ids=[self._chat_docs[old]]
                )
            self._move_subscriptions(old, new)
            waiting = [key for key, entry in self._pending.items() if entry.chat_id == old]
            # An edit names a message of the old group: the supergroup's messages have ids of their own.
            edits = [key for key in waiting if self._pending[key].edits is not None]
            moving = [key for key in waiting if key not in edits]
            if moving:
                self._outbox.update({"chat_id": new}, doc_ids=[self._outbox_docs[key] for key in moving])
            if edits:
                self._outbox.update(
                    {"status": Outcome.FAILED.value, "reason": f"the group moved to {new}"},
                    doc_ids=[self._outbox_docs[key] for key in edits],
                )
        for key in moving:
            self._pending[key] = replace(self._pending[key], chat_id=new)
        for key in edits:
            del self._pending[key]

    def is_active(self, chat_id: int) -> bool:
        doc_id = self._chat_docs.get(chat_id)
        doc = self._chats.get(doc_id=doc_id) if doc_id is not None else None
        return bool(doc and doc["active"])

    def active_chat_ids(self) -> list[int]:
        return [doc["chat_id"] for doc in self._chats.all() if doc["active"]]

    # --- subscriptions ------------------------------------------------------------------
    # Each subscription has a number in its place (a chat, or a forum topic): the one /list
    # shows and /unsubscribe takes. It keeps it until it is removed. A removed subscription
    # may be kept for a while (its document gets ``removed_until``), so that an undo brings
    # it back as it was; meanwhile no new subscription of its place takes its number.

    def all_subscriptions(self) -> list[StoredSubscription]:
        return [_doc_to_subscription(doc) for doc in self._subscriptions.all() if "removed_until" not in doc]

    def add_subscriptions(
        self, chat_id: int, queries: Sequence[str], thread_id: int | None = None
    ) -> list[StoredSubscription]:
        now = time.time()
        place = (chat_id, thread_id)
        with self.batch():
            self._forget_removed(now)
            first = self._next_number(place)
            ids = self._subscriptions.insert_multiple(
                {"chat_id": chat_id, "query": query, "created": now, "thread_id": thread_id, "number": number}
                for number, query in enumerate(queries, start=first)
            )
            for number, doc_id in enumerate(ids, start=first):
                self._file_number(doc_id, place, number)
        return [
            StoredSubscription(id=i, chat_id=chat_id, query=q, thread_id=thread_id, number=n)
            for n, (i, q) in enumerate(zip(ids, queries, strict=True), start=first)
        ]

    @_whole
    def update_subscription(self, subscription: StoredSubscription) -> None:
        """Save a subscription's own pace and mute (its query, chat, topic and number stay)."""
        self._subscriptions.update(
            {
                "delivery": subscription.delivery.value if subscription.delivery else None,
                "muted_until": subscription.muted_until,
            },
            doc_ids=[subscription.id],
        )

    def remove_subscriptions(self, ids: Iterable[int], *, kept_for: float = 0.0) -> None:
        ids = [i for i in dict.fromkeys(ids) if i in self._numbered and i not in self._kept]
        if not ids:
            return
        now = time.time()
        with self.batch():
            self._forget_removed(now)
            if kept_for > 0:
                self._subscriptions.update({"removed_until": now + kept_for}, doc_ids=ids)
                self._kept.update(dict.fromkeys(ids, now + kept_for))
            else:
                self._subscriptions.remove(doc_ids=ids)
                for doc_id in ids:
                    self._unfile_number(doc_id)

    def restore_subscriptions(self, removed: Sequence[StoredSubscription]) -> list[StoredSubscription]:
        """Bring back removed subscriptions: those still kept as they were, with their id and
        number; any other anew, with its number if its place has it free, else the next."""
        revived = {
            s.id: s
            for s in removed
            if s.id in self._kept and self._numbered[s.id] == (_place_of(s), s.number)
        }
        back: list[StoredSubscription] = []
        with self.batch():
            if revived:
                self._subscriptions.update(delete("removed_until"), doc_ids=list(revived))
                for doc_id in revived:
                    del self._kept[doc_id]
            for subscription in removed:
                if subscription.id in revived:
                    doc = self._subscriptions.get(doc_id=subscription.id)
                    back.append(_doc_to_subscription(doc) if isinstance(doc, Document) else subscription)
                    continue
                place = _place_of(subscription)
                free = subscription.number > 0 and subscription.number not in self._numbers.get(place, {})
                number = subscription.number if free else self._next_number(place)
                fields = {
                    "chat_id": subscription.chat_id,
                    "query": subscription.query,
                    "created": time.time(),
                    "thread_id": subscription.thread_id,
                    "number": number,
                    "delivery": subscription.delivery.value if subscription.delivery else None,
                    "muted_until": subscription.muted_until,
                }
                doc_id = self._subscriptions.insert(fields)
                self._file_number(doc_id, place, number)
                back.append(replace(subscription, id=doc_id, number=number))
        return back

    def _move_subscriptions(self, old: int, new: int) -> None:
        """Move chat *old*'s subscriptions (and those kept for an undo) to chat *new*, with
        their numbers; one that *new* already uses (the supergroup had its own subscriptions
        before the bot learnt of the move) gets the next free one."""
        moved = sorted(
            (number, doc_id, place[1])
            for doc_id, (place, number) in self._numbered.items()
            if place[0] == old
        )
        if not moved:
            return
        self._subscriptions.update({"chat_id": new}, doc_ids=[doc_id for _, doc_id, _ in moved])
        clashing = []
        for number, doc_id, thread_id in moved:
            self._unfile_number(doc_id)
            if number in self._numbers.get((new, thread_id), {}):
                clashing.append((thread_id, doc_id))
            else:
                self._file_number(doc_id, (new, thread_id), number)
        renumbered: dict[int, list[int]] = {}
        for thread_id, doc_id in clashing:
            number = self._next_number((new, thread_id))
            self._file_number(doc_id, (new, thread_id), number)
            renumbered.setdefault(number, []).append(doc_id)
        for number, ids in renumbered.items():
            self._subscriptions.update({"number": number}, doc_ids=ids)

    def _number_subscriptions(self) -> None:
        """At open: number the subscriptions of a database written before they had numbers
        (in each place, in the order /list showed them: oldest first), and forget removed
        ones kept past their time."""
        unnumbered = sorted(
            (doc.doc_id, _place(doc)) for doc in self._subscriptions.all() if "number" not in doc
        )
        expired = [doc_id for doc_id, until in self._kept.items() if until <= time.time()]
        if not unnumbered and not expired:
            return
        with self.batch():
            by_number: dict[int, list[int]] = {}
            for doc_id, place in unnumbered:
                number = self._next_number(place)
                self._file_number(doc_id, place, number)
                by_number.setdefault(number, []).append(doc_id)
            for number, ids in by_number.items():  # one write per number, not per subscription
                self._subscriptions.update({"number": number}, doc_ids=ids)
            self._forget_removed(time.time())
        if unnumbered:
            log.info("numbered %d subscriptions of %s", len(unnumbered), self.path)

    def _forget_removed(self, now: float) -> None:
        """Drop the removed subscriptions kept for an undo whose time is over (their
        numbers may be given again)."""
        expired = [doc_id for doc_id, until in self._kept.items() if until <= now]
        if expired:
            self._subscriptions.remove(doc_ids=expired)
            for doc_id in expired:
                del self._kept[doc_id]
                self._unfile_number(doc_id)

    def _next_number(self, place: Place) -> int:
        return max(self._numbers.get(place, {}), default=0) + 1

    def _file_number(self, doc_id: int, place: Place, number: int) -> None:
        self._numbered[doc_id] = (place, number)
        self._numbers.setdefault(place, {})[number] = doc_id

    def _unfile_number(self, doc_id: int) -> None:
        place, number = self._numbered.pop(doc_id)
        numbers = self._numbers[place]
        if numbers.get(number) == doc_id:
            del numbers[number]
        if not numbers:
            del self._numbers[place]

    # --- what chats chose ---------------------------------------------------------------

    def chat_settings(self, chat_id: int) -> ChatSettings:
        doc_id = self._chat_docs.get(chat_id)
        doc = self._chats.get(doc_id=doc_id) if doc_id is not None else None
        return _doc_to_settings(doc.get("settings") if doc is not None else None)

    @_whole
    def save_chat_settings(self, chat_id: int, settings: ChatSettings) -> None:
        """Save what a chat chose (a chat the bot has not met is registered with it)."""
        doc = {"settings": _settings_to_doc(settings)}
        doc_id = self._chat_docs.get(chat_id)
        if doc_id is None:
            now = datetime.now(UTC).timestamp()
            fields = {"chat_id": chat_id, "type": "", "title": "", "active": True, "since": now, "reason": ""}
            self._chat_docs[chat_id] = self._chats.insert(fields | doc)
        else:
            self._chats.update(doc, doc_ids=[doc_id])

    # --- stories held for digests -------------------------------------------------------

    def held(self) -> list[HeldStory]:
        """Every story held, oldest first."""
        return sorted(self._held.values(), key=lambda story: story.held_at)

    def release(self, keys: Sequence[str], digests: Sequence[OutboxEntry]) -> int:
        """Replace held stories by the digests that tell them, at once: after a crash either
        both happened or neither. Returns how many digest messages were queued."""
        keys = [key for key in keys if key in self._held]
        fresh = self._new_alerts(digests)
        record = {
            "release": keys,
            "digests": [_entry_to_doc(entry) for entry in fresh.values()],
            "told": [_told_doc(self._held[key]) for key in keys],
        }
        self._journal.append(record)  # refused: nothing below happens
        for key in keys:
            del self._held[key]
        self._alerts_unfolded.update(keys)  # told in a digest: a later copy brings no alert
        self._alerts_unfolded.update(fresh)
        self._pending.update(fresh)
        self._journaled(record)
        return len(fresh)

    def reschedule(self, keys: Sequence[str], until: float, reason: HoldReason | None = None) -> None:
        """Hold these stories until *until* instead (quiet hours turned off: now), and for
        *reason* if given (the chat chose another pace)."""
        keys = [key for key in keys if key in self._held]
        if not keys:
            return
        record: dict[str, Any] = {"reschedule": keys, "until": until}
        if reason is not None:
            record["reason"] = reason.value
        self._journal.append(record)
        for key in keys:
            self._held[key] = replace(self._held[key], until=until, reason=reason or self._held[key].reason)
        self._journaled(record)

    def alert_times(self, since: float) -> dict[int, list[float]]:
        """When each chat's instant alerts since *since* were queued, oldest first."""
        self._checkpoint_if_possible()
        times: dict[int, list[float]] = {}
        for doc in self._outbox.all():
            if doc.get("instant") and doc["created"] >= since:
                times.setdefault(doc["chat_id"], []).append(doc["created"])
        for entry in self._pending.values():  # (the journal's are folded in: counted once)
            if entry.instant and entry.created >= since and entry.key not in self._outbox_docs:
                times.setdefault(entry.chat_id, []).append(entry.created)
        return {chat: sorted(moments) for chat, moments in times.items()}

    # --- feeds, seen items and recent items ---------------------------------------------

    def added_feeds(self) -> list[FeedSource]:
        """Feeds admins added from a chat, oldest first (not trusted: see FeedSource)."""
        return [FeedSource(doc["name"], doc["url"], trusted=False) for doc in self._added_feeds.all()]

    @_whole
    def add_feed(self, source: FeedSource, added_by: int | None, at: float) -> None:
        self._added_feeds.insert({"name": source.name, "url": source.url, "added_by": added_by, "added": at})

    def remove_feed(self, name: str) -> None:
        """Forget an added feed with its state and seen items (added again, it starts afresh)."""
        self.checkpoint()
        with self.batch():
            self._added_feeds.remove(doc_ids=[d.doc_id for d in self._added_feeds.all() if d["name"] == name])
            for table, docs in ((self._feeds, self._feed_docs), (self._seen, self._seen_docs)):
                doc_id = docs.pop(name, None)
                if doc_id is not None:
                    table.remove(doc_ids=[doc_id])

    def feed_state(self, feed: str) -> FeedState | None:
        if feed in self._states:
            return self._states[feed]
        doc_id = self._feed_docs.get(feed)
        doc = self._feeds.get(doc_id=doc_id) if doc_id is not None else None
        return None if doc is None else _doc_to_state(doc)

    def _save_feed_state(self, feed: str, state: FeedState) -> None:
        doc = _state_to_doc(feed, state)
        doc_id = self._feed_docs.get(feed)
        if doc_id is None:
            self._feed_docs[feed] = self._feeds.insert(doc)
        else:
            self._feeds.update(doc, doc_ids=[doc_id])

    def seen_tokens(self, feed: str) -> dict[str, float]:
        if feed in self._seen_unfolded:
            return dict(self._seen_unfolded[feed])
        doc_id = self._seen_docs.get(feed)
        doc = self._seen.get(doc_id=doc_id) if doc_id is not None else None
        return dict(doc["tokens"]) if doc else {}

    def record_poll(self, record: PollRecord) -> int:
        """Record one feed's poll at once: state, seen tokens, recent items and new alerts.

        Journaled, like message outcomes: a poll changes a few kilobytes, while writing the
        tables would rewrite the whole database file for every feed.
        Returns the number of alerts enqueued (alerts already in the outbox are skipped).
        """
        alerts = self._new_alerts(record.alerts)
        held = {
            story.key: story
            for story in record.held
            if story.key not in self._held and not self._known_alert(story.key)
        }
        also, edits = self._copies(record.copies)
        alerts.update(edits)
        entry = {
            "poll": record.feed,
            "state": _state_to_doc(record.feed, record.state),
            "seen": record.seen,
            "recent_added": [_item_to_doc(recent) for recent in record.recent_added],
            "recent_dropped": [list(feed_and_key) for feed_and_key in record.recent_dropped],
            "alerts": [_entry_to_doc(entry) for entry in alerts.values()],
            "held": [_held_to_doc(story) for story in held.values()],
            "also": [[key, list(sources)] for key, sources in also.items()],
            "stories": [_story_to_doc(story) for story in record.stories],
        }
        self._journal.append(entry)  # refused: nothing below happens
        self._states[record.feed] = record.state
        self._seen_unfolded[record.feed] = dict(record.seen)
        self._alerts_unfolded.update(alerts)
        self._pending.update(alerts)
        self._held.update(held)
        self._add_sources(also)
        self._journaled(entry)
        return len(alerts)

    def _copies(
        self, copies: Sequence[StoryCopy]
    ) -> tuple[dict[str, tuple[str, ...]], dict[str, OutboxEntry]]:
        """What later copies of stories change: each alert's (or held story's) new list of
        other sources, and the edits that show it under alerts already sent. An edit not
        sent yet is brought up to date rather than followed by another."""
        also: dict[str, tuple[str, ...]] = {}
        edits: dict[str, OutboxEntry] = {}
        for copy in copies:
            found = self._story(copy.key)
            if found is None:
                continue  # told in a digest, refused, or sent too long ago
            entry, message_id = found
            own = entry.item.feed if isinstance(entry, HeldStory) else entry.source
            sources = also.get(copy.key, entry.also)
            if copy.source in (own, *sources) or len(sources) >= MAX_OTHER_SOURCES:
                continue
            sources = also[copy.key] = (*sources, copy.source)
            if message_id is None:
                continue  # waiting or held: it goes out with its sources
            waiting = [
                key
                for key in (f"edit:{n}:{copy.key}" for n in range(1, len(sources)))
                if key in edits or key in self._pending
            ]
            if waiting:
                also[waiting[-1]] = sources
                if waiting[-1] in edits:
                    edits[waiting[-1]] = replace(edits[waiting[-1]], also=sources)
                continue
            assert isinstance(entry, OutboxEntry)  # (sent)
            edit = _edit(copy.key, entry, sources, message_id)
            edits[edit.key] = edit
        return also, edits

    def _story(self, key: str) -> tuple[OutboxEntry | HeldStory, int | None] | None:
        """The alert (or held story) *key*, and the id of the message it became if it was
        sent; None if it cannot take other sources any more."""
        if key in self._held:
            return self._held[key], None
        if key in self._pending:
            return self._pending[key], None
        if key in self._sent_unfolded:
            return self._sent_unfolded[key]  # (None: its message cannot be edited)
        doc_id = self._outbox_docs.get(key)
        doc = self._outbox.get(doc_id=doc_id) if doc_id is not None else None
        if doc is None or doc["status"] != Outcome.SENT.value or not doc["html"] or not doc.get("message_id"):
            return None
        return _doc_to_entry(doc), doc["message_id"]

    def _add_sources(self, also: Mapping[str, tuple[str, ...]]) -> None:
        for key, sources in also.items():
            if key in self._held:
                self._held[key] = replace(self._held[key], also=sources)
            elif key in self._pending:
                self._pending[key] = replace(self._pending[key], also=sources)
            else:
                found = self._story(key)
                if found is not None and isinstance(found[0], OutboxEntry) and found[1] is not None:
                    self._sent_unfolded[key] = (replace(found[0], also=sources), found[1])

    def _fold_poll(self, record: dict[str, Any]) -> None:
        feed = record["poll"]
        self._save_feed_state(feed, _doc_to_state(record["state"]))
        seen_doc = {"feed": feed, "tokens": record["seen"]}
        doc_id = self._seen_docs.get(feed)
        if doc_id is None:
            self._seen_docs[feed] = self._seen.insert(seen_doc)
        else:
            self._seen.update(seen_doc, doc_ids=[doc_id])
        dropped = [
            self._recent_docs.pop(feed_and_key)
            for feed_and_key in map(tuple, record["recent_dropped"])
            if feed_and_key in self._recent_docs
        ]
        if dropped:
            self._recent.remove(doc_ids=dropped)
        fresh = [doc for doc in record["recent_added"] if (doc["feed"], doc["key"]) not in self._recent_docs]
        if fresh:
            ids = self._recent.insert_multiple(fresh)
            for doc, new_id in zip(fresh, ids, strict=True):
                self._recent_docs[(doc["feed"], doc["key"])] = new_id
        self._insert_outbox(record["alerts"])
        held = [doc for doc in record.get("held", ()) if doc["key"] not in self._held_docs]
        if held:
            ids = self._held_table.insert_multiple(held)
            self._held_docs.update(zip((doc["key"] for doc in held), ids, strict=True))
        stories = [
            doc
            for doc in record.get("stories", ())
            if (doc["item"]["feed"], doc["item"]["key"]) not in self._story_docs
        ]
        if stories:
            ids = self._stories.insert_multiple(stories)
            for doc, new_id in zip(stories, ids, strict=True):
                self._story_docs[(doc["item"]["feed"], doc["item"]["key"])] = new_id
        for key, sources in record.get("also", ()):
            if key in self._held_docs:
                self._held_table.update({"also": sources}, doc_ids=[self._held_docs[key]])
            elif key in self._outbox_docs:
                self._outbox.update({"also": sources}, doc_ids=[self._outbox_docs[key]])

    def _insert_outbox(self, docs: Iterable[dict[str, Any]]) -> None:
        fresh = [doc for doc in docs if doc["key"] not in self._outbox_docs]
        if fresh:
            ids = self._outbox.insert_multiple(fresh)
            self._outbox_docs.update(zip((doc["key"] for doc in fresh), ids, strict=True))

    def _fold_release(self, record: dict[str, Any]) -> None:
        doomed = [self._held_docs.pop(key) for key in record["release"] if key in self._held_docs]
        if doomed:
            self._held_table.remove(doc_ids=doomed)
        self._insert_outbox(record["digests"])
        self._insert_outbox(record.get("told", ()))

    def record_feed_failure(self, feed: str, state: FeedState) -> None:
        entry = {"feed_state": feed, "state": _state_to_doc(feed, state)}
        self._journal.append(entry)
        self._states[feed] = state
        self._journaled(entry)

    def recent_items(self) -> list[RecentItem]:
        self._checkpoint_if_possible()
        return [_doc_to_item(doc) for doc in self._recent.all()]

    def stories(self) -> list[StoryRecord]:
        """The items of stories that reached chats, oldest first (see :meth:`prune_sent`)."""
        self._checkpoint_if_possible()
        records = [_doc_to_story(doc) for doc in self._stories.all()]
        return sorted(records, key=lambda record: record.seen_at)

    # --- alerts -----------------------------------------------------------------------

    @_whole
    def enqueue(self, entries: Iterable[OutboxEntry]) -> int:
        """Add alerts to deliver; a key already in the outbox is skipped. Returns the count added."""
        fresh = self._new_alerts(entries)
        if not fresh:
            return 0
        ids = self._outbox.insert_multiple(_entry_to_doc(entry) for entry in fresh.values())
        self._outbox_docs.update(zip(fresh, ids, strict=True))
        self._pending.update(fresh)
        return len(ids)

    def _known_alert(self, key: str) -> bool:
        return key in self._outbox_docs or key in self._alerts_unfolded

    def _new_alerts(self, entries: Iterable[OutboxEntry]) -> dict[str, OutboxEntry]:
        """The entries not queued before, nor held for a digest (a story reaches a chat once)."""
        fresh: dict[str, OutboxEntry] = {}
        for entry in entries:
            known = self._known_alert(entry.key) or entry.key in self._held
            if not known and entry.key not in fresh:
                fresh[entry.key] = entry
        return fresh

    def pending(self) -> list[OutboxEntry]:
        """Alerts still to deliver, oldest first."""
        return list(self._pending.values())

    def has_alert(self, key: str) -> bool:
        """Whether the chat of alert *key* has it: sent, waiting, held, or told in a digest."""
        return self._known_alert(key) or key in self._held

    def record_alert(
        self,
        key: str,
        outcome: Outcome,
        reason: str,
        at: float,
        message_id: int | None = None,
        also_shown: Sequence[str] = (),
    ) -> None:
        """What became of an alert (sent: as message *message_id*, naming *also_shown* as its
        story's other sources); journaled, so it is durable at once and cheap.

        If the journal refuses it, the alert is still no longer pending (it was sent: it must
        not be sent again) and the outcome reaches the file with the next checkpoint."""
        entry = self._pending.pop(key, None)
        if entry is None:
            return
        record: dict[str, Any] = {"alert": key, "outcome": outcome.value, "reason": reason, "at": at}
        alert_key = key.split(":", 2)[2] if entry.edits is not None else key
        shown: int | None = None  # the message that shows the story, if it can be edited
        if outcome is Outcome.SENT and entry.edits is None and message_id is not None and _keeps_text(key):
            self._sent_unfolded[key] = (entry, message_id)
            record["message_id"] = shown = message_id
        elif outcome is Outcome.SENT and entry.edits is not None:
            shown = entry.edits
        elif entry.edits is not None:  # the message was deleted, or cannot be edited: leave it
            self._sent_unfolded[alert_key] = None
            record["forget"] = alert_key
        if shown is not None and tuple(also_shown) != entry.also:
            # Another copy came while this was on its way: the message shows one source less.
            edit = _edit(alert_key, entry, entry.also, shown)
            if edit.key not in self._pending and not self._known_alert(edit.key):
                record["alerts"] = [_entry_to_doc(edit)]
                self._pending[edit.key] = edit
                self._alerts_unfolded.add(edit.key)
        self._record_outcome(record)

    def failed_alerts(self, limit: int) -> list[tuple[OutboxEntry, str]]:
        """The latest alerts Telegram refused for good, with the reason."""
        self._checkpoint_if_possible()  # the latest refusals may still be in the journal only
        docs = [
            doc
            for doc in self._outbox.all()
            if doc["status"] == Outcome.FAILED.value and not doc.get("edits")  # (a refused edit is no loss)
        ]
        docs.sort(key=lambda doc: doc["created"], reverse=True)
        return [(_doc_to_entry(doc), doc["reason"]) for doc in docs[:limit]]

    @_whole
    def prune_sent(self, before: float, *, texts_before: float | None = None) -> int:
        """Forget delivered alerts sent before *before*, and the texts of those sent before
        *texts_before* (kept until then so later copies of their story can amend them) with
        the stories seen before then. Returns how many alerts were forgotten."""
        old: list[Document] = []
        wordless: list[int] = []
        for doc in self._outbox.all():
            if doc["status"] == "pending" or doc["status"] == Outcome.FAILED.value:
                continue
            sent_at = doc["sent_at"] or doc["created"]
            if sent_at < before:
                old.append(doc)
            elif texts_before is not None and doc["html"] and sent_at < texts_before:
                wordless.append(doc.doc_id)
        if old:
            self._outbox.remove(doc_ids=[doc.doc_id for doc in old])
            for doc in old:
                self._outbox_docs.pop(doc["key"], None)
        if wordless:
            self._outbox.update({"html": ""}, doc_ids=wordless)
        if texts_before is not None:
            done = [doc for doc in self._stories.all() if doc["seen_at"] < texts_before]
            if done:
                self._stories.remove(doc_ids=[doc.doc_id for doc in done])
                for doc in done:
                    self._story_docs.pop((doc["item"]["feed"], doc["item"]["key"]), None)
        return len(old)

    # --- broadcasts ---------------------------------------------------------------------

    @_whole
    def save_broadcast(self, broadcast: Broadcast) -> None:
        """Create or update a broadcast (its text, status, targets, progress message)."""
        doc = _broadcast_to_doc(broadcast, self._done.get(broadcast.id, set()))
        doc_id = self._broadcast_docs.get(broadcast.id)
        if doc_id is None:
            self._broadcast_docs[broadcast.id] = self._broadcasts.insert(doc)
        else:
            self._broadcasts.update(doc, doc_ids=[doc_id])
        if broadcast.status in (BroadcastStatus.DRAFT, BroadcastStatus.SENDING):
            self._in_progress[broadcast.id] = broadcast
            self._done.setdefault(broadcast.id, set())
        else:
            self._in_progress.pop(broadcast.id, None)
            self._done.pop(broadcast.id, None)

    def broadcast(self, broadcast_id: str) -> Broadcast | None:
        if broadcast_id in self._in_progress:
            return self._in_progress[broadcast_id]
        doc_id = self._broadcast_docs.get(broadcast_id)
        doc = self._broadcasts.get(doc_id=doc_id) if doc_id is not None else None
        return _doc_to_broadcast(doc) if doc is not None else None

    def broadcasts_in_progress(self) -> list[Broadcast]:
        """Broadcasts being sent, oldest first."""
        sending = [b for b in self._in_progress.values() if b.status is BroadcastStatus.SENDING]
        return sorted(sending, key=lambda b: b.created)

    def broadcast_done(self, broadcast_id: str) -> AbstractSet[int]:
        """The chats a broadcast in progress was delivered to or gave up on (read only)."""
        return self._done.get(broadcast_id, frozenset())

    def record_broadcast(self, broadcast_id: str, chat_id: int, outcome: Outcome, reason: str) -> None:
        """What became of a broadcast's message to one chat; journaled like alerts."""
        broadcast, done = self._in_progress.get(broadcast_id), self._done.get(broadcast_id)
        if broadcast is None or done is None or chat_id in done:
            return
        done.add(chat_id)
        self._in_progress[broadcast_id] = _counted(broadcast, outcome)
        self._record_outcome(
            {"broadcast": broadcast_id, "chat": chat_id, "outcome": outcome.value, "reason": reason}
        )

    # --- the journal --------------------------------------------------------------------

    def sync(self) -> None:
        """Make what was recorded durable against a power failure too (see :class:`Journal`)."""
        self._journal.sync()

    def _journaled(self, record: dict[str, Any]) -> None:
        """*record* is in the journal and applied in memory: fold it in at the next checkpoint,
        which is due every CHECKPOINT_RECORDS records or CHECKPOINT_SECONDS."""
        self._unfolded.append(record)
        now = time.monotonic()
        due = len(self._unfolded) >= CHECKPOINT_RECORDS or now - self._last_checkpoint > CHECKPOINT_SECONDS
        # After a refused checkpoint, the next waits a while: each try rewrites the file.
        resting = self._checkpoint_failed is not None and now - self._checkpoint_failed < CHECKPOINT_SECONDS
        if due and not resting:
            try:
                self.checkpoint()
            except StoreError:  # logged; the journal still holds every record
                self._checkpoint_failed = now

    def _record_outcome(self, record: dict[str, Any]) -> None:
        """Journal what became of a message, already applied in memory. Refused, it stays
        in memory for the next checkpoint, and StoreError is raised all the same."""
        try:
            self._journal.append(record)
        except StoreError:
            self._unfolded.append(record)
            raise
        self._journaled(record)

    def checkpoint(self) -> None:
        """Fold the journal into the database file, then empty it. Refused, the tables stay
        as they were and the records wait for the next checkpoint."""
        if self._storage.in_batch:  # the journal would be emptied before the file is written
            raise RuntimeError("a checkpoint cannot run inside a batch")
        if self._unfolded:
            with self.batch():
                for record in self._unfolded:
                    self._fold(record)
                for broadcast in list(self._in_progress.values()):
                    self.save_broadcast(broadcast)
            self._unfolded = []
            self._states.clear()
            self._seen_unfolded.clear()
            self._alerts_unfolded.clear()
            self._sent_unfolded.clear()
        self._checkpoint_failed = None
        if self._journal.records:
            self._journal.clear()
        self._last_checkpoint = time.monotonic()

    def _checkpoint_if_possible(self) -> None:
        """Fold the journal in before reading the tables; if the disk refuses, read them as
        they are (the failure is logged)."""
        with contextlib.suppress(StoreError):
            self.checkpoint()

    def _replay(self, journal: Path) -> bool:
        """Fold in what a previous run journaled but did not checkpoint (it stopped abruptly).
        Returns whether there was anything."""
        records = Journal.read(journal)
        if not records:
            return journal.exists() and journal.stat().st_size > 0  # only a torn record
        log.info("replaying %d journal records into %s", len(records), self.path)
        with self.batch():
            for number, record in enumerate(records, start=1):
                try:
                    self._fold(record)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    log.warning("journal %s: record %d is not one newsbot wrote (%r); skipped",
                                journal, number, exc)  # fmt: skip
        return True

    def _fold(self, record: dict[str, Any]) -> None:
        """Apply one journal record to the tables; applying it twice changes nothing."""
        if "poll" in record:
            self._fold_poll(record)
        elif "feed_state" in record:
            self._save_feed_state(record["feed_state"], _doc_to_state(record["state"]))
        elif "release" in record:
            self._fold_release(record)
        elif "reschedule" in record:
            ids = [self._held_docs[key] for key in record["reschedule"] if key in self._held_docs]
            if ids:
                changes = {"until": record["until"]}
                if "reason" in record:
                    changes["reason"] = record["reason"]
                self._held_table.update(changes, doc_ids=ids)
        elif "alert" in record:
            self._fold_outcome(record)
        elif "broadcast" in record:
            doc_id = self._broadcast_docs.get(record["broadcast"])
            doc = self._broadcasts.get(doc_id=doc_id) if doc_id is not None else None
            if doc is None or doc_id is None or record["chat"] in doc["done"]:
                return
            if doc["status"] in (BroadcastStatus.DONE.value, BroadcastStatus.CANCELLED.value):
                return  # saved when it ended, with every outcome counted
            broadcast = _counted(_doc_to_broadcast(doc), Outcome(record["outcome"]))
            done = {*doc["done"], record["chat"]}
            self._broadcasts.update(_broadcast_to_doc(broadcast, done), doc_ids=[doc_id])

    def _fold_outcome(self, record: dict[str, Any]) -> None:
        """What became of a message; with the edit a copy that came meanwhile needs, or the
        text of an alert whose message can no longer be edited forgotten."""
        doc_id = self._outbox_docs.get(record["alert"])
        if doc_id is not None:
            fields: dict[str, Any] = {"status": record["outcome"], "reason": record["reason"]}
            if record["outcome"] == Outcome.SENT.value:
                fields["sent_at"] = record["at"]  # the key stays: delivery is idempotent
                if "message_id" in record:
                    fields["message_id"] = record["message_id"]  # the text stays, for a while
                else:
                    fields["html"] = ""
            self._outbox.update(fields, doc_ids=[doc_id])
        self._insert_outbox(record.get("alerts", ()))
        forgotten = self._outbox_docs.get(record.get("forget", ""))
        if forgotten is not None:
            self._outbox.update({"html": ""}, doc_ids=[forgotten])

    # --- statistics ---------------------------------------------------------------------

    def stats(self) -> StoreStats:
        self._checkpoint_if_possible()  # counted from the tables: fold in what is only journaled
        chats = self._chats.all()
        return StoreStats(
            chats=len(chats),
            active_chats=sum(1 for doc in chats if doc["active"]),
            subscriptions=len(self._subscriptions) - len(self._kept),
            feeds=len(self._feeds),
            seen_items=sum(len(doc["tokens"]) for doc in self._seen.all()),
            recent_items=len(self._recent),
            pending_messages=len(self._pending),
            failed_messages=sum(1 for doc in self._outbox.all() if doc["status"] == Outcome.FAILED.value),
            broadcasts_in_progress=len(self.broadcasts_in_progress()),
        )


CHECKPOINT_RECORDS = 20_000
# The other sources of a story an alert names at most: a story carried by many feeds edits
# its alert this many times at most.
MAX_OTHER_SOURCES = 10
CHECKPOINT_SECONDS = 60.0


def _entry_to_doc(entry: OutboxEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "key": entry.key,
        "chat_id": entry.chat_id,
        "html": entry.html,
        "created": entry.created,
        "status": "pending",
        "sent_at": None,
        "reason": "",
    }
    # Written only when they differ from the default: most messages have none of them.
    if entry.thread_id is not None:
        doc["thread_id"] = entry.thread_id
    if entry.silent:
        doc["silent"] = True
    if entry.preview:
        doc["preview"] = True
    if entry.instant:
        doc["instant"] = True
    if entry.buttons:
        doc["buttons"] = [[[button.label, button.data] for button in row] for row in entry.buttons]
    if entry.source:
        doc["source"] = entry.source
    if entry.also:
        doc["also"] = list(entry.also)
    if entry.edits is not None:
        doc["edits"] = entry.edits
    return doc


def _doc_to_entry(doc: Mapping[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        key=doc["key"],
        chat_id=doc["chat_id"],
        html=doc["html"],
        created=doc["created"],
        thread_id=doc.get("thread_id"),
        silent=doc.get("silent", False),
        preview=doc.get("preview", False),
        buttons=tuple(tuple(Button(label, data) for label, data in row) for row in doc.get("buttons", ())),
        instant=doc.get("instant", False),
        source=doc.get("source", ""),
        also=tuple(doc.get("also", ())),
        edits=doc.get("edits"),
    )


def _doc_to_subscription(doc: Document) -> StoredSubscription:
    delivery = doc.get("delivery")
    return StoredSubscription(
        id=doc.doc_id,
        chat_id=doc["chat_id"],
        query=doc["query"],
        thread_id=doc.get("thread_id"),
        delivery=DeliveryMode(delivery) if delivery else None,
        muted_until=doc.get("muted_until"),
        number=doc["number"],
    )


def _place(doc: Mapping[str, Any]) -> Place:
    return doc["chat_id"], doc.get("thread_id")


def _place_of(subscription: StoredSubscription) -> Place:
    return subscription.chat_id, subscription.thread_id


def _settings_to_doc(settings: ChatSettings) -> dict[str, Any]:
    doc = dataclasses.asdict(settings)
    doc["delivery"] = settings.delivery.value
    return doc


def _doc_to_settings(doc: Mapping[str, Any] | None) -> ChatSettings:
    if not doc:
        return ChatSettings()
    quiet = doc.get("quiet")
    known = {field.name for field in dataclasses.fields(ChatSettings)}
    values = {key: value for key, value in doc.items() if key in known}
    values["delivery"] = DeliveryMode(doc.get("delivery", DeliveryMode.INSTANT.value))
    values["quiet"] = QuietHours(**quiet) if quiet else None
    return ChatSettings(**values)


def _held_to_doc(story: HeldStory) -> dict[str, Any]:
    return {
        "key": story.key,
        "chat_id": story.chat_id,
        "thread_id": story.thread_id,
        "item": _item_to_doc(RecentItem(story.item, story.held_at)),
        "keywords": list(story.keywords),
        "reason": story.reason.value,
        "until": story.until,
        "held_at": story.held_at,
        "also": list(story.also),
    }


def _doc_to_held(doc: Mapping[str, Any]) -> HeldStory:
    return HeldStory(
        key=doc["key"],
        chat_id=doc["chat_id"],
        thread_id=doc.get("thread_id"),
        item=_doc_to_item(doc["item"]).item,
        keywords=tuple(doc["keywords"]),
        reason=HoldReason(doc["reason"]),
        until=doc["until"],
        held_at=doc["held_at"],
        also=tuple(doc.get("also", ())),
    )


def _story_to_doc(story: StoryRecord) -> dict[str, Any]:
    item = _item_to_doc(RecentItem(story.item, story.seen_at))
    return {"item": item, "story": story.story, "seen_at": story.seen_at}


def _doc_to_story(doc: Mapping[str, Any]) -> StoryRecord:
    return StoryRecord(item=_doc_to_item(doc["item"]).item, story=doc["story"], seen_at=doc["seen_at"])


def _edit(alert_key: str, shown: OutboxEntry, sources: tuple[str, ...], message_id: int) -> OutboxEntry:
    """The edit that makes message *message_id* (alert *alert_key*, as in *shown*) name
    *sources*. Its key grows with the sources, so each edit is queued once."""
    key = f"edit:{len(sources)}:{alert_key}"
    return replace(shown, key=key, also=sources, edits=message_id, instant=False, silent=True)


def _keeps_text(key: str) -> bool:
    """Whether a sent message's text is kept for a while: an alert's is (a later copy of its
    story adds its source to it); a digest's or a notice's is not."""
    return key.startswith("alert:")


def _told_doc(story: HeldStory) -> dict[str, Any]:
    """What the outbox keeps of a held story once a digest told it: its key, so the story
    reaches the chat once."""
    return {
        "key": story.key,
        "chat_id": story.chat_id,
        "html": "",
        "created": story.held_at,
        "status": "digested",
        "sent_at": story.until,
        "reason": "",
    }


def _counted(broadcast: Broadcast, outcome: Outcome) -> Broadcast:
    """*broadcast* with one more chat done."""
    return replace(
        broadcast,
        sent=broadcast.sent + (outcome is Outcome.SENT),
        blocked=broadcast.blocked + (outcome is Outcome.BLOCKED),
        failed=broadcast.failed + (outcome is Outcome.FAILED),
    )


def _broadcast_to_doc(broadcast: Broadcast, done: AbstractSet[int]) -> dict[str, Any]:
    over = broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)
    return {
        "id": broadcast.id,
        "html": broadcast.html,
        "status": broadcast.status.value,
        "author": broadcast.author,
        "chat_id": broadcast.chat_id,
        "message_id": broadcast.message_id,
        "created": broadcast.created,
        # Over, its lists of chats are no longer needed: the database does not grow with them.
        "targets": [] if over else list(broadcast.targets),
        "done": [] if over else sorted(done),
        "total": broadcast.total,
        "sent": broadcast.sent,
        "blocked": broadcast.blocked,
        "failed": broadcast.failed,
        "started": broadcast.started,
        "finished": broadcast.finished,
    }


def _doc_to_broadcast(doc: Mapping[str, Any]) -> Broadcast:
    return Broadcast(
        id=doc["id"],
        html=doc["html"],
        status=BroadcastStatus(doc["status"]),
        author=doc["author"],
        chat_id=doc["chat_id"],
        message_id=doc["message_id"],
        created=doc["created"],
        targets=tuple(doc["targets"]),
        total=doc.get("total", len(doc["targets"])),
        sent=doc["sent"],
        blocked=doc["blocked"],
        failed=doc["failed"],
        started=doc["started"],
        finished=doc["finished"],
    )


def _lock_file(database: Path) -> Any:
    """Hold an exclusive lock beside *database* for as long as the store is open."""
    if fcntl is None:  # pragma: no cover
        return None
    lock_path = database.with_name(database.name + ".lock")
    try:
        fd = open_private(lock_path, os.O_RDWR)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
    handle = open(fd, "r+b")  # noqa: SIM115 - held open until close()
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StoreError(
            f"another newsbot process is using the database {database}; stop it first "
            "or give this one its own NEWSBOT_DATA_DIR"
        ) from None
    return handle

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

TinyDB is used from the event loop's thread only (it has no locking); a lock file keeps a
second bot process off the same data directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from bot.core.items import Item
from bot.core.sources import FeedSource
from bot.service.ports import (
    Broadcast,
    BroadcastStatus,
    FeedState,
    OutboxEntry,
    Outcome,
    PollRecord,
    RecentItem,
    StoredSubscription,
    StoreStats,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["AtomicJSONStorage", "Store", "StoreError"]

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"


class StoreError(Exception):
    """The database cannot be opened or written; the message names the file."""


class AtomicJSONStorage(Storage):
    """A TinyDB storage that keeps the data in memory and replaces the file atomically.

    :meth:`write` persists at once unless inside :meth:`deferred`, which persists once at
    the end. A file that is not valid JSON is never overwritten: opening it raises.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._deferred = 0
        self._dirty = False
        self._remove_leftovers()
        self._data: dict[str, dict[str, Any]] = self._load()

    def _remove_leftovers(self) -> None:
        for leftover in self.path.parent.glob(f"{TEMP_PREFIX}{self.path.name}*"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"cannot read the database file {self.path}: {exc.strerror}") from None
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

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold writes until the outermost ``deferred`` block ends, then write once."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1
            if not self._deferred:
                self.flush()

    def flush(self) -> None:
        if not self._dirty:
            return
        payload = json.dumps(self._data, ensure_ascii=False, separators=(",", ":")).encode()
        directory = self.path.parent
        fd, temp_name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{self.path.name}", dir=directory)
        try:
            with os.fdopen(fd, "wb") as temp:
                temp.write(payload)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise StoreError(f"cannot write the database file {self.path}: {exc.strerror}") from None
        _fsync_directory(directory)
        self._dirty = False

    def close(self) -> None:
        self.flush()


def _fsync_directory(directory: Path) -> None:
    """Make a rename in *directory* durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Journal:
    """Append-only JSON lines.

    Each record is written to the file when :meth:`append` returns, so it survives the
    process being killed. It reaches the disk itself (fdatasync) within SYNC_SECONDS, or at
    :meth:`sync`: group commit, so a fast sender does not wait for the disk on every record.
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._file = open(path, "ab", buffering=0)  # noqa: SIM115 - open for the store's life
        self._clock = clock
        self._synced = clock()
        self._unsynced = False
        self.records = 0

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        """The records of *path*; a line torn by a crash (the last one) is skipped."""
        try:
            lines = path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot read the journal {path}: {exc.strerror}") from None
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                log.warning("journal %s: skipped a torn record", path)
        return records

    def append(self, record: dict[str, Any]) -> None:
        try:
            self._file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        except OSError as exc:
            raise StoreError(f"cannot write the journal {self.path}: {exc.strerror}") from None
        self.records += 1
        self._unsynced = True
        if self._clock() - self._synced >= SYNC_SECONDS:
            self.sync()

    def sync(self) -> None:
        """Make every record appended so far durable against a power failure too."""
        if self._unsynced:
            _sync(self._file.fileno())
            self._unsynced = False
        self._synced = self._clock()

    def clear(self) -> None:
        """Empty the journal once the database holds everything it said."""
        self._file.truncate(0)
        _sync(self._file.fileno())
        self._unsynced = False
        self.records = 0

    def close(self) -> None:
        self._file.close()


SYNC_SECONDS = 0.05


def _sync(fd: int) -> None:
    (getattr(os, "fdatasync", None) or os.fsync)(fd)


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
        "seen_at": recent.seen_at,
    }


def _doc_to_item(doc: Document) -> RecentItem:
    published = doc.get("published")
    item = Item(
        feed=doc["feed"],
        key=doc["key"],
        title=doc["title"],
        link=doc["link"],
        summary=doc["summary"],
        published=datetime.fromtimestamp(published, tz=UTC) if published is not None else None,
    )
    return RecentItem(item=item, seen_at=doc["seen_at"])


_FEED_STATE_FIELDS = frozenset(field.name for field in dataclasses.fields(FeedState))


def _state_to_doc(feed: str, state: FeedState) -> dict[str, Any]:
    return {"name": feed, **dataclasses.asdict(state)}


def _doc_to_state(doc: Mapping[str, Any]) -> FeedState:
    # Fields added since a database was written take their defaults.
    return FeedState(**{key: value for key, value in doc.items() if key in _FEED_STATE_FIELDS})


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
            self._db = TinyDB(path, storage=AtomicJSONStorage)
        except BaseException:
            self._release_lock()
            raise
        self._storage: AtomicJSONStorage = self._db.storage  # type: ignore[assignment]
        self._chats = self._db.table("chats", cache_size=0)
        self._subscriptions = self._db.table("subscriptions", cache_size=0)
        self._feeds = self._db.table("feeds", cache_size=0)
        self._seen = self._db.table("seen", cache_size=0)
        self._recent = self._db.table("recent", cache_size=0)
        self._outbox = self._db.table("outbox", cache_size=0)
        self._broadcasts = self._db.table("broadcasts", cache_size=0)
        self._added_feeds = self._db.table("added_feeds", cache_size=0)
        # In-memory indexes over the tables, so lookups do not scan them.
        self._chat_docs = {doc["chat_id"]: doc.doc_id for doc in self._chats.all()}
        self._feed_docs = {doc["name"]: doc.doc_id for doc in self._feeds.all()}
        self._seen_docs = {doc["feed"]: doc.doc_id for doc in self._seen.all()}
        self._recent_docs = {(doc["feed"], doc["key"]): doc.doc_id for doc in self._recent.all()}
        self._outbox_docs = {doc["key"]: doc.doc_id for doc in self._outbox.all()}
        self._broadcast_docs = {doc["id"]: doc.doc_id for doc in self._broadcasts.all()}
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
        self._last_checkpoint = time.monotonic()
        self._pending = {
            doc["key"]: _doc_to_entry(doc) for doc in self._outbox.all() if doc["status"] == "pending"
        }
        self._in_progress: dict[str, Broadcast] = {}
        self._done: dict[str, set[int]] = {}  # broadcast -> chats done, for those in progress
        for doc in self._broadcasts.all():
            if doc["status"] in (BroadcastStatus.DRAFT, BroadcastStatus.SENDING):
                self._in_progress[doc["id"]] = _doc_to_broadcast(doc)
                self._done[doc["id"]] = set(doc["done"])

    @classmethod
    def open(cls, data_dir: Path, name: str = "newsbot.json") -> Store:
        """Open (or create) the database *name* in *data_dir*."""
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {data_dir}: {exc.strerror}") from None
        return cls(data_dir / name)

    def close(self) -> None:
        if self._lock is None:
            return  # closed already
        try:
            self.checkpoint()
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
        """Group the changes made inside the block into one atomic write."""
        with self._storage.deferred():
            yield

    # --- chats --------------------------------------------------------------------------

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
        with self.batch():
            doc_id = self._chat_docs.get(chat_id)
            if doc_id is not None:
                self._chats.update({"active": False, "reason": reason}, doc_ids=[doc_id])
            doomed = [key for key, entry in self._pending.items() if entry.chat_id == chat_id]
            for key in doomed:
                del self._pending[key]
            if doomed:
                self._outbox.update(
                    {"status": Outcome.BLOCKED.value, "reason": reason},
                    doc_ids=[self._outbox_docs[key] for key in doomed],
                )

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
            moved = [doc.doc_id for doc in self._subscriptions.all() if doc["chat_id"] == old]
            if moved:
                self._subscriptions.update({"chat_id": new}, doc_ids=moved)
            for key, entry in list(self._pending.items()):
                if entry.chat_id == old:
                    self._pending[key] = replace(entry, chat_id=new)
                    self._outbox.update({"chat_id": new}, doc_ids=[self._outbox_docs[key]])

    def is_active(self, chat_id: int) -> bool:
        doc_id = self._chat_docs.get(chat_id)
        doc = self._chats.get(doc_id=doc_id) if doc_id is not None else None
        return bool(doc and doc["active"])

    def active_chat_ids(self) -> list[int]:
        return [doc["chat_id"] for doc in self._chats.all() if doc["active"]]

    # --- subscriptions ------------------------------------------------------------------

    def all_subscriptions(self) -> list[StoredSubscription]:
        return [
            StoredSubscription(id=doc.doc_id, chat_id=doc["chat_id"], query=doc["query"])
            for doc in self._subscriptions.all()
        ]

    def add_subscriptions(self, chat_id: int, queries: Sequence[str]) -> list[StoredSubscription]:
        now = datetime.now(UTC).timestamp()
        ids = self._subscriptions.insert_multiple(
            {"chat_id": chat_id, "query": query, "created": now} for query in queries
        )
        return [StoredSubscription(id=i, chat_id=chat_id, query=q) for i, q in zip(ids, queries, strict=True)]

    def remove_subscriptions(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if ids:
            self._subscriptions.remove(doc_ids=ids)

    # --- feeds, seen items and recent items ---------------------------------------------

    def added_feeds(self) -> list[FeedSource]:
        """Feeds admins added from a chat, oldest first (not trusted: see FeedSource)."""
        return [FeedSource(doc["name"], doc["url"], trusted=False) for doc in self._added_feeds.all()]

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
        self._states[record.feed] = record.state
        self._seen_unfolded[record.feed] = dict(record.seen)
        self._alerts_unfolded.update(alerts)
        self._pending.update(alerts)
        self._record(
            {
                "poll": record.feed,
                "state": _state_to_doc(record.feed, record.state),
                "seen": record.seen,
                "recent_added": [_item_to_doc(recent) for recent in record.recent_added],
                "recent_dropped": [list(feed_and_key) for feed_and_key in record.recent_dropped],
                "alerts": [_entry_to_doc(entry) for entry in alerts.values()],
            }
        )
        return len(alerts)

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
        alerts = [doc for doc in record["alerts"] if doc["key"] not in self._outbox_docs]
        if alerts:
            ids = self._outbox.insert_multiple(alerts)
            self._outbox_docs.update(zip((doc["key"] for doc in alerts), ids, strict=True))

    def record_feed_failure(self, feed: str, state: FeedState) -> None:
        self._states[feed] = state
        self._record({"feed_state": feed, "state": _state_to_doc(feed, state)})

    def recent_items(self) -> list[RecentItem]:
        self.checkpoint()
        return [_doc_to_item(doc) for doc in self._recent.all()]

    # --- alerts -----------------------------------------------------------------------

    def enqueue(self, entries: Iterable[OutboxEntry]) -> int:
        """Add alerts to deliver; a key already in the outbox is skipped. Returns the count added."""
        fresh = self._new_alerts(entries)
        if not fresh:
            return 0
        ids = self._outbox.insert_multiple(_entry_to_doc(entry) for entry in fresh.values())
        self._outbox_docs.update(zip(fresh, ids, strict=True))
        self._pending.update(fresh)
        return len(ids)

    def _new_alerts(self, entries: Iterable[OutboxEntry]) -> dict[str, OutboxEntry]:
        fresh: dict[str, OutboxEntry] = {}
        for entry in entries:
            known = entry.key in self._outbox_docs or entry.key in self._alerts_unfolded
            if not known and entry.key not in fresh:
                fresh[entry.key] = entry
        return fresh

    def pending(self) -> list[OutboxEntry]:
        """Alerts still to deliver, oldest first."""
        return list(self._pending.values())

    def record_alert(self, key: str, outcome: Outcome, reason: str, at: float) -> None:
        """What became of an alert; journaled, so it is durable at once and cheap."""
        if self._pending.pop(key, None) is None:
            return
        self._record({"alert": key, "outcome": outcome.value, "reason": reason, "at": at})

    def failed_alerts(self, limit: int) -> list[tuple[OutboxEntry, str]]:
        """The latest alerts Telegram refused for good, with the reason."""
        self.checkpoint()  # the latest refusals may still be in the journal only
        docs = [doc for doc in self._outbox.all() if doc["status"] == Outcome.FAILED.value]
        docs.sort(key=lambda doc: doc["created"], reverse=True)
        return [(_doc_to_entry(doc), doc["reason"]) for doc in docs[:limit]]

    def prune_sent(self, before: float) -> int:
        """Forget delivered alerts sent before *before*. Returns how many were forgotten."""
        old = [
            doc
            for doc in self._outbox.all()
            if doc["status"] != "pending" and doc["status"] != Outcome.FAILED.value
            and (doc["sent_at"] or doc["created"]) < before
        ]  # fmt: skip
        if old:
            self._outbox.remove(doc_ids=[doc.doc_id for doc in old])
            for doc in old:
                self._outbox_docs.pop(doc["key"], None)
        return len(old)

    # --- broadcasts ---------------------------------------------------------------------

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
        self._record({"broadcast": broadcast_id, "chat": chat_id, "outcome": outcome.value, "reason": reason})

    # --- the journal --------------------------------------------------------------------

    def sync(self) -> None:
        """Make what was recorded durable against a power failure too (see :class:`Journal`)."""
        self._journal.sync()

    def _record(self, record: dict[str, Any]) -> None:
        self._journal.append(record)
        self._unfolded.append(record)
        due = time.monotonic() - self._last_checkpoint > CHECKPOINT_SECONDS
        if len(self._unfolded) >= CHECKPOINT_RECORDS or due:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Fold the journal into the database file, then empty it."""
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
        if self._journal.records:
            self._journal.clear()
        self._last_checkpoint = time.monotonic()

    def _replay(self, journal: Path) -> bool:
        """Fold in what a previous run journaled but did not checkpoint (it stopped abruptly).
        Returns whether there was anything."""
        records = Journal.read(journal)
        if not records:
            return journal.exists() and journal.stat().st_size > 0  # only a torn record
        log.info("replaying %d journal records into %s", len(records), self.path)
        with self.batch():
            for record in records:
                self._fold(record)
        return True

    def _fold(self, record: dict[str, Any]) -> None:
        """Apply one journal record to the tables; applying it twice changes nothing."""
        if "poll" in record:
            self._fold_poll(record)
        elif "feed_state" in record:
            self._save_feed_state(record["feed_state"], _doc_to_state(record["state"]))
        elif "alert" in record:
            doc_id = self._outbox_docs.get(record["alert"])
            if doc_id is None:
                return
            fields: dict[str, Any] = {"status": record["outcome"], "reason": record["reason"]}
            if record["outcome"] == Outcome.SENT.value:
                fields.update(sent_at=record["at"], html="")  # the key stays: delivery is idempotent
            self._outbox.update(fields, doc_ids=[doc_id])
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

    # --- statistics ---------------------------------------------------------------------

    def stats(self) -> StoreStats:
        self.checkpoint()  # counted from the tables: fold in what is only journaled
        chats = self._chats.all()
        return StoreStats(
            chats=len(chats),
            active_chats=sum(1 for doc in chats if doc["active"]),
            subscriptions=len(self._subscriptions),
            feeds=len(self._feeds),
            seen_items=sum(len(doc["tokens"]) for doc in self._seen.all()),
            recent_items=len(self._recent),
            pending_messages=len(self._pending),
            failed_messages=sum(1 for doc in self._outbox.all() if doc["status"] == Outcome.FAILED.value),
            broadcasts_in_progress=len(self.broadcasts_in_progress()),
        )


CHECKPOINT_RECORDS = 20_000
CHECKPOINT_SECONDS = 60.0


def _entry_to_doc(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "chat_id": entry.chat_id,
        "html": entry.html,
        "created": entry.created,
        "status": "pending",
        "sent_at": None,
        "reason": "",
    }


def _doc_to_entry(doc: Mapping[str, Any]) -> OutboxEntry:
    return OutboxEntry(key=doc["key"], chat_id=doc["chat_id"], html=doc["html"], created=doc["created"])


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
    handle = open(lock_path, "a+b")  # noqa: SIM115 - held open until close()
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StoreError(
            f"another newsbot process is using the database {database}; stop it first "
            "or give this one its own NEWSBOT_DATA_DIR"
        ) from None
    return handle

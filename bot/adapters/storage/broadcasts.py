"""Broadcasts and what became of each of their messages (tables ``broadcasts`` and
``deliveries``).

A broadcast's document holds its text, status and targets; each chat it was delivered to
(or given up on) is a small document of its own, so recording one costs the same at 100 or
100,000 chats. When the broadcast is over, its counts go into its document at once (one
small unit: after a crash it is over, with its counts) and its targets are dropped; its
per-chat documents are then removed in bounded batches (:meth:`BroadcastRepository.drop_finished`,
called by the database's pruning), so the database does not grow with broadcasts and no
unit holds the event loop for long. Those a crash left behind are found again at start.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import replace

from bot.adapters.storage.documents import Documents
from bot.adapters.storage.records import broadcast_to_doc, doc_to_broadcast
from bot.service.ports import Broadcast, BroadcastStatus, Outcome

__all__ = ["BroadcastRepository"]

OPEN = (BroadcastStatus.DRAFT, BroadcastStatus.SENDING)


class BroadcastRepository:
    def __init__(self, documents: Documents) -> None:
        self._documents = documents
        self._index()
        documents.on_undo(self._index)

    def _index(self) -> None:
        self._ids = {doc["id"]: doc_id for doc_id, doc in self._documents.table("broadcasts").items()}
        self._open: dict[str, Broadcast] = {}  # drafts and broadcasts being sent, as saved
        self._counts: dict[str, list[int]] = {}  # open broadcast -> [sent, blocked, failed]
        self._shown: dict[str, Broadcast] = {}  # open broadcast -> itself with its counts (a cache)
        self._done: dict[str, dict[int, int]] = {}  # broadcast -> chat -> its delivery document
        # The counts an open broadcast's document holds: those no delivery document holds (a
        # database written before deliveries had documents of their own counted them there).
        self._base: dict[str, Broadcast] = {}
        self._legacy: dict[str, list[int]] = {}  # and the chats done it lists, for the same reason
        # The delivery documents no longer needed (by chat, or by themselves; 0: none), removed
        # in batches: a broadcast's are handed over whole when it is over.
        self._finished: list[dict[int, int]] = [{}]
        for doc in self._documents.table("broadcasts").values():
            broadcast = doc_to_broadcast(doc)
            if broadcast.status in OPEN:
                self._base[broadcast.id] = broadcast
                self._open[broadcast.id] = broadcast
                self._counts[broadcast.id] = [broadcast.sent, broadcast.blocked, broadcast.failed]
                self._done[broadcast.id] = dict.fromkeys(doc.get("done", ()), 0)
                if doc.get("done"):
                    self._legacy[broadcast.id] = list(self._done[broadcast.id])
        for doc_id, doc in self._documents.table("deliveries").items():
            broadcast_id = doc["broadcast"]
            if broadcast_id in self._open and doc["chat"] not in self._done[broadcast_id]:
                self._done[broadcast_id][doc["chat"]] = doc_id
                self._counts[broadcast_id][_COLUMN[Outcome(doc["outcome"])]] += 1
            else:  # of a broadcast that is over (a crash came before they were removed)
                self._finished[0][doc_id] = doc_id
        self._sort()

    def _sort(self) -> None:
        sending = [b for b in self._open.values() if b.status is BroadcastStatus.SENDING]
        self._sending = [b.id for b in sorted(sending, key=lambda b: b.created)]

    def save_broadcast(self, broadcast: Broadcast) -> None:
        """Create or update a broadcast (its text, status, targets, progress message). The
        counts of one in progress are the store's own; one that is over keeps those given."""
        over = broadcast.status not in OPEN
        with self._documents.unit():
            base = self._base.get(broadcast.id)
            counts = broadcast if over or base is None else base
            doc = broadcast_to_doc(
                replace(broadcast, sent=counts.sent, blocked=counts.blocked, failed=counts.failed)
            )
            if not over and base is None:
                doc.update(sent=0, blocked=0, failed=0)
            legacy = self._legacy.get(broadcast.id)
            if not over and legacy:
                doc["done"] = legacy
            doc_id = self._ids.get(broadcast.id)
            if doc_id is None:
                self._ids[broadcast.id] = self._documents.insert("broadcasts", doc)
            else:
                self._documents.put("broadcasts", doc_id, doc)
        self._shown.pop(broadcast.id, None)
        if over:
            self._open.pop(broadcast.id, None)
            self._base.pop(broadcast.id, None)
            self._counts.pop(broadcast.id, None)
            self._legacy.pop(broadcast.id, None)
            self._finished.append(self._done.pop(broadcast.id, {}))
        else:
            self._open[broadcast.id] = broadcast
            self._counts.setdefault(broadcast.id, [0, 0, 0])
            self._done.setdefault(broadcast.id, {})
        self._sort()

    def drop_finished(self, limit: int | None = None) -> int:
        """Remove the per-chat documents of broadcasts that are over, at most *limit* (None:
        all) in one unit; returns how many records it went through (fewer than *limit*: all)."""
        count, finished = 0, self._finished
        with self._documents.unit():
            while finished and (limit is None or count < limit):
                if not finished[-1]:
                    finished.pop()
                    continue
                _, doc_id = finished[-1].popitem()
                count += 1
                if doc_id:
                    self._documents.remove("deliveries", doc_id)
        return count

    def broadcast(self, broadcast_id: str) -> Broadcast | None:
        if broadcast_id in self._open:
            return self._with_counts(broadcast_id)
        doc_id = self._ids.get(broadcast_id)
        return doc_to_broadcast(self._documents.table("broadcasts")[doc_id]) if doc_id is not None else None

    def _with_counts(self, broadcast_id: str) -> Broadcast:
        shown = self._shown.get(broadcast_id)
        if shown is None:
            sent, blocked, failed = self._counts[broadcast_id]
            shown = replace(self._open[broadcast_id], sent=sent, blocked=blocked, failed=failed)
            self._shown[broadcast_id] = shown
        return shown

    def broadcasts_in_progress(self) -> list[Broadcast]:
        """Broadcasts being sent, oldest first."""
        return [self._with_counts(broadcast_id) for broadcast_id in self._sending]

    def broadcast_done(self, broadcast_id: str) -> AbstractSet[int]:
        """The chats a broadcast in progress was delivered to or gave up on (read only)."""
        return self._done.get(broadcast_id, {}).keys()

    def record_broadcast(self, broadcast_id: str, chat_id: int, outcome: Outcome, reason: str) -> None:
        """What became of a broadcast's message to one chat. If the sink refuses it, it
        stays recorded in memory (the message must not be sent again) and StoreError is raised."""
        counts, done = self._counts.get(broadcast_id), self._done.get(broadcast_id)
        if counts is None or done is None or chat_id in done:
            return
        counts[_COLUMN[outcome]] += 1
        self._shown.pop(broadcast_id, None)
        with self._documents.unit(keep=True):
            done[chat_id] = self._documents.insert(
                "deliveries", {"broadcast": broadcast_id, "chat": chat_id, "outcome": outcome.value}
            )

    def in_progress_count(self) -> int:
        return len(self._sending)


_COLUMN = {Outcome.SENT: 0, Outcome.BLOCKED: 1, Outcome.FAILED: 2}  # an outcome's place in the counts

"""Broadcasts and what became of each of their messages (tables ``broadcasts`` and
``deliveries``).

A broadcast's document holds its text, status and targets; each chat it was delivered to
(or given up on) is a small document of its own, so recording one costs the same at 100 or
100,000 chats. When the broadcast is over, its counts go into its document and the per-chat
documents and targets are dropped: the database does not grow with broadcasts.
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
        self._open: dict[str, Broadcast] = {}  # drafts and broadcasts being sent, with their counts
        self._done: dict[str, dict[int, int]] = {}  # broadcast -> chat -> its delivery document
        # The counts an open broadcast's document holds: those no delivery document holds (a
        # database written before deliveries had documents of their own counted them there).
        self._base: dict[str, Broadcast] = {}
        for doc in self._documents.table("broadcasts").values():
            broadcast = doc_to_broadcast(doc)
            if broadcast.status in OPEN:
                self._base[broadcast.id] = broadcast
                self._open[broadcast.id] = broadcast
                self._done[broadcast.id] = dict.fromkeys(doc.get("done", ()), 0)
        for doc_id, doc in self._documents.table("deliveries").items():
            broadcast_id = doc["broadcast"]
            if broadcast_id in self._open and doc["chat"] not in self._done[broadcast_id]:
                self._done[broadcast_id][doc["chat"]] = doc_id
                self._open[broadcast_id] = _counted(self._open[broadcast_id], Outcome(doc["outcome"]))

    def save_broadcast(self, broadcast: Broadcast) -> None:
        """Create or update a broadcast (its text, status, targets, progress message)."""
        over = broadcast.status not in OPEN
        with self._documents.unit():
            base = self._base.get(broadcast.id)
            counts = broadcast if over or base is None else base
            doc = broadcast_to_doc(
                replace(broadcast, sent=counts.sent, blocked=counts.blocked, failed=counts.failed)
            )
            if not over and base is None:
                doc.update(sent=0, blocked=0, failed=0)
            legacy = [chat for chat, delivery in self._done.get(broadcast.id, {}).items() if not delivery]
            if not over and legacy:
                doc["done"] = legacy
            doc_id = self._ids.get(broadcast.id)
            if doc_id is None:
                self._ids[broadcast.id] = self._documents.insert("broadcasts", doc)
            else:
                self._documents.put("broadcasts", doc_id, doc)
            if over:
                for delivery in self._done.pop(broadcast.id, {}).values():
                    if delivery:
                        self._documents.remove("deliveries", delivery)
        if over:
            self._open.pop(broadcast.id, None)
            self._base.pop(broadcast.id, None)
        else:
            self._open[broadcast.id] = broadcast
            self._done.setdefault(broadcast.id, {})

    def broadcast(self, broadcast_id: str) -> Broadcast | None:
        if broadcast_id in self._open:
            return self._open[broadcast_id]
        doc_id = self._ids.get(broadcast_id)
        return doc_to_broadcast(self._documents.table("broadcasts")[doc_id]) if doc_id is not None else None

    def broadcasts_in_progress(self) -> list[Broadcast]:
        """Broadcasts being sent, oldest first."""
        sending = [b for b in self._open.values() if b.status is BroadcastStatus.SENDING]
        return sorted(sending, key=lambda b: b.created)

    def broadcast_done(self, broadcast_id: str) -> AbstractSet[int]:
        """The chats a broadcast in progress was delivered to or gave up on (read only)."""
        return self._done.get(broadcast_id, {}).keys()

    def record_broadcast(self, broadcast_id: str, chat_id: int, outcome: Outcome, reason: str) -> None:
        """What became of a broadcast's message to one chat. If the sink refuses it, it
        stays recorded in memory (the message must not be sent again) and StoreError is raised."""
        broadcast, done = self._open.get(broadcast_id), self._done.get(broadcast_id)
        if broadcast is None or done is None or chat_id in done:
            return
        self._open[broadcast_id] = _counted(broadcast, outcome)
        with self._documents.unit(keep=True):
            done[chat_id] = self._documents.insert(
                "deliveries", {"broadcast": broadcast_id, "chat": chat_id, "outcome": outcome.value}
            )

    def in_progress_count(self) -> int:
        return len(self.broadcasts_in_progress())


def _counted(broadcast: Broadcast, outcome: Outcome) -> Broadcast:
    """*broadcast* with one more chat done."""
    return replace(
        broadcast,
        sent=broadcast.sent + (outcome is Outcome.SENT),
        blocked=broadcast.blocked + (outcome is Outcome.BLOCKED),
        failed=broadcast.failed + (outcome is Outcome.FAILED),
    )

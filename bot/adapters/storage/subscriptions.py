"""Subscriptions, numbered in their place (table ``subscriptions``).

Each subscription has a number in its place (a chat, or a forum topic): the one /list shows
and /unsubscribe takes. It keeps it until it is removed. A removed subscription may be kept
for a while (its document gets ``removed_until``), so that an undo brings it back as it was;
meanwhile no new subscription of its place takes its number. A chat keeps at most
:data:`KEPT_PER_CHAT` of them (the oldest go first), so one that subscribes and removes
keywords again and again cannot grow the database.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from bot.adapters.storage.documents import Documents
from bot.adapters.storage.records import Place, doc_to_subscription, place, place_of
from bot.service.ports import StoredSubscription

__all__ = ["SubscriptionRepository"]

log = logging.getLogger(__name__)

TABLE = "subscriptions"
KEPT_PER_CHAT = 100  # removed subscriptions a chat keeps for an undo, at most


class SubscriptionRepository:
    def __init__(self, documents: Documents, clock: Callable[[], float] = time.time) -> None:
        self._documents = documents
        self._clock = clock
        self._index()
        documents.on_undo(self._index)
        self._number_old_subscriptions()

    def _index(self) -> None:
        """Each chat's subscriptions, all its places together, those removed and kept for an
        undo included (each document holds its own place and number: a tuple of ids per chat
        costs a third of the memory of a dict of numbers per place), and when each kept one
        may be forgotten."""
        of_chat: dict[int, list[int]] = {}
        self._kept: dict[int, float] = {}
        for doc_id, doc in self._documents.table(TABLE).items():
            if "number" in doc:  # (a database from before numbers: see _number_old_subscriptions)
                of_chat.setdefault(doc["chat_id"], []).append(doc_id)
            if "removed_until" in doc:
                self._kept[doc_id] = doc["removed_until"]
        self._of_chat: dict[int, tuple[int, ...]] = {chat: tuple(ids) for chat, ids in of_chat.items()}
        self._expiring = [(until, doc_id) for doc_id, until in self._kept.items()]  # soonest first
        heapq.heapify(self._expiring)

    def all_subscriptions(self) -> list[StoredSubscription]:
        return [
            doc_to_subscription(doc_id, doc)
            for doc_id, doc in self._documents.table(TABLE).items()
            if "removed_until" not in doc
        ]

    def subscriptions_of(self, chat_id: int) -> list[StoredSubscription]:
        docs = self._documents.table(TABLE)
        ids = self._of_chat.get(chat_id, ())
        return [doc_to_subscription(i, docs[i]) for i in ids if i not in self._kept]

    def count(self) -> int:
        return len(self._documents.table(TABLE)) - len(self._kept)

    def add_subscriptions(
        self, chat_id: int, queries: Sequence[str], thread_id: int | None = None
    ) -> list[StoredSubscription]:
        """Add subscriptions to a chat (or topic), numbered after the highest number its
        subscriptions have, or removed ones kept for an undo have."""
        now = self._clock()
        spot = (chat_id, thread_id)
        added = []
        with self._documents.unit():
            self._forget_removed(now)
            for query in queries:
                number = self._next_number(spot)
                doc = {
                    "chat_id": chat_id,
                    "query": query,
                    "created": now,
                    "thread_id": thread_id,
                    "number": number,
                }
                doc_id = self._documents.insert(TABLE, doc)
                self._file_number(doc_id, chat_id)
                added.append(StoredSubscription(id=doc_id, chat_id=chat_id, query=query, thread_id=thread_id,
                                                number=number))  # fmt: skip
        return added

    def update_subscription(self, subscription: StoredSubscription) -> None:
        """Save a subscription's own pace and mute (its query, chat, topic and number stay)."""
        fields = {
            "delivery": subscription.delivery.value if subscription.delivery else None,
            "muted_until": subscription.muted_until,
        }
        self._documents.update(TABLE, subscription.id, fields)

    def remove_subscriptions(self, ids: Iterable[int], *, kept_for: float = 0.0) -> None:
        """Remove subscriptions. For *kept_for* seconds they are kept for
        :meth:`restore_subscriptions`, and no new subscription of their place takes their numbers."""
        ids = [i for i in dict.fromkeys(ids) if self._filed(i) is not None and i not in self._kept]
        if not ids:
            return
        now = self._clock()
        with self._documents.unit():
            self._forget_removed(now)
            for doc_id in ids:
                if kept_for > 0:
                    self._documents.update(TABLE, doc_id, {"removed_until": now + kept_for})
                    self._kept[doc_id] = now + kept_for
                    heapq.heappush(self._expiring, (now + kept_for, doc_id))
                else:
                    self._unfile_number(doc_id)
                    self._documents.remove(TABLE, doc_id)
            if kept_for > 0:
                for chat_id in {self._documents.table(TABLE)[i]["chat_id"] for i in ids}:
                    self._keep_fewer(chat_id)

    def restore_subscriptions(self, removed: Sequence[StoredSubscription]) -> list[StoredSubscription]:
        """Bring back removed subscriptions: those still kept as they were, with their id and
        number; any other anew, with its number if its place has it free, else the next."""
        back: list[StoredSubscription] = []
        with self._documents.unit():
            for subscription in removed:
                doc_id = subscription.id
                if doc_id in self._kept and self._filed(doc_id) == (
                    place_of(subscription),
                    subscription.number,
                ):
                    doc = dict(self._documents.table(TABLE)[doc_id])
                    del doc["removed_until"]
                    self._documents.put(TABLE, doc_id, doc)
                    del self._kept[doc_id]
                    back.append(doc_to_subscription(doc_id, doc))
                    continue
                spot = place_of(subscription)
                free = subscription.number > 0 and subscription.number not in self._numbers(spot)
                number = subscription.number if free else self._next_number(spot)
                fields = {
                    "chat_id": subscription.chat_id,
                    "query": subscription.query,
                    "created": self._clock(),
                    "thread_id": subscription.thread_id,
                    "number": number,
                    "delivery": subscription.delivery.value if subscription.delivery else None,
                    "muted_until": subscription.muted_until,
                }
                doc_id = self._documents.insert(TABLE, fields)
                self._file_number(doc_id, subscription.chat_id)
                back.append(replace(subscription, id=doc_id, number=number))
        return back

    def move_chat(self, old: int, new: int) -> None:
        """Move chat *old*'s subscriptions (and those kept for an undo) to chat *new*, with
        their numbers; one that *new* already uses (the supergroup had its own subscriptions
        before the bot learnt of the move) gets the next free one."""
        docs = self._documents.table(TABLE)
        moved = sorted((docs[i]["number"], i, docs[i].get("thread_id")) for i in self._of_chat.get(old, ()))
        clashing = []
        with self._documents.unit():
            for number, doc_id, thread_id in moved:
                self._unfile_number(doc_id)
                if number in self._numbers((new, thread_id)):
                    clashing.append((doc_id, thread_id))
                else:
                    self._documents.update(TABLE, doc_id, {"chat_id": new})
                    self._file_number(doc_id, new)
            for doc_id, thread_id in clashing:
                number = self._next_number((new, thread_id))
                self._documents.update(TABLE, doc_id, {"chat_id": new, "number": number})
                self._file_number(doc_id, new)

    def _number_old_subscriptions(self) -> None:
        """At open: number the subscriptions of a database written before they had numbers
        (in each place, in the order /list showed them: oldest first), and forget removed
        ones kept past their time."""
        docs = self._documents.table(TABLE)
        unnumbered = sorted((doc_id, place(doc)) for doc_id, doc in docs.items() if "number" not in doc)
        expired = any(until <= self._clock() for until in self._kept.values())
        if not unnumbered and not expired:
            return
        with self._documents.unit():
            for doc_id, spot in unnumbered:
                number = self._next_number(spot)
                self._documents.update(TABLE, doc_id, {"number": number})
                self._file_number(doc_id, spot[0])
            self._forget_removed(self._clock())
        if unnumbered:
            log.info("numbered %d subscriptions", len(unnumbered))

    def _forget_removed(self, now: float) -> None:
        """Drop the removed subscriptions kept for an undo whose time is over (their numbers
        may be given again): what this costs follows what is due."""
        due = []
        while self._expiring and self._expiring[0][0] <= now:
            until, doc_id = heapq.heappop(self._expiring)
            if self._kept.get(doc_id) == until:  # (not restored, nor kept anew, meanwhile)
                due.append(doc_id)
        self._forget(due)

    def _keep_fewer(self, chat_id: int) -> None:
        """Forget the chat's oldest kept subscriptions beyond :data:`KEPT_PER_CHAT`."""
        kept = sorted((self._kept[i], i) for i in self._of_chat.get(chat_id, ()) if i in self._kept)
        self._forget([doc_id for _, doc_id in kept[: max(0, len(kept) - KEPT_PER_CHAT)]])

    def _forget(self, doc_ids: Sequence[int]) -> None:
        """Drop these kept subscriptions, each chat's ids filed again once."""
        gone: dict[int, set[int]] = {}
        for doc_id in dict.fromkeys(doc_ids):
            gone.setdefault(self._documents.table(TABLE)[doc_id]["chat_id"], set()).add(doc_id)
            self._documents.remove(TABLE, doc_id)
            del self._kept[doc_id]
        for chat_id, ids in gone.items():
            rest = tuple(i for i in self._of_chat.get(chat_id, ()) if i not in ids)
            if rest:
                self._of_chat[chat_id] = rest
            else:
                self._of_chat.pop(chat_id, None)

    def _numbers(self, spot: Place) -> dict[int, int]:
        """The numbers *spot* uses, each with its subscription."""
        chat_id, thread_id = spot
        docs = self._documents.table(TABLE)
        return {
            docs[doc_id]["number"]: doc_id
            for doc_id in self._of_chat.get(chat_id, ())
            if docs[doc_id].get("thread_id") == thread_id
        }

    def _next_number(self, spot: Place) -> int:
        return max(self._numbers(spot), default=0) + 1

    def _filed(self, doc_id: int) -> tuple[Place, int] | None:
        """The place and number subscription *doc_id* is filed under (None: not filed)."""
        doc = self._documents.get(TABLE, doc_id)
        if doc is None or "number" not in doc or doc_id not in self._of_chat.get(doc["chat_id"], ()):
            return None
        return place(doc), doc["number"]

    def _file_number(self, doc_id: int, chat_id: int) -> None:
        """File numbered document *doc_id* with its chat (once its document has its place
        and number)."""
        ids = self._of_chat.get(chat_id, ())
        if doc_id not in ids:
            self._of_chat[chat_id] = (*ids, doc_id)

    def _unfile_number(self, doc_id: int) -> None:
        """Take *doc_id*'s number back from its place (before its document changes place or
        number, or is removed)."""
        filed = self._filed(doc_id)
        if filed is None:
            return
        (chat_id, _), _ = filed
        rest = tuple(i for i in self._of_chat[chat_id] if i != doc_id)
        if rest:
            self._of_chat[chat_id] = rest
        else:
            del self._of_chat[chat_id]

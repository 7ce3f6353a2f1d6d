"""The outbox: every message to deliver and what became of it, and the stories held for
digests (tables ``outbox`` and ``held``).

A key is queued at most once (a story reaches a chat once): the outbox keeps the keys of
delivered alerts until they are pruned. A sent alert keeps its text for a while, so a later
copy of its story from another feed can add that feed under it (an *edit*, queued like a
message).

Besides the documents, the outbox keeps in memory what its frequent questions need, so each
costs what it finds rather than the size of the outbox: the waiting messages in the order
they go, and by chat; the delivered ones in the order they are forgotten (by the time they
were sent); the held stories by the time they are due; the refused ones. All are rebuilt
from the documents at start and after a unit the sink refused.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.adapters.storage.documents import Doc, Documents
from bot.adapters.storage.records import doc_to_entry, doc_to_held, entry_to_doc, held_to_doc, told_doc
from bot.adapters.storage.waiting import Waiting
from bot.core.pace import HoldReason
from bot.service.ports import HeldStory, OutboxEntry, Outcome, StoryCopy

__all__ = ["MAX_OTHER_SOURCES", "Outbox"]

# The other sources of a story an alert names at most: a story carried by many feeds edits
# its alert this many times at most.
MAX_OTHER_SOURCES = 10
PENDING = "pending"
FAILED = Outcome.FAILED.value
Heap = list[tuple[float, int]]  # (time, document id), soonest first


class Outbox:
    def __init__(self, documents: Documents) -> None:
        self._documents = documents
        self._index()
        documents.on_undo(self._index)

    def _index(self) -> None:
        outbox, held = self._documents.table("outbox"), self._documents.table("held")
        self._ids = {doc["key"]: doc_id for doc_id, doc in outbox.items()}
        self._pending = Waiting()
        self._failed: set[int] = set()  # documents of messages Telegram refused for good
        self._delivered: Heap = []  # by when they were sent: they are forgotten in this order
        self._texts: Heap = []  # the same, of those that keep their text
        for doc_id, doc in outbox.items():
            if doc["status"] == PENDING:
                self._pending.put(doc_to_entry(doc))
            else:
                self._track(doc_id, doc, heaps=False)
        heapq.heapify(self._delivered)
        heapq.heapify(self._texts)
        self._held_ids = {doc["key"]: doc_id for doc_id, doc in held.items()}
        self._held = {doc["key"]: doc_to_held(doc) for doc in held.values()}
        self._due: Heap = [(doc["until"], doc_id) for doc_id, doc in held.items()]  # held, by when due
        heapq.heapify(self._due)

    def _track(self, doc_id: int, doc: Doc, *, heaps: bool = True) -> None:
        """Note a message that is no longer waiting (*heaps*: keep the heaps' order now)."""
        if doc["status"] == FAILED:
            self._failed.add(doc_id)
            return
        sent_at = _sent_at(doc)
        push = heapq.heappush if heaps else list.append
        push(self._delivered, (sent_at, doc_id))
        if doc["html"]:
            push(self._texts, (sent_at, doc_id))

    # --- queueing -------------------------------------------------------------------------

    def enqueue(self, entries: Iterable[OutboxEntry]) -> int:
        """Add messages to deliver; a key queued before, or held, is skipped. Returns the
        count added."""
        fresh = self.new_alerts(entries)
        with self._documents.unit():
            self._insert(entry_to_doc(entry) for entry in fresh.values())
        return len(fresh)

    def _insert(self, docs: Iterable[dict[str, Any]]) -> None:
        for doc in docs:
            if doc["key"] not in self._ids:
                self._ids[doc["key"]] = doc_id = self._documents.insert("outbox", doc)
                if doc["status"] == PENDING:
                    self._pending.put(doc_to_entry(doc))
                else:
                    self._track(doc_id, doc)

    def new_alerts(self, entries: Iterable[OutboxEntry]) -> dict[str, OutboxEntry]:
        """The entries not queued before, nor held for a digest."""
        fresh: dict[str, OutboxEntry] = {}
        for entry in entries:
            if not self.has_alert(entry.key) and entry.key not in fresh:
                fresh[entry.key] = entry
        return fresh

    def pending(self) -> list[OutboxEntry]:
        """Messages still to deliver, in the order of :meth:`waiting`."""
        return list(self._pending.in_order())

    def waiting(self) -> Iterator[OutboxEntry]:
        """Messages still to deliver, in the order they are tried: alerts (and digests and
        notices) oldest first, then the edits that add sources to messages already sent.
        Read it before changing the outbox: it reads the outbox as it is."""
        return self._pending.in_order()

    def also_of(self, key: str) -> tuple[str, ...]:
        """The other sources a waiting message names."""
        entry = self._pending.get(key)
        return entry.also if entry is not None else ()

    def has_alert(self, key: str) -> bool:
        """Whether the chat of alert *key* has it: sent, waiting, held, or told in a digest."""
        return key in self._ids or key in self._held

    # --- what became of each message ------------------------------------------------------

    def record_alert(
        self,
        key: str,
        outcome: Outcome,
        reason: str,
        at: float,
        message_id: int | None = None,
        also_shown: Sequence[str] = (),
    ) -> None:
        """What became of a message (sent: as message *message_id*, naming *also_shown* as
        its story's other sources).

        If the sink refuses it, the message is still no longer pending (it was sent: it must
        not be sent again); the outcome is written with the next change that is kept, and
        StoreError is raised all the same."""
        entry = self._pending.pop(key)
        if entry is None:
            return
        with self._documents.unit(keep=True):
            self._record(entry, outcome, reason, at, message_id, also_shown)

    def _record(
        self,
        entry: OutboxEntry,
        outcome: Outcome,
        reason: str,
        at: float,
        message_id: int | None,
        also_shown: Sequence[str],
    ) -> None:
        key, documents = entry.key, self._documents
        fields: dict[str, Any] = {"status": outcome.value, "reason": reason}
        alert_key = key.split(":", 2)[2] if entry.edits is not None else key
        shown: int | None = None  # the message that shows the story, if it can be edited
        if outcome is Outcome.SENT:
            fields["sent_at"] = at  # the key stays: delivery is idempotent
            if entry.edits is None and message_id is not None and _keeps_text(key):
                fields["message_id"] = shown = message_id  # the text stays, for a while
            else:
                fields["html"] = ""
                shown = entry.edits
        doc_id = self._ids[key]
        doc = documents.update("outbox", doc_id, fields)
        if doc is not None:
            self._track(doc_id, doc)
        if entry.edits is not None and outcome is not Outcome.SENT:
            # The message was deleted, or cannot be edited: leave it as it is.
            self._forget_text(alert_key)
        if shown is not None and tuple(also_shown) != entry.also:
            # Another copy came while this was on its way: the message shows one source less.
            edit = _edit(alert_key, entry, entry.also, shown)
            if not self.has_alert(edit.key):
                self._insert([entry_to_doc(edit)])

    def _forget_text(self, key: str) -> None:
        doc_id = self._ids.get(key)
        if doc_id is not None:
            self._documents.update("outbox", doc_id, {"html": ""})

    def failed_alerts(self, limit: int) -> list[tuple[OutboxEntry, str]]:
        """The latest messages Telegram refused for good, with the reason (a refused edit is
        no loss: not listed)."""
        outbox = self._documents.table("outbox")
        docs = [outbox[doc_id] for doc_id in self._failed]
        docs = heapq.nlargest(
            limit, (doc for doc in docs if not doc.get("edits")), key=lambda d: d["created"]
        )
        return [(doc_to_entry(doc), doc["reason"]) for doc in docs]

    def failed_count(self) -> int:
        return len(self._failed)

    def prune_sent(
        self, before: float, *, texts_before: float | None = None, limit: int | None = None
    ) -> int:
        """Forget delivered messages sent before *before*, then the texts of those sent
        before *texts_before*: at most *limit* messages in all (None: every one). Returns how
        many it forgot or shortened; fewer than *limit* means none is left to do."""
        outbox = self._documents.table("outbox")
        with self._documents.unit():
            old = self._take(self._delivered, before, limit, lambda doc: True)
            for doc_id in old:
                self._ids.pop(outbox[doc_id]["key"], None)
                self._documents.remove("outbox", doc_id)
            wordless: list[int] = []
            if texts_before is not None and (limit is None or len(old) < limit):
                left = None if limit is None else limit - len(old)
                wordless = self._take(self._texts, texts_before, left, lambda doc: bool(doc["html"]))
            for doc_id in wordless:
                self._documents.update("outbox", doc_id, {"html": ""})
        return len(old) + len(wordless)

    def _take(self, heap: Heap, before: float, limit: int | None, wanted: Callable[[Doc], bool]) -> list[int]:
        """Take from *heap* the delivered messages (that are *wanted*) sent before *before*, at
        most *limit*. Entries of documents since removed or changed are dropped on the way."""
        outbox = self._documents.table("outbox")
        taken: list[int] = []
        while heap and heap[0][0] < before and (limit is None or len(taken) < limit):
            sent_at, doc_id = heapq.heappop(heap)
            doc = outbox.get(doc_id)
            if doc is None or doc["status"] in (PENDING, FAILED) or _sent_at(doc) != sent_at:
                continue  # removed or changed since
            if wanted(doc):
                taken.append(doc_id)
        return taken

    # --- chats that go away or move --------------------------------------------------------

    def fail_chat(self, chat_id: int, reason: str) -> None:
        """The chat will not take messages: its pending ones are given up (blocked)."""
        doomed = [entry.key for entry in self._pending.of_chat(chat_id)]
        with self._documents.unit():
            for key in doomed:
                doc_id = self._ids[key]
                doc = self._documents.update(
                    "outbox", doc_id, {"status": Outcome.BLOCKED.value, "reason": reason}
                )
                if doc is not None:
                    self._track(doc_id, doc)
        for key in doomed:
            self._pending.pop(key)

    def move_chat(self, old: int, new: int) -> None:
        """The group *old* became the supergroup *new*: its pending messages go there, except
        edits (they name a message of the old group: the supergroup's have ids of their own)."""
        waiting = self._pending.of_chat(old)
        with self._documents.unit():
            for entry in waiting:
                fields: dict[str, object]
                if entry.edits is not None:
                    fields = {"status": FAILED, "reason": f"the group moved to {new}"}
                else:
                    fields = {"chat_id": new}
                doc_id = self._ids[entry.key]
                doc = self._documents.update("outbox", doc_id, fields)
                if doc is not None and entry.edits is not None:
                    self._track(doc_id, doc)
        for entry in waiting:
            if entry.edits is not None:
                self._pending.pop(entry.key)
            else:
                self._pending.put(replace(entry, chat_id=new))

    # --- stories held for digests --------------------------------------------------------

    def held(self) -> list[HeldStory]:
        """Every story held, oldest first."""
        return sorted(self._held.values(), key=lambda story: story.held_at)

    def held_due(self, now: float) -> list[HeldStory]:
        """The stories held until *now* or earlier, oldest first: what this costs follows
        what is due, not what is held."""
        held, due = self._documents.table("held"), self._due
        found: dict[int, HeldStory] = {}
        while due and due[0][0] <= now:
            until, doc_id = heapq.heappop(due)
            doc = held.get(doc_id)
            if doc is not None and doc["until"] == until and doc_id not in found:
                found[doc_id] = self._held[doc["key"]]
        for doc_id, story in found.items():  # still held until the caller releases them
            heapq.heappush(due, (story.until, doc_id))
        return sorted(found.values(), key=lambda story: story.held_at)

    def hold(self, stories: Iterable[HeldStory]) -> None:
        with self._documents.unit():
            for story in stories:
                if not self.has_alert(story.key):
                    self._held_ids[story.key] = doc_id = self._documents.insert("held", held_to_doc(story))
                    self._held[story.key] = story
                    heapq.heappush(self._due, (story.until, doc_id))

    def release(self, keys: Sequence[str], digests: Sequence[OutboxEntry]) -> int:
        """Replace held stories by the digests that tell them, at once: after a crash either
        both happened or neither. Returns how many digest messages were queued."""
        keys = [key for key in keys if key in self._held]
        fresh = self.new_alerts(digests)
        with self._documents.unit():
            for key in keys:
                story = self._held.pop(key)
                self._documents.remove("held", self._held_ids.pop(key))
                self._insert([told_doc(story)])  # told in a digest: a later copy brings no alert
            self._insert(entry_to_doc(entry) for entry in fresh.values())
        return len(fresh)

    def reschedule(self, keys: Sequence[str], until: float, reason: HoldReason | None = None) -> None:
        """Hold these stories until *until* instead (quiet hours turned off: now), and for
        *reason* if given (the chat chose another pace)."""
        with self._documents.unit():
            for key in [key for key in keys if key in self._held]:
                story = replace(self._held[key], until=until, reason=reason or self._held[key].reason)
                self._documents.put("held", self._held_ids[key], held_to_doc(story))
                self._held[key] = story
                heapq.heappush(self._due, (until, self._held_ids[key]))

    def alert_times(self, since: float) -> dict[int, list[float]]:
        """When each chat's instant alerts since *since* were queued, oldest first."""
        times: dict[int, list[float]] = {}
        for doc in self._documents.table("outbox").values():
            if doc.get("instant") and doc["created"] >= since:
                times.setdefault(doc["chat_id"], []).append(doc["created"])
        return {chat: sorted(moments) for chat, moments in times.items()}

    # --- later copies of stories -----------------------------------------------------------

    def add_copies(self, copies: Sequence[StoryCopy]) -> dict[str, OutboxEntry]:
        """Name the feeds of later copies under their stories' alerts: a held or waiting one
        goes out with them; a sent one gets an edit (an edit not sent yet is brought up to
        date rather than followed by another). Returns the edits to queue."""
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
        self.set_sources(also)
        return edits

    def _story(self, key: str) -> tuple[OutboxEntry | HeldStory, int | None] | None:
        """The alert (or held story) *key*, and the id of the message it became if it was
        sent; None if it cannot take other sources any more."""
        if key in self._held:
            return self._held[key], None
        entry = self._pending.get(key)
        if entry is not None:
            return entry, None
        doc_id = self._ids.get(key)
        doc = self._documents.get("outbox", doc_id) if doc_id is not None else None
        if doc is None or doc["status"] != Outcome.SENT.value or not doc["html"] or not doc.get("message_id"):
            return None
        return doc_to_entry(doc), doc["message_id"]

    def set_sources(self, also: Mapping[str, tuple[str, ...]]) -> None:
        with self._documents.unit():
            for key, sources in also.items():
                if key in self._held:
                    self._held[key] = story = replace(self._held[key], also=sources)
                    self._documents.put("held", self._held_ids[key], held_to_doc(story))
                elif key in self._ids:
                    self._documents.update("outbox", self._ids[key], {"also": list(sources)})
                    entry = self._pending.get(key)
                    if entry is not None:
                        self._pending.put(replace(entry, also=sources))

    def counts(self) -> tuple[int, int]:
        """Messages waiting, and messages refused for good."""
        return len(self._pending), self.failed_count()


def _edit(alert_key: str, shown: OutboxEntry, sources: tuple[str, ...], message_id: int) -> OutboxEntry:
    """The edit that makes message *message_id* (alert *alert_key*, as in *shown*) name
    *sources*. Its key grows with the sources, so each edit is queued once."""
    key = f"edit:{len(sources)}:{alert_key}"
    return replace(shown, key=key, also=sources, edits=message_id, instant=False, silent=True)


def _sent_at(doc: Doc) -> float:
    """When a delivered message was sent (one given up on: when it was queued)."""
    return float(doc["sent_at"] or doc["created"])


def _keeps_text(key: str) -> bool:
    """Whether a sent message's text is kept for a while: an alert's is (a later copy of its
    story adds its source to it); a digest's or a notice's is not."""
    return key.startswith("alert:")

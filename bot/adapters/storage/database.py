"""The bot's database: the repositories over one set of documents, and the changes that
span several of them (a poll, a chat that leaves or moves), each made as one unit."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from bot.adapters.storage.broadcasts import BroadcastRepository
from bot.adapters.storage.chats import ChatRepository
from bot.adapters.storage.documents import Documents, DocumentSink
from bot.adapters.storage.feeds import FeedRepository
from bot.adapters.storage.legacy_journal import fold_legacy
from bot.adapters.storage.outbox import Outbox
from bot.adapters.storage.subscriptions import SubscriptionRepository
from bot.adapters.storage.tinydb_files import TinyDBFiles
from bot.service.ports import OutboxEntry, PollRecord, StorageFailure, StoreStats

__all__ = ["Database"]

log = logging.getLogger(__name__)


class Database:
    """Every repository of one database; ``chats``, ``subscriptions``, ``feeds``,
    ``outbox`` and ``broadcasts`` are what the services are given."""

    def __init__(self, sink: DocumentSink, clock: Callable[[], float] = time.time) -> None:
        self.sink = sink
        self.documents = documents = Documents(sink)
        self.chats = ChatRepository(documents, clock)
        self.subscriptions = SubscriptionRepository(documents, clock)
        self.feeds = FeedRepository(documents)
        self.outbox = Outbox(documents)
        self.broadcasts = BroadcastRepository(documents)
        legacy = getattr(sink, "legacy", None)
        if legacy:
            fold_legacy(self, legacy)

    @classmethod
    def open(
        cls, data_dir: Path, name: str = "newsbot.json", clock: Callable[[], float] = time.time
    ) -> Database:
        """The TinyDB database *name* in *data_dir* (created if needed)."""
        files = TinyDBFiles.open(data_dir, name)
        try:
            return cls(files, clock)
        except BaseException:
            files.close()
            raise

    async def durable(self) -> None:
        """Return once every change made so far survives a crash of the machine."""
        self.documents.flush()
        await self.sink.durable()

    async def recorded(self) -> None:
        """Return once every change made so far outlives the bot's process: the outcomes
        of sent messages the storage refused included, so that while it refuses them no
        other message goes (each would be sent again after a crash)."""
        self.documents.flush()
        await self.sink.recorded()

    def failed_alerts(self, limit: int) -> list[tuple[OutboxEntry, str]]:
        return self.outbox.failed_alerts(limit)

    def close(self) -> None:
        self._flush()
        self.sink.close()

    async def aclose(self) -> None:
        """Close from inside the event loop: what is written is kept first."""
        self._flush()
        await self.sink.aclose()

    def _flush(self) -> None:
        """What became of messages the sink refused to record is tried once more: lost, the
        messages would be sent again after the restart."""
        try:
            self.documents.flush()
        except StorageFailure as exc:
            log.error("could not record what became of some messages (%s); they may be sent again", exc)

    # --- changes that span repositories -------------------------------------------------

    def record_poll(self, record: PollRecord) -> int:
        """Record one feed's poll at once: its state, seen tokens, recent items, the stories
        that reached chats, new alerts and held stories, and what later copies of stories
        change. Returns the number of alerts queued (those queued before are skipped)."""
        with self.documents.unit():
            feeds, outbox = self.feeds, self.outbox
            alerts = outbox.new_alerts(record.alerts)
            edits = outbox.add_copies(record.copies)
            outbox.hold(story for story in record.held if story.key not in alerts)
            added = outbox.enqueue([*alerts.values(), *edits.values()])
            feeds.save_state(record.feed, record.state)
            feeds.save_seen(record.feed, record.seen)
            feeds.change_recent(record.recent_added, record.recent_dropped)
            feeds.add_stories(record.stories)
        return added

    def deactivate_chat(self, chat_id: int, reason: str) -> None:
        """Stop sending to *chat_id* (its subscriptions are kept); its pending alerts fail."""
        with self.documents.unit():
            self.chats.set_inactive(chat_id, reason)
            self.outbox.fail_chat(chat_id, reason)

    def migrate_chat(self, old: int, new: int) -> None:
        """The group *old* became the supergroup *new*: move its subscriptions and pending
        alerts there, and make *new* the active chat."""
        with self.documents.unit():
            kind, title = self.chats.kind_and_title(old) or ("supergroup", "")
            self.chats.register_chat(new, "supergroup" if kind == "group" else kind, title)
            self.chats.set_inactive(old, f"moved to {new}")
            self.subscriptions.move_chat(old, new)
            self.outbox.move_chat(old, new)

    def prune_sent(
        self, before: float, *, texts_before: float | None = None, limit: int | None = None
    ) -> int:
        """Forget what is no longer needed: the per-chat records of broadcasts that are over,
        delivered alerts sent before *before*, and the texts of those sent before
        *texts_before* (kept until then so later copies of their story can amend them), then
        the stories seen before then. At most *limit* records in one unit (None: all), so
        pruning a big backlog takes several calls, none holding the event loop for long.
        Returns how many records it removed or shortened: fewer than *limit* means none is
        left to do."""
        with self.documents.unit():
            pruned = self.broadcasts.drop_finished(limit)
            left = None if limit is None else limit - pruned
            if left is None or left > 0:
                pruned += self.outbox.prune_sent(before, texts_before=texts_before, limit=left)
            if texts_before is not None and (limit is None or pruned < limit):
                self.feeds.forget_stories(texts_before)  # (the texts of their alerts are gone)
        return pruned

    def stats(self) -> StoreStats:
        chats, active = self.chats.counts()
        feeds, seen, recent = self.feeds.counts()
        pending, failed = self.outbox.counts()
        return StoreStats(
            chats=chats,
            active_chats=active,
            subscriptions=self.subscriptions.count(),
            feeds=feeds,
            seen_items=seen,
            recent_items=recent,
            pending_messages=pending,
            failed_messages=failed,
            broadcasts_in_progress=self.broadcasts.in_progress_count(),
        )

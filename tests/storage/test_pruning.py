"""What the database forgets, and when: pruning in bounded batches forgets what pruning at
once would, a finished broadcast keeps its counts through a crash at any batch, and the
counts and due stories the database keeps at hand agree with its documents after a restart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from bot.adapters.storage.database import Database
from bot.adapters.storage.documents import Change, MemorySink
from bot.core.items import Item
from bot.core.pace import HoldReason
from bot.service.ports import Broadcast, BroadcastStatus, HeldStory, OutboxEntry, Outcome, StorageFailure
from tests.storage.backends import Backend, restart

DAY = 86400.0


def alert(key: str, chat: int = 1, created: float = 1.0) -> OutboxEntry:
    return OutboxEntry(key=key, chat_id=chat, html=f"<b>{key}</b>", created=created)


def a_week_of_alerts(store: Database) -> None:
    """Alerts sent on days 1 to 7 (with and without a message to amend), refused ones, one
    given up on when its chat left, and one still waiting."""
    store.outbox.enqueue([alert(f"alert:1:{day}", created=day * DAY) for day in range(1, 8)])
    store.outbox.enqueue([alert(f"notice:{day}", created=day * DAY) for day in range(1, 4)])
    store.outbox.enqueue([alert("alert:1:refused", created=DAY), alert("alert:2:left", chat=2, created=DAY)])
    store.outbox.enqueue([alert("alert:1:waiting", created=DAY)])
    for day in range(1, 8):
        store.outbox.record_alert(f"alert:1:{day}", Outcome.SENT, "", at=day * DAY + 5, message_id=day)
    for day in range(1, 4):
        store.outbox.record_alert(f"notice:{day}", Outcome.SENT, "", at=day * DAY + 5, message_id=100 + day)
    store.outbox.record_alert("alert:1:refused", Outcome.FAILED, "Message is too long", at=DAY)
    store.deactivate_chat(2, "blocked")


def remembered(store: Database) -> dict[str, str]:
    """Each message the outbox remembers, with the text it keeps."""
    return {doc["key"]: doc["html"] for doc in store.documents.table("outbox").values()}


# What remains of that week once pruned before day 3 (texts before day 5): the key of each
# message, with the text it keeps.
PRUNED_BEFORE, TEXTS_BEFORE = 3 * DAY + 10, 5 * DAY + 10
AFTER_PRUNING = {
    "alert:1:4": "",
    "alert:1:5": "",
    "alert:1:6": "<b>alert:1:6</b>",
    "alert:1:7": "<b>alert:1:7</b>",
    "alert:1:refused": "<b>alert:1:refused</b>",  # refused ones stay, for /stats
    "alert:1:waiting": "<b>alert:1:waiting</b>",
}


@pytest.mark.parametrize("batch", [None, 2, 1])
def test_pruning_in_batches_forgets_what_pruning_at_once_does(backend: Backend, batch: int | None):
    store = backend.open()
    a_week_of_alerts(store)
    total = 0
    while True:
        pruned = store.prune_sent(PRUNED_BEFORE, texts_before=TEXTS_BEFORE, limit=batch)
        total += pruned
        store = backend.crash(store)  # a crash between batches loses nothing done
        if batch is None or pruned < batch:
            break
        assert pruned == batch
    assert total == 7 + 2, "seven forgotten, two shortened"
    assert remembered(store) == AFTER_PRUNING
    assert store.outbox.enqueue([alert("alert:1:1")]) == 1, "a forgotten key may come again"
    assert store.outbox.enqueue([alert("alert:1:4")]) == 0, "a remembered one may not"
    assert store.prune_sent(PRUNED_BEFORE, texts_before=TEXTS_BEFORE, limit=batch) == 0
    store.close()


def test_a_finished_broadcast_keeps_its_counts_through_a_crash_at_any_batch(backend: Backend):
    store = backend.open()
    targets = tuple(range(1, 11))
    started = Broadcast(id="b1", html="hi", status=BroadcastStatus.SENDING, author=7, chat_id=7, created=1.0,
                        targets=targets, total=len(targets))  # fmt: skip
    store.broadcasts.save_broadcast(started)
    for chat in targets:
        store.broadcasts.record_broadcast("b1", chat, Outcome.BLOCKED if chat == 4 else Outcome.SENT, "")
    [finishing] = store.broadcasts.broadcasts_in_progress()
    store.broadcasts.save_broadcast(replace(finishing, status=BroadcastStatus.DONE, finished=9.0))

    def counts(database: Database) -> tuple[object, ...]:
        finished = database.broadcasts.broadcast("b1")
        assert finished is not None
        return finished.status, finished.sent, finished.blocked, finished.failed, finished.total

    store = backend.crash(store)  # before any of its records went
    assert store.broadcasts.broadcasts_in_progress() == [], "over: it is not sent again"
    assert counts(store) == (BroadcastStatus.DONE, 9, 1, 0, 10)
    assert len(store.documents.table("deliveries")) == 10
    batches = 0
    while store.documents.table("deliveries"):
        assert store.prune_sent(before=0.0, limit=3) <= 3
        batches += 1
        store = backend.crash(store)
        assert store.broadcasts.broadcasts_in_progress() == []
        assert counts(store) == (BroadcastStatus.DONE, 9, 1, 0, 10)
    assert batches == 4
    assert store.prune_sent(before=0.0, limit=3) == 0
    store.close()


def test_failed_and_waiting_counts_follow_the_outbox_through_restarts(backend: Backend):
    store = backend.open()
    store.outbox.enqueue([alert("a", chat=-5), alert("b", chat=-5), alert("c")])
    store.outbox.record_alert("a", Outcome.SENT, "", at=2.0, message_id=10)
    edit = replace(alert("edit:2:a", chat=-5), edits=10)
    store.outbox.enqueue([edit])
    store.outbox.record_alert("c", Outcome.FAILED, "Message is too long", at=2.0)
    stats = store.stats()
    assert (stats.pending_messages, stats.failed_messages) == (2, 1)
    store.migrate_chat(-5, -1005)  # the edit names a message of the old group: it fails
    assert [(e.key, e.chat_id) for e in store.outbox.pending()] == [("b", -1005)]
    stats = store.stats()
    assert (stats.pending_messages, stats.failed_messages) == (1, 2)
    store = restart(backend, store)
    stats = store.stats()
    assert (stats.pending_messages, stats.failed_messages) == (1, 2)
    assert [e.key for e, _ in store.failed_alerts(5)] == ["c"], "a refused edit is no loss: not listed"
    store.close()


def held(key: str, until: float, held_at: float, reason: HoldReason = HoldReason.DAILY) -> HeldStory:
    item = Item(feed="F", key=key, title=key, link=f"https://e.org/{key}", summary="")
    return HeldStory(key=f"alert:1:{key}", chat_id=1, thread_id=None, item=item, keywords=("x",),
                     reason=reason, until=until, held_at=held_at)  # fmt: skip


def test_the_stories_due_are_those_held_until_now_oldest_first(backend: Backend):
    store = backend.open()
    store.outbox.hold(
        [held("late", 50.0, 1.0), held("b", 10.0, 3.0), held("a", 20.0, 2.0), held("c", 5.0, 4.0)]
    )
    assert [s.item.key for s in store.outbox.held_due(20.0)] == ["a", "b", "c"]
    assert [s.item.key for s in store.outbox.held_due(20.0)] == ["a", "b", "c"], "asking takes nothing"
    store.outbox.reschedule(["alert:1:a"], 40.0, HoldReason.QUIET)
    store.outbox.reschedule(["alert:1:late"], 15.0)
    assert [s.item.key for s in store.outbox.held_due(20.0)] == ["late", "b", "c"]
    store = backend.crash(store)
    assert [s.item.key for s in store.outbox.held_due(20.0)] == ["late", "b", "c"]
    store.outbox.release(["alert:1:b", "alert:1:late"], [alert("digest:1")])
    assert [s.item.key for s in store.outbox.held_due(20.0)] == ["c"]
    assert [(s.item.key, s.reason) for s in store.outbox.held_due(40.0)] == [
        ("a", HoldReason.QUIET),
        ("c", HoldReason.DAILY),
    ]
    store = restart(backend, store)
    assert [s.item.key for s in store.outbox.held_due(40.0)] == ["a", "c"]
    assert [s.item.key for s in store.outbox.held_due(4.0)] == []
    store.close()


class RefusingSink(MemorySink):
    """Keeps nothing outside the process, and refuses every unit while *refuse* is set."""

    refuse = False

    def write(self, changes: Sequence[Change]) -> None:
        if self.refuse:
            raise StorageFailure("No space left on device")


def test_what_the_outbox_keeps_at_hand_is_right_after_units_the_disk_refused():
    sink = RefusingSink()
    store = Database(sink)
    store.outbox.enqueue([alert("a", chat=-5, created=1.0), alert("b", chat=-5, created=2.0)])
    store.outbox.record_alert("a", Outcome.SENT, "", at=3.0, message_id=10)
    store.outbox.enqueue([replace(alert("edit:2:a", chat=-5), edits=10)])
    sink.refuse = True
    with pytest.raises(StorageFailure):
        store.migrate_chat(-5, -1005)
    with pytest.raises(StorageFailure):
        store.prune_sent(before=10.0)
    with pytest.raises(StorageFailure):
        store.outbox.hold([held("h", 5.0, 1.0)])
    sink.refuse = False
    stats = store.stats()
    assert (stats.pending_messages, stats.failed_messages) == (2, 0), "as before the refused units"
    assert [(e.key, e.chat_id) for e in store.outbox.waiting()] == [("b", -5), ("edit:2:a", -5)]
    assert store.outbox.held_due(10.0) == []
    assert store.outbox.has_alert("a"), "not forgotten"

    store.migrate_chat(-5, -1005)
    assert (store.stats().pending_messages, store.stats().failed_messages) == (1, 1)
    assert store.prune_sent(before=10.0) == 1
    assert not store.outbox.has_alert("a")
    store.outbox.hold([held("h", 5.0, 1.0)])
    assert [s.item.key for s in store.outbox.held_due(10.0)] == ["h"]

"""What every kind of database keeps, through restarts and crashes (see tests/storage/backends.py)."""

from __future__ import annotations

from dataclasses import replace

from bot.core.items import Item
from bot.service.ports import (
    Broadcast,
    BroadcastStatus,
    FeedState,
    OutboxEntry,
    Outcome,
    PollRecord,
    RecentItem,
)
from tests.storage.backends import Backend, restart

ITEM = Item(feed="F", key="k1", title="T", link="https://e.org/1", summary="S")
STATE = FeedState(url="https://e.org/feed", etag='"v1"', last_success=5.0, items=1)


def alert(key: str, chat: int = 1, created: float = 1.0) -> OutboxEntry:
    return OutboxEntry(key=key, chat_id=chat, html=f"<b>{key}</b>", created=created)


def a_poll(*alerts: OutboxEntry) -> PollRecord:
    return PollRecord(feed="F", state=STATE, seen={"tok": 5.0}, recent_added=[RecentItem(ITEM, 5.0)],
                      alerts=list(alerts))  # fmt: skip


def test_everything_survives_a_restart(backend: Backend):
    store = backend.open()
    assert store.chats.register_chat(7, "private", "Ann") is True
    assert store.chats.register_chat(7, "private", "Ann") is False
    subs = store.subscriptions.add_subscriptions(7, ["census", "oil prices"])
    assert store.record_poll(a_poll(alert("alert:7:x", chat=7))) == 1
    again = restart(backend, store)
    assert again.chats.is_active(7)
    assert [(s.id, s.query) for s in again.subscriptions.all_subscriptions()] == [
        (s.id, s.query) for s in subs
    ]
    assert again.feeds.feed_state("F") == STATE
    assert again.feeds.seen_tokens("F") == {"tok": 5.0}
    assert [r.item for r in again.feeds.recent_items()] == [ITEM]
    assert [e.key for e in again.outbox.pending()] == ["alert:7:x"]
    again.close()


def test_everything_survives_a_crash(backend: Backend):
    store = backend.open()
    store.chats.register_chat(7, "private", "")
    store.record_poll(a_poll(alert("alert:7:x", chat=7), alert("alert:7:y", chat=7)))
    failing = FeedState(url="https://e.org/g", last_error="HTTP 500", error_streak=1)
    store.feeds.save_state("G", failing)
    store.outbox.record_alert("alert:7:x", Outcome.SENT, "", at=6.0)
    again = backend.crash(store)
    assert (again.feeds.feed_state("F"), again.feeds.seen_tokens("F"), again.feeds.feed_state("G")) == (
        STATE,
        {"tok": 5.0},
        failing,
    )
    assert [r.item for r in again.feeds.recent_items()] == [ITEM]
    assert [e.key for e in again.outbox.pending()] == ["alert:7:y"]
    assert again.outbox.enqueue([alert("alert:7:x", chat=7)]) == 0, "a sent key is remembered"
    again.close()


def test_keys_are_queued_once_even_after_delivery(backend: Backend):
    store = backend.open()
    assert (
        store.outbox.enqueue([alert("a1", created=2.0), alert("a2", created=3.0), alert("a1", created=4.0)])
        == 2
    )
    assert [e.key for e in store.outbox.pending()] == ["a1", "a2"]
    store.outbox.record_alert("a1", Outcome.SENT, "", at=10.0)
    store.outbox.record_alert("a2", Outcome.FAILED, "Message is too long", at=10.0)
    assert store.outbox.enqueue([alert("a1")]) == 0, "a delivered key is remembered"
    again = restart(backend, store)
    assert again.outbox.pending() == []
    assert again.outbox.enqueue([alert("a1")]) == 0
    assert [(e.key, reason) for e, reason in again.failed_alerts(5)] == [("a2", "Message is too long")]
    assert again.prune_sent(before=11.0) == 1
    assert again.outbox.enqueue([alert("a1")]) == 1, "forgotten once pruned"
    again.close()


def test_a_chat_that_leaves_keeps_its_subscriptions_and_loses_its_waiting_messages(backend: Backend):
    store = backend.open()
    store.chats.register_chat(1, "private", "")
    store.subscriptions.add_subscriptions(1, ["census"])
    store.record_poll(a_poll(alert("a", chat=1), alert("b", chat=2)))
    store.deactivate_chat(1, "blocked")
    assert not store.chats.is_active(1)
    assert [e.key for e in store.outbox.pending()] == ["b"]
    again = backend.crash(store)
    assert [e.key for e in again.outbox.pending()] == ["b"], "the message does not come back"
    assert len(again.subscriptions.all_subscriptions()) == 1
    assert again.chats.register_chat(1, "private", "") is True, "a command from the chat brings it back"
    assert again.chats.is_active(1)
    again.close()


def test_a_migrated_group_takes_its_subscriptions_and_waiting_messages(backend: Backend):
    store = backend.open()
    store.chats.register_chat(-5, "group", "Erbil friends")
    store.subscriptions.add_subscriptions(-5, ["census"])
    store.outbox.enqueue([alert("a", chat=-5), alert("b", chat=7)])
    store.migrate_chat(-5, -1005)
    assert store.chats.is_active(-1005) and not store.chats.is_active(-5)
    assert [s.chat_id for s in store.subscriptions.all_subscriptions()] == [-1005]
    assert [(e.key, e.chat_id) for e in store.outbox.pending()] == [("a", -1005), ("b", 7)], "in its turn"
    again = backend.crash(store)
    assert [(e.key, e.chat_id) for e in again.outbox.pending()] == [("a", -1005), ("b", 7)]
    assert [s.chat_id for s in again.subscriptions.all_subscriptions()] == [-1005]
    again.close()


def test_a_broadcast_resumes_where_it_stopped_and_leaves_only_its_counts(backend: Backend):
    store = backend.open()
    draft = Broadcast(id="b1", html="hi", status=BroadcastStatus.SENDING, author=7, chat_id=7, created=1.0,
                      targets=(1, 2, 3, 4), total=4)  # fmt: skip
    store.broadcasts.save_broadcast(draft)
    store.broadcasts.record_broadcast("b1", 1, Outcome.SENT, "")
    store.broadcasts.record_broadcast("b1", 2, Outcome.BLOCKED, "blocked")
    store.broadcasts.record_broadcast("b1", 2, Outcome.SENT, "")  # the same chat twice counts once

    again = backend.crash(store)
    [resumed] = again.broadcasts.broadcasts_in_progress()
    assert again.broadcasts.broadcast_done("b1") == {1, 2}
    assert (resumed.sent, resumed.blocked, resumed.remaining) == (1, 1, 2)
    again.broadcasts.save_broadcast(replace(resumed, message_id=55))  # progress shown: counts stay
    again = backend.crash(again)
    [resumed] = again.broadcasts.broadcasts_in_progress()
    assert (resumed.sent, resumed.blocked, resumed.remaining, resumed.message_id) == (1, 1, 2, 55)
    again.broadcasts.record_broadcast("b1", 3, Outcome.SENT, "")
    again.broadcasts.record_broadcast("b1", 4, Outcome.FAILED, "too long")
    [finishing] = again.broadcasts.broadcasts_in_progress()
    again.broadcasts.save_broadcast(replace(finishing, status=BroadcastStatus.DONE))
    last = restart(backend, again)
    finished = last.broadcasts.broadcast("b1")
    assert finished is not None and last.broadcasts.broadcasts_in_progress() == []
    assert (finished.targets, finished.total, finished.sent, finished.blocked, finished.failed) == (
        (),
        4,
        2,
        1,
        1,
    )
    assert last.prune_sent(before=0.0) == 4, "its records per chat go with the next prune"
    assert last.documents.table("deliveries") == {}, "over: only its counts stay"
    last.close()


def test_stats_count_what_is_stored(backend: Backend):
    store = backend.open()
    store.chats.register_chat(1, "private", "")
    store.chats.register_chat(2, "private", "")
    store.deactivate_chat(2, "blocked")
    store.subscriptions.add_subscriptions(1, ["census", "Erbil"])
    store.record_poll(a_poll(alert("a", chat=1)))
    stats = restart(backend, store).stats()
    assert (stats.chats, stats.active_chats, stats.subscriptions, stats.feeds) == (2, 1, 2, 1)
    assert (stats.seen_items, stats.recent_items, stats.pending_messages, stats.failed_messages) == (
        1,
        1,
        1,
        0,
    )


def test_waiting_messages_keep_their_order_through_a_restart(backend: Backend):
    store = backend.open()
    store.outbox.enqueue([alert("a1", created=1.0), alert("a2", created=2.0), alert("a3", created=3.0)])
    store = restart(backend, store)
    store.outbox.set_sources({"a1": ("G",)})  # a later copy of a1's story names another feed
    again = restart(backend, store)
    assert [e.key for e in again.outbox.pending()] == ["a1", "a2", "a3"], "oldest first"
    again.close()

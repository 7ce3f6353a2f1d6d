"""The TinyDB store: durable, atomic, never overwriting a file it cannot read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.adapters.store import Store, StoreError
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

REPO = Path(__file__).resolve().parents[2]


def alert(key: str, chat: int = 1, created: float = 1.0) -> OutboxEntry:
    return OutboxEntry(key=key, chat_id=chat, html=f"<b>{key}</b>", created=created)


def test_everything_survives_a_reopen(tmp_path: Path):
    store = Store.open(tmp_path)
    assert store.register_chat(7, "private", "Ann") is True
    assert store.register_chat(7, "private", "Ann") is False
    subs = store.add_subscriptions(7, ["census", "oil prices"])
    item = Item(feed="F", key="k1", title="T", link="https://e.org/1", summary="S")
    store.record_poll(
        PollRecord(
            feed="F",
            state=FeedState(url="https://e.org/feed", etag='"v1"', last_success=5.0),
            seen={"tok": 5.0},
            recent_added=[RecentItem(item=item, seen_at=5.0)],
            alerts=[alert("alert:7:x", chat=7)],
        )
    )
    store.close()

    again = Store.open(tmp_path)
    assert again.is_active(7)
    assert [(s.id, s.query) for s in again.all_subscriptions()] == [(s.id, s.query) for s in subs]
    assert again.feed_state("F") == FeedState(url="https://e.org/feed", etag='"v1"', last_success=5.0)
    assert again.seen_tokens("F") == {"tok": 5.0}
    assert [r.item for r in again.recent_items()] == [item]
    assert [e.key for e in again.pending()] == ["alert:7:x"]
    again.close()


def test_alert_keys_are_enqueued_once_even_after_delivery(tmp_path: Path):
    store = Store.open(tmp_path)
    assert store.enqueue([alert("a1", created=2.0), alert("a2", created=3.0), alert("a1", created=4.0)]) == 2
    assert [e.key for e in store.pending()] == ["a1", "a2"]
    store.record_alert("a1", Outcome.SENT, "", at=10.0)
    assert store.enqueue([alert("a1")]) == 0, "a delivered key is remembered"
    assert [e.key for e in store.pending()] == ["a2"]
    store.close()
    store = Store.open(tmp_path)
    assert [e.key for e in store.pending()] == ["a2"]
    assert store.enqueue([alert("a1")]) == 0
    assert store.prune_sent(before=11.0) == 1
    store.close()


def test_outcomes_are_journaled_and_survive_a_crash_before_any_checkpoint(tmp_path: Path):
    store = Store.open(tmp_path)
    store.enqueue([alert("a1"), alert("a2"), alert("a3")])
    store.record_alert("a1", Outcome.SENT, "", at=5.0)
    store.record_alert("a2", Outcome.FAILED, "Message is too long", at=5.0)
    journal = tmp_path / "newsbot.json.journal"
    assert len(journal.read_text().splitlines()) == 2
    with journal.open("ab") as torn:  # a record cut short by the crash
        torn.write(b'{"alert": "a3", "outc')
    store._lock.close()  # the process dies: no checkpoint, no close

    again = Store.open(tmp_path)
    assert [e.key for e in again.pending()] == ["a3"]
    assert [(e.key, reason) for e, reason in again.failed_alerts(5)] == [("a2", "Message is too long")]
    assert journal.read_text() == "", "the journal was folded into the database"
    again.close()


def test_polls_are_journaled_and_survive_a_crash_before_any_checkpoint(tmp_path: Path):
    store = Store.open(tmp_path)
    store.register_chat(7, "private", "")
    database = (tmp_path / "newsbot.json").read_bytes()
    item = Item(feed="F", key="k1", title="T", link="https://e.org/1", summary="S")
    state = FeedState(url="https://e.org/feed", etag='"v1"', last_success=5.0, items=1)
    store.record_poll(
        PollRecord(
            feed="F",
            state=state,
            seen={"tok": 5.0},
            recent_added=[RecentItem(item=item, seen_at=5.0)],
            alerts=[alert("alert:7:x", chat=7)],
        )
    )
    failing = FeedState(url="https://e.org/g", last_error="HTTP 500", error_streak=1)
    store.record_feed_failure("G", failing)
    assert (tmp_path / "newsbot.json").read_bytes() == database, "a poll does not rewrite the file"
    assert (store.feed_state("F"), store.seen_tokens("F"), store.feed_state("G")) == (
        state,
        {"tok": 5.0},
        failing,
    )
    assert store.enqueue([alert("alert:7:x", chat=7)]) == 0, "journaled alerts are in the outbox"
    store.record_alert("alert:7:x", Outcome.SENT, "", at=6.0)
    store._lock.close()  # the process dies: no checkpoint, no close

    again = Store.open(tmp_path)
    assert (again.feed_state("F"), again.seen_tokens("F"), again.feed_state("G")) == (
        state,
        {"tok": 5.0},
        failing,
    )
    assert [r.item for r in again.recent_items()] == [item]
    assert again.pending() == [] and again.enqueue([alert("alert:7:x", chat=7)]) == 0
    again.close()


def test_deactivating_a_chat_drops_its_pending_alerts_and_keeps_subscriptions(tmp_path: Path):
    store = Store.open(tmp_path)
    store.register_chat(1, "private", "")
    store.add_subscriptions(1, ["census"])
    store.enqueue([alert("a", chat=1), alert("b", chat=2)])
    store.deactivate_chat(1, "blocked")
    assert not store.is_active(1)
    assert [e.key for e in store.pending()] == ["b"]
    assert len(store.all_subscriptions()) == 1
    assert store.register_chat(1, "private", "") is True, "a command from the chat brings it back"
    assert store.is_active(1)
    store.close()


def test_a_migrated_group_takes_its_subscriptions_and_pending_alerts(tmp_path: Path):
    store = Store.open(tmp_path)
    store.register_chat(-5, "group", "Erbil friends")
    store.add_subscriptions(-5, ["census"])
    store.enqueue([alert("a", chat=-5)])
    store.migrate_chat(-5, -1005)
    assert store.is_active(-1005) and not store.is_active(-5)
    assert [s.chat_id for s in store.all_subscriptions()] == [-1005]
    assert [e.chat_id for e in store.pending()] == [-1005]
    store.close()
    again = Store.open(tmp_path)
    assert [e.chat_id for e in again.pending()] == [-1005]
    again.close()


def test_a_broadcast_resumes_where_it_stopped(tmp_path: Path):
    store = Store.open(tmp_path)
    draft = Broadcast(id="b1", html="hi", status=BroadcastStatus.SENDING, author=7, chat_id=7, created=1.0,
                      targets=(1, 2, 3, 4), total=4)  # fmt: skip
    store.save_broadcast(draft)
    store.record_broadcast("b1", 1, Outcome.SENT, "")
    store.record_broadcast("b1", 2, Outcome.BLOCKED, "blocked")
    store.record_broadcast("b1", 2, Outcome.SENT, "")  # the same chat twice counts once
    store._lock.close()  # a crash

    again = Store.open(tmp_path)
    [resumed] = again.broadcasts_in_progress()
    assert again.broadcast_done("b1") == {1, 2}
    assert (resumed.sent, resumed.blocked, resumed.remaining) == (1, 1, 2)
    again.record_broadcast("b1", 3, Outcome.SENT, "")
    again.record_broadcast("b1", 4, Outcome.SENT, "")
    [finishing] = again.broadcasts_in_progress()
    again.save_broadcast(replace(finishing, status=BroadcastStatus.DONE))
    again.close()  # folds the journal after the broadcast was saved as over: nothing counted twice
    document = json.loads((tmp_path / "newsbot.json").read_text())
    [finished] = document["broadcasts"].values()
    assert (finished["targets"], finished["done"], finished["total"]) == ([], [], 4), "over: only counts stay"
    assert (finished["sent"], finished["blocked"]) == (3, 1)


def test_a_corrupt_database_is_reported_and_left_untouched(tmp_path: Path):
    path = tmp_path / "newsbot.json"
    path.write_text('{"chats": {"1": {"chat_id": 1}}} trailing garbage')
    before = path.read_bytes()
    with pytest.raises(StoreError, match=str(path)) as error:
        Store.open(tmp_path)
    assert "corrupt" in str(error.value)
    assert path.read_bytes() == before


def test_a_json_file_that_is_not_a_database_is_refused(tmp_path: Path):
    (tmp_path / "newsbot.json").write_text("[1, 2, 3]")
    with pytest.raises(StoreError, match="not a newsbot database"):
        Store.open(tmp_path)


def test_a_second_process_cannot_open_the_same_database(tmp_path: Path):
    store = Store.open(tmp_path)
    with pytest.raises(StoreError, match="another newsbot process"):
        Store.open(tmp_path)
    store.close()
    Store.open(tmp_path).close()


def test_leftover_temporary_files_are_removed_at_start(tmp_path: Path):
    Store.open(tmp_path).close()
    leftover = tmp_path / ".tmp-newsbot.jsonabc123"
    leftover.write_text("half a write")
    Store.open(tmp_path).close()
    assert not leftover.exists()


WRITER = """
import sys, itertools
sys.path.insert(0, {repo!r})
from pathlib import Path
from bot.adapters.store import Store
store = Store.open(Path({data!r}))
print("ready", flush=True)
for n in itertools.count():
    store.add_subscriptions(n, ["keyword %d" % n] * 3)
    store.register_chat(n, "private", "x" * 200)
"""


def test_sigkill_during_writes_never_leaves_a_torn_file(tmp_path: Path):
    for round_ in range(12):
        data = tmp_path / f"round{round_}"
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER.format(repo=str(REPO), data=str(data))],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 0.05 + round_ * 0.03
        while time.monotonic() < deadline:  # let it write for a varying while
            pass
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        database = data / "newsbot.json"
        if database.exists():
            document = json.loads(database.read_bytes())  # raises if torn
            assert set(document) <= {"chats", "subscriptions"}
        store = Store.open(data)  # and the bot can start on it
        store.close()

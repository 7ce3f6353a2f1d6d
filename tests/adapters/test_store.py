"""The TinyDB store: durable, atomic, never overwriting a file it cannot read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.adapters.store import Store, StoreError
from bot.core.items import Item
from bot.service.ports import FeedState, OutboxEntry, OutboxKind, PollRecord, RecentItem

REPO = Path(__file__).resolve().parents[2]


def alert(key: str, chat: int = 1, created: float = 1.0) -> OutboxEntry:
    return OutboxEntry(key=key, chat_id=chat, kind=OutboxKind.ALERT, html=f"<b>{key}</b>", created=created)


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


def test_outbox_keys_are_enqueued_once_and_alerts_go_first(tmp_path: Path):
    store = Store.open(tmp_path)
    broadcast = OutboxEntry(key="broadcast:b:1", chat_id=1, kind=OutboxKind.BROADCAST, html="x", created=0.0)
    assert store.enqueue([broadcast, alert("a1", created=2.0), alert("a1", created=3.0)]) == 2
    assert store.enqueue([alert("a1")]) == 0
    assert [e.key for e in store.pending()] == ["a1", "broadcast:b:1"]
    store.mark_sent("a1", at=10.0)
    assert store.enqueue([alert("a1")]) == 0, "a sent key is remembered"
    assert [e.key for e in store.pending()] == ["broadcast:b:1"]
    assert store.prune_sent(before=11.0) == 1
    store.close()


def test_deactivating_a_chat_fails_its_pending_messages_and_keeps_subscriptions(tmp_path: Path):
    store = Store.open(tmp_path)
    store.register_chat(1, "private", "")
    store.add_subscriptions(1, ["census"])
    store.enqueue([alert("a", chat=1), alert("b", chat=2)])
    store.deactivate_chat(1, "blocked")
    assert not store.is_active(1)
    assert [e.key for e in store.pending()] == ["b"]
    assert store.outbox_counts("a") == {"pending": 0, "sent": 0, "failed": 1}
    assert len(store.all_subscriptions()) == 1
    assert store.register_chat(1, "private", "") is True, "a command from the chat brings it back"
    assert store.is_active(1)
    store.close()


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

"""The TinyDB store: durable, atomic, never overwriting a file it cannot read."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.adapters.durable_files import Journal
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


def test_deactivating_a_chat_with_alerts_still_only_journaled(tmp_path: Path):
    store = Store.open(tmp_path)
    store.register_chat(5, "private", "")
    store.record_poll(PollRecord(feed="F", state=FeedState(url="u"), seen={}, alerts=[alert("a", chat=5)]))
    store.deactivate_chat(5, "blocked")
    assert store.pending() == [] and not store.is_active(5)
    store.close()
    again = Store.open(tmp_path)
    assert again.pending() == [], "the alert does not come back after a restart"
    again.close()


# --- a full disk ------------------------------------------------------------------------
#
# A process's file-size limit (RLIMIT_FSIZE) makes the kernel refuse what a full disk would:
# a write that crosses the limit is cut short, the next one fails (EFBIG; Python ignores
# SIGXFSZ). No root is needed, but the limit would also hit pytest's own files, so each
# scenario runs in a process of its own and prints what it saw.

FAULT_SCRIPT = """
import json, os, resource, signal, sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from bot.adapters.durable_files import Journal
from bot.adapters.store import Store, StoreError
from bot.core.items import Item
from bot.service.ports import FeedState, OutboxEntry, Outcome, PollRecord
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
data = Path({data!r})
journal = data / "newsbot.json.journal"
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
out = {{}}

def disk_full(at):
    resource.setrlimit(resource.RLIMIT_FSIZE, (at, hard))

def disk_freed():
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))

def refused(call):
    try:
        call()
    except StoreError as exc:
        return str(exc)
    return "written"

def alert(key, chat=7):
    return OutboxEntry(key=key, chat_id=chat, html="<b>" + key + "</b>", created=1.0)

def poll(feed, *alerts):
    return PollRecord(feed=feed, state=FeedState(url="https://e.org/" + feed, last_success=5.0),
                      seen={{"tok-" + feed: 5.0}}, alerts=list(alerts))

{body}
print(json.dumps(out), flush=True)
os._exit(0)  # no close, no checkpoint: as a crash
"""


def run_with_disk_faults(data: Path, body: str) -> dict:
    pytest.importorskip(
        "resource", reason="RLIMIT_FSIZE plays the full disk; this system has no resource module"
    )
    script = FAULT_SCRIPT.format(repo=str(REPO), data=str(data), body=body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_journal_record_cut_short_by_a_full_disk_is_refused_and_the_next_one_replays(tmp_path: Path):
    out = run_with_disk_faults(
        tmp_path,
        """
store = Store.open(data)
store.record_poll(poll("A", alert("a")))
size = journal.stat().st_size
disk_full(size + 20)  # room for 20 bytes of the next record: a short write, then EFBIG
out["B"] = refused(lambda: store.record_poll(poll("B", alert("b"))))
out["B in memory"] = [store.feed_state("B") is not None, [e.key for e in store.pending()]]
out["journal cut back"] = journal.stat().st_size == size
disk_freed()
store.record_poll(poll("C", alert("c")))
""",
    )
    assert out["B"].startswith(f"cannot write the journal {tmp_path / 'newsbot.json.journal'}: ")
    assert "File too large" in out["B"]
    assert out["B in memory"] == [False, ["a"]], "the refused poll changed nothing"
    assert out["journal cut back"]
    lines = (tmp_path / "newsbot.json.journal").read_bytes().splitlines()
    assert [json.loads(line)["poll"] for line in lines] == ["A", "C"], "no torn or glued line"

    again = Store.open(tmp_path)
    assert [again.feed_state(feed) is not None for feed in "ABC"] == [True, False, True]
    assert [e.key for e in again.pending()] == ["a", "c"]
    again.close()


def test_a_database_write_refused_by_a_full_disk_changes_nothing_now_or_later(tmp_path: Path):
    out = run_with_disk_faults(
        tmp_path,
        """
store = Store.open(data)
store.register_chat(7, "private", "")
store.add_subscriptions(7, ["census"])
store.enqueue([alert("a")])
disk_full(0)
out["subscribe"] = refused(lambda: store.add_subscriptions(7, ["oil prices"]))
out["deactivate"] = refused(lambda: store.deactivate_chat(7, "blocked"))
out["migrate"] = refused(lambda: store.migrate_chat(7, -1007))
out["enqueue"] = refused(lambda: store.enqueue([alert("b")]))
out["memory"] = [[s.query for s in store.all_subscriptions()], store.is_active(7),
                 store.is_active(-1007), [(e.key, e.chat_id) for e in store.pending()]]
disk_freed()
store.add_subscriptions(7, ["Makhmour"])  # the next write that succeeds
store.enqueue([alert("b")])
""",
    )
    database = tmp_path / "newsbot.json"
    for operation in ("subscribe", "deactivate", "migrate", "enqueue"):
        assert out[operation] == f"cannot write the database file {database}: File too large", operation
    assert out["memory"] == [["census"], True, False, [["a", 7]]]
    again = Store.open(tmp_path)
    assert [s.query for s in again.all_subscriptions()] == ["census", "Makhmour"], "oil prices never arrives"
    assert again.is_active(7) and not again.is_active(-1007)
    assert [e.key for e in again.pending()] == ["a", "b"]
    again.close()


def test_a_refused_checkpoint_keeps_the_journal_and_the_tables_as_they_were(tmp_path: Path):
    out = run_with_disk_faults(
        tmp_path,
        """
store = Store.open(data)
store.record_poll(poll("A", alert("a")))
disk_full(10)
out["checkpoint"] = refused(store.checkpoint)
out["stats"] = store.stats().pending_messages  # a reader still answers
out["A"] = store.feed_state("A") is not None
disk_freed()
store.record_poll(poll("B"))
""",
    )
    assert out["checkpoint"].startswith("cannot write the database file")
    assert (out["stats"], out["A"]) == (1, True)
    again = Store.open(tmp_path)
    assert [again.feed_state(feed) is not None for feed in "AB"] == [True, True]
    assert [e.key for e in again.pending()] == ["a"]
    again.close()


def test_an_outcome_the_journal_refuses_is_not_sent_again_and_is_saved_later(tmp_path: Path):
    out = run_with_disk_faults(
        tmp_path,
        """
store = Store.open(data)
store.enqueue([alert("a"), alert("b")])
disk_full(0)
out["outcome"] = refused(lambda: store.record_alert("a", Outcome.SENT, "", 9.0))
out["pending"] = [e.key for e in store.pending()]
disk_freed()
store.checkpoint()
""",
    )
    assert out["outcome"].startswith("cannot write the journal")
    assert out["pending"] == ["b"], "a message that was sent is not sent again"
    again = Store.open(tmp_path)
    assert [e.key for e in again.pending()] == ["b"]
    again.close()


def outcome_line(key: str) -> bytes:
    return json.dumps({"alert": key, "outcome": "sent", "reason": "", "at": 9.0}).encode()


def test_replay_skips_a_torn_line_in_the_middle_and_recovers_a_record_glued_to_it(tmp_path: Path):
    store = Store.open(tmp_path)
    store.enqueue([alert(key) for key in ("a1", "a2", "a3", "a4", "a5")])
    store.close()
    sorani = "ئاگادارکردنەوە".encode()
    torn = b'{"alert":"a2","outcome":"sent","reason":"' + sorani[:7]  # cut inside a character
    (tmp_path / "newsbot.json.journal").write_bytes(
        b"\n".join([outcome_line("a1"), torn, outcome_line("a3"), torn + outcome_line("a4")]) + b"\n"
    )
    again = Store.open(tmp_path)
    assert [e.key for e in again.pending()] == ["a2", "a5"]
    again.close()


def test_files_are_private_to_the_bot(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    previous = os.umask(0)  # what the store asks for, not what a umask makes of it
    try:
        store = Store.open(tmp_path / "data")
        store.register_chat(1, "private", "")
        store.record_feed_failure("F", FeedState(url="u"))
        store.close()
        legacy = tmp_path / "legacy"
        legacy.mkdir(mode=0o777)
        (legacy / "newsbot.json.journal").write_bytes(b"")
        os.chmod(legacy / "newsbot.json.journal", 0o644)  # as older versions made it
        Store.open(legacy).close()
    finally:
        os.umask(previous)

    def mode(path: Path) -> int:
        return os.stat(path).st_mode & 0o777

    data = tmp_path / "data"
    assert mode(data) == 0o700
    assert {p.name: mode(p) for p in data.iterdir()} == {
        "newsbot.json": 0o600,
        "newsbot.json.journal": 0o600,
        "newsbot.json.lock": 0o600,
    }
    assert mode(legacy) == 0o777, "a directory the operator made is left as it is"
    assert "may be written by other users" in caplog.text and str(legacy) in caplog.text
    assert mode(legacy / "newsbot.json.journal") == 0o600


class FailingDisk:
    """The journal's file, on a disk that takes ten bytes of a write and then says it is full,
    and cannot even cut a file short (so the journal must cope without undoing)."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.full = False

    def write(self, data: memoryview) -> int:
        if self.full:
            self.real.write(bytes(data[:10]))  # type: ignore[attr-defined]
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.real.write(data)  # type: ignore[attr-defined,no-any-return]

    def truncate(self, size: int) -> int:
        raise OSError(errno.EIO, "Input/output error")

    def fileno(self) -> int:
        return self.real.fileno()  # type: ignore[attr-defined,no-any-return]


def test_a_torn_record_that_cannot_be_cut_off_does_not_swallow_the_next(tmp_path: Path):
    path = tmp_path / "journal"
    journal = Journal(path)
    disk = FailingDisk(journal._file)
    journal._file = disk  # type: ignore[assignment]
    records = [{"n": n, "text": "census " * 10} for n in range(4)]
    journal.append(records[0])
    disk.full = True
    with pytest.raises(StoreError, match="No space left on device"):
        journal.append(records[1])
    disk.full = False
    journal.append(records[2])
    journal.append(records[3])
    assert Journal.read(path) == [records[0], records[2], records[3]]

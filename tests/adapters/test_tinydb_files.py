"""The TinyDB files: a database file written atomically, a journal of changes beside it,
checkpoints that fold the journal in; never a torn file, never a file overwritten that could
not be read."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tinydb import TinyDB

from bot.adapters.storage import durable_files, tinydb_files
from bot.adapters.storage.database import Database
from bot.adapters.storage.durable_files import Journal, StoreError
from bot.adapters.storage.tinydb_files import TinyDBFiles
from bot.core.pace import DeliveryMode
from bot.service.ports import FeedState, OutboxEntry, PollRecord

REPO = Path(__file__).resolve().parents[2]


def alert(key: str, chat: int = 1, created: float = 1.0) -> OutboxEntry:
    return OutboxEntry(key=key, chat_id=chat, html=f"<b>{key}</b>", created=created)


def test_the_file_is_a_tinydb_database_and_a_change_does_not_rewrite_it(tmp_path: Path):
    store = Database.open(tmp_path)
    store.chats.register_chat(7, "private", "Ann")
    store.subscriptions.add_subscriptions(7, ["census", "نەوت"])
    store.close()
    database = tmp_path / "newsbot.json"
    written = database.read_bytes()
    store = Database.open(tmp_path)
    store.subscriptions.add_subscriptions(7, ["Makhmour"])
    store.record_poll(PollRecord(feed="F", state=FeedState(url="u"), seen={"t": 1.0}, alerts=[alert("a", 7)]))
    assert database.read_bytes() == written, "changes go to the journal"
    store.close()
    with TinyDB(database) as tinydb:  # TinyDB itself reads what the bot wrote
        queries = [doc["query"] for doc in tinydb.table("subscriptions").all()]
    assert queries == ["census", "نەوت", "Makhmour"]


def test_a_checkpoint_folds_the_journal_in_slices_and_a_crash_at_any_step_loses_nothing(tmp_path: Path):
    store = Database.open(tmp_path)
    for chat in range(3000):  # three chunks of documents
        store.subscriptions.add_subscriptions(chat, [f"keyword {chat}"])
    sink = store.sink
    assert isinstance(sink, TinyDBFiles)

    async def fold_while_writing() -> None:
        folding = asyncio.create_task(sink.checkpoint())
        for chat in range(3000, 3100):  # the loop keeps serving while it folds
            store.subscriptions.add_subscriptions(chat, [f"keyword {chat}"])
            await asyncio.sleep(0)
        await folding

    asyncio.run(fold_while_writing())
    assert not list(tmp_path.glob("newsbot.json.journal.*")), "the sealed journal is gone"
    again = Database(_crashed(sink, tmp_path))
    assert len(again.subscriptions.all_subscriptions()) == 3100
    again.close()
    with TinyDB(tmp_path / "newsbot.json") as tinydb:
        assert len(tinydb.table("subscriptions")) == 3100


def test_chunks_that_did_not_change_are_written_again_as_they_were(tmp_path: Path):
    store = Database.open(tmp_path)
    for chat in range(3000):  # three chunks of documents, each with Sorani and Arabic text
        store.subscriptions.add_subscriptions(chat, [f"نەوت {chat}", f"النفط {chat}"])
    sink = store.sink
    assert isinstance(sink, TinyDBFiles)

    async def two_checkpoints() -> None:
        await sink.checkpoint()  # every chunk is new
        store.subscriptions.add_subscriptions(1, ["Makhmour"])  # the last chunk changes
        await sink.checkpoint()  # the others come from the first checkpoint's copies

    asyncio.run(two_checkpoints())
    sink.abandon()  # the file alone, as the second checkpoint wrote it
    (tmp_path / "newsbot.json.journal").unlink()
    with TinyDB(tmp_path / "newsbot.json") as tinydb:
        queries = [doc["query"] for doc in tinydb.table("subscriptions").all()]
    assert len(queries) == 6001
    assert queries[:2] == ["نەوت 0", "النفط 0"] and queries[-3:] == ["نەوت 2999", "النفط 2999", "Makhmour"]


def numbers(store: Database, chat: int, thread: int | None = None) -> dict[str, int]:
    stored = store.subscriptions.all_subscriptions()
    return {s.query: s.number for s in stored if (s.chat_id, s.thread_id) == (chat, thread)}


def _crashed(sink: TinyDBFiles, data: Path) -> TinyDBFiles:
    sink.abandon()
    return TinyDBFiles.open(data)


def test_a_journal_sealed_by_a_checkpoint_that_never_finished_is_replayed(tmp_path: Path):
    store = Database.open(tmp_path)
    store.subscriptions.add_subscriptions(1, ["census"])
    journal = tmp_path / "newsbot.json.journal"
    sealed = tmp_path / "newsbot.json.journal.00000007"
    journal.rename(sealed)  # as a checkpoint leaves it before it writes the file
    assert isinstance(store.sink, TinyDBFiles)
    store.sink.abandon()
    again = Database.open(tmp_path)
    again.subscriptions.add_subscriptions(1, ["Erbil"])
    assert [s.query for s in again.subscriptions.all_subscriptions()] == ["census", "Erbil"]
    again.close()
    assert not sealed.exists()
    again = Database.open(tmp_path)
    assert [(s.query, s.number) for s in again.subscriptions.all_subscriptions()] == [
        ("census", 1),
        ("Erbil", 2),
    ]
    again.close()


def test_durable_returns_once_the_journal_is_on_the_disk(tmp_path: Path):
    store = Database.open(tmp_path)

    async def subscribe_many() -> None:
        async def one(chat: int) -> None:
            store.subscriptions.add_subscriptions(chat, ["census"])
            await store.durable()

        await asyncio.gather(*(one(chat) for chat in range(50)))  # one flush serves many

    asyncio.run(subscribe_many())
    assert len(Journal.read(tmp_path / "newsbot.json.journal")) == 50
    store.close()


def test_an_old_database_gets_numbers_in_the_order_list_showed(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    old = {
        "chats": {
            "1": {"chat_id": 7, "type": "private", "title": "", "active": True, "since": 1.0, "reason": ""}
        },
        "subscriptions": {  # as newsbot wrote them before numbers: no "number"
            "1": {"chat_id": 7, "query": "census", "created": 1.0, "thread_id": None},
            "2": {"chat_id": 8, "query": "Erbil", "created": 2.0, "thread_id": None},
            "3": {"chat_id": 7, "query": "oil prices", "created": 3.0, "thread_id": None,
                  "delivery": "daily", "muted_until": None},
            "5": {"chat_id": 7, "query": "Makhmour", "created": 5.0, "thread_id": None},
            "6": {"chat_id": -100, "query": "Sinjar", "created": 6.0, "thread_id": 42},
        },
    }  # fmt: skip
    (data / "newsbot.json").write_text(json.dumps(old), encoding="utf-8")
    store = Database.open(data)
    assert numbers(store, 7) == {"census": 1, "oil prices": 2, "Makhmour": 3}
    assert numbers(store, 8) == {"Erbil": 1} and numbers(store, -100, 42) == {"Sinjar": 1}
    assert [s.delivery for s in store.subscriptions.all_subscriptions() if s.query == "oil prices"] == [
        DeliveryMode.DAILY
    ]
    assert [s.number for s in store.subscriptions.add_subscriptions(7, ["Kirkuk"])] == [4]
    store.close()
    written = json.loads((data / "newsbot.json").read_text(encoding="utf-8"))["subscriptions"]
    assert {doc["query"]: doc["number"] for doc in written.values() if doc["chat_id"] == 7} == {
        "census": 1,
        "oil prices": 2,
        "Makhmour": 3,
        "Kirkuk": 4,
    }, "the numbers are in the file"


def test_a_corrupt_database_is_reported_and_left_untouched(tmp_path: Path):
    path = tmp_path / "newsbot.json"
    path.write_text('{"chats": {"1": {"chat_id": 1}}} trailing garbage')
    before = path.read_bytes()
    with pytest.raises(StoreError, match=str(path)) as error:
        Database.open(tmp_path)
    assert "corrupt" in str(error.value)
    assert path.read_bytes() == before


def test_a_json_file_that_is_not_a_database_is_refused(tmp_path: Path):
    (tmp_path / "newsbot.json").write_text("[1, 2, 3]")
    with pytest.raises(StoreError, match="not a newsbot database"):
        Database.open(tmp_path)


def test_a_second_process_cannot_open_the_same_database(tmp_path: Path):
    store = Database.open(tmp_path)
    with pytest.raises(StoreError, match="another newsbot process"):
        Database.open(tmp_path)
    store.close()
    Database.open(tmp_path).close()


def test_leftover_temporary_files_are_removed_at_start(tmp_path: Path):
    Database.open(tmp_path).close()
    leftover = tmp_path / ".tmp-newsbot.jsonabc123"
    leftover.write_text("half a write")
    Database.open(tmp_path).close()
    assert not leftover.exists()


WRITER = """
import sys, itertools
sys.path.insert(0, {repo!r})
from pathlib import Path
from bot.adapters.storage.database import Database
store = Database.open(Path({data!r}))
print("ready", flush=True)
for n in itertools.count():
    store.subscriptions.add_subscriptions(n, ["keyword %d" % n] * 3)
    store.chats.register_chat(n, "private", "x" * 200)
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
        store = Database.open(data)  # and the bot can start on it
        store.close()


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
from bot.adapters.storage.database import Database
from bot.adapters.storage.durable_files import Journal, StoreError
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
store = Database.open(data)
store.record_poll(poll("A", alert("a")))
size = journal.stat().st_size
disk_full(size + 20)  # room for 20 bytes of the next record: a short write, then EFBIG
out["B"] = refused(lambda: store.record_poll(poll("B", alert("b"))))
out["B in memory"] = [store.feeds.feed_state("B") is not None, [e.key for e in store.outbox.pending()]]
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
    polled = [{doc["name"] for table, _, doc in json.loads(line)["u"] if table == "feeds"} for line in lines]
    assert polled == [{"A"}, {"C"}], "no torn or glued line"

    again = Database.open(tmp_path)
    assert [again.feeds.feed_state(feed) is not None for feed in "ABC"] == [True, False, True]
    assert [e.key for e in again.outbox.pending()] == ["a", "c"]
    again.close()


def test_a_database_write_refused_by_a_full_disk_changes_nothing_now_or_later(tmp_path: Path):
    out = run_with_disk_faults(
        tmp_path,
        """
store = Database.open(data)
store.chats.register_chat(7, "private", "")
store.subscriptions.add_subscriptions(7, ["census"])
store.outbox.enqueue([alert("a")])
disk_full(0)
out["subscribe"] = refused(lambda: store.subscriptions.add_subscriptions(7, ["oil prices"]))
out["deactivate"] = refused(lambda: store.deactivate_chat(7, "blocked"))
out["migrate"] = refused(lambda: store.migrate_chat(7, -1007))
out["enqueue"] = refused(lambda: store.outbox.enqueue([alert("b")]))
out["memory"] = [[s.query for s in store.subscriptions.all_subscriptions()], store.chats.is_active(7),
                 store.chats.is_active(-1007), [(e.key, e.chat_id) for e in store.outbox.pending()]]
disk_freed()
store.subscriptions.add_subscriptions(7, ["Makhmour"])  # the next write that succeeds
store.outbox.enqueue([alert("b")])
""",
    )
    journal = tmp_path / "newsbot.json.journal"
    for operation in ("subscribe", "deactivate", "migrate", "enqueue"):
        assert out[operation] == f"cannot write the journal {journal}: File too large", operation
    assert out["memory"] == [["census"], True, False, [["a", 7]]]
    again = Database.open(tmp_path)
    assert [s.query for s in again.subscriptions.all_subscriptions()] == ["census", "Makhmour"], (
        "oil prices never arrives"
    )
    assert again.chats.is_active(7) and not again.chats.is_active(-1007)
    assert [e.key for e in again.outbox.pending()] == ["a", "b"]
    again.close()


def test_a_refused_checkpoint_keeps_the_journal_and_the_tables_as_they_were(tmp_path: Path):
    out = run_with_disk_faults(
        tmp_path,
        """
store = Database.open(data)
store.record_poll(poll("A", alert("a")))
disk_full(10)
out["checkpoint"] = refused(store.sink.checkpoint_now)
out["stats"] = store.stats().pending_messages  # a reader still answers
out["A"] = store.feeds.feed_state("A") is not None
disk_freed()
store.record_poll(poll("B"))
""",
    )
    assert out["checkpoint"].startswith("cannot write the database file")
    assert (out["stats"], out["A"]) == (1, True)
    again = Database.open(tmp_path)
    assert [again.feeds.feed_state(feed) is not None for feed in "AB"] == [True, True]
    assert [e.key for e in again.outbox.pending()] == ["a"]
    again.close()


def test_an_outcome_the_journal_refuses_is_not_sent_again_and_is_saved_later(tmp_path: Path):
    out = run_with_disk_faults(
        tmp_path,
        """
store = Database.open(data)
store.outbox.enqueue([alert("a"), alert("b")])
disk_full(0)
out["outcome"] = refused(lambda: store.outbox.record_alert("a", Outcome.SENT, "", 9.0))
out["pending"] = [e.key for e in store.outbox.pending()]
disk_freed()
store.sink.checkpoint_now()
""",
    )
    assert out["outcome"].startswith("cannot write the journal")
    assert out["pending"] == ["b"], "a message that was sent is not sent again"
    again = Database.open(tmp_path)
    assert [e.key for e in again.outbox.pending()] == ["b"]
    again.close()


def outcome_line(key: str) -> bytes:
    return json.dumps({"alert": key, "outcome": "sent", "reason": "", "at": 9.0}).encode()


def test_replay_skips_a_torn_line_in_the_middle_and_recovers_a_record_glued_to_it(tmp_path: Path):
    store = Database.open(tmp_path)
    store.outbox.enqueue([alert(key) for key in ("a1", "a2", "a3", "a4", "a5")])
    store.close()
    sorani = "ئاگادارکردنەوە".encode()
    torn = b'{"alert":"a2","outcome":"sent","reason":"' + sorani[:7]  # cut inside a character
    (tmp_path / "newsbot.json.journal").write_bytes(
        b"\n".join([outcome_line("a1"), torn, outcome_line("a3"), torn + outcome_line("a4")]) + b"\n"
    )
    again = Database.open(tmp_path)
    assert [e.key for e in again.outbox.pending()] == ["a2", "a5"]
    again.close()


def test_files_are_private_to_the_bot(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    previous = os.umask(0)  # what the store asks for, not what a umask makes of it
    try:
        store = Database.open(tmp_path / "data")
        store.chats.register_chat(1, "private", "")
        store.feeds.save_state("F", FeedState(url="u"))
        store.close()
        legacy = tmp_path / "legacy"
        legacy.mkdir(mode=0o777)
        (legacy / "newsbot.json.journal").write_bytes(b"")
        os.chmod(legacy / "newsbot.json.journal", 0o644)  # as older versions made it
        Database.open(legacy).close()
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
    opened: list[FailingDisk] = []

    def on_a_failing_disk(fd: int) -> Any:
        opened.append(FailingDisk(open(fd, "ab", buffering=0)))  # noqa: SIM115 - the journal closes it
        return opened[-1]

    journal = Journal(path, opener=on_a_failing_disk)
    [disk] = opened
    records = [{"n": n, "text": "census " * 10} for n in range(4)]
    journal.append(records[0])
    disk.full = True
    with pytest.raises(StoreError, match="No space left on device"):
        journal.append(records[1])
    disk.full = False
    journal.append(records[2])
    journal.append(records[3])
    assert Journal.read(path) == [records[0], records[2], records[3]]


# --- found in review (issue 15) -----------------------------------------------------------


def test_stopping_while_a_checkpoint_folds_in_slices_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(tinydb_files, "SLICE_SECONDS", 0.0)  # the loop's turn after every chunk
    store = Database.open(tmp_path)
    for chat in range(3000):  # three chunks of subscriptions
        store.subscriptions.add_subscriptions(chat, [f"keyword {chat}"])
    store.close()
    # Opened again, every chunk is to be serialized by the first checkpoint (the bot's
    # first minute after a start); a few changes make it due.
    store = Database(TinyDBFiles.open(tmp_path, checkpoint_units=2))

    async def stop_while_folding() -> None:
        store.chats.register_chat(1, "private", "")
        store.chats.register_chat(2, "private", "")  # the checkpoint is due: it starts
        for _ in range(3):
            await asyncio.sleep(0)  # it seals the journal and serializes its first chunks
        assert list(tmp_path.glob("newsbot.json.journal.*")), "the checkpoint is under way"
        await store.aclose()  # the bot stops (a signal, a deploy)

    asyncio.run(stop_while_folding())
    again = Database.open(tmp_path)
    assert len(again.subscriptions.all_subscriptions()) == 3000
    assert again.chats.is_active(1) and again.chats.is_active(2)
    again.close()


def test_a_change_made_while_the_journal_is_being_synced_is_synced_before_durable_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # What reaches the disk itself is modelled: an fdatasync makes durable what the file
    # held when it began. The first one is slow, and a change is made meanwhile.
    on_disk: list[int] = []
    syncing, finish = threading.Event(), threading.Event()

    def fdatasync(fd: int) -> None:
        size = os.fstat(fd).st_size
        if not on_disk and threading.current_thread() is not threading.main_thread():
            syncing.set()
            finish.wait(10)
        on_disk.append(size)

    monkeypatch.setattr(durable_files, "_sync", fdatasync)
    monkeypatch.setattr(durable_files, "SYNC_SECONDS", 3600.0)  # only durable() syncs
    store = Database.open(tmp_path)
    journal = tmp_path / "newsbot.json.journal"

    async def two_chats() -> None:
        store.chats.register_chat(1, "private", "Ann")
        first = asyncio.create_task(store.durable())
        assert await asyncio.to_thread(syncing.wait, 10)
        store.chats.register_chat(2, "private", "Bo")  # while the disk syncs the first
        finish.set()
        await first
        await store.durable()  # the bot answers chat 2 now: its chat must be on the disk

    asyncio.run(two_chats())
    assert max(on_disk) == journal.stat().st_size, "chat 2 was answered before it was on the disk"
    store.close()


def test_an_outcome_the_journal_refused_is_kept_by_a_clean_stop(tmp_path: Path):
    run_with_disk_faults(
        tmp_path,
        """
store = Database.open(data)
store.outbox.enqueue([alert("a"), alert("b")])
store.sink.checkpoint_now()  # (a checkpoint ran since the messages were queued)
disk_full(0)
out["outcome"] = refused(lambda: store.outbox.record_alert("a", Outcome.SENT, "", 9.0))
disk_freed()
store.close()  # a clean stop before any other change
""",
    )
    again = Database.open(tmp_path)
    assert [e.key for e in again.outbox.pending()] == ["b"], "a message that was sent is sent again"
    again.close()


def test_a_power_failure_after_a_checkpoint_never_leaves_half_a_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # The disk is modelled: fdatasync makes durable what the journal held when it began;
    # a power failure cuts each journal back to that (the database file is fsynced whole).
    synced: dict[str, int] = {}

    def fdatasync(fd: int) -> None:
        synced[os.readlink(f"/proc/self/fd/{fd}")] = os.fstat(fd).st_size

    monkeypatch.setattr(durable_files, "_sync", fdatasync)
    monkeypatch.setattr(durable_files, "SYNC_SECONDS", 3600.0)
    monkeypatch.setattr(tinydb_files, "SLICE_SECONDS", 0.0)  # the loop's turn after every chunk
    store = Database.open(tmp_path)
    store.chats.register_chat(-5, "group", "Erbil friends")
    store.subscriptions.add_subscriptions(-5, ["census"])
    store.close()
    store = Database.open(tmp_path)  # every chunk is to be serialized again
    assert isinstance(store.sink, TinyDBFiles)
    sink = store.sink
    synced.clear()  # (what the last run synced is folded into the file)

    async def move_while_folding() -> None:
        folding = asyncio.create_task(sink.checkpoint())
        await asyncio.sleep(0)  # the chats are serialized, the subscriptions not yet
        store.migrate_chat(-5, -1005)  # one unit, in the journal, not yet on the disk itself
        await folding

    asyncio.run(move_while_folding())
    sink.abandon()
    journal = tmp_path / "newsbot.json.journal"
    os.truncate(journal, synced.get(str(journal), 0))  # the power fails

    again = Database.open(tmp_path)
    [subscription] = again.subscriptions.all_subscriptions()
    moved = again.chats.is_active(-1005), not again.chats.is_active(-5), subscription.chat_id == -1005
    assert moved in ((True, True, True), (False, False, False)), f"half a unit: {moved}"
    again.close()

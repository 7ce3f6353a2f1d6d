"""The embedded database: a TinyDB file, a journal of changes beside it, and checkpoints.

The database file is a TinyDB database (``{"table": {"id": document}}``; ``TinyDB(path)``
opens it) written atomically: a temporary file, fsynced, renamed over the old one. Changes do
not rewrite it. Each unit of changes is one JSON line appended to the journal
(``<database>.journal``) before :meth:`TinyDBFiles.write` returns, so a killed process loses
none; :meth:`TinyDBFiles.durable` makes them survive a power failure too (one fdatasync for
every unit written so far: group commit). A unit costs what it changes, whatever the size of
the database.

A checkpoint folds the journal into the file: the journal is sealed (renamed
``<database>.journal.<n>``; new units go to a fresh one), the parts of the tables changed
since the last checkpoint are serialized again (in chunks of 1,024 documents, each a few
milliseconds, giving the event loop its turn between them), the file is written from the
chunks in a worker thread, and then the sealed journals are deleted. The chunks that did not
change come from the last checkpoint, kept compressed (a tenth of the file's size in memory;
the worker thread compresses and expands them). Opening reads the file
and replays the sealed journals, then the current one: a unit replayed twice changes
nothing (it holds whole documents), so a crash at any moment loses nothing and leaves a file
that opens.

The data directory is created 0700 and every file in it 0600. A lock file keeps a second
process off the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import stat
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from bot.adapters.storage.documents import Change, Doc, Tables
from bot.adapters.storage.durable_files import (
    SYNC_SECONDS,
    Journal,
    StoreError,
    fsync_directory,
    open_private,
    remove_leftovers,
    replace_file,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["ChunkedJSONStorage", "TinyDBFiles"]

log = logging.getLogger(__name__)

CHUNK_BITS = 10  # documents 0-1023 are chunk 0, 1024-2047 chunk 1, ...
SLICE_SECONDS = 0.005  # the longest a checkpoint serializes before the event loop's turn
CHECKPOINT_UNITS = 20_000
CHECKPOINT_BYTES = 16 * 1024 * 1024
CHECKPOINT_SECONDS = 60.0
_SEALED = re.compile(r"\.journal\.(\d+)$")


class ChunkedJSONStorage(Storage):
    """A TinyDB storage over the database file: reads it whole, writes it atomically.

    A file that is not valid JSON, or not TinyDB's layout, is never overwritten: reading it
    raises :class:`StoreError`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read the database file {self.path}: {exc.strerror}") from None
        try:
            data = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError(
                f"the database file {self.path} is corrupt ({exc}); it was left untouched. "
                "Restore it from a backup, or move it away to start with an empty database."
            ) from None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StoreError(
                f"the database file {self.path} is not a newsbot database; it was left untouched."
            )
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.write_bytes(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())

    def write_bytes(self, payload: bytes | Iterable[bytes]) -> None:
        replace_file(self.path, payload)


class TinyDBFiles:
    """The documents of one TinyDB database file and its journal (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        *,
        checkpoint_units: int = CHECKPOINT_UNITS,
        checkpoint_bytes: int = CHECKPOINT_BYTES,
        checkpoint_seconds: float = CHECKPOINT_SECONDS,
    ) -> None:
        self.path = path
        self._limits = (checkpoint_units, checkpoint_bytes, checkpoint_seconds)
        self._lock = _lock_file(path)
        try:
            self._open()
        except BaseException:
            self._release_lock()
            raise

    @classmethod
    def open(cls, data_dir: Path, name: str = "newsbot.json", **limits: Any) -> TinyDBFiles:
        """Open (or create, 0700) the database *name* in *data_dir*."""
        try:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            mode = data_dir.stat().st_mode
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {data_dir}: {exc.strerror}") from None
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            log.warning(
                "the data directory %s may be written by other users (mode %s): they could replace "
                "the database; make it private with: chmod 700 %s",
                data_dir,
                stat.filemode(mode),
                data_dir,
            )
        return cls(data_dir / name, **limits)

    def _open(self) -> None:
        remove_leftovers(self.path)
        self._storage = ChunkedJSONStorage(self.path)
        raw = self._storage.read() or {}
        try:
            self._tables: Tables = {
                name: {int(key): doc for key, doc in table.items()} for name, table in raw.items()
            }
        except ValueError:
            raise StoreError(
                f"the database file {self.path} is not a newsbot database; it was left untouched."
            ) from None
        del raw
        # Each chunk's documents as the file holds them (see _serialize)
        self._fragments: dict[tuple[str, int], bytes | _Packed] = {}
        self._dirty = {
            (name, doc_id >> CHUNK_BITS) for name, table in self._tables.items() for doc_id in table
        }
        # Records an older version wrote (whole operations, not documents): the repositories
        # fold them in once they are built (see legacy_journal).
        self.legacy: list[dict[str, Any]] = []
        self._journal_path = self.path.with_name(self.path.name + ".journal")
        self._sealed = self._sealed_journals()
        for journal in [*self._sealed, self._journal_path]:
            self._replay(journal)
        self._journal = Journal(self._journal_path, sync_after=None)
        self._units = self._journal.records
        self._bytes = 0
        self._last_checkpoint = time.monotonic()
        self._checkpoint_failed: float | None = None
        self._checkpointing: asyncio.Task[None] | None = None
        self._folding: list[tuple[str, int]] = []  # the chunks of the checkpoint under way
        # Checkpoints begun (numbered after the journals an earlier run sealed)
        self._generation = max((_number(j) for j in self._sealed), default=0)
        self._file_lock = threading.Lock()  # one file write at a time; the newest wins
        self._written_generation = 0
        self._fd_lock = threading.Lock()  # a journal is not closed while it is being synced
        self._written = 0  # units written; those up to _synced are on the disk itself
        self._synced = 0
        self._syncing: asyncio.Future[None] | None = None
        self._sync_timer: asyncio.TimerHandle | None = None

    # --- the sink -----------------------------------------------------------------------

    def load(self) -> Tables:
        return self._tables

    def write(self, changes: Sequence[Change]) -> None:
        record = {"u": [[c.table, c.doc_id, c.doc] for c in changes]}
        size = self._journal.append(record)  # refused: StoreError, and the journal is as it was
        for change in changes:
            self._dirty.add((change.table, change.doc_id >> CHUNK_BITS))
        self._written += 1
        self._units += 1
        self._bytes += size
        self._sync_soon()
        self._checkpoint_if_due()

    def _sync_soon(self) -> None:
        """A unit nobody awaits durable() for reaches the disk itself within SYNC_SECONDS,
        synced by a worker thread (where no event loop runs: at the next sync or close)."""
        if self._sync_timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._sync_timer = loop.call_later(SYNC_SECONDS, self._sync_in_background)

    def _sync_in_background(self) -> None:
        self._sync_timer = None
        task = asyncio.ensure_future(self.durable())
        task.add_done_callback(_log_sync_failure)

    async def durable(self) -> None:
        target = self._written
        while self._synced < target:
            if self._syncing is None:
                self._syncing = asyncio.ensure_future(self._sync())
            await asyncio.shield(self._syncing)

    async def recorded(self) -> None:
        return None  # each unit is in the journal (the kernel's) once written

    async def _sync(self) -> None:
        try:
            upto = self._written
            journal = self._journal
            await asyncio.to_thread(self._sync_journal, journal)
            self._synced = max(self._synced, upto)
        finally:
            self._syncing = None

    def _sync_journal(self, journal: Journal) -> None:
        with self._fd_lock:
            if not journal.closed:
                journal.sync()

    def close(self) -> None:
        if self._lock is None:
            return  # closed already
        try:
            if self._sync_timer is not None:
                self._sync_timer.cancel()  # the checkpoint below syncs the journal
            if self._checkpointing is not None:
                self._checkpointing.cancel()
                self._dirty.update(self._folding)  # what the cancelled checkpoint had not written
            try:
                self.checkpoint_now()
            except StoreError:
                log.error("the journal %s keeps what could not be folded in; it is replayed at the next "
                          "start", self._journal_path)  # fmt: skip
            with self._fd_lock:
                self._journal.close()
        finally:
            self._release_lock()

    async def aclose(self) -> None:
        self.close()

    def abandon(self) -> None:
        """Let go of the files as a killed process would: nothing folded in, nothing synced
        (for tests of what the next start finds)."""
        if self._sync_timer is not None:
            self._sync_timer.cancel()
        if self._checkpointing is not None:
            self._checkpointing.cancel()
        with self._fd_lock:
            self._journal.close()
        self._release_lock()

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # --- checkpoints --------------------------------------------------------------------

    def _checkpoint_if_due(self) -> None:
        units, size, seconds = self._limits
        now = time.monotonic()
        due = self._units >= units or self._bytes >= size or now - self._last_checkpoint > seconds
        # After a refused checkpoint, the next waits a while: each try rewrites the file.
        resting = self._checkpoint_failed is not None and now - self._checkpoint_failed < seconds
        if not due or resting or self._checkpointing is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a command-line tool): at close
        self._checkpointing = loop.create_task(self.checkpoint(), name="checkpoint")

    async def checkpoint(self) -> None:
        """Fold the journal into the database file without holding the event loop for more
        than a few milliseconds at a time. A refused write is logged and tried again later."""
        try:
            generation, chunks = self._begin()
            if not chunks and not self._sealed:
                return
            started = time.monotonic()
            for chunk in chunks:
                self._serialize(chunk)
                if time.monotonic() - started > SLICE_SECONDS:
                    await asyncio.sleep(0)
                    started = time.monotonic()
            payload = self._assemble()
            packed = await asyncio.to_thread(self._commit, generation, payload, chunks, pack=True)
            for chunk, (fragment, smaller) in packed.items():
                if self._fragments.get(chunk) is fragment:  # (not serialized again meanwhile)
                    self._fragments[chunk] = smaller
        except StoreError:
            pass  # logged where it happened
        finally:
            if self._checkpointing is asyncio.current_task():
                self._checkpointing = None

    def checkpoint_now(self) -> None:
        """Fold the journal in at once (at close, and where no event loop runs)."""
        generation, chunks = self._begin()
        if not chunks and not self._sealed:
            return
        for chunk in chunks:
            self._serialize(chunk)
        self._commit(generation, self._assemble(), chunks)

    def _begin(self) -> tuple[int, list[tuple[str, int]]]:
        """Seal the journal (new units go to a fresh one) and take the changed chunks."""
        self._generation += 1
        generation = self._generation
        if self._journal.records or self._journal.size:
            sealed = self.path.with_name(f"{self.path.name}.journal.{generation:08d}")
            with self._fd_lock:
                self._journal.sync()
                self._journal.close()
                try:
                    os.replace(self._journal_path, sealed)
                finally:
                    self._journal = Journal(self._journal_path, sync_after=None)
            fsync_directory(self.path.parent)
            self._sealed.append(sealed)
        self._units = self._bytes = 0
        self._last_checkpoint = time.monotonic()
        chunks = sorted(self._dirty)
        self._dirty = set()
        self._folding = chunks
        return generation, chunks

    def _serialize(self, chunk: tuple[str, int]) -> None:
        """The chunk's documents as the file will hold them (packed by the next file write)."""
        name, number = chunk
        table = self._tables.get(name, {})
        first = number << CHUNK_BITS
        docs = {str(i): table[i] for i in range(first, first + (1 << CHUNK_BITS)) if i in table}
        if docs:
            text = json.dumps(docs, ensure_ascii=False, separators=(",", ":"))
            self._fragments[chunk] = text[1:-1].encode()
        else:
            self._fragments.pop(chunk, None)

    def _assemble(self) -> list[bytes | _Packed]:
        """The file's content as pieces, in order (the chunks' fragments, expanded by the
        worker thread that writes them)."""
        by_table: dict[str, list[bytes | _Packed]] = {name: [] for name in self._tables}
        for (name, _), fragment in sorted(self._fragments.items()):
            by_table.setdefault(name, []).append(fragment)
        pieces: list[bytes | _Packed] = [b"{"]
        for number, (name, fragments) in enumerate(by_table.items()):
            pieces.append((b"," if number else b"") + json.dumps(name).encode() + b":{")
            for index, fragment in enumerate(fragments):
                if index:
                    pieces.append(b",")
                pieces.append(fragment)
            pieces.append(b"}")
        pieces.append(b"}")
        return pieces

    def _commit(
        self,
        generation: int,
        payload: list[bytes | _Packed],
        chunks: list[tuple[str, int]],
        *,
        pack: bool = False,
    ) -> dict[tuple[str, int], tuple[bytes, _Packed]]:
        """Write the file (in a worker thread, or at close) and delete the journals it holds.
        *pack*: return the chunks' fragments that were new, each with its packed form."""
        with self._file_lock:
            if generation < self._written_generation:
                return {}  # a later checkpoint wrote the file already
            try:
                # Units of which the file holds a part are whole in the journal first.
                self._sync_journal(self._journal)
                self._storage.write_bytes(_expanded(payload))
            except StoreError:
                self._dirty.update(chunks)
                self._checkpoint_failed = time.monotonic()
                raise
            self._written_generation = generation
            self._checkpoint_failed = None
            for journal in [j for j in self._sealed if _number(j) <= generation]:
                with contextlib.suppress(FileNotFoundError):
                    journal.unlink()
                self._sealed.remove(journal)
        if not pack:
            return {}
        new = {chunk: self._fragments.get(chunk) for chunk in chunks}
        return {chunk: (raw, _Packed.of(raw)) for chunk, raw in new.items() if isinstance(raw, bytes)}

    # --- opening ------------------------------------------------------------------------

    def _sealed_journals(self) -> list[Path]:
        found = []
        for candidate in self.path.parent.glob(f"{self.path.name}.journal.*"):
            match = _SEALED.search(candidate.name)
            if match:
                found.append((int(match.group(1)), candidate))
        return [path for _, path in sorted(found)]

    def _replay(self, journal: Path) -> None:
        records = Journal.read(journal)
        if records:
            log.info("replaying %d journal records from %s", len(records), journal)
        for number, record in enumerate(records, start=1):
            if "u" not in record:
                self.legacy.append(record)
                continue
            try:
                for name, doc_id, doc in record["u"]:
                    self._apply(name, int(doc_id), doc)
            except (TypeError, ValueError) as exc:
                log.warning(
                    "journal %s: record %d is not one newsbot wrote (%r); skipped", journal, number, exc
                )

    def _apply(self, name: str, doc_id: int, doc: Doc | None) -> None:
        table = self._tables.setdefault(name, {})
        if doc is None:
            table.pop(doc_id, None)
        elif isinstance(doc, dict):
            table[doc_id] = doc
        else:
            raise TypeError(f"document {doc_id} of {name} is not an object")
        self._dirty.add((name, doc_id >> CHUNK_BITS))


@dataclass(frozen=True, slots=True)
class _Packed:
    """A chunk's fragment, compressed (zlib lets other threads run while it works)."""

    data: bytes

    @classmethod
    def of(cls, fragment: bytes) -> _Packed:
        return cls(zlib.compress(fragment, 1))


def _expanded(pieces: Iterable[bytes | _Packed]) -> Iterator[bytes]:
    for piece in pieces:
        yield zlib.decompress(piece.data) if isinstance(piece, _Packed) else piece


def _log_sync_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the journal could not be synced: %s", task.exception())


def _number(journal: Path) -> int:
    return int(journal.name.rsplit(".", 1)[1])


def _lock_file(database: Path) -> Any:
    """Hold an exclusive lock beside *database* for as long as it is open."""
    if fcntl is None:  # pragma: no cover
        return None
    lock_path = database.with_name(database.name + ".lock")
    try:
        fd = open_private(lock_path, os.O_RDWR)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
    handle = open(fd, "r+b")  # noqa: SIM115 - held open until close()
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StoreError(
            f"another newsbot process is using the database {database}; stop it first "
            "or give this one its own NEWSBOT_DATA_DIR"
        ) from None
    return handle

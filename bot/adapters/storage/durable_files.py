"""The files behind the store, written so that neither a crash nor a full disk tears them.

The database is rewritten whole (:func:`replace_file`): a temporary file, fsynced, renamed
over the old one; if the disk refuses any of it, the old file stays as it was. The journal
(:class:`Journal`) grows one JSON line per record; a write the disk refuses, in full or in
part, is undone, so the next record always starts on a line of its own, and reading skips a
line that does not parse without losing the lines after it.

Every file is created readable and writable by the bot's user only (0600): the database
names the chats and what they follow.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from bot.service.ports import StorageFailure

__all__ = ["Journal", "StoreError", "fsync_directory", "open_private", "replace_file"]

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
PRIVATE = 0o600
SYNC_SECONDS = 0.05  # the longest a journal record waits to reach the disk itself
SALVAGE_TRIES = 8


class StoreError(StorageFailure):
    """The database cannot be opened or written; the message names the file and the reason."""


def write_failure(message: str) -> StoreError:
    """A StoreError for a change that could not be written, logged where it happens."""
    log.error("%s; the change was not made", message)
    return StoreError(message)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def open_private(path: Path, flags: int) -> int:
    """Open (creating it 0600 if needed) *path*; an existing file readable by others is
    made private too (older versions created the journal and the lock file 0644)."""
    fd = os.open(path, flags | os.O_CREAT, PRIVATE)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, PRIVATE)
    except OSError:
        pass  # not ours to change (another owner): the file still works
    return fd


def _write_all(write: Callable[[memoryview], int | None], data: bytes) -> None:
    """Write all of *data*, going on after a short write; a write that makes no progress is
    an error (the next one would say why: ENOSPC, EFBIG...)."""
    view = memoryview(data)
    while view:
        written = write(view)
        if not written:
            raise OSError(f"short write: {len(data) - len(view)} of {len(data)} bytes written")
        view = view[written:]


def replace_file(path: Path, payload: bytes | Iterable[bytes]) -> None:
    """Make *payload* (or its pieces, one after another) the content of *path* at once:
    written beside it, fsynced, renamed over it. On failure the old file is untouched and a
    StoreError says why."""
    directory = path.parent
    pieces = [payload] if isinstance(payload, bytes) else payload
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}", dir=directory)  # 0600
    except OSError as exc:
        raise write_failure(f"cannot write the database file {path}: {_reason(exc)}") from None
    try:
        try:
            for piece in pieces:
                _write_all(lambda view: os.write(fd, view), piece)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp_name, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise write_failure(f"cannot write the database file {path}: {_reason(exc)}") from None
    fsync_directory(directory)


def remove_leftovers(path: Path) -> None:
    """Delete temporary files a crash left beside *path*."""
    for leftover in path.parent.glob(f"{TEMP_PREFIX}{path.name}*"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def fsync_directory(directory: Path) -> None:
    """Make a rename in *directory* durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sync(fd: int) -> None:
    (getattr(os, "fdatasync", None) or os.fsync)(fd)


class Journal:
    """Append-only JSON lines.

    Each record is written to the file when :meth:`append` returns, so it survives the
    process being killed. It reaches the disk itself (fdatasync) within SYNC_SECONDS, or at
    :meth:`sync`: group commit, so a fast sender does not wait for the disk on every record.
    A record the disk refuses raises StoreError and leaves the file as it was.
    """

    def __init__(
        self,
        path: Path,
        clock: Callable[[], float] = time.monotonic,
        *,
        sync_after: float | None = SYNC_SECONDS,
        opener: Callable[[int], BinaryIO] = lambda fd: open(fd, "ab", buffering=0),  # noqa: SIM115
    ) -> None:
        """*sync_after*: append syncs a record this long after the last sync (None: never by
        itself; the owner calls :meth:`sync`, off the event loop's thread). *opener*: the file
        object over the journal's descriptor (tests give one whose disk fills up)."""
        self.path = path
        self._sync_after = sync_after
        fd = open_private(path, os.O_WRONLY | os.O_APPEND)
        self._file = opener(fd)  # open for the store's life
        # The length of the records written whole; None after a refused write could not be
        # cut off (then the next record starts with a line break of its own).
        self._size: int | None = os.fstat(fd).st_size
        self._clock = clock
        self._synced = clock()
        self._unsynced = False
        self.records = 0

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        """The records of *path*. A line that does not parse (torn by a crash or a full disk)
        is skipped, and the lines after it are read; a record glued to a torn one by an older
        version is recovered."""
        try:
            lines = path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot read the journal {path}: {_reason(exc)}") from None
        records = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record = _parse_record(line)
            if record is None:
                record = _salvage(line)
                log.warning("journal %s: line %d is torn; %s", path, number,
                            "the record glued to it was recovered" if record else "skipped")  # fmt: skip
            if record is not None:
                records.append(record)
        return records

    def append(self, record: dict[str, Any]) -> int:
        """Write *record* as one line; returns its length in bytes."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        if self._size is None:
            line = b"\n" + line
        try:
            _write_all(self._file.write, line)
        except OSError as exc:
            self._undo()
            raise write_failure(f"cannot write the journal {self.path}: {_reason(exc)}") from None
        self._size = None if self._size is None else self._size + len(line)
        if self._size is None:
            with contextlib.suppress(OSError):
                self._size = os.fstat(self._file.fileno()).st_size
        self.records += 1
        self._unsynced = True
        if self._sync_after is not None and self._clock() - self._synced >= self._sync_after:
            self.sync()
        return len(line)

    @property
    def size(self) -> int:
        """The journal's length in bytes (0: empty)."""
        return self._size if self._size is not None else 1

    @property
    def closed(self) -> bool:
        return self._file.closed

    def _undo(self) -> None:
        """Cut off what a refused write left, so the next record starts on its own line."""
        if self._size is not None:
            try:
                self._file.truncate(self._size)
                return
            except OSError as exc:
                log.warning("journal %s: could not cut off a torn record (%s)", self.path, _reason(exc))
        self._size = None

    def sync(self) -> None:
        """Make every record appended so far durable against a power failure too."""
        if self._unsynced:
            self._unsynced = False  # before: a record appended while the disk syncs sets it again
            try:
                _sync(self._file.fileno())
            except OSError as exc:
                self._unsynced = True
                raise write_failure(f"cannot sync the journal {self.path}: {_reason(exc)}") from None
        self._synced = self._clock()

    def clear(self) -> None:
        """Empty the journal once the database holds everything it said."""
        try:
            self._file.truncate(0)
            _sync(self._file.fileno())
        except OSError as exc:
            raise write_failure(f"cannot empty the journal {self.path}: {_reason(exc)}") from None
        self._size = 0
        self._unsynced = False
        self.records = 0

    def close(self) -> None:
        self._file.close()


def _parse_record(text: bytes | str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _salvage(line: bytes) -> dict[str, Any] | None:
    """The whole record at the end of a line that starts with a torn one, if any.

    The parser stops where the second record begins, or a few characters after it (the torn
    one may end inside a string or an escape), so the record is found by looking back from
    there for the start of an object."""
    text = line.decode("utf-8", errors="replace")  # the tear may cut a character in two
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        end = exc.pos + 16
    else:
        return None
    for _ in range(SALVAGE_TRIES):
        start = text.rfind('{"', 1, end)
        if start <= 0:
            return None
        record = _parse_record(text[start:])
        if record is not None:
            return record
        end = start + 1
    return None

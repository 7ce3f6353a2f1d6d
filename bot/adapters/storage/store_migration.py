"""``python -m bot migrate-store``: copy every document of the bot between a TinyDB file and
a PostgreSQL database, either way, so an operator can move without losing a subscription.

A TinyDB file is read and written in its own format (``{"table": {"id": document}}``),
atomically. The copy into PostgreSQL is one transaction (all of it or none). A target that
holds documents is refused unless ``--force``, which replaces what it holds. A bot running
on either side is refused too: the TinyDB file's lock, or the PostgreSQL leader role, is
held for the whole copy.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import psycopg
from psycopg import sql

from bot.adapters.storage.database import Database
from bot.adapters.storage.durable_files import StoreError, open_private, replace_file
from bot.adapters.storage.leadership import LEADER_LOCK
from bot.adapters.storage.postgres_connection import (
    PostgresError,
    connection_options,
    describe,
    reason,
    redact,
)
from bot.adapters.storage.postgres_rows import Documents, read_documents, to_json
from bot.adapters.storage.postgres_schema import LOCK_CLASS, TABLES, migrate, schema_version, table
from bot.service.ports import StorageFailure

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock against a running bot
    fcntl = None  # type: ignore[assignment]

__all__ = ["Location", "MigrationRefused", "copy_documents", "parse_location", "run_migrate_store"]

Kind = Literal["tinydb", "postgresql"]
TINYDB: Kind = "tinydb"
POSTGRESQL: Kind = "postgresql"
LOCATIONS = (
    "tinydb:PATH (a database file), tinydb (the bot's file in data_dir), a postgresql:// URL, "
    "or postgresql (the database NEWSBOT_DATABASE_URL names)"
)


class MigrationRefused(Exception):
    """The copy is not made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Location:
    kind: Kind
    address: str  # a file path, or a connection URL

    def __str__(self) -> str:
        if self.kind == TINYDB:
            return f"the TinyDB file {self.address}"
        return f"the PostgreSQL database {describe(self.address)}"


def parse_location(text: str, *, bot_file: Path, database_url: str) -> Location:
    """A location as given to --from or --to (see LOCATIONS)."""
    scheme, colon, rest = text.partition(":")
    if text == TINYDB:
        return Location(TINYDB, str(bot_file))
    if scheme == TINYDB and colon and rest:
        return Location(TINYDB, rest)
    if text == POSTGRESQL:
        if not database_url:
            raise MigrationRefused("'postgresql' names NEWSBOT_DATABASE_URL's database, but it is not set")
        return Location(POSTGRESQL, database_url)
    if scheme.lower() in ("postgresql", "postgres") and rest.startswith("//"):
        return Location(POSTGRESQL, text)
    shown = redact(text, text)
    raise MigrationRefused(f"{shown!r} is not a place to copy from or to: use {LOCATIONS}")


# -- TinyDB files -------------------------------------------------------------------------------


@contextlib.contextmanager
def _bot_lock(path: Path) -> Iterator[None]:
    """The lock a bot holds on its database file (see the store): held, or refused."""
    if fcntl is None or not path.parent.is_dir():
        yield
        return
    lock_path = path.with_name(path.name + ".lock")
    with open(open_private(lock_path, os.O_RDWR), "r+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise MigrationRefused(f"a newsbot process is using {path}: stop it first") from None
        yield


def _journal(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def _journals(path: Path) -> list[Path]:
    """The journal beside the file, and those a checkpoint sealed, if they hold anything."""
    found = [_journal(path), *path.parent.glob(f"{path.name}.journal.*")]
    return [journal for journal in found if journal.is_file() and journal.stat().st_size > 0]


def _has_journal(path: Path) -> bool:
    return bool(_journals(path))


def fold_journals(path: Path) -> None:
    """Fold what the journals hold into the file, as the bot does when it stops."""
    if not _has_journal(path):
        return
    try:
        Database.open(path.parent, path.name).close()
    except StoreError as exc:
        raise MigrationRefused(str(exc)) from None


def read_tinydb(path: Path) -> Documents:
    if not path.is_file():
        raise MigrationRefused(f"there is no database file {path}")
    if _has_journal(path):
        raise MigrationRefused(
            f"{path} has changes in its journal ({_journal(path).name}) not folded into the file yet: "
            "start the bot on it once and stop it (that folds them in), then copy again"
        )
    try:
        data = json.loads(path.read_bytes() or b"{}")
    except (OSError, ValueError) as exc:
        raise MigrationRefused(f"cannot read {path} as a TinyDB file: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(docs, dict) for docs in data.values()):
        raise MigrationRefused(f"{path} is not a newsbot database")
    unknown = sorted(name for name, docs in data.items() if docs and name not in TABLES)
    if unknown:
        raise MigrationRefused(
            f"{path} has table(s) {', '.join(unknown)} that this newsbot does not know; "
            "copy it with the newsbot version that wrote it"
        )
    return {name: dict(data.get(name, {})) for name in TABLES}


def _tinydb_holds_documents(path: Path) -> bool:
    if _has_journal(path):
        return True
    try:
        data = json.loads(path.read_bytes() or b"{}")
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # something is there; only --force replaces it
    return not isinstance(data, dict) or any(data.values())


def _by_id(doc_id: str) -> tuple[int, str]:
    return (int(doc_id), "") if doc_id.isdecimal() else (-1, doc_id)


def write_tinydb(path: Path, documents: Documents, *, force: bool) -> None:
    if _tinydb_holds_documents(path) and not force:
        raise MigrationRefused(f"{path} already holds documents: add --force to replace them")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = {name: {i: documents[name][i] for i in sorted(documents[name], key=_by_id)} for name in TABLES}
    for journal in _journals(path):  # their changes belong to the documents being replaced
        with contextlib.suppress(FileNotFoundError):
            os.unlink(journal)
    replace_file(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


# -- PostgreSQL --------------------------------------------------------------------------------


@contextlib.contextmanager
def _postgres(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection that holds the leader role (no bot acts on the database meanwhile)."""
    where = describe(url)
    try:
        conn = psycopg.connect(url, **connection_options(url, "newsbot migrate-store"))
    except psycopg.Error as exc:
        why = reason(exc, url)
        raise PostgresError(f"cannot connect to the PostgreSQL database {where}: {why}") from None
    with conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, LEADER_LOCK)).fetchone()
        conn.commit()
        if not row or not row[0]:
            raise MigrationRefused(
                f"a newsbot process is running on {where}: stop it (and its standby) first"
            )
        yield conn


def read_postgres(conn: psycopg.Connection[Any], url: str) -> Documents:
    if schema_version(conn) == 0:
        raise MigrationRefused(f"the PostgreSQL database {describe(url)} has no newsbot tables")
    migrate(conn, describe(url))  # what the bot would do at start: read the tables it knows
    with conn.transaction():
        return read_documents(conn)


def _holds_rows(conn: psycopg.Connection[Any], name: str) -> bool:
    row = conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(table(name))).fetchone()
    return bool(row and row[0])


def write_postgres(conn: psycopg.Connection[Any], url: str, documents: Documents, *, force: bool) -> None:
    migrate(conn, describe(url))
    with conn.transaction():
        holding = [name for name in TABLES if _holds_rows(conn, name)]
        if holding and not force:
            raise MigrationRefused(
                f"the PostgreSQL database {describe(url)} already holds documents ({', '.join(holding)}): "
                "add --force to replace them"
            )
        for name in TABLES:
            conn.execute(sql.SQL("DELETE FROM {}").format(table(name)))
            with conn.cursor().copy(sql.SQL("COPY {} (id, doc) FROM STDIN").format(table(name))) as copy:
                for doc_id, doc in documents[name].items():
                    copy.write_row((doc_id, to_json(name, doc)))


# -- the command -------------------------------------------------------------------------------


def copy_documents(source: Location, target: Location, *, force: bool = False) -> dict[str, int]:
    """Copy every document from *source* to *target*; returns how many per table."""
    if source == target:
        raise MigrationRefused(f"{source} is both the source and the target")
    with contextlib.ExitStack() as held:
        if source.kind == TINYDB:
            fold_journals(Path(source.address))
            held.enter_context(_bot_lock(Path(source.address)))
            documents = read_tinydb(Path(source.address))
        else:
            documents = read_postgres(held.enter_context(_postgres(source.address)), source.address)
        if target.kind == TINYDB:
            held.enter_context(_bot_lock(Path(target.address)))
            write_tinydb(Path(target.address), documents, force=force)
        else:
            conn = held.enter_context(_postgres(target.address))
            write_postgres(conn, target.address, documents, force=force)
    return {name: len(documents[name]) for name in TABLES}


def run_migrate_store(
    source: str, target: str, *, force: bool, bot_file: Path, database_url: str, out: TextIO, errors: TextIO
) -> int:
    """The command: 0 when copied, 2 when refused, 1 when a database failed."""
    secret_sources = (source, target, database_url)
    try:
        origin = parse_location(source, bot_file=bot_file, database_url=database_url)
        destination = parse_location(target, bot_file=bot_file, database_url=database_url)
        counts = copy_documents(origin, destination, force=force)
    except MigrationRefused as exc:
        print(f"newsbot migrate-store: {_redacted(str(exc), secret_sources)}", file=errors)
        return 2
    except (StorageFailure, psycopg.Error) as exc:
        print(f"newsbot migrate-store: {_redacted(str(exc), secret_sources)}", file=errors)
        return 1
    total = sum(counts.values())
    print(f"copied {total} document(s) from {origin} to {destination}:", file=out)
    for name, count in counts.items():
        print(f"  {name}: {count}", file=out)
    return 0


def _redacted(text: str, urls: tuple[str, ...]) -> str:
    for url in urls:
        text = redact(text, url)
    return text

"""The databases the contract tests run on: in memory, TinyDB files (and PostgreSQL where a
server can be had). Each can be opened, restarted (closed and opened) and crashed (left as a
killed process leaves it, then opened)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bot.adapters.storage.database import Database
from bot.adapters.storage.documents import MemorySink, Tables
from bot.adapters.storage.tinydb_files import TinyDBFiles

Clock = Callable[[], float]


class MemoryBackend:
    name = "memory"

    def __init__(self) -> None:
        self._tables: Tables = {}

    def open(self, clock: Clock = time.time) -> Database:
        return Database(MemorySink(self._tables), clock)

    def crash(self, database: Database, clock: Clock = time.time) -> Database:
        return self.open(clock)


class TinyDBBackend:
    name = "tinydb"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def open(self, clock: Clock = time.time) -> Database:
        return Database.open(self.directory, clock=clock)

    def crash(self, database: Database, clock: Clock = time.time) -> Database:
        assert isinstance(database.sink, TinyDBFiles)
        database.sink.abandon()
        return self.open(clock)


class PostgresBackend:
    """A fresh database on the test session's PostgreSQL server. A crash: the process's
    queued writes are dropped and its connections closed without a word."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url

    def open(self, clock: Clock = time.time) -> Database:
        from bot.adapters.storage.postgres_documents import PostgresDocuments

        return Database(PostgresDocuments.open(self.url), clock)

    def crash(self, database: Database, clock: Clock = time.time) -> Database:
        # What a writer task would commit after the call is lost with the process; what the
        # repositories acknowledged was committed first (the bot awaits recorded()).
        database.close()
        return self.open(clock)


Backend = MemoryBackend | TinyDBBackend | PostgresBackend


def restart(backend: Backend, database: Database, clock: Clock = time.time) -> Database:
    database.close()
    return backend.open(clock)

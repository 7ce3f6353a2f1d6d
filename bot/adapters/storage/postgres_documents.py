"""The bot's documents in PostgreSQL: the document sink for deployments that outgrow one file.

Each document table is a table of the schema ``newsbot`` (see
:mod:`bot.adapters.storage.postgres_schema`, applied at :meth:`PostgresDocuments.open`). The working
set lives in memory; this sink keeps PostgreSQL in step with it:

- :meth:`~PostgresDocuments.write` never waits: it checks and serialises the unit (a list of
  changes: a whole document, or None for a removal) and queues it.
- A writer task on the event loop commits queued units in order, as many as are waiting in
  one transaction (group commit), through an ``AsyncConnectionPool``. A unit is never split
  across transactions, so it is all-or-nothing.
- :meth:`~PostgresDocuments.durable` returns once everything written before the call is
  committed. If PostgreSQL cannot be reached, the writer keeps the queue and its order,
  retries with a growing delay and logs once per outage; ``durable`` raises
  :class:`PostgresError` (a ``StorageFailure``) after a bounded wait, and the queued
  changes are written when PostgreSQL answers again.

Retrying a transaction whose commit may or may not have happened is safe: each change sets a
whole document or removes it, so applying the same units again, in order, ends the same.

With a :class:`~bot.adapters.storage.leadership.Leadership`, every transaction is fenced: a process
that no longer leads writes nothing more (its queue stays in memory, ``durable`` and ``write``
raise), so it cannot overwrite what the new leader has read.

How documents become rows: :mod:`bot.adapters.storage.postgres_rows`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.adapters.storage.documents import Tables
from bot.adapters.storage.leadership import NotLeader
from bot.adapters.storage.postgres_connection import (
    CONNECT_TIMEOUT,
    PostgresError,
    connection_options,
    describe,
    reason,
)
from bot.adapters.storage.postgres_rows import Documents, Row, Unit, read_documents, statements, to_json
from bot.adapters.storage.postgres_schema import TABLES, migrate

__all__ = ["DocumentChange", "PostgresDocuments", "PostgresError"]

log = logging.getLogger(__name__)

DURABLE_TIMEOUT = 5.0  # seconds durable() waits for a commit before it reports a failure
ATTEMPT_TIMEOUT = 15.0  # one transaction's longest try; a hung connection is dropped after it
FIRST_RETRY, LAST_RETRY = 0.1, 2.0  # seconds between tries while PostgreSQL fails
RECONNECT_SECONDS = 3.0
BATCH_ROWS = 5_000  # changes in one transaction, at most (units are never split)
MAX_QUEUED_BYTES = 64 * 1024 * 1024  # JSON waiting in memory during an outage; more is refused


class DocumentChange(Protocol):
    """One change: *doc* is the whole new document, or None to remove it."""

    @property
    def table(self) -> str: ...
    @property
    def doc_id(self) -> int: ...
    @property
    def doc(self) -> Mapping[str, Any] | None: ...


class Fence(Protocol):
    """Raises NotLeader inside a write transaction of a process that no longer leads."""

    async def fence(self, conn: psycopg.AsyncConnection[Any]) -> None: ...


Pool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]


class PostgresDocuments:
    """The document tables in a PostgreSQL database (see the module's description).

    Use it from one event loop. Before the loop runs (or after it ended), writes are queued
    and :meth:`close` commits them with a plain connection.
    """

    def __init__(
        self,
        url: str,
        *,
        durable_timeout: float = DURABLE_TIMEOUT,
        application_name: str,
        leader: Fence | None = None,
    ) -> None:
        self._url = url
        self._leader = leader
        self._fenced = ""  # why this process may not write any more
        self.where = describe(url)
        self._durable_timeout = durable_timeout
        self._application_name = application_name
        self._queue: deque[Unit] = deque()
        self._queued_bytes = 0
        self._written = 0  # seq of the last unit queued
        self._committed = 0  # seq of the last unit committed
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._pool: Pool | None = None
        self._failing_since: float | None = None
        self._failure = ""
        self._closed = False
        self._finishing: asyncio.Task[None] | None = None
        self.transactions = 0  # committed by the writer: fewer than units when commits are grouped

    @classmethod
    def open(
        cls,
        url: str,
        *,
        durable_timeout: float = DURABLE_TIMEOUT,
        application_name: str = "newsbot",
        leader: Fence | None = None,
    ) -> PostgresDocuments:
        """Connect, create or migrate the schema, and return the sink; raises PostgresError.
        With *leader*, writes are fenced by the leader role (see the module)."""
        documents = cls(
            url, durable_timeout=durable_timeout, application_name=application_name, leader=leader
        )
        with documents._connect() as conn:
            migrate(conn, documents.where)
        return documents

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self._url, **connection_options(self._url, self._application_name))
        except psycopg.Error as exc:
            raise PostgresError(
                f"cannot connect to the PostgreSQL database {self.where}: {reason(exc, self._url)}"
            ) from None

    # -- the sink ---------------------------------------------------------------------------

    def load(self) -> Tables:
        """Every table's documents: what is committed, with what is still queued on top."""
        return {  # in the order of their ids, as they were made (the outbox's: oldest first)
            name: dict(sorted(((int(doc_id), doc) for doc_id, doc in docs.items()), key=itemgetter(0)))
            for name, docs in self.read().items()
        }

    def read(self) -> Documents:
        """Every table's documents by their ids as stored (text)."""
        try:
            with self._connect() as conn:
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                conn.read_only = True
                with conn.transaction():
                    documents = read_documents(conn)
        except psycopg.Error as exc:
            raise PostgresError(
                f"cannot read the PostgreSQL database {self.where}: {reason(exc, self._url)}"
            ) from None
        for unit in self._queue:
            for name, doc_id, text in unit.rows:
                if text is None:
                    documents[name].pop(doc_id, None)
                else:
                    documents[name][doc_id] = json.loads(text)
        return documents

    def write(self, changes: Sequence[DocumentChange]) -> None:
        """Queue *changes* as one unit; raises PostgresError (and queues nothing) for a change
        that cannot be stored, or when too much waits for an unreachable PostgreSQL."""
        if self._closed:
            raise PostgresError(f"the PostgreSQL documents of {self.where} are closed")
        if self._fenced:
            raise PostgresError(f"{self._fenced}: the change was not written")
        rows: list[Row] = []
        size = 0
        for change in changes:
            if change.table not in TABLES:
                raise PostgresError(
                    f"newsbot's PostgreSQL schema has no table {change.table!r} "
                    f"(it has {', '.join(TABLES)}); a new table needs a migration"
                )
            text = None if change.doc is None else to_json(change.table, change.doc)
            doc_id = str(change.doc_id)
            rows.append((change.table, doc_id, text))
            size += len(doc_id) + (len(text) if text else 0)
        if not rows:
            return
        if self._queue and self._queued_bytes + size > MAX_QUEUED_BYTES:
            raise PostgresError(
                f"{self._queued_bytes // 1_000_000} MB of changes are waiting for PostgreSQL at "
                f"{self.where} ({self._failure or 'it is slow'}); this change was refused"
            )
        self._written += 1
        self._queue.append(Unit(self._written, tuple(rows), size))
        self._queued_bytes += size
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: durable() or close() writes it
        self._start_writer(loop)
        assert self._wake is not None
        self._wake.set()

    async def recorded(self) -> None:
        """A change outlives this process once it is committed: as :meth:`durable`."""
        await self.durable()

    async def durable(self) -> None:
        """Return once every unit written before the call is committed; raise PostgresError
        after a bounded wait (the units stay queued, and are written when PostgreSQL answers)."""
        target = self._written
        if self._committed >= target:
            return
        if self._fenced:
            raise PostgresError(f"{self._fenced}: {self.waiting} change(s) were not written")
        loop = asyncio.get_running_loop()
        self._start_writer(loop)
        assert self._wake is not None
        self._wake.set()
        done: asyncio.Future[None] = loop.create_future()
        self._waiters.append((target, done))
        try:
            async with asyncio.timeout(self._durable_timeout):
                await asyncio.shield(done)
        except TimeoutError:
            waiting = sum(len(unit.rows) for unit in self._queue)
            raise PostgresError(
                f"PostgreSQL at {self.where} has not confirmed the latest changes in "
                f"{self._durable_timeout:g} s ({self._failure or 'no answer yet'}); {waiting} waiting "
                "change(s) are kept and will be written in order when it answers"
            ) from None
        finally:
            if not done.done():
                done.cancel()
                self._waiters = [waiter for waiter in self._waiters if waiter[1] is not done]

    def close(self) -> None:
        """Write what is queued, then let go of the connections. Inside a running event loop
        this cannot wait without holding the loop up: it finishes in a task, so await
        :meth:`durable` (or use :meth:`aclose`) first to know everything is written."""
        if self._finishing is not None:
            return
        self._closed = True
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            self._finishing = running.create_task(self.aclose(), name="close PostgreSQL documents")
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.run_until_complete(self.aclose())
            return
        self._flush_without_loop()

    async def aclose(self) -> None:
        """Write what is queued (waiting at most the durable timeout), stop the writer and
        close the pool."""
        self._closed = True
        try:
            if self._queue:
                await self.durable()
        except PostgresError as exc:
            log.error("closing with changes not written to PostgreSQL: %s", exc)
        finally:
            if self._writer is not None:
                self._writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._writer
            self._writer = None
            if self._pool is not None:
                await self._pool.close(timeout=CONNECT_TIMEOUT)
                self._pool = None

    @property
    def waiting(self) -> int:
        """Changes queued, not yet committed."""
        return sum(len(unit.rows) for unit in self._queue)

    # -- the writer -------------------------------------------------------------------------

    def _start_writer(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._writer is not None and self._loop is loop and not self._writer.done():
            return
        if self._loop is not None and self._loop is not loop and self._loop.is_running():
            raise RuntimeError("PostgresDocuments is used from two event loops")
        self._loop = loop
        self._wake = asyncio.Event()
        self._pool = None  # a pool of an ended loop cannot be used; its sockets close with it
        self._writer = loop.create_task(self._write_forever(), name="PostgreSQL writer")

    async def _write_forever(self) -> None:
        assert self._wake is not None
        wake = self._wake
        pool: Pool = AsyncConnectionPool(
            self._url,
            min_size=1,
            max_size=1,
            open=False,
            kwargs=connection_options(self._url, self._application_name),
            timeout=CONNECT_TIMEOUT + 1,
            # The pool's own retries slow down exponentially for minutes; giving up after a few
            # seconds makes the next request connect afresh, so a server that is back is used
            # within seconds of it.
            reconnect_timeout=RECONNECT_SECONDS,
            name="newsbot-documents",
        )
        self._pool = pool
        await pool.open(wait=False)
        delay = FIRST_RETRY
        while True:
            if not self._queue:
                wake.clear()
                await wake.wait()
                continue
            batch = self._next_batch()
            try:
                await self._commit(pool, batch)
            except NotLeader as exc:
                self._stop_writing(str(exc))
                return
            except Exception as exc:  # every failure is retried: order matters more than speed
                await self._failed(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, LAST_RETRY)
                continue
            delay = FIRST_RETRY
            self._committed_units(batch)

    def _next_batch(self) -> list[Unit]:
        batch: list[Unit] = []
        rows = 0
        for unit in self._queue:
            if batch and rows + len(unit.rows) > BATCH_ROWS:
                break
            batch.append(unit)
            rows += len(unit.rows)
        return batch

    async def _commit(self, pool: Pool, batch: list[Unit]) -> None:
        conn = await pool.getconn()
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT):
                if self._leader is not None:
                    await self._leader.fence(conn)
                for query, params in statements(batch):
                    await conn.execute(query, params)
                await conn.commit()
        except BaseException:
            # No rollback over a link that may be dead: closing ends the transaction too.
            await conn.close()
            raise
        finally:
            await pool.putconn(conn)
        self.transactions += 1

    def _committed_units(self, batch: list[Unit]) -> None:
        for _ in batch:
            unit = self._queue.popleft()
            self._queued_bytes -= unit.size
        self._committed = batch[-1].seq
        if self._failing_since is not None:
            log.warning(
                "PostgreSQL at %s answers again after %.0f s; the changes kept meanwhile are written",
                self.where,
                time.monotonic() - self._failing_since,
            )
            self._failing_since = None
            self._failure = ""
        still = []
        for target, done in self._waiters:
            if target <= self._committed:
                if not done.done():
                    done.set_result(None)
            elif not done.done():
                still.append((target, done))
        self._waiters = still

    def _stop_writing(self, why: str) -> None:
        self._fenced = why
        log.error("%s: %d change(s) are not written to PostgreSQL, and no more will be", why, self.waiting)
        failure = PostgresError(f"{why}: the changes were not written")
        for _, done in self._waiters:
            if not done.done():
                done.set_exception(failure)
        self._waiters = []

    async def _failed(self, exc: Exception) -> None:
        if self._failing_since is not None:
            if not isinstance(exc, PoolTimeout):
                self._failure = reason(exc, self._url)
            return
        self._failing_since = time.monotonic()
        self._failure = reason(exc, self._url)
        if isinstance(exc, PoolTimeout):  # the pool does not say why it cannot connect: ask
            self._failure = await self._why_no_connection() or self._failure
        log.error(
            "cannot write to PostgreSQL at %s (%s); %d change(s) are kept and will be written in "
            "order when it answers",
            self.where,
            self._failure,
            self.waiting,
        )

    async def _why_no_connection(self) -> str | None:
        try:
            options = connection_options(self._url, self._application_name)
            conn = await psycopg.AsyncConnection.connect(self._url, **options)
        except psycopg.Error as exc:
            return reason(exc, self._url)
        await conn.close()
        return None

    def _flush_without_loop(self) -> None:
        if not self._queue:
            return
        if self._fenced or self._leader is not None:  # unfenced, it could overwrite a new leader's
            why = self._fenced or "the leader role fences writes only while the event loop runs"
            log.error("closing with %d change(s) not written to PostgreSQL (%s)", self.waiting, why)
            return
        try:
            with self._connect() as conn:
                while self._queue:
                    batch = self._next_batch()
                    with conn.transaction():
                        for query, params in statements(batch):
                            conn.execute(query, params)
                    self._committed_units(batch)
        except (psycopg.Error, PostgresError) as exc:
            why = str(exc) if isinstance(exc, PostgresError) else reason(exc, self._url)
            raise PostgresError(
                f"{self.waiting} change(s) could not be written to PostgreSQL at {self.where} before "
                f"closing: {why}"
            ) from None

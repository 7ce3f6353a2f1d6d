"""The leader role among the bot processes that share one PostgreSQL database.

Only the leader may poll feeds, send messages and write documents. The role is a
session-level advisory lock, held on a connection of its own for as long as the process
leads. Another process waits as a hot standby: it tries to take the lock every second or so.
When the leader dies its connection closes, the server releases the lock, and the standby
takes the role within seconds.

A leader that loses the connection holding the lock (the server restarted, the network
failed, an operator ended the session) cannot know whether it still leads: it sets
:attr:`Leadership.lost` and calls ``on_lost``, and must stop acting at once.

Fencing, so that a leader that lost the role cannot overwrite what its successor reads:
every write transaction of :class:`~bot.adapters.storage.postgres_documents.PostgresDocuments`
takes a shared transaction lock on a fence key and checks that the leader lock is still held
by its process's lock session (:meth:`Leadership.fence`); a new leader takes the fence
exclusively once before it returns from :meth:`Leadership.acquire`, so it waits for the
old leader's transactions in flight, and every later one of them finds the lock gone and
writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import psycopg

from bot.adapters.storage.postgres_connection import connection_options, describe, reason
from bot.adapters.storage.postgres_schema import LOCK_CLASS

__all__ = ["FENCE_LOCK", "LEADER_LOCK", "Leadership", "NotLeader"]

log = logging.getLogger(__name__)

LEADER_LOCK = 1  # (LOCK_CLASS, 1): the leader role, held by the leader's lock session
FENCE_LOCK = 3  # (LOCK_CLASS, 3): shared by write transactions, taken once by a new leader
RETRY_SECONDS = 1.0  # how often a standby tries to take the role
CHECK_SECONDS = 1.0  # how often the leader checks the connection that holds it
ANSWER_TIMEOUT = 5.0  # seconds a check may take before the connection counts as lost
_HOLDS_ROLE = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
    "AND objid = %s AND objsubid = 2 AND pid = %s AND granted)"
)


class NotLeader(Exception):
    """This process does not hold the leader role (any more)."""


class Leadership:
    """Take and hold the leader role on the database of *url*.

    ``await acquire()`` returns once this process leads (a standby waits in it); then
    :attr:`lost` is set, and *on_lost* called once, if the role is lost. :meth:`release`
    gives it up.
    """

    def __init__(
        self,
        url: str,
        *,
        on_lost: Callable[[], object] | None = None,
        retry_seconds: float = RETRY_SECONDS,
        check_seconds: float = CHECK_SECONDS,
        application_name: str = "newsbot leader",
    ) -> None:
        self._url = url
        self.where = describe(url)
        self._on_lost = on_lost
        self._retry_seconds = retry_seconds
        self._check_seconds = check_seconds
        self._application_name = application_name
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._pid: int | None = None  # the lock session's backend, while this process leads
        self._watch: asyncio.Task[None] | None = None
        self.lost = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        return self._pid is not None

    async def acquire(self) -> None:
        """Return once this process holds the leader role; until then try every
        *retry_seconds*, logging once that it waits as a standby."""
        if self.is_leader:
            return
        standby = unreachable = False
        while True:
            try:
                if await self._try_lock():
                    break
            except (psycopg.Error, TimeoutError) as exc:
                await self._drop_connection()
                if not unreachable:
                    log.warning(
                        "cannot reach PostgreSQL at %s to take the leader role (%s); trying again every %g s",
                        self.where,
                        reason(exc, self._url),
                        self._retry_seconds,
                    )
                    unreachable = True
            else:
                if not standby:
                    log.info(
                        "another newsbot process leads on %s: this one waits as a standby and takes "
                        "over when it stops",
                        self.where,
                    )
                    standby = True
            await asyncio.sleep(self._retry_seconds)
        log.info("this newsbot process now leads on %s", self.where)
        self.lost.clear()
        self._watch = asyncio.create_task(self._watch_role(), name="leader role check")

    async def _try_lock(self) -> bool:
        async with asyncio.timeout(ANSWER_TIMEOUT + 5):
            if self._conn is None or self._conn.closed:
                self._conn = await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True, **connection_options(self._url, self._application_name)
                )
            cursor = await self._conn.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, LEADER_LOCK)
            )
            row = await cursor.fetchone()
            if not row or not row[0]:
                return False
            # Wait for the write transactions of a leader that lost the role (see the module).
            async with self._conn.transaction():
                await self._conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, FENCE_LOCK))
            self._pid = self._conn.info.backend_pid
            return True

    async def _watch_role(self) -> None:
        conn = self._conn
        assert conn is not None
        while True:
            await asyncio.sleep(self._check_seconds)
            try:
                async with asyncio.timeout(ANSWER_TIMEOUT):
                    await conn.execute("SELECT 1")
            except (psycopg.Error, TimeoutError) as exc:
                self._lose(reason(exc, self._url))
                return

    def _lose(self, why: str) -> None:
        if self._pid is None:
            return
        self._pid = None
        log.error(
            "lost the connection that holds the leader role on %s (%s): this process stops acting "
            "so that a standby can take over",
            self.where,
            why,
        )
        self.lost.set()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()  # no goodbye over a link that may be dead
        if self._on_lost is not None:
            self._on_lost()

    async def fence(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Inside a write transaction on *conn*: raise NotLeader unless this process still
        holds the role (see the module for why this is enough)."""
        pid = self._pid
        if pid is None:
            raise NotLeader(f"this newsbot process does not lead on {self.where}")
        await conn.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", (LOCK_CLASS, FENCE_LOCK))
        cursor = await conn.execute(_HOLDS_ROLE, (LOCK_CLASS, LEADER_LOCK, pid))
        row = await cursor.fetchone()
        if not row or not row[0]:
            raise NotLeader(f"this newsbot process no longer leads on {self.where}")

    async def release(self) -> None:
        """Give the role up (a standby takes it) and close the lock's connection."""
        self._pid = None
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self._drop_connection()

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()  # the server releases the session's locks

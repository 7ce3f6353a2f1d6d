"""The leader role on a real PostgreSQL server: one process leads, another waits as a
standby and takes over within seconds when the leader dies or loses its connection; a
leader that lost the role writes nothing more."""

from __future__ import annotations

import asyncio
import logging
import os
import selectors
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.adapters.storage.leadership import Leadership
from bot.adapters.storage.postgres_documents import PostgresDocuments
from bot.service.ports import StorageFailure

REPO = Path(__file__).resolve().parents[2]
TAKEOVER_SECONDS = 30  # generous for a loaded machine; it takes one or two seconds


@dataclass(frozen=True, slots=True)
class Change:
    table: str
    doc_id: str
    doc: Mapping[str, Any] | None


async def wait_for(condition: Any, what: str, timeout: float = TAKEOVER_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.02)


def terminate_backend(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def leader_backends(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 1 AND granted"
        ).fetchall()
    return [pid for (pid,) in rows]


def test_the_standby_takes_over_when_the_leaders_session_ends(
    postgres_url: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="bot.adapters.storage.leadership")
    lost_calls: list[str] = []

    async def scenario() -> None:
        leader = Leadership(postgres_url, on_lost=lambda: lost_calls.append("lost"))
        standby = Leadership(postgres_url, retry_seconds=0.2)
        await leader.acquire()
        assert leader.is_leader
        waiting = asyncio.create_task(standby.acquire())
        await wait_for(lambda: "waits as a standby" in caplog.text, "the standby says it waits")
        assert not waiting.done() and not standby.is_leader  # one leader at a time
        [pid] = leader_backends(postgres_url)

        await asyncio.to_thread(terminate_backend, postgres_url, pid)
        await asyncio.wait_for(leader.lost.wait(), TAKEOVER_SECONDS)
        assert not leader.is_leader and lost_calls == ["lost"]
        await asyncio.wait_for(waiting, TAKEOVER_SECONDS)
        assert standby.is_leader
        assert leader_backends(postgres_url) != [pid]
        await standby.release()
        await leader.release()

    asyncio.run(scenario())
    assert "lost the connection that holds the leader role" in caplog.text


LEADER_PROCESS = textwrap.dedent(
    """
    import asyncio, sys
    from bot.adapters.storage.leadership import Leadership

    async def lead():
        leadership = Leadership(sys.argv[1])
        await leadership.acquire()
        print("leading", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(lead())
    """
)


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline().strip()


def test_a_standby_process_takes_over_when_the_leader_process_is_killed(
    postgres_url: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="bot.adapters.storage.leadership")
    leader = subprocess.Popen(
        [sys.executable, "-c", LEADER_PROCESS, postgres_url],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert read_line(leader, TAKEOVER_SECONDS) == "leading"

        async def stand_by() -> float:
            standby = Leadership(postgres_url, retry_seconds=0.5)
            waiting = asyncio.create_task(standby.acquire())
            await wait_for(lambda: "waits as a standby" in caplog.text, "the standby says it waits")
            assert not waiting.done()  # the role stays with the running leader
            os.kill(leader.pid, signal.SIGKILL)
            killed = time.monotonic()
            await asyncio.wait_for(waiting, TAKEOVER_SECONDS)
            took = time.monotonic() - killed
            await standby.release()
            return took

        took = asyncio.run(stand_by())
        print(f"standby took over {took:.2f} s after the leader was killed")
    finally:
        if leader.poll() is None:
            leader.kill()
        leader.wait(timeout=10)


async def leader_that_wrote(postgres_url: str) -> tuple[Leadership, PostgresDocuments]:
    """A leader whose documents hold chat 1 ("before"), durably."""
    leader = Leadership(postgres_url)
    await leader.acquire()
    documents = PostgresDocuments.open(postgres_url, leader=leader, durable_timeout=2.0)
    documents.write([Change("chats", "1", {"chat_id": 1, "title": "before"})])
    await documents.durable()
    return leader, documents


async def leader_after_cutting_off_the_old(postgres_url: str) -> tuple[Leadership, PostgresDocuments]:
    """The leader's connection ended by the server; a new leader takes the role."""
    [pid] = leader_backends(postgres_url)
    await asyncio.to_thread(terminate_backend, postgres_url, pid)
    new = Leadership(postgres_url, retry_seconds=0.2)
    await asyncio.wait_for(new.acquire(), TAKEOVER_SECONDS)
    return new, PostgresDocuments.open(postgres_url, leader=new)


def test_a_leader_that_lost_the_role_writes_nothing_more(postgres_url: str):
    PostgresDocuments.open(postgres_url).close()  # the schema

    async def scenario() -> None:
        old, old_documents = await leader_that_wrote(postgres_url)
        new, new_documents = await leader_after_cutting_off_the_old(postgres_url)
        assert new_documents.read()["chats"] == {"1": {"chat_id": 1, "title": "before"}}
        new_documents.write([Change("chats", "1", {"chat_id": 1, "title": "new leader"})])
        await new_documents.durable()

        old_documents.write([Change("chats", "1", {"chat_id": 1, "title": "stale"})])
        with pytest.raises(StorageFailure, match=r"no longer leads|does not lead"):
            await old_documents.durable()
        with pytest.raises(StorageFailure):
            old_documents.write([Change("chats", "2", {"chat_id": 2})])
        await old_documents.aclose()
        await new_documents.aclose()
        await new.release()
        await old.release()

    asyncio.run(scenario())
    assert PostgresDocuments.open(postgres_url).read()["chats"] == {
        "1": {"chat_id": 1, "title": "new leader"}
    }


def test_a_leader_that_lost_the_role_writes_nothing_when_it_closes(postgres_url: str):
    PostgresDocuments.open(postgres_url).close()  # the schema
    old_documents: list[PostgresDocuments] = []

    async def lose_the_role() -> None:
        old, documents = await leader_that_wrote(postgres_url)
        old_documents.append(documents)
        new, new_documents = await leader_after_cutting_off_the_old(postgres_url)
        new_documents.write([Change("chats", "1", {"chat_id": 1, "title": "new leader"})])
        await new_documents.durable()
        await new_documents.aclose()

        documents.write([Change("chats", "1", {"chat_id": 1, "title": "stale"})])
        with pytest.raises(StorageFailure, match=r"no longer leads|does not lead"):
            await documents.durable()
        await documents.aclose()  # the bot's shutdown hook (post_shutdown)
        await new.release()
        await old.release()

    asyncio.run(lose_the_role())
    old_documents[0].close()  # run_telegram's `finally: bot.store.close()`, after PTB closed its loop
    assert PostgresDocuments.open(postgres_url).read()["chats"] == {
        "1": {"chat_id": 1, "title": "new leader"}
    }, "the old leader overwrote what the new one wrote"

"""The document sink on a real PostgreSQL server: what is written and made durable is what a
new process reads, a unit is all-or-nothing, migrations run once, and an unreachable server
fails ``durable`` in bounded time and loses nothing."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from bot.adapters.storage.postgres_connection import describe
from bot.adapters.storage.postgres_documents import PostgresDocuments
from bot.adapters.storage.postgres_schema import LATEST_VERSION, SCHEMA, TABLES, migrate
from bot.service.ports import StorageFailure
from tests.fakes.tcp_proxy import TcpProxy


@dataclass(frozen=True, slots=True)
class Change:
    table: str
    doc_id: str
    doc: Mapping[str, Any] | None


def chat(chat_id: int, **more: Any) -> dict[str, Any]:
    return {"chat_id": chat_id, "type": "private", "title": f"chat {chat_id}", "active": True} | more


@pytest.fixture
def proxy(postgres_server: Any) -> Iterator[TcpProxy]:
    relay = TcpProxy(postgres_server.port)
    yield relay
    relay.close()


def test_what_is_durable_is_what_a_new_process_reads(postgres_url: str):
    documents = PostgresDocuments.open(postgres_url)
    assert documents.read() == {name: {} for name in TABLES}

    async def session() -> None:
        documents.write(
            [Change("chats", "1", chat(7)), Change("subscriptions", "1", {"chat_id": 7, "query": "oil"})]
        )
        documents.write([Change("chats", "2", chat(-100123, type="supergroup"))])
        documents.write([Change("chats", "1", chat(7, active=False, reason="blocked"))])
        documents.write(
            [
                Change("subscriptions", "1", None),
                Change("subscriptions", "2", {"chat_id": 7, "query": "كورد"}),
            ]
        )
        await documents.durable()

    asyncio.run(session())
    documents.close()

    again = PostgresDocuments.open(postgres_url).read()
    assert again["chats"] == {
        "1": chat(7, active=False, reason="blocked"),
        "2": chat(-100123, type="supergroup"),
    }
    assert again["subscriptions"] == {"2": {"chat_id": 7, "query": "كورد"}}
    with psycopg.connect(postgres_url) as conn:  # the columns an operator queries by
        rows = conn.execute(f"SELECT id, chat_id FROM {SCHEMA}.chats ORDER BY id").fetchall()
    assert rows == [("1", 7), ("2", -100123)]


def test_many_units_share_a_transaction(postgres_url: str):
    documents = PostgresDocuments.open(postgres_url)

    async def burst() -> None:
        for n in range(300):
            documents.write([Change("seen", f"feed {n}", {"feed": f"feed {n}", "tokens": {"t": n}})])
        await documents.durable()

    asyncio.run(burst())
    documents.close()
    assert 1 <= documents.transactions < 300
    assert len(PostgresDocuments.open(postgres_url).read()["seen"]) == 300


def test_writes_before_the_loop_are_written_at_close(postgres_url: str):
    documents = PostgresDocuments.open(postgres_url)
    documents.write([Change("feeds", "1", {"name": "Rudaw", "etag": '"v1"'})])
    documents.close()
    assert PostgresDocuments.open(postgres_url).read()["feeds"] == {"1": {"name": "Rudaw", "etag": '"v1"'}}


def test_closing_inside_the_loop_writes_what_is_queued(postgres_url: str):
    documents = PostgresDocuments.open(postgres_url)

    async def session() -> None:
        documents.write([Change("outbox", "1", {"chat_id": 7, "key": "alert:7:k1"})])
        await documents.aclose()
        with pytest.raises(StorageFailure, match="closed"):
            documents.write([Change("outbox", "2", {"chat_id": 7})])

    asyncio.run(session())
    assert PostgresDocuments.open(postgres_url).read()["outbox"] == {"1": {"chat_id": 7, "key": "alert:7:k1"}}


def test_a_unit_is_committed_whole_or_not_at_all(postgres_url: str):
    """A unit bigger than one transaction's usual batch is still never split: a reader sees
    none of it or all of it. A unit refused at write leaves nothing behind."""
    documents = PostgresDocuments.open(postgres_url)
    big = [Change("recent", str(n), {"feed": "F", "key": str(n)}) for n in range(12_000)]
    seen: set[int] = set()
    stop = threading.Event()

    def watch() -> None:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            while not stop.is_set():
                row = conn.execute(f"SELECT count(*) FROM {SCHEMA}.recent").fetchone()
                assert row is not None
                seen.add(row[0])

    reader = threading.Thread(target=watch)
    reader.start()
    try:
        with pytest.raises(StorageFailure, match="cannot be stored as JSON"):
            documents.write([Change("chats", "9", chat(9)), Change("feeds", "x", {"bad": float("nan")})])
        with pytest.raises(StorageFailure, match="no table 'nonsense'"):
            documents.write([Change("chats", "9", chat(9)), Change("nonsense", "x", {})])

        async def write() -> None:
            documents.write(big)
            await documents.durable()

        asyncio.run(write())
        deadline = time.monotonic() + 30
        while 12_000 not in seen and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        reader.join()
    documents.close()
    assert seen <= {0, 12_000} and 12_000 in seen
    assert PostgresDocuments.open(postgres_url).read()["chats"] == {}


def test_text_jsonb_cannot_hold_is_kept_readable(postgres_url: str):
    documents = PostgresDocuments.open(postgres_url)
    documents.write([Change("recent", "1", {"title": "a\x00b \ud800c", "nul\x00key": 1})])
    documents.close()
    assert PostgresDocuments.open(postgres_url).read()["recent"] == {
        "1": {"title": "a\ufffdb \ufffdc", "nul\ufffdkey": 1}
    }


def test_migrations_run_once_and_a_newer_schema_is_refused(postgres_url: str):
    PostgresDocuments.open(postgres_url).close()
    with psycopg.connect(postgres_url) as conn:
        assert migrate(conn, "test") == []  # a second start applies nothing
        versions = conn.execute(f"SELECT version FROM {SCHEMA}.schema_version").fetchall()
        assert versions == [(LATEST_VERSION,)]
    PostgresDocuments.open(postgres_url).close()  # and a third start still opens it

    with psycopg.connect(postgres_url) as conn:
        conn.execute(f"INSERT INTO {SCHEMA}.schema_version (version, description) VALUES (99, 'future')")
    with pytest.raises(StorageFailure) as refused:
        PostgresDocuments.open(postgres_url)
    assert "schema version 99, newer than this newsbot knows" in str(refused.value)
    assert describe(postgres_url) in str(refused.value)


def test_two_bots_starting_at_once_migrate_once(postgres_url: str):
    errors: list[BaseException] = []

    def start() -> None:
        try:
            PostgresDocuments.open(postgres_url).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute(f"SELECT count(*) FROM {SCHEMA}.schema_version").fetchone() == (1,)


def test_an_unreachable_server_fails_durable_in_bounded_time_and_loses_nothing(
    postgres_server: Any, postgres_url: str, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
):
    through_proxy = proxy.url_for(postgres_url)
    documents = PostgresDocuments.open(through_proxy, durable_timeout=1.0)
    caplog.set_level(logging.INFO)

    async def session() -> list[str]:
        failures = []
        documents.write([Change("chats", "1", chat(1))])
        await documents.durable()
        proxy.cut()
        for n in range(3):  # the same document changed three times while the server is away
            documents.write(
                [Change("chats", "1", chat(1, title=f"version {n}")), Change("seen", str(n), {"n": n})]
            )
            began = time.monotonic()
            with pytest.raises(StorageFailure) as failed:
                await documents.durable()
            assert time.monotonic() - began < 20  # bounded: never a hang
            failures.append(str(failed.value))
        assert documents.waiting == 6
        proxy.restore()
        deadline = time.monotonic() + 30
        while True:  # back within seconds: the pool connects afresh
            try:
                await documents.durable()
                break
            except StorageFailure:
                assert time.monotonic() < deadline, "the changes kept were not written once it was back"
        assert documents.waiting == 0
        return failures

    failures = asyncio.run(session())
    documents.close()
    assert "will be written in order when it answers" in failures[0]
    loaded = PostgresDocuments.open(postgres_url).read()
    assert loaded["chats"] == {"1": chat(1, title="version 2")}
    assert loaded["seen"] == {str(n): {"n": n} for n in range(3)}

    outage = [
        r
        for r in caplog.records
        if r.name == "bot.adapters.storage.postgres_documents" and r.levelno >= logging.ERROR
    ]
    assert len(outage) == 1, [r.getMessage() for r in outage]  # once per outage
    assert any("answers again" in r.getMessage() for r in caplog.records)
    password = postgres_server.password
    assert all(password not in r.getMessage() for r in caplog.records)
    assert all(password not in text for text in failures)


def test_a_server_down_at_start_is_named_without_its_password(
    postgres_server: Any, postgres_url: str, proxy: TcpProxy
):
    proxy.cut()
    with pytest.raises(StorageFailure) as refused:
        PostgresDocuments.open(proxy.url_for(postgres_url))
    message = str(refused.value)
    assert message.startswith(f"cannot connect to the PostgreSQL database 127.0.0.1:{proxy.port}/")
    assert postgres_server.password not in message

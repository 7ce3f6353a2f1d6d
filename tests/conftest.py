"""Fixtures for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.e2e.harness import kill_leftovers

if TYPE_CHECKING:
    from tests.postgres_server import PostgresServer

REQUIRE_POSTGRES = "NEWSBOT_REQUIRE_POSTGRES"  # CI sets it: the PostgreSQL tests must run there
os.environ.setdefault("PTB_TIMEDELTA", "true")  # as bot.__main__ sets it (a 429's wait as a timedelta)


@pytest.fixture(autouse=True)
def no_bot_left_running() -> Iterator[None]:
    """A test that fails half-way must not leave a bot process running behind it."""
    yield
    kill_leftovers()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session, started on first use and stopped at the
    end. Where none can be started the test is skipped with the reason, or fails when
    NEWSBOT_REQUIRE_POSTGRES=1."""
    from tests.postgres_server import ServerUnavailable, start_server

    try:
        import psycopg  # noqa: F401 - the tests talk to the server with it

        server = start_server()
    except (ImportError, ServerUnavailable) as exc:
        reason = f"no PostgreSQL server for this test: {exc}"
        if os.environ.get(REQUIRE_POSTGRES) == "1":
            pytest.fail(f"{reason} ({REQUIRE_POSTGRES}=1 requires one)", pytrace=False)
        pytest.skip(reason)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's server (dropped after the test)."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.backends import Backend, MemoryBackend, PostgresBackend, TinyDBBackend


@pytest.fixture(params=["memory", "tinydb", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each contract test runs on every kind of database (PostgreSQL: a server the tests
    start; see tests/postgres_server.py)."""
    if request.param == "memory":
        yield MemoryBackend()
    elif request.param == "tinydb":
        yield TinyDBBackend(tmp_path / "data")
    else:
        yield PostgresBackend(request.getfixturevalue("postgres_url"))

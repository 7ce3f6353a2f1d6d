"""The database an end-to-end bot runs on: its TinyDB file, or PostgreSQL (a server the tests
start; see tests/postgres_server.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.adapters.storage.database import Database


@dataclass(frozen=True, slots=True)
class BotDatabase:
    """How a bot process is told its database (*env*), and how a test opens it while no bot
    runs (to seed it, or read it after)."""

    kind: str
    open: Callable[[], Database]
    env: dict[str, str] = field(default_factory=dict)


@pytest.fixture(params=["tinydb", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> BotDatabase:
    if request.param == "tinydb":
        return BotDatabase("tinydb", lambda: Database.open(tmp_path / "data"))
    from bot.adapters.storage.postgres_documents import PostgresDocuments

    url = request.getfixturevalue("postgres_url")
    return BotDatabase(
        "postgresql", lambda: Database(PostgresDocuments.open(url)), {"NEWSBOT_DATABASE_URL": url}
    )

"""A PostgreSQL database shared by bot processes: a process waits for the leader role, then
opens the documents (what the leader before it committed), fenced by the role."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.adapters.storage.database import Database
from bot.adapters.storage.leadership import Leadership
from bot.adapters.storage.postgres_documents import PostgresDocuments

__all__ = ["lead"]

log = logging.getLogger(__name__)


async def lead(url: str, *, on_lost: Callable[[], object]) -> tuple[Database, Leadership]:
    """Return once this process leads, with its database; *on_lost* is called if the role is
    lost later (the process must stop acting)."""
    leadership = Leadership(url, on_lost=on_lost)
    await leadership.acquire()
    try:
        database = Database(PostgresDocuments.open(url, leader=leadership))
    except BaseException:
        await leadership.release()
        raise
    log.info("this process leads on %s", leadership.where)
    return database, leadership

"""The bot's tables in PostgreSQL and the versioned migrations that create and change them.

Everything lives in the schema ``newsbot``: one table per document table (``id text``,
``doc jsonb``, the time of the last change, and for an operator's queries a ``chat_id`` or
``feed`` column generated from the document), and ``schema_version``, one row per migration
applied. :func:`migrate` runs at every start: it applies, in one transaction, the migrations
the database has not had yet (none on a second start), and refuses a database whose schema is
newer than this code knows, which an older bot would misread.

A migration is never edited once released: a change to the schema is a new migration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from bot.adapters.storage.postgres_connection import PostgresError

__all__ = [
    "LATEST_VERSION",
    "LOCK_CLASS",
    "MIGRATIONS",
    "SCHEMA",
    "TABLES",
    "Migration",
    "migrate",
    "schema_version",
    "table",
]

log = logging.getLogger(__name__)

SCHEMA = "newsbot"
TABLES = (
    "chats",
    "subscriptions",
    "feeds",
    "seen",
    "recent",
    "outbox",
    "broadcasts",
    "added_feeds",
    "held",
    "stories",
    "deliveries",
)
# Advisory locks of the bot are (LOCK_CLASS, n): pg_locks shows them as classid/objid.
LOCK_CLASS = 0x6E657773  # "news"
MIGRATION_LOCK = 2


def table(name: str) -> sql.Composed:
    """The qualified name of a document table, for a query."""
    return sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(name))


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


# A chat id as a number when the document has one (NULL otherwise: the cast never fails, so a
# document of another shape is still stored).
_CHAT_ID = (
    "chat_id bigint GENERATED ALWAYS AS (CASE WHEN doc->>'chat_id' ~ '^-?[0-9]{1,18}$' "
    "THEN (doc->>'chat_id')::bigint END) STORED"
)
_EXTRA_COLUMNS = {
    "chats": (_CHAT_ID,),
    "subscriptions": (_CHAT_ID,),
    "outbox": (_CHAT_ID,),
    "held": (_CHAT_ID,),
    "feeds": ("feed text GENERATED ALWAYS AS (doc->>'name') STORED",),
    "seen": ("feed text GENERATED ALWAYS AS (doc->>'feed') STORED",),
    "recent": ("feed text GENERATED ALWAYS AS (doc->>'feed') STORED",),
    "added_feeds": ("feed text GENERATED ALWAYS AS (doc->>'name') STORED",),
}


def _document_table(name: str) -> tuple[str, ...]:
    columns = [
        "id text PRIMARY KEY",
        "doc jsonb NOT NULL",
        "updated_at timestamptz NOT NULL DEFAULT now()",
        *_EXTRA_COLUMNS.get(name, ()),
    ]
    return (
        f"CREATE TABLE {SCHEMA}.{name} ({', '.join(columns)})",
        f"COMMENT ON TABLE {SCHEMA}.{name} IS 'newsbot: one row per document of the {name} table, "
        "the whole document in doc; written by the bot (stop it before changing rows)'",
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "document tables",
        tuple(statement for name in TABLES for statement in _document_table(name)),
    ),
)
LATEST_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_version (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The version of the schema in the database (0: none yet)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.schema_version",)).fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA}.schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(
    conn: psycopg.Connection[Any], where: str, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[int]:
    """Bring the schema up to the last of *migrations*; returns the versions applied.

    One transaction, under an advisory lock, so two bots starting at once do not both
    migrate and a failure leaves the database as it was. *where* names the database in errors.
    """
    latest = migrations[-1].version
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
            current = schema_version(conn)
            if current > latest:
                raise PostgresError(
                    f"the PostgreSQL database {where} has newsbot's schema version {current}, newer "
                    f"than this newsbot knows (up to {latest}): run the newsbot version that "
                    "created it, or a newer one"
                )
            pending = [m for m in migrations if m.version > current]
            if not pending:
                return []
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            conn.execute(_VERSION_TABLE)
            for migration in pending:
                for statement in migration.statements:
                    conn.execute(statement)  # our own constant SQL
                conn.execute(
                    f"INSERT INTO {SCHEMA}.schema_version (version, description) VALUES (%s, %s)",
                    (migration.version, migration.description),
                )
    except psycopg.errors.InsufficientPrivilege as exc:
        raise PostgresError(
            f"the PostgreSQL database {where} refused to create newsbot's tables "
            f"({exc.diag.message_primary}): let the bot's user create a schema (GRANT CREATE ON "
            f"DATABASE), or create the schema {SCHEMA} owned by that user"
        ) from None
    applied = [m.version for m in pending]
    log.info("PostgreSQL database %s: applied schema migration(s) %s", where, ", ".join(map(str, applied)))
    return applied

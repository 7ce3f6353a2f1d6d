"""How documents become rows of PostgreSQL and back: JSON that ``jsonb`` accepts, the
statements that apply queued units of changes, and reading every table.

Text ``jsonb`` cannot hold (the NUL character, unpaired surrogates) is stored as U+FFFD; a
value JSON cannot hold (NaN, an object) refuses the change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from bot.adapters.storage.postgres_connection import PostgresError
from bot.adapters.storage.postgres_schema import TABLES, table

__all__ = ["Documents", "Row", "Unit", "read_documents", "statements", "to_json"]

Documents = dict[str, dict[str, dict[str, Any]]]  # table -> document id -> document
Row = tuple[str, str, str | None]  # table, document id, the document as JSON (None: remove)


@dataclass(frozen=True, slots=True)
class Unit:
    """Changes written together: committed all together or not at all."""

    seq: int
    rows: tuple[Row, ...]
    size: int  # bytes of JSON, for the memory bound


def read_documents(conn: psycopg.Connection[Any]) -> Documents:
    """Every document of every table, as one consistent snapshot when *conn* is in a
    repeatable-read transaction."""
    documents: Documents = {}
    for name in TABLES:
        rows = conn.execute(sql.SQL("SELECT id, doc FROM {}").format(table(name))).fetchall()
        documents[name] = {doc_id: doc for doc_id, doc in rows}
    return documents


def _upsert(name: str) -> sql.Composed:
    return sql.SQL(
        "INSERT INTO {} (id, doc) SELECT id, doc::jsonb FROM unnest(%s::text[], %s::text[]) AS u(id, doc) "
        "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_at = now()"
    ).format(table(name))


def _delete(name: str) -> sql.Composed:
    return sql.SQL("DELETE FROM {} WHERE id = ANY(%s::text[])").format(table(name))


UPSERT = {name: _upsert(name) for name in TABLES}
DELETE = {name: _delete(name) for name in TABLES}


def statements(units: Iterable[Unit]) -> list[tuple[sql.Composed, tuple[list[str], ...]]]:
    """The statements that apply *units* in order: the last change of each document wins,
    one upsert and one delete per table at most."""
    last: dict[tuple[str, str], str | None] = {}
    for unit in units:
        for name, doc_id, text in unit.rows:
            last[(name, doc_id)] = text
    upserts: dict[str, tuple[list[str], list[str]]] = {}
    deletes: dict[str, list[str]] = {}
    for (name, doc_id), text in last.items():
        if text is None:
            deletes.setdefault(name, []).append(doc_id)
        else:
            ids, docs = upserts.setdefault(name, ([], []))
            ids.append(doc_id)
            docs.append(text)
    return [(UPSERT[name], pair) for name, pair in upserts.items()] + [
        (DELETE[name], (ids,)) for name, ids in deletes.items()
    ]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value or not _encodable(value):
            value = "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in value)
        return value
    if isinstance(value, Mapping):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def to_json(name: str, doc: Mapping[str, Any]) -> str:
    """*doc* as the JSON text PostgreSQL's jsonb accepts."""
    try:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise PostgresError(f"a document of the {name} table cannot be stored as JSON: {exc}") from None
    if "\\u0000" in text or not _encodable(text):
        text = json.dumps(_clean(doc), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text

"""What bench/storage.py measures: newsbot's store, and plain TinyDB beside it.

Everything the bench does with newsbot's store is in :class:`NewsbotStore`: when the
store's API changes, its methods change with it and the rest of the bench stays. Every
write method returns once the change is durable (on disk, fsynced), as a command's reply
waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tinydb import TinyDB, where
from tinydb.storages import Storage

from bench.storage_load import Chat
from bot.adapters.storage.database import Database
from bot.adapters.storage.tinydb_files import TinyDBFiles
from bot.core.formatting import format_subscription_list, split_message
from bot.core.language import in_direction, speaking, use
from bot.core.matcher import Matcher, collector_paused
from bot.core.pace import ChatSettings
from bot.core.query import QueryError
from bot.core.query_parser import parse_query
from bot.core.sources import FeedSource
from bot.service.assembly import Services, assemble
from bot.service.ports import (
    DEFAULT_OPTIONS,
    Broadcast,
    BroadcastStatus,
    FeedState,
    FetchResult,
    Outcome,
    SendOptions,
)

MAX_PER_CHAT = 50  # the default of NEWSBOT_MAX_SUBSCRIPTIONS
SEEN_RETENTION = 30 * 24 * 3600.0


def _chat_doc(chat: Chat, since: float) -> dict[str, Any]:
    doc: dict[str, Any] = {"chat_id": chat.chat_id, "type": chat.kind, "title": chat.title,
                           "active": True, "since": since, "reason": ""}  # fmt: skip
    if chat.language is not None:
        settings = dataclasses.asdict(ChatSettings(language=chat.language))
        doc["settings"] = settings | {"delivery": settings["delivery"].value}
    return doc


def tinydb_tables(chats: Sequence[Chat], now: float) -> dict[str, dict[str, dict[str, Any]]]:
    """The tables ``chats`` and ``subscriptions`` of a TinyDB file holding *chats*."""
    chat_docs: dict[str, dict[str, Any]] = {}
    subscription_docs: dict[str, dict[str, Any]] = {}
    for n, chat in enumerate(chats):
        since = now - 86_400 * 365 * (n / len(chats))  # the oldest chat came a year ago
        chat_docs[str(n + 1)] = _chat_doc(chat, since)
        for number, query in enumerate(chat.queries, start=1):
            doc = {"chat_id": chat.chat_id, "query": query, "created": since, "thread_id": None,
                   "number": number}  # fmt: skip
            subscription_docs[str(len(subscription_docs) + 1)] = doc
    return {"chats": chat_docs, "subscriptions": subscription_docs}


def replace_file(path: Path, payload: bytes) -> None:
    """Write *payload* beside *path*, fsync it, rename it over *path*, fsync the directory."""
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class _NoFeeds:
    async def fetch(self, source: FeedSource, state: FeedState | None) -> FetchResult:
        raise AssertionError("the storage benchmark polls no feed")


class _NoSending:
    async def send(
        self, chat_id: int, text: str, *, html: bool = True, options: SendOptions = DEFAULT_OPTIONS
    ) -> int | None:
        raise AssertionError("the storage benchmark sends no message")

    async def edit(
        self, chat_id: int, message_id: int, html: str, *, options: SendOptions = DEFAULT_OPTIONS
    ) -> None:
        raise AssertionError("the storage benchmark sends no message")


class NewsbotStore:
    """newsbot's database (:class:`bot.adapters.storage.database.Database` on its TinyDB
    files), and the services the bot assembles on it, as far as the bench needs them."""

    NAME = "newsbot"

    def __init__(self, data_dir: Path) -> None:
        self._store = Database.open(data_dir)
        self._services: Services | None = None

    @staticmethod
    def build(data_dir: Path, chats: Sequence[Chat]) -> Path:
        """Write a database of *chats* (and their subscriptions) as the store keeps it: one
        TinyDB file. Returns the file."""
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = data_dir / "newsbot.json"
        tables = tinydb_tables(chats, time.time())
        replace_file(path, json.dumps(tables, ensure_ascii=False, separators=(",", ":")).encode())
        return path

    def index(self) -> None:
        """Build what the bot builds at start on top of the store (the matcher index of
        every subscription among it), as bot/__main__.py does."""
        self._services = assemble(
            storage=self._store,
            fetcher=_NoFeeds(),
            sender=_NoSending(),
            sources=[],
            admins=(),
            tz=ZoneInfo("UTC"),
            max_subscriptions_per_chat=MAX_PER_CHAT,
            seen_retention_seconds=SEEN_RETENTION,
        )
        gc.freeze()  # as bot/__main__.py's wire() does once the bot is built

    @property
    def services(self) -> Services:
        assert self._services is not None, "index() first"
        return self._services

    async def durable(self) -> None:
        """Wait until every change made so far is on disk (the journal fdatasynced)."""
        await self._store.durable()

    async def subscribe(self, chat_id: int, query: str) -> None:
        """Add one subscription to a chat of the database (the store's write alone)."""
        self._store.subscriptions.add_subscriptions(chat_id, [query])
        await self.durable()

    async def new_chat(self, chat: Chat) -> None:
        """Register a chat the store has not met."""
        self._store.chats.register_chat(chat.chat_id, chat.kind, chat.title)
        await self.durable()

    async def newcomer(self, chat: Chat, user_language: str | None) -> str:
        """A chat's first command, ``/subscribe`` with its keywords, as the bot's handlers
        take it (bot/adapters/telegram.py) without Telegram: its language, the chat
        registered, the permission, the subscription; the reply once durable."""
        services = self.services
        services.languages.adopt(chat.chat_id, private=chat.kind == "private", user_language=user_language)
        with speaking(services.languages.of(chat.chat_id)):
            services.commands.chat_seen((chat.chat_id, None), chat.kind, chat.title)
            assert await services.permissions.may_change(chat.chat_id, chat.kind, chat.chat_id)
            html = services.commands.subscribe((chat.chat_id, None), ", ".join(chat.queries))
            parts = split_message(in_direction(html))
        await self.durable()
        return parts[-1]

    async def list_reply(self, chat_id: int, kind: str, title: str) -> str:
        """``/list`` in a chat of the database, as the bot's handlers answer it."""
        services = self.services
        services.languages.adopt(chat_id, private=kind == "private", user_language=None)
        with speaking(services.languages.of(chat_id)):
            services.commands.chat_seen((chat_id, None), kind, title)
            parts = split_message(in_direction(services.commands.list((chat_id, None)).html))
        await self.durable()
        return parts[-1]

    async def broadcast_outcomes(self, chats: int, chunk: int = 100) -> None:
        """What a broadcast to every active chat records as it goes: the broadcast, then the
        outcome of its message to each of the first *chats* (in chunks, as sends complete)."""
        targets = tuple(self._store.chats.active_chat_ids())
        now = time.time()
        broadcast = Broadcast(id="bench", html="Maintenance tonight", status=BroadcastStatus.SENDING,
                              author=1, chat_id=1, created=now, targets=targets, total=len(targets),
                              started=now)  # fmt: skip
        self._store.broadcasts.save_broadcast(broadcast)
        for start in range(0, min(chats, len(targets)), chunk):
            for chat_id in targets[start : start + chunk]:
                self._store.broadcasts.record_broadcast("bench", chat_id, Outcome.SENT, "")
            await self.durable()
            await asyncio.sleep(0)  # the next sends

    async def checkpoint(self) -> None:
        """Fold the journal into the database file; returns when that is done (in slices,
        the loop served between them, as the bot's own checkpoints run)."""
        sink = self._store.sink
        assert isinstance(sink, TinyDBFiles)
        await sink.checkpoint()

    def close(self) -> None:
        self._store.close()


class AtomicJSONStorage(Storage):
    """TinyDB's JSON storage, kept in memory after the first read, each write replacing the
    whole file atomically (written beside it, fsynced, renamed)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        try:
            self._data: dict[str, Any] | None = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            self._data = None

    def read(self) -> dict[str, Any] | None:
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        replace_file(self.path, json.dumps(data).encode())  # TinyDB's JSONStorage's own format

    def close(self) -> None:
        pass


class PlainTinyDB:
    """The naive baseline: the chats and their subscriptions in TinyDB's own tables, every
    write durable by an atomic rewrite of the whole file, /list a search of the table; the
    same matcher index as the bot's, built from the table."""

    NAME = "plain TinyDB"

    def __init__(self, data_dir: Path) -> None:
        self._db = TinyDB(str(data_dir / "plain.json"), storage=AtomicJSONStorage)
        self._chats = self._db.table("chats")
        self._subscriptions = self._db.table("subscriptions")
        self._matcher: Matcher[int] = Matcher()

    @staticmethod
    def build(data_dir: Path, chats: Sequence[Chat]) -> Path:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = data_dir / "plain.json"
        replace_file(path, json.dumps(tinydb_tables(chats, time.time())).encode())
        return path

    def index(self) -> None:
        with collector_paused():
            for doc in self._subscriptions.all():
                with contextlib.suppress(QueryError):
                    self._matcher.add(doc.doc_id, parse_query(doc["query"]))

    async def subscribe(self, chat_id: int, query: str) -> None:
        numbers = [doc["number"] for doc in self._subscriptions.search(where("chat_id") == chat_id)]
        doc = {"chat_id": chat_id, "query": query, "created": time.time(), "thread_id": None,
               "number": max(numbers, default=0) + 1}  # fmt: skip
        self._subscriptions.insert(doc)

    async def new_chat(self, chat: Chat) -> None:
        self._chats.insert(_chat_doc(chat, time.time()))

    async def newcomer(self, chat: Chat, user_language: str | None) -> str:
        """The chat inserted, then its keywords (one write each), filed in the index."""
        use(None)
        await self.new_chat(chat)
        queries = [parse_query(text) for text in chat.queries]
        now = time.time()
        ids = self._subscriptions.insert_multiple(
            {"chat_id": chat.chat_id, "query": q.text, "created": now, "thread_id": None, "number": n}
            for n, q in enumerate(queries, start=1)
        )
        for doc_id, query in zip(ids, queries, strict=True):
            self._matcher.add(doc_id, query)
        return "✅ " + ", ".join(q.text for q in queries)

    async def list_reply(self, chat_id: int, kind: str, title: str) -> str:
        use(None)
        docs = sorted(self._subscriptions.search(where("chat_id") == chat_id), key=lambda d: d["number"])
        html = format_subscription_list(
            [doc["query"] for doc in docs], numbers=[doc["number"] for doc in docs], limit=MAX_PER_CHAT
        )
        return split_message(html)[-1]

    async def broadcast_outcomes(self, chats: int, chunk: int = 100) -> None:
        """Nothing: a plain TinyDB bot would rewrite the file for each outcome (not measured)."""

    async def checkpoint(self) -> None:
        """Nothing to fold: every write rewrote the file."""

    def close(self) -> None:
        self._db.close()


SUBJECTS: dict[str, type[NewsbotStore] | type[PlainTinyDB]] = {"newsbot": NewsbotStore, "plain": PlainTinyDB}

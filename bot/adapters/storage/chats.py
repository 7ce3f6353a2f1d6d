"""The chats that use the bot, and what each chose (table ``chats``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.adapters.storage.documents import Documents
from bot.adapters.storage.records import doc_to_settings, settings_to_doc
from bot.core.pace import ChatSettings

__all__ = ["ChatRepository"]

TABLE = "chats"


class ChatRepository:
    """Chats by id: their kind, title, whether the bot may send to them, and their settings."""

    def __init__(self, documents: Documents, clock: Callable[[], float] = time.time) -> None:
        self._documents = documents
        self._clock = clock
        self._index()
        documents.on_undo(self._index)

    def _index(self) -> None:
        self._ids = {doc["chat_id"]: doc_id for doc_id, doc in self._documents.table(TABLE).items()}

    def _doc(self, chat_id: int) -> dict[str, Any] | None:
        doc_id = self._ids.get(chat_id)
        return self._documents.get(TABLE, doc_id) if doc_id is not None else None

    def register_chat(self, chat_id: int, kind: str, title: str) -> bool:
        """Record that *chat_id* uses the bot; reactivate it if it was inactive. Returns True
        when something changed (a new chat, or one that came back)."""
        doc = self._doc(chat_id)
        if doc is None:
            self._insert({"chat_id": chat_id, "type": kind, "title": title, "active": True,
                          "since": self._clock(), "reason": ""})  # fmt: skip
            return True
        if not doc["active"]:
            self._documents.update(
                TABLE, self._ids[chat_id], {"active": True, "reason": "", "since": self._clock()}
            )
            return True
        return False

    def _insert(self, doc: dict[str, Any]) -> None:
        with self._documents.unit():
            doc_id = self._documents.insert(TABLE, doc)
            self._ids[doc["chat_id"]] = doc_id

    def set_inactive(self, chat_id: int, reason: str) -> None:
        doc_id = self._ids.get(chat_id)
        if doc_id is not None:
            self._documents.update(TABLE, doc_id, {"active": False, "reason": reason})

    def kind_and_title(self, chat_id: int) -> tuple[str, str] | None:
        doc = self._doc(chat_id)
        return (doc["type"], doc["title"]) if doc is not None else None

    def is_active(self, chat_id: int) -> bool:
        doc = self._doc(chat_id)
        return bool(doc and doc["active"])

    def active_chat_ids(self) -> list[int]:
        return [doc["chat_id"] for doc in self._documents.table(TABLE).values() if doc["active"]]

    def counts(self) -> tuple[int, int]:
        """How many chats the bot knows, and how many of them are active."""
        docs = self._documents.table(TABLE).values()
        return len(docs), sum(1 for doc in docs if doc["active"])

    def chat_settings(self, chat_id: int) -> ChatSettings:
        doc = self._doc(chat_id)
        return doc_to_settings(doc.get("settings") if doc is not None else None)

    def save_chat_settings(self, chat_id: int, settings: ChatSettings) -> None:
        """Save what a chat chose (a chat the bot has not met is registered with it)."""
        fields = {"settings": settings_to_doc(settings)}
        doc_id = self._ids.get(chat_id)
        if doc_id is None:
            self._insert({"chat_id": chat_id, "type": "", "title": "", "active": True,
                          "since": self._clock(), "reason": ""} | fields)  # fmt: skip
        else:
            self._documents.update(TABLE, doc_id, fields)

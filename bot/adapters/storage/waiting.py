"""The messages of the outbox still to deliver, in the order they go (see
:class:`bot.adapters.storage.outbox.Outbox`)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from bot.service.ports import OutboxEntry

__all__ = ["Waiting"]


class Waiting:
    """The messages still to deliver, by key: edits apart from the others (each in the order
    queued, so the others go first without a scan), and the keys of each chat's."""

    __slots__ = ("_chats", "edits", "messages")

    def __init__(self) -> None:
        self.messages: dict[str, OutboxEntry] = {}
        self.edits: dict[str, OutboxEntry] = {}
        self._chats: dict[int, dict[str, None]] = {}

    def __contains__(self, key: str) -> bool:
        return key in self.messages or key in self.edits

    def __len__(self) -> int:
        return len(self.messages) + len(self.edits)

    def get(self, key: str) -> OutboxEntry | None:
        entry = self.messages.get(key)
        return entry if entry is not None else self.edits.get(key)

    def put(self, entry: OutboxEntry) -> None:
        """Add *entry*, or put it in the place of the one with its key (keeping its turn,
        also when its chat moved)."""
        old = self.get(entry.key)
        if old is not None and (old.edits is None) != (entry.edits is None):
            self.pop(entry.key)
        elif old is not None and old.chat_id != entry.chat_id:
            self._drop_key(old.chat_id, entry.key)
        (self.messages if entry.edits is None else self.edits)[entry.key] = entry
        self._chats.setdefault(entry.chat_id, {})[entry.key] = None

    def _drop_key(self, chat_id: int, key: str) -> None:
        keys = self._chats[chat_id]
        del keys[key]
        if not keys:
            del self._chats[chat_id]

    def pop(self, key: str) -> OutboxEntry | None:
        entry = self.messages.pop(key, None)
        if entry is None:
            entry = self.edits.pop(key, None)
        if entry is not None:
            self._drop_key(entry.chat_id, key)
        return entry

    def of_chat(self, chat_id: int) -> list[OutboxEntry]:
        return [entry for entry in map(self.get, self._chats.get(chat_id, ())) if entry is not None]

    def in_order(self) -> Iterator[OutboxEntry]:
        return chain(self.messages.values(), self.edits.values())

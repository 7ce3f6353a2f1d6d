"""Chats' keyword subscriptions: adding, removing, listing, and matching items against them."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.core.matcher import Document, Matcher, collector_paused
from bot.core.query import Query, QueryError, parse_query
from bot.service.ports import Store

__all__ = ["SubscribeOutcome", "Subscriptions", "UnsubscribeOutcome"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubscribeOutcome:
    added: list[Query] = field(default_factory=list)
    already: list[Query] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (text, reason)
    over_limit: list[Query] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UnsubscribeOutcome:
    removed: list[Query] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class Subscriptions:
    """Every chat's subscriptions, kept in the store and indexed in a :class:`Matcher`."""

    def __init__(self, store: Store, *, max_per_chat: int, seen: Iterable[Document] = ()) -> None:
        """Load every stored subscription into the index; *seen* (recent items) teaches the
        index which words are common first, so queries are filed under their rarest words."""
        self._store = store
        self.max_per_chat = max_per_chat
        self._matcher: Matcher[int] = Matcher()
        self._by_chat: dict[int, dict[int, Query]] = {}
        self._chat_of: dict[int, int] = {}
        for document in seen:
            self._matcher.observe(document)
        with collector_paused():
            self._load(store)

    def _load(self, store: Store) -> None:
        for stored in store.all_subscriptions():
            try:
                query = parse_query(stored.query)
            except QueryError as exc:
                log.warning(
                    "subscription %d of chat %d no longer parses (%s); it is ignored",
                    stored.id,
                    stored.chat_id,
                    exc,
                )
                continue
            self._file(stored.id, stored.chat_id, query)

    def __len__(self) -> int:
        return len(self._chat_of)

    def _file(self, subscription: int, chat_id: int, query: Query) -> None:
        self._matcher.add(subscription, query)
        self._by_chat.setdefault(chat_id, {})[subscription] = query
        self._chat_of[subscription] = chat_id

    def _unfile(self, subscription: int) -> None:
        self._matcher.remove(subscription)
        chat_id = self._chat_of.pop(subscription)
        queries = self._by_chat[chat_id]
        del queries[subscription]
        if not queries:
            del self._by_chat[chat_id]

    def move_chat(self, old: int, new: int) -> None:
        """The group *old* became the supergroup *new*: its subscriptions go with it."""
        self._store.migrate_chat(old, new)
        queries = self._by_chat.pop(old, {})
        if queries:
            self._by_chat.setdefault(new, {}).update(queries)
            for subscription in queries:
                self._chat_of[subscription] = new

    def of_chat(self, chat_id: int) -> list[Query]:
        """The chat's subscriptions, oldest first."""
        return [query for _, query in sorted(self._by_chat.get(chat_id, {}).items())]

    def subscribe(self, chat_id: int, texts: Sequence[str]) -> SubscribeOutcome:
        """Add the queries in *texts* to the chat, skipping invalid and duplicate ones."""
        outcome = SubscribeOutcome()
        keys = {query.key for query in self.of_chat(chat_id)}
        room = self.max_per_chat - len(keys)
        accepted: list[Query] = []
        for text in texts:
            try:
                query = parse_query(text)
            except QueryError as exc:
                outcome.invalid.append((text, str(exc)))
                continue
            if query.key in keys:
                outcome.already.append(query)
            elif len(accepted) >= room:
                outcome.over_limit.append(query)
            else:
                keys.add(query.key)
                accepted.append(query)
        if accepted:
            stored = self._store.add_subscriptions(chat_id, [query.text for query in accepted])
            for subscription, query in zip(stored, accepted, strict=True):
                self._file(subscription.id, chat_id, query)
            outcome.added.extend(accepted)
        return outcome

    def unsubscribe(self, chat_id: int, texts: Sequence[str]) -> UnsubscribeOutcome:
        """Remove the chat's subscriptions named in *texts*: by their text (compared as
        :attr:`Query.key`, so spelling and order aside) or by their number in :meth:`of_chat`."""
        outcome = UnsubscribeOutcome()
        numbered = sorted(self._by_chat.get(chat_id, {}).items())
        by_key = {query.key: sid for sid, query in numbered}
        doomed: dict[int, None] = {}
        for text in texts:
            try:
                subscription = by_key.get(parse_query(text).key)
            except QueryError:
                subscription = None
            if subscription is None and text.isdigit() and 1 <= int(text) <= len(numbered):
                subscription = numbered[int(text) - 1][0]
            if subscription is None or subscription in doomed:
                outcome.missing.append(text)
            else:
                doomed[subscription] = None
        self._remove(list(doomed), outcome.removed)
        return outcome

    def unsubscribe_all(self, chat_id: int) -> list[Query]:
        removed: list[Query] = []
        self._remove(sorted(self._by_chat.get(chat_id, {})), removed)
        return removed

    def _remove(self, subscriptions: list[int], removed: list[Query]) -> None:
        if not subscriptions:
            return
        self._store.remove_subscriptions(subscriptions)
        for subscription in subscriptions:
            removed.append(self._by_chat[self._chat_of[subscription]][subscription])
            self._unfile(subscription)

    def match(self, document: Document) -> dict[int, list[Query]]:
        """The chats whose subscriptions *document* matches, each with its matching queries."""
        hits: dict[int, list[Query]] = {}
        for subscription in sorted(self._matcher.match(document)):
            chat_id = self._chat_of[subscription]
            hits.setdefault(chat_id, []).append(self._by_chat[chat_id][subscription])
        return hits

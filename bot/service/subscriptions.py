"""Chats' keyword subscriptions: adding, removing, listing, and matching items against them.

A subscription lives in a *place*: a chat, or a topic of a forum group (its thread id). It
may have its own pace (an hourly or daily digest while the chat's other keywords come at
once) and may be muted for a while.

Each has a number in its place, which /list shows and /unsubscribe, /digest … for and the ✖
buttons take. The store gives it (the next after the highest the place uses) and it stays
until the subscription is removed: removing number 1 leaves 2 as 2. A removed subscription's
number is not given again while an Undo can bring it back (:data:`KEPT_FOR_UNDO`), and the
Undo brings it back with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.core.common_words import check_not_too_common
from bot.core.matcher import Document, Matcher, collector_paused
from bot.core.pace import DeliveryMode
from bot.core.query import Query, QueryError
from bot.core.query_parser import parse_query, without_operators
from bot.service.ports import ChatMoves, StoredSubscription, SubscriptionStore

__all__ = [
    "KEPT_FOR_UNDO",
    "PAUSED",
    "Place",
    "SubscribeOutcome",
    "Subscription",
    "Subscriptions",
    "UnsubscribeOutcome",
    "number_in",
]

log = logging.getLogger(__name__)

Place = tuple[int, int | None]  # (chat id, forum topic's thread id or None)
PAUSED = 32_503_680_000.0  # muted "until the year 3000": a topic that is gone (see pause)
# How long the store keeps a removed subscription, and its number, for an Undo: longer than
# an Undo lasts (bot.service.undo.UNDO_SECONDS, counted from just after the removal).
KEPT_FOR_UNDO = 25 * 3600.0


def number_in(text: str) -> int | None:
    """The subscription number *text* is, if it is one: digits (Latin or Arabic-Indic)."""
    text = text.strip()
    return int(text) if text.isdecimal() and len(text) <= 9 else None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription and its parsed query."""

    stored: StoredSubscription
    query: Query

    @property
    def id(self) -> int:
        return self.stored.id

    @property
    def place(self) -> Place:
        return self.stored.chat_id, self.stored.thread_id

    @property
    def number(self) -> int:
        """Its number in its place (see the module docstring)."""
        return self.stored.number

    def muted(self, now: float) -> bool:
        return self.stored.muted_until is not None and now < self.stored.muted_until


@dataclass(frozen=True, slots=True)
class SubscribeOutcome:
    added: list[Query] = field(default_factory=list)
    already: list[tuple[Query, Query]] = field(default_factory=list)  # (as typed now, the chat's)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (text, reason)
    over_limit: list[Query] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UnsubscribeOutcome:
    removed: list[Subscription] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class Subscriptions:
    """Every chat's subscriptions, kept in the store and indexed in a :class:`Matcher`."""

    def __init__(
        self, store: SubscriptionStore, *, moves: ChatMoves, max_per_chat: int, seen: Iterable[Document] = ()
    ) -> None:
        """Load every stored subscription into the index; *seen* (recent items) teaches the
        index which words are common first, so queries are filed under their rarest words.
        *moves*: where a chat that moves is moved (with its other records)."""
        self._store = store
        self._moves = moves
        self.max_per_chat = max_per_chat
        self._matcher: Matcher[int] = Matcher()
        self._by_id: dict[int, Subscription] = {}
        # Each chat's subscription ids, all its topics together (a tuple: most chats have a
        # few, and at 100,000 chats a dict per place cost twice the memory)
        self._by_chat: dict[int, tuple[int, ...]] = {}
        for document in seen:
            self._matcher.observe(document)
        with collector_paused():
            self._load(store)

    def _load(self, store: SubscriptionStore) -> None:
        # Chats often follow the same keywords: each text is parsed once and its query
        # shared (queries are immutable), which saves time and memory at start.
        parsed: dict[str, Query] = {}
        for stored in store.all_subscriptions():
            try:
                query = parsed.get(stored.query) or parsed.setdefault(stored.query, parse_query(stored.query))
            except QueryError:
                try:  # stored before AND, OR, NOT and parentheses: read as it was then
                    query = parse_query(without_operators(stored.query))
                except QueryError as exc:
                    log.warning(
                        "subscription %d of chat %d no longer parses (%s); it is ignored",
                        stored.id,
                        stored.chat_id,
                        exc,
                    )
                    continue
            self._file(Subscription(stored, query))

    def __len__(self) -> int:
        return len(self._by_id)

    def _file(self, subscription: Subscription) -> None:
        self._matcher.add(subscription.id, subscription.query)
        self._by_id[subscription.id] = subscription
        chat_id = subscription.stored.chat_id
        ids = self._by_chat.get(chat_id, ())
        if subscription.id not in ids:
            self._by_chat[chat_id] = (*ids, subscription.id)

    def _unfile(self, subscription_id: int) -> Subscription:
        self._matcher.remove(subscription_id)
        subscription = self._by_id.pop(subscription_id)
        chat_id = subscription.stored.chat_id
        rest = tuple(i for i in self._by_chat[chat_id] if i != subscription_id)
        if rest:
            self._by_chat[chat_id] = rest
        else:
            del self._by_chat[chat_id]
        return subscription

    def _of_place(self, place: Place) -> list[Subscription]:
        chat_id, thread_id = place
        of_chat = (self._by_id[i] for i in self._by_chat.get(chat_id, ()))
        return [s for s in of_chat if s.stored.thread_id == thread_id]

    def move_chat(self, old: int, new: int) -> None:
        """The group *old* became the supergroup *new*: its subscriptions go with it (with
        their numbers, unless the supergroup already uses one: see the store)."""
        self._moves.migrate_chat(old, new)
        stored = {s.id: s for s in self._store.subscriptions_of(new)}
        for subscription_id in self._by_chat.get(old, ()):
            subscription = self._unfile(subscription_id)
            moved = stored.get(subscription_id, replace(subscription.stored, chat_id=new))
            self._file(Subscription(moved, subscription.query))

    def get(self, subscription_id: int) -> Subscription | None:
        return self._by_id.get(subscription_id)

    def in_place(self, chat_id: int, thread_id: int | None = None) -> list[Subscription]:
        """The subscriptions of a chat (or of one of its topics), by their numbers."""
        return sorted(self._of_place((chat_id, thread_id)), key=lambda s: (s.number, s.id))

    def numbered(self, place: Place, text: str) -> Subscription | None:
        """The subscription of *place* whose number is *text* (see :func:`number_in`)."""
        number = number_in(text)
        found = (s for s in self._of_place(place) if s.number == number)
        return None if number is None else next(found, None)

    def of_chat(self, chat_id: int, thread_id: int | None = None) -> list[Query]:
        """The queries of a chat (or of one of its topics), by their numbers."""
        return [subscription.query for subscription in self.in_place(chat_id, thread_id)]

    def count_in_chat(self, chat_id: int) -> int:
        """How many subscriptions a chat has, all its topics together."""
        return len(self._by_chat.get(chat_id, ()))

    def subscribe(self, chat_id: int, texts: Sequence[str], thread_id: int | None = None) -> SubscribeOutcome:
        """Add the queries in *texts* to the chat (or topic), skipping invalid ones (and
        those made only of very common words), duplicates, and those over the chat's limit."""
        outcome = SubscribeOutcome()
        keys = {query.key: query for query in self.of_chat(chat_id, thread_id)}
        room = self.max_per_chat - self.count_in_chat(chat_id)
        accepted: list[Query] = []
        for text in texts:
            try:
                query = parse_query(text)
                check_not_too_common(query)
            except QueryError as exc:
                outcome.invalid.append((text, str(exc)))
                continue
            if query.key in keys:
                outcome.already.append((query, keys[query.key]))
            elif len(accepted) >= room:
                outcome.over_limit.append(query)
            else:
                keys[query.key] = query
                accepted.append(query)
        if accepted:
            stored = self._store.add_subscriptions(chat_id, [query.text for query in accepted], thread_id)
            for subscription, query in zip(stored, accepted, strict=True):
                self._file(Subscription(subscription, query))
            outcome.added.extend(accepted)
        return outcome

    def unsubscribe(
        self, chat_id: int, texts: Sequence[str], thread_id: int | None = None
    ) -> UnsubscribeOutcome:
        """Remove the chat's subscriptions named in *texts*: by their text (compared as
        :attr:`Query.key`, so spelling and order aside), else by their number."""
        outcome = UnsubscribeOutcome()
        place = (chat_id, thread_id)
        by_key = {subscription.query.key: subscription.id for subscription in self.in_place(*place)}
        doomed: dict[int, None] = {}
        for text in texts:
            try:
                subscription = by_key.get(parse_query(text).key)
            except QueryError:
                subscription = None
            if subscription is None and (numbered := self.numbered(place, text)) is not None:
                subscription = numbered.id
            if subscription is None or subscription in doomed:
                outcome.missing.append(text)
            else:
                doomed[subscription] = None
        outcome.removed.extend(self.remove(list(doomed)))
        return outcome

    def unsubscribe_all(self, chat_id: int, thread_id: int | None = None) -> list[Subscription]:
        return self.remove([subscription.id for subscription in self.in_place(chat_id, thread_id)])

    def remove(self, subscription_ids: Sequence[int]) -> list[Subscription]:
        """Remove these subscriptions (ids not known are skipped); return what was removed.
        The store keeps them, and their numbers, for an Undo (see :meth:`restore`)."""
        known = list(dict.fromkeys(i for i in subscription_ids if i in self._by_id))
        if not known:
            return []
        self._store.remove_subscriptions(known, kept_for=KEPT_FOR_UNDO)
        return [self._unfile(subscription_id) for subscription_id in known]

    def restore(self, removed: Sequence[Subscription]) -> list[Subscription]:
        """Add removed subscriptions back, as they were, with their numbers (an undo); those
        the chat has again meanwhile are skipped. Returns what came back."""
        fresh: list[Subscription] = []
        for (chat_id, thread_id), group in _by_place(removed).items():
            keys = {query.key for query in self.of_chat(chat_id, thread_id)}
            fresh += [s for s in group if s.query.key not in keys and s.id not in self._by_id]
        if not fresh:
            return []
        stored = self._store.restore_subscriptions([s.stored for s in fresh])
        back = [Subscription(new, old.query) for new, old in zip(stored, fresh, strict=True)]
        for subscription in back:
            self._file(subscription)
        return back

    def _change(self, subscription_id: int, stored: StoredSubscription) -> Subscription:
        self._store.update_subscription(stored)
        subscription = replace(self._by_id[subscription_id], stored=stored)
        self._by_id[subscription_id] = subscription
        return subscription

    def set_delivery(self, subscription_id: int, delivery: DeliveryMode | None) -> Subscription:
        """Give a subscription its own pace (None: the chat's)."""
        return self._change(subscription_id, replace(self._by_id[subscription_id].stored, delivery=delivery))

    def mute(self, subscription_id: int, until: float | None) -> Subscription:
        """No alerts from this subscription before *until* (None: unmute)."""
        return self._change(subscription_id, replace(self._by_id[subscription_id].stored, muted_until=until))

    def pause(self, place: Place) -> list[Subscription]:
        """The topic of *place* is gone (deleted or closed): its subscriptions bring nothing
        until a command comes from it again (see :meth:`resume`). Returns them."""
        paused = [s for s in self.in_place(*place) if s.stored.muted_until != PAUSED]
        for subscription in paused:
            self.mute(subscription.id, PAUSED)
        return paused

    def resume(self, place: Place) -> list[Subscription]:
        """A command came from *place*: what :meth:`pause` paused there works again."""
        resumed = [s for s in self.in_place(*place) if s.stored.muted_until == PAUSED]
        for subscription in resumed:
            self.mute(subscription.id, None)
        return resumed

    def match(self, document: Document) -> dict[Place, list[Subscription]]:
        """The places whose subscriptions *document* matches, each with the matching ones."""
        hits: dict[Place, list[Subscription]] = {}
        for subscription_id in sorted(self._matcher.match(document)):
            subscription = self._by_id[subscription_id]
            hits.setdefault(subscription.place, []).append(subscription)
        return hits


def _by_place(subscriptions: Iterable[Subscription]) -> dict[Place, list[Subscription]]:
    grouped: dict[Place, list[Subscription]] = {}
    for subscription in subscriptions:
        grouped.setdefault(subscription.place, []).append(subscription)
    return grouped

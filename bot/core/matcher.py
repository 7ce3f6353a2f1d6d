"""Matching items against many subscriptions at once.

:class:`Matcher` keeps an inverted index from a word to the subscriptions that need it, so
the cost of matching an item grows with the item's words and the candidates they reach,
not with the number of subscriptions. :func:`matches` is the plain reference it must agree with.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.items import Item
from bot.core.query import Query
from bot.core.words import words

__all__ = ["Document", "Matcher", "matches"]

SubscriptionId = TypeVar("SubscriptionId", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Document:
    """The searchable form of an item: its folded words."""

    words: frozenset[str]

    @classmethod
    def from_text(cls, *texts: str) -> Document:
        return cls(frozenset(word for text in texts for word in words(text)))

    @classmethod
    def from_item(cls, item: Item) -> Document:
        return cls.from_text(item.title, item.summary, item.content)


def matches(query: Query, document: Document) -> bool:
    """Return whether *document* contains every word of *query*."""
    return all(word in document.words for word in query.words)


class Matcher(Generic[SubscriptionId]):
    """An index of subscription queries that finds the ones an item matches.

    Each query is filed under its longest word (long words are rarer in news text, so
    fewer candidates are checked); a candidate is then confirmed with :func:`matches`.
    Adding or removing a query touches only its own entry.
    """

    def __init__(self) -> None:
        self._queries: dict[SubscriptionId, Query] = {}
        self._by_word: dict[str, set[SubscriptionId]] = {}

    def __len__(self) -> int:
        return len(self._queries)

    @staticmethod
    def _anchor(query: Query) -> str:
        return max(query.words, key=len)

    def add(self, subscription: SubscriptionId, query: Query) -> None:
        """File *query* under *subscription*, replacing any query filed there before."""
        self.remove(subscription)
        self._queries[subscription] = query
        self._by_word.setdefault(self._anchor(query), set()).add(subscription)

    def add_all(self, subscriptions: Iterable[tuple[SubscriptionId, Query]]) -> None:
        for subscription, query in subscriptions:
            self.add(subscription, query)

    def remove(self, subscription: SubscriptionId) -> None:
        """Forget *subscription*; unknown ids are ignored."""
        query = self._queries.pop(subscription, None)
        if query is None:
            return
        anchor = self._anchor(query)
        filed = self._by_word[anchor]
        filed.discard(subscription)
        if not filed:
            del self._by_word[anchor]

    def match(self, document: Document) -> set[SubscriptionId]:
        """Return the subscriptions whose query *document* matches."""
        found: set[SubscriptionId] = set()
        for word in document.words:
            for subscription in self._by_word.get(word, ()):
                if matches(self._queries[subscription], document):
                    found.add(subscription)
        return found

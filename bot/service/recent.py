"""A bounded memory of recently seen items, for the /subscribe preview."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.items import Item, counted_from
from bot.core.matcher import Document, matches
from bot.core.query import Query
from bot.service.ports import RecentItem

__all__ = ["RecentChange", "RecentItems"]

WEEK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class RecentChange:
    """What :meth:`RecentItems.note` changed, for the store to write."""

    added: list[RecentItem]
    dropped: list[tuple[str, str]]  # (feed, item key)


def _dated(recent: RecentItem) -> RecentItem:
    """*recent* with its item dated as alerts are (:func:`counted_from`): an undated one, or
    one dated in the future, by when the bot first saw it. (Stories of a feed's first poll,
    which are never alerts, are dated here for the /subscribe preview.)"""
    seen = datetime.fromtimestamp(recent.seen_at, tz=UTC)
    item = counted_from(recent.item, seen)
    return recent if item is recent.item else RecentItem(item=item, seen_at=recent.seen_at)


def _moment(recent: RecentItem) -> float:
    """When an item happened: its published time (when the bot first saw it, if undated)."""
    published = recent.item.published
    return published.timestamp() if published else recent.seen_at


class _Kept:
    """One item kept, with its moment, and its searchable form built on first use (most
    items are never searched: a preview runs only when a chat subscribes)."""

    __slots__ = ("document", "moment", "recent")

    def __init__(self, recent: RecentItem) -> None:
        self.recent = recent = _dated(recent)
        self.moment = _moment(recent)
        self.document: Document | None = None


class RecentItems:
    """The most recent items of the last *max_age* seconds, at most *max_items* of them.

    *source_labels* gives each feed's label for ``source:`` (see :func:`~bot.core.query.source_label`).
    """

    def __init__(
        self,
        items: Iterable[RecentItem],
        *,
        source_labels: Mapping[str, str] | None = None,
        max_items: int = 1000,
        max_age: float = WEEK_SECONDS,
    ) -> None:
        self.max_items = max_items
        self.max_age = max_age
        self._labels = dict(source_labels or {})
        self._items: dict[tuple[str, str], _Kept] = {}
        for recent in items:
            self._items[(recent.item.feed, recent.item.key)] = _Kept(recent)

    def label_source(self, feed: str, label: str) -> None:
        """Give a feed added at run time its label for ``source:``."""
        self._labels[feed] = label

    def _document(self, kept: _Kept) -> Document:
        if kept.document is None:
            item = kept.recent.item
            kept.document = Document.from_item(item, source=self._labels.get(item.feed, ""))
        return kept.document

    def __len__(self) -> int:
        return len(self._items)

    def documents(self) -> list[Document]:
        """The searchable form of every item kept."""
        return [self._document(kept) for kept in self._items.values()]

    def note(self, items: Iterable[Item], *, now: float) -> RecentChange:
        """Remember *items* (those not known yet) and forget what is too old or too many."""
        new_keys: list[tuple[str, str]] = []
        for item in items:
            key = (item.feed, item.key)
            if key not in self._items:
                self._items[key] = _Kept(RecentItem(item=item, seen_at=now))
                new_keys.append(key)
        newest_first = sorted(self._items.items(), key=lambda pair: pair[1].moment, reverse=True)
        expired = [
            key
            for rank, (key, kept) in enumerate(newest_first)
            if rank >= self.max_items or now - kept.moment > self.max_age
        ]
        for key in expired:
            del self._items[key]
        fresh = set(new_keys)
        return RecentChange(
            added=[self._items[key].recent for key in new_keys if key in self._items],
            dropped=[key for key in expired if key not in fresh],
        )

    def matching(self, queries: Iterable[Query], *, now: float, limit: int = 3) -> list[Item]:
        """The newest items of the last *max_age* seconds that match any of *queries*."""
        wanted = list(queries)
        found = [
            kept
            for kept in self._items.values()
            if now - kept.moment <= self.max_age and any(matches(q, self._document(kept)) for q in wanted)
        ]
        found.sort(key=lambda kept: kept.moment, reverse=True)
        return [kept.recent.item for kept in found[:limit]]

    def share(self, query: Query, *, now: float) -> tuple[int, int]:
        """How many of the items of the last *max_age* seconds match *query*, and of how many."""
        kept = [kept for kept in self._items.values() if now - kept.moment <= self.max_age]
        return sum(matches(query, self._document(k)) for k in kept), len(kept)

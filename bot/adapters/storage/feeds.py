"""What the bot keeps of feeds: the feeds admins added, each feed's state and seen items,
recent items (for /subscribe's previews) and the stories that reached chats.

Tables: ``added_feeds``, ``feeds`` (state, one document per feed), ``seen`` (seen-item
tokens, one document per feed), ``recent`` and ``stories`` (one document per item).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.adapters.storage.documents import Documents
from bot.adapters.storage.records import (
    doc_to_item,
    doc_to_state,
    doc_to_story,
    item_to_doc,
    state_to_doc,
    story_to_doc,
)
from bot.core.sources import FeedSource
from bot.service.ports import FeedState, RecentItem, StoryRecord

__all__ = ["FeedRepository"]

ItemRef = tuple[str, str]  # (feed, item key)


class FeedRepository:
    def __init__(self, documents: Documents) -> None:
        self._documents = documents
        self._index()
        documents.on_undo(self._index)

    def _index(self) -> None:
        table = self._documents.table
        self._states = {doc["name"]: doc_id for doc_id, doc in table("feeds").items()}
        self._seen = {doc["feed"]: doc_id for doc_id, doc in table("seen").items()}
        self._recent = {(doc["feed"], doc["key"]): doc_id for doc_id, doc in table("recent").items()}
        self._stories = {
            (doc["item"]["feed"], doc["item"]["key"]): doc_id for doc_id, doc in table("stories").items()
        }

    # --- feeds admins added -------------------------------------------------------------

    def added_feeds(self) -> list[FeedSource]:
        """Feeds admins added from a chat, oldest first (not trusted: see FeedSource)."""
        docs = sorted(self._documents.table("added_feeds").items())
        return [FeedSource(doc["name"], doc["url"], trusted=False) for _, doc in docs]

    def add_feed(self, source: FeedSource, added_by: int | None, at: float) -> None:
        self._documents.insert("added_feeds", {"name": source.name, "url": source.url, "added_by": added_by,
                                               "added": at})  # fmt: skip

    def remove_feed(self, name: str) -> None:
        """Forget an added feed with its state and seen items (added again, it starts afresh)."""
        documents = self._documents
        with documents.unit():
            for doc_id in [i for i, doc in documents.table("added_feeds").items() if doc["name"] == name]:
                documents.remove("added_feeds", doc_id)
            for table, ids in (("feeds", self._states), ("seen", self._seen)):
                if name in ids:
                    documents.remove(table, ids.pop(name))

    # --- each feed's state and seen items -----------------------------------------------

    def feed_state(self, feed: str) -> FeedState | None:
        doc_id = self._states.get(feed)
        return doc_to_state(self._documents.table("feeds")[doc_id]) if doc_id is not None else None

    def save_state(self, feed: str, state: FeedState) -> None:
        self._save("feeds", self._states, feed, state_to_doc(feed, state))

    def seen_tokens(self, feed: str) -> dict[str, float]:
        doc_id = self._seen.get(feed)
        return dict(self._documents.table("seen")[doc_id]["tokens"]) if doc_id is not None else {}

    def save_seen(self, feed: str, tokens: dict[str, float]) -> None:
        self._save("seen", self._seen, feed, {"feed": feed, "tokens": dict(tokens)})

    def _save(self, table: str, ids: dict[str, int], feed: str, doc: dict[str, object]) -> None:
        doc_id = ids.get(feed)
        if doc_id is None:
            with self._documents.unit():
                ids[feed] = self._documents.insert(table, doc)
        else:
            self._documents.put(table, doc_id, doc)

    def counts(self) -> tuple[int, int, int]:
        """How many feeds have a state, items seen, and recent items."""
        seen = sum(len(doc["tokens"]) for doc in self._documents.table("seen").values())
        return len(self._states), seen, len(self._recent)

    # --- recent items and stories --------------------------------------------------------

    def recent_items(self) -> list[RecentItem]:
        return [doc_to_item(doc) for doc in self._documents.table("recent").values()]

    def change_recent(self, added: Iterable[RecentItem], dropped: Iterable[ItemRef]) -> None:
        with self._documents.unit():
            for ref in dropped:
                doc_id = self._recent.pop(tuple(ref), None)  # type: ignore[arg-type]
                if doc_id is not None:
                    self._documents.remove("recent", doc_id)
            for recent in added:
                ref = (recent.item.feed, recent.item.key)
                if ref not in self._recent:
                    self._recent[ref] = self._documents.insert("recent", item_to_doc(recent))

    def stories(self) -> list[StoryRecord]:
        """The items of stories that reached chats, oldest first."""
        records = [doc_to_story(doc) for doc in self._documents.table("stories").values()]
        return sorted(records, key=lambda record: record.seen_at)

    def add_stories(self, stories: Sequence[StoryRecord]) -> None:
        with self._documents.unit():
            for story in stories:
                ref = (story.item.feed, story.item.key)
                if ref not in self._stories:
                    self._stories[ref] = self._documents.insert("stories", story_to_doc(story))

    def forget_stories(self, before: float) -> None:
        """Forget the stories seen before *before* (their copies no longer change alerts)."""
        table = self._documents.table("stories")
        with self._documents.unit():
            for doc_id in [i for i, doc in table.items() if doc["seen_at"] < before]:
                doc = table[doc_id]
                self._stories.pop((doc["item"]["feed"], doc["item"]["key"]), None)
                self._documents.remove("stories", doc_id)

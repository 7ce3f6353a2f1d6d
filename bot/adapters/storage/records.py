"""How the stored values become documents and back (the layout of the database's tables).

A field added to a value later takes its default when an older document lacks it; fields
that usually hold their default are left out of the document, which keeps the file small.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.items import DateShown, Item
from bot.core.pace import ChatSettings, DeliveryMode, HoldReason, QuietHours
from bot.service.ports import (
    Broadcast,
    BroadcastStatus,
    Button,
    FeedState,
    HeldStory,
    OutboxEntry,
    RecentItem,
    StoredSubscription,
    StoryRecord,
)

Place = tuple[int, int | None]  # a subscription's chat, and its forum topic (None: the chat)


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment else None


def item_to_doc(recent: RecentItem) -> dict[str, Any]:
    item = recent.item
    return {
        "feed": item.feed,
        "key": item.key,
        "title": item.title,
        "link": item.link,
        "summary": item.summary,
        "published": _epoch(item.published),
        "date_shown": item.date_shown.value,
        "seen_at": recent.seen_at,
    }


def doc_to_item(doc: Mapping[str, Any]) -> RecentItem:
    published = doc.get("published")
    item = Item(
        feed=doc["feed"],
        key=doc["key"],
        title=doc["title"],
        link=doc["link"],
        summary=doc["summary"],
        published=datetime.fromtimestamp(published, tz=UTC) if published is not None else None,
        date_shown=DateShown(doc.get("date_shown", DateShown.MOMENT.value)),
    )
    return RecentItem(item=item, seen_at=doc["seen_at"])


_FEED_STATE_FIELDS = frozenset(field.name for field in dataclasses.fields(FeedState))


def state_to_doc(feed: str, state: FeedState) -> dict[str, Any]:
    return {"name": feed, **dataclasses.asdict(state)}


def doc_to_state(doc: Mapping[str, Any]) -> FeedState:
    # Fields added since a database was written take their defaults.
    return FeedState(**{key: value for key, value in doc.items() if key in _FEED_STATE_FIELDS})


def entry_to_doc(entry: OutboxEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "key": entry.key,
        "chat_id": entry.chat_id,
        "html": entry.html,
        "created": entry.created,
        "status": "pending",
        "sent_at": None,
        "reason": "",
    }
    # Written only when they differ from the default: most messages have none of them.
    if entry.thread_id is not None:
        doc["thread_id"] = entry.thread_id
    if entry.silent:
        doc["silent"] = True
    if entry.preview:
        doc["preview"] = True
    if entry.instant:
        doc["instant"] = True
    if entry.buttons:
        doc["buttons"] = [[[button.label, button.data] for button in row] for row in entry.buttons]
    if entry.source:
        doc["source"] = entry.source
    if entry.also:
        doc["also"] = list(entry.also)
    if entry.edits is not None:
        doc["edits"] = entry.edits
    return doc


def doc_to_entry(doc: Mapping[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        key=doc["key"],
        chat_id=doc["chat_id"],
        html=doc["html"],
        created=doc["created"],
        thread_id=doc.get("thread_id"),
        silent=doc.get("silent", False),
        preview=doc.get("preview", False),
        buttons=tuple(tuple(Button(label, data) for label, data in row) for row in doc.get("buttons", ())),
        instant=doc.get("instant", False),
        source=doc.get("source", ""),
        also=tuple(doc.get("also", ())),
        edits=doc.get("edits"),
    )


def doc_to_subscription(doc_id: int, doc: Mapping[str, Any]) -> StoredSubscription:
    delivery = doc.get("delivery")
    return StoredSubscription(
        id=doc_id,
        chat_id=doc["chat_id"],
        query=doc["query"],
        thread_id=doc.get("thread_id"),
        delivery=DeliveryMode(delivery) if delivery else None,
        muted_until=doc.get("muted_until"),
        number=doc["number"],
    )


def place(doc: Mapping[str, Any]) -> Place:
    return doc["chat_id"], doc.get("thread_id")


def place_of(subscription: StoredSubscription) -> Place:
    return subscription.chat_id, subscription.thread_id


def settings_to_doc(settings: ChatSettings) -> dict[str, Any]:
    doc = dataclasses.asdict(settings)
    doc["delivery"] = settings.delivery.value
    return doc


def doc_to_settings(doc: Mapping[str, Any] | None) -> ChatSettings:
    if not doc:
        return ChatSettings()
    quiet = doc.get("quiet")
    known = {field.name for field in dataclasses.fields(ChatSettings)}
    values = {key: value for key, value in doc.items() if key in known}
    values["delivery"] = DeliveryMode(doc.get("delivery", DeliveryMode.INSTANT.value))
    values["quiet"] = QuietHours(**quiet) if quiet else None
    return ChatSettings(**values)


def held_to_doc(story: HeldStory) -> dict[str, Any]:
    return {
        "key": story.key,
        "chat_id": story.chat_id,
        "thread_id": story.thread_id,
        "item": item_to_doc(RecentItem(story.item, story.held_at)),
        "keywords": list(story.keywords),
        "reason": story.reason.value,
        "until": story.until,
        "held_at": story.held_at,
        "also": list(story.also),
    }


def doc_to_held(doc: Mapping[str, Any]) -> HeldStory:
    return HeldStory(
        key=doc["key"],
        chat_id=doc["chat_id"],
        thread_id=doc.get("thread_id"),
        item=doc_to_item(doc["item"]).item,
        keywords=tuple(doc["keywords"]),
        reason=HoldReason(doc["reason"]),
        until=doc["until"],
        held_at=doc["held_at"],
        also=tuple(doc.get("also", ())),
    )


def story_to_doc(story: StoryRecord) -> dict[str, Any]:
    item = item_to_doc(RecentItem(story.item, story.seen_at))
    return {"item": item, "story": story.story, "seen_at": story.seen_at}


def doc_to_story(doc: Mapping[str, Any]) -> StoryRecord:
    return StoryRecord(item=doc_to_item(doc["item"]).item, story=doc["story"], seen_at=doc["seen_at"])


def told_doc(story: HeldStory) -> dict[str, Any]:
    """What the outbox keeps of a held story once a digest told it: its key, so the story
    reaches the chat once."""
    return {
        "key": story.key,
        "chat_id": story.chat_id,
        "html": "",
        "created": story.held_at,
        "status": "digested",
        "sent_at": story.until,
        "reason": "",
    }


def broadcast_to_doc(broadcast: Broadcast) -> dict[str, Any]:
    over = broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)
    return {
        "id": broadcast.id,
        "html": broadcast.html,
        "status": broadcast.status.value,
        "author": broadcast.author,
        "chat_id": broadcast.chat_id,
        "message_id": broadcast.message_id,
        "created": broadcast.created,
        # Over, its list of chats is no longer needed: the database does not grow with them.
        "targets": [] if over else list(broadcast.targets),
        "total": broadcast.total,
        "sent": broadcast.sent,
        "blocked": broadcast.blocked,
        "failed": broadcast.failed,
        "started": broadcast.started,
        "finished": broadcast.finished,
    }


def doc_to_broadcast(doc: Mapping[str, Any]) -> Broadcast:
    return Broadcast(
        id=doc["id"],
        html=doc["html"],
        status=BroadcastStatus(doc["status"]),
        author=doc["author"],
        chat_id=doc["chat_id"],
        message_id=doc["message_id"],
        created=doc["created"],
        targets=tuple(doc["targets"]),
        total=doc.get("total", len(doc["targets"])),
        sent=doc["sent"],
        blocked=doc["blocked"],
        failed=doc["failed"],
        started=doc["started"],
        finished=doc["finished"],
    )

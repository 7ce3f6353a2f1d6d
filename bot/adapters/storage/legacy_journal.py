"""Journals written by versions before documents: each record was a whole operation (a poll,
a message's outcome...). A database upgraded after a crash still has one; its records are
made again through the repositories, once, and the journal is then folded in."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.adapters.storage.records import doc_to_entry, doc_to_held, doc_to_item, doc_to_state, doc_to_story
from bot.core.pace import HoldReason
from bot.service.ports import Outcome

if TYPE_CHECKING:
    from bot.adapters.storage.database import Database

__all__ = ["fold_legacy"]

log = logging.getLogger(__name__)


def fold_legacy(database: Database, records: list[dict[str, Any]]) -> None:
    log.info("folding in %d journal records of an earlier version", len(records))
    for number, record in enumerate(records, start=1):
        try:
            with database.documents.unit():
                _fold(database, record)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("journal record %d is not one newsbot wrote (%r); skipped", number, exc)
    checkpoint = getattr(database.sink, "checkpoint_now", None)
    if checkpoint is not None:
        checkpoint()  # the old records leave the journal
    records.clear()


def _fold(database: Database, record: dict[str, Any]) -> None:
    feeds, outbox = database.feeds, database.outbox
    if "poll" in record:
        feed = record["poll"]
        feeds.save_state(feed, doc_to_state(record["state"]))
        feeds.save_seen(feed, record["seen"])
        feeds.change_recent([doc_to_item(doc) for doc in record["recent_added"]],
                            [tuple(ref) for ref in record["recent_dropped"]])  # fmt: skip
        outbox.enqueue(doc_to_entry(doc) for doc in record["alerts"])
        outbox.hold(doc_to_held(doc) for doc in record.get("held", ()))
        feeds.add_stories([doc_to_story(doc) for doc in record.get("stories", ())])
        outbox.set_sources({key: tuple(sources) for key, sources in record.get("also", ())})
    elif "feed_state" in record:
        feeds.save_state(record["feed_state"], doc_to_state(record["state"]))
    elif "release" in record:
        outbox.release(record["release"], [doc_to_entry(doc) for doc in record["digests"]])
    elif "reschedule" in record:
        reason = HoldReason(record["reason"]) if "reason" in record else None
        outbox.reschedule(record["reschedule"], record["until"], reason)
    elif "alert" in record:
        outcome = Outcome(record["outcome"])
        key, message_id = record["alert"], record.get("message_id")
        outbox.record_alert(key, outcome, record["reason"], record["at"], message_id, outbox.also_of(key))
        outbox.enqueue(doc_to_entry(doc) for doc in record.get("alerts", ()))
    elif "broadcast" in record:
        outcome = Outcome(record["outcome"])
        database.broadcasts.record_broadcast(record["broadcast"], record["chat"], outcome, record["reason"])

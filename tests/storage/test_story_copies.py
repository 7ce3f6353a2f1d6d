"""The database's side of one story, one alert: a later copy of a story names its feed under
the alert waiting, held or sent (by an edit), durably, and never as a second alert."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.adapters.storage.database import Database
from bot.adapters.storage.outbox import MAX_OTHER_SOURCES
from bot.core.items import Item
from bot.core.pace import HoldReason
from bot.service.ports import Button, FeedState, HeldStory, OutboxEntry, Outcome, PollRecord, StoryCopy
from tests.storage.backends import Backend

KEY = "alert:7:story"
BUTTONS = ((Button("Mute", "mute:1"), Button("Unsubscribe", "unsub:1")),)


def alert(key: str = KEY) -> OutboxEntry:
    return OutboxEntry(key=key, chat_id=7, html="<b>Census</b>", created=1.0, buttons=BUTTONS, instant=True)


def copies(store: Database, *sources: str, key: str = KEY) -> int:
    """A poll that brings later copies of the story from *sources*; the count queued."""
    return store.record_poll(
        PollRecord(
            feed="Other",
            state=FeedState(url="https://other.example/feed", last_success=2.0),
            seen={},
            copies=[StoryCopy(key, source) for source in sources],
        )
    )


@pytest.fixture
def store(backend: Backend) -> Iterator[Database]:
    store = backend.open()
    store.chats.register_chat(7, "private", "")
    yield store
    store.close()


def test_a_copy_of_a_waiting_alert_goes_out_with_it(store: Database, backend: Backend):
    store.outbox.enqueue([alert()])
    assert copies(store, "Daily", "Times") == 0, "no message more"
    [waiting] = store.outbox.pending()
    assert waiting.also == ("Daily", "Times")
    again = backend.crash(store)
    assert [(e.key, e.also) for e in again.outbox.pending()] == [(KEY, ("Daily", "Times"))]
    again.close()


def test_a_copy_of_a_sent_alert_queues_an_edit_of_its_message(store: Database, backend: Backend):
    store.outbox.enqueue([alert()])
    store.outbox.record_alert(KEY, Outcome.SENT, "", at=2.0, message_id=1234)
    assert copies(store, "Daily") == 1
    [edit] = store.outbox.pending()
    assert (edit.edits, edit.html, edit.also, edit.buttons) == (1234, "<b>Census</b>", ("Daily",), BUTTONS)
    assert not edit.instant, "an edit is no alert for the flood guard"
    assert copies(store, "Times") == 0, "the edit not sent yet is brought up to date"
    assert [e.also for e in store.outbox.pending()] == [("Daily", "Times")]
    store.outbox.record_alert(edit.key, Outcome.SENT, "", at=3.0, also_shown=("Daily", "Times"))

    again = backend.crash(store)  # the sent alert's text and sources survive
    assert copies(again, "Courier", "Daily") == 1, "a source named already is not named twice"
    [second] = again.outbox.pending()
    assert (second.edits, second.also) == (1234, ("Daily", "Times", "Courier"))
    again.close()


def test_a_copy_of_a_held_story_is_listed_with_it_in_the_digest(store: Database, backend: Backend):
    item = Item(feed="Wire", key="k", title="Census", link="https://wire.example/census", summary="")
    held = HeldStory(KEY, 7, None, item, ("census",), HoldReason.DAILY, until=100.0, held_at=1.0)
    store.record_poll(
        PollRecord(feed="Wire", state=FeedState(url="https://w.example/f"), seen={}, held=[held])
    )
    copies(store, "Daily")
    assert [s.also for s in store.outbox.held()] == [("Daily",)]
    again = backend.crash(store)
    assert [s.also for s in again.outbox.held()] == [("Daily",)]
    again.outbox.release([KEY], [OutboxEntry("digest:7", 7, "digest", 100.0)])
    assert again.outbox.has_alert(KEY), "told in a digest: the story does not come again"
    assert copies(again, "Times") == 0, "nor is a digest edited"
    again.close()


def test_a_story_names_at_most_a_few_other_sources(store: Database):
    store.outbox.enqueue([alert()])
    copies(store, *(f"Feed {n}" for n in range(MAX_OTHER_SOURCES + 5)))
    [waiting] = store.outbox.pending()
    assert len(waiting.also) == MAX_OTHER_SOURCES


def test_the_text_of_a_sent_alert_is_forgotten_after_the_window(store: Database):
    store.outbox.enqueue([alert()])
    store.outbox.record_alert(KEY, Outcome.SENT, "", at=2.0, message_id=1234)
    store.prune_sent(before=0.0, texts_before=10.0)
    assert copies(store, "Daily") == 0, "too old to be edited: nothing queued"
    assert store.outbox.has_alert(KEY), "but it is still known: no second alert"


def test_a_copy_of_a_story_the_chat_never_had_changes_nothing(store: Database):
    assert copies(store, "Daily", key="alert:7:unknown") == 0
    assert store.outbox.pending() == [] and store.outbox.held() == []

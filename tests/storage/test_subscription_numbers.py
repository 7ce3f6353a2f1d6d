"""Subscription numbers in every kind of database: given once, kept until removal, not given again while
an undo can bring a removed one back, and given to the subscriptions of an old database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.adapters.storage.database import Database
from bot.core.pace import DeliveryMode
from tests.storage.backends import Backend, restart

DAY = 86400.0


def numbers(store: Database, chat: int = 7, thread: int | None = None) -> dict[str, int]:
    """The place's subscriptions: query -> number."""
    return {
        s.query: s.number
        for s in store.subscriptions.all_subscriptions()
        if (s.chat_id, s.thread_id) == (chat, thread)
    }


@pytest.fixture
def clock() -> list[float]:
    """The wall clock, which the test moves: ``clock[0] += DAY``."""
    return [1_800_000_000.0]


def test_numbers_are_kept_after_a_removal_and_not_given_again_while_kept(backend: Backend, clock):
    store = backend.open(lambda: clock[0])
    census, erbil, oil = store.subscriptions.add_subscriptions(7, ["census", "Erbil", "oil prices"])
    assert [census.number, erbil.number, oil.number] == [1, 2, 3]
    store.subscriptions.remove_subscriptions([census.id], kept_for=DAY)
    assert numbers(store) == {"Erbil": 2, "oil prices": 3}, "the others keep theirs"
    store.subscriptions.remove_subscriptions([oil.id], kept_for=DAY)
    [makhmour] = store.subscriptions.add_subscriptions(7, ["Makhmour"])
    assert makhmour.number == 4, "3 (and 1) may still come back"
    assert store.stats().subscriptions == 2, "kept ones are not counted"
    again = restart(backend, store, lambda: clock[0])
    assert numbers(again) == {"Erbil": 2, "Makhmour": 4}, "after a restart"
    assert [s.number for s in again.subscriptions.add_subscriptions(7, ["Kirkuk"])] == [5]
    clock[0] += DAY + 1  # no undo can bring 1 and 3 back now
    assert [s.number for s in again.subscriptions.add_subscriptions(7, ["Sinjar"])] == [6], "5 is the highest"
    again.subscriptions.remove_subscriptions([s.id for s in again.subscriptions.all_subscriptions()])
    assert [s.number for s in again.subscriptions.add_subscriptions(7, ["Duhok"])] == [1], (
        "all gone, none kept"
    )
    again.close()


def test_a_chat_that_subscribes_and_removes_again_and_again_keeps_a_bounded_number(backend: Backend, clock):
    store = backend.open(lambda: clock[0])
    store.subscriptions.add_subscriptions(8, ["Erbil"])  # another chat, untouched
    for round_ in range(6):  # 300 removed within a day: each kept for an undo, at most 100
        added = store.subscriptions.add_subscriptions(7, [f"keyword {round_} {n}" for n in range(50)])
        store.subscriptions.remove_subscriptions([s.id for s in added], kept_for=DAY)
        clock[0] += 60
    last = added
    again = restart(backend, store, lambda: clock[0])
    assert len(again.documents.table("subscriptions")) == 100 + 1, "the latest 100 kept, and chat 8's"
    back = again.subscriptions.restore_subscriptions(last)
    assert [s.number for s in back] == [s.number for s in last], "the latest come back as they were"
    assert numbers(again, 8) == {"Erbil": 1}
    clock[0] += DAY + 1
    again.subscriptions.add_subscriptions(8, ["Duhok"])  # a change forgets what is past its time
    assert len(again.documents.table("subscriptions")) == 50 + 2
    again.close()


def test_a_restored_subscription_comes_back_as_it_was(backend: Backend, clock):
    store = backend.open(lambda: clock[0])
    census, _ = store.subscriptions.add_subscriptions(7, ["census", "Erbil"])
    paced = store.subscriptions.add_subscriptions(7, ["oil prices"])[0]
    paced = replace(paced, delivery=DeliveryMode.DAILY, muted_until=5.0)
    store.subscriptions.update_subscription(paced)
    store.subscriptions.remove_subscriptions([census.id, paced.id], kept_for=DAY)
    back = store.subscriptions.restore_subscriptions([paced, census])
    assert [(s.id, s.query, s.number, s.delivery, s.muted_until) for s in back] == [
        (paced.id, "oil prices", 3, DeliveryMode.DAILY, 5.0),
        (census.id, "census", 1, None, None),
    ]
    again = restart(backend, store, lambda: clock[0])
    assert numbers(again) == {"census": 1, "Erbil": 2, "oil prices": 3}
    again.close()


def test_a_restore_after_the_subscription_was_forgotten_takes_a_free_number(backend: Backend, clock):
    store = backend.open(lambda: clock[0])
    census, erbil = store.subscriptions.add_subscriptions(7, ["census", "Erbil"])
    store.subscriptions.remove_subscriptions([census.id, erbil.id], kept_for=DAY)
    clock[0] += DAY + 1
    store.subscriptions.add_subscriptions(7, ["Makhmour"])  # forgets them, and takes number 1
    back = store.subscriptions.restore_subscriptions([census, erbil])
    assert [(s.query, s.number) for s in back] == [("census", 2), ("Erbil", 3)], "1 is taken, 2 is free"
    assert numbers(store) == {"Makhmour": 1, "census": 2, "Erbil": 3}
    store.close()


def test_each_chat_and_topic_numbers_its_own(backend: Backend, clock):
    store = backend.open(lambda: clock[0])
    store.subscriptions.add_subscriptions(7, ["census", "Erbil"])
    store.subscriptions.add_subscriptions(8, ["census"])
    store.subscriptions.add_subscriptions(-100, ["census"], thread_id=42)
    store.subscriptions.add_subscriptions(-100, ["Erbil"])
    assert numbers(store, 7) == {"census": 1, "Erbil": 2}
    assert numbers(store, 8) == {"census": 1}
    assert numbers(store, -100, 42) == {"census": 1} and numbers(store, -100) == {"Erbil": 1}
    store.close()


def test_a_migrated_group_keeps_its_numbers_unless_the_supergroup_uses_them(backend: Backend, clock):
    store = backend.open(lambda: clock[0])
    census, _, _ = store.subscriptions.add_subscriptions(-5, ["census", "Erbil", "oil prices"])
    store.subscriptions.remove_subscriptions([census.id], kept_for=DAY)
    store.subscriptions.add_subscriptions(
        -1005, ["Makhmour"]
    )  # sent in the supergroup before the move was known
    store.migrate_chat(-5, -1005)
    assert numbers(store, -1005) == {"Makhmour": 1, "Erbil": 2, "oil prices": 3}
    assert [s.number for s in store.subscriptions.add_subscriptions(-1005, ["Kirkuk"])] == [5], (
        "census's 1 moved as 4"
    )
    again = restart(backend, store, lambda: clock[0])
    assert numbers(again, -1005) == {"Makhmour": 1, "Erbil": 2, "oil prices": 3, "Kirkuk": 5}
    assert sorted(s.query for s in again.subscriptions.subscriptions_of(-1005)) == [
        "Erbil",
        "Kirkuk",
        "Makhmour",
        "oil prices",
    ]  # (census is only kept for an undo)
    assert again.subscriptions.subscriptions_of(-5) == []
    again.close()

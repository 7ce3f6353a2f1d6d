"""Subscription numbers in the store: given once, kept until removal, not given again while
an undo can bring a removed one back, and given to the subscriptions of an old database."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

import bot.adapters.store as store_module
from bot.adapters.store import Store
from bot.core.pace import DeliveryMode

DAY = 86400.0


def numbers(store: Store, chat: int = 7, thread: int | None = None) -> dict[str, int]:
    """The place's subscriptions: query -> number."""
    return {
        s.query: s.number for s in store.all_subscriptions() if (s.chat_id, s.thread_id) == (chat, thread)
    }


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The store's wall clock, which the test moves: ``clock[0] += DAY``."""
    now = [1_800_000_000.0]
    fake = SimpleNamespace(time=lambda: now[0], monotonic=time.monotonic)
    monkeypatch.setattr(store_module, "time", fake)
    return now


def test_numbers_are_kept_after_a_removal_and_not_given_again_while_kept(tmp_path: Path, clock):
    store = Store.open(tmp_path)
    census, erbil, oil = store.add_subscriptions(7, ["census", "Erbil", "oil prices"])
    assert [census.number, erbil.number, oil.number] == [1, 2, 3]
    store.remove_subscriptions([census.id], kept_for=DAY)
    assert numbers(store) == {"Erbil": 2, "oil prices": 3}, "the others keep theirs"
    store.remove_subscriptions([oil.id], kept_for=DAY)
    [makhmour] = store.add_subscriptions(7, ["Makhmour"])
    assert makhmour.number == 4, "3 (and 1) may still come back"
    assert store.stats().subscriptions == 2, "kept ones are not counted"
    store.close()

    again = Store.open(tmp_path)
    assert numbers(again) == {"Erbil": 2, "Makhmour": 4}, "after a restart"
    assert [s.number for s in again.add_subscriptions(7, ["Kirkuk"])] == [5]
    clock[0] += DAY + 1  # no undo can bring 1 and 3 back now
    assert [s.number for s in again.add_subscriptions(7, ["Sinjar"])] == [6], "5 is the highest"
    again.remove_subscriptions([s.id for s in again.all_subscriptions()])
    assert [s.number for s in again.add_subscriptions(7, ["Duhok"])] == [1], "all gone, none kept"
    again.close()


def test_a_restored_subscription_comes_back_as_it_was(tmp_path: Path, clock):
    store = Store.open(tmp_path)
    census, _ = store.add_subscriptions(7, ["census", "Erbil"])
    paced = store.add_subscriptions(7, ["oil prices"])[0]
    paced = replace(paced, delivery=DeliveryMode.DAILY, muted_until=5.0)
    store.update_subscription(paced)
    store.remove_subscriptions([census.id, paced.id], kept_for=DAY)
    back = store.restore_subscriptions([paced, census])
    assert [(s.id, s.query, s.number, s.delivery, s.muted_until) for s in back] == [
        (paced.id, "oil prices", 3, DeliveryMode.DAILY, 5.0),
        (census.id, "census", 1, None, None),
    ]
    store.close()
    again = Store.open(tmp_path)
    assert numbers(again) == {"census": 1, "Erbil": 2, "oil prices": 3}
    again.close()


def test_a_restore_after_the_subscription_was_forgotten_takes_a_free_number(tmp_path: Path, clock):
    store = Store.open(tmp_path)
    census, erbil = store.add_subscriptions(7, ["census", "Erbil"])
    store.remove_subscriptions([census.id, erbil.id], kept_for=DAY)
    clock[0] += DAY + 1
    store.add_subscriptions(7, ["Makhmour"])  # forgets them, and takes number 1
    back = store.restore_subscriptions([census, erbil])
    assert [(s.query, s.number) for s in back] == [("census", 2), ("Erbil", 3)], "1 is taken, 2 is free"
    assert numbers(store) == {"Makhmour": 1, "census": 2, "Erbil": 3}
    store.close()


def test_each_chat_and_topic_numbers_its_own(tmp_path: Path):
    store = Store.open(tmp_path)
    store.add_subscriptions(7, ["census", "Erbil"])
    store.add_subscriptions(8, ["census"])
    store.add_subscriptions(-100, ["census"], thread_id=42)
    store.add_subscriptions(-100, ["Erbil"])
    assert numbers(store, 7) == {"census": 1, "Erbil": 2}
    assert numbers(store, 8) == {"census": 1}
    assert numbers(store, -100, 42) == {"census": 1} and numbers(store, -100) == {"Erbil": 1}
    store.close()


def test_a_migrated_group_keeps_its_numbers_unless_the_supergroup_uses_them(tmp_path: Path):
    store = Store.open(tmp_path)
    census, _, _ = store.add_subscriptions(-5, ["census", "Erbil", "oil prices"])
    store.remove_subscriptions([census.id], kept_for=DAY)
    store.add_subscriptions(-1005, ["Makhmour"])  # sent in the supergroup before the move was known
    store.migrate_chat(-5, -1005)
    assert numbers(store, -1005) == {"Makhmour": 1, "Erbil": 2, "oil prices": 3}
    assert [s.number for s in store.add_subscriptions(-1005, ["Kirkuk"])] == [5], "census's 1 moved as 4"
    store.close()
    again = Store.open(tmp_path)
    assert numbers(again, -1005) == {"Makhmour": 1, "Erbil": 2, "oil prices": 3, "Kirkuk": 5}
    again.close()


def test_an_old_database_gets_numbers_in_the_order_list_showed(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    old = {
        "chats": {
            "1": {"chat_id": 7, "type": "private", "title": "", "active": True, "since": 1.0, "reason": ""}
        },
        "subscriptions": {  # as newsbot wrote them before numbers: no "number"
            "1": {"chat_id": 7, "query": "census", "created": 1.0, "thread_id": None},
            "2": {"chat_id": 8, "query": "Erbil", "created": 2.0, "thread_id": None},
            "3": {"chat_id": 7, "query": "oil prices", "created": 3.0, "thread_id": None,
                  "delivery": "daily", "muted_until": None},
            "5": {"chat_id": 7, "query": "Makhmour", "created": 5.0, "thread_id": None},
            "6": {"chat_id": -100, "query": "Sinjar", "created": 6.0, "thread_id": 42},
        },
    }  # fmt: skip
    (data / "newsbot.json").write_text(json.dumps(old), encoding="utf-8")
    store = Store.open(data)
    assert numbers(store, 7) == {"census": 1, "oil prices": 2, "Makhmour": 3}
    assert numbers(store, 8) == {"Erbil": 1} and numbers(store, -100, 42) == {"Sinjar": 1}
    assert [s.delivery for s in store.all_subscriptions() if s.query == "oil prices"] == [DeliveryMode.DAILY]
    assert [s.number for s in store.add_subscriptions(7, ["Kirkuk"])] == [4]
    store.close()
    written = json.loads((data / "newsbot.json").read_text(encoding="utf-8"))["subscriptions"]
    assert {doc["query"]: doc["number"] for doc in written.values() if doc["chat_id"] == 7} == {
        "census": 1,
        "oil prices": 2,
        "Makhmour": 3,
        "Kirkuk": 4,
    }, "the numbers are in the file"

"""SIGKILL in the middle of a broadcast and of an alert fan-out loses and repeats nothing.

The bot runs as a process against the fake Bot API with 1,000 chats subscribed to
"census". It is killed with SIGKILL part-way through an announcement to all of them, and
again part-way through the alerts for a matching story; each time the database file must
still be valid JSON, and after a restart every chat must have received each message exactly
once, except at most one message per kill (the one in flight, which Telegram may have
accepted before the bot could record it).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import BotDatabase
from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI

pytestmark = pytest.mark.e2e

CHATS = 1000
ADMIN = 1
FAST = {"NEWSBOT_RATE_PER_SECOND": "2000", "NEWSBOT_RATE_PRIVATE_BURST": "50"}
OLD = {"title": "Census plans", "guid": "old", "link": "https://example.org/old"}
NEW = {"title": "Census results", "guid": "new", "link": "https://example.org/new"}


def seed(database: BotDatabase) -> None:
    """1,000 chats that used the bot and follow "census", written as the bot writes them."""
    store = database.open()
    with store.documents.unit():
        for chat in range(1, CHATS + 1):
            store.chats.register_chat(chat, "private", f"user {chat}")
            store.subscriptions.add_subscriptions(chat, ["census"])
    store.close()


def assert_database_is_valid(database: BotDatabase, data_dir: Path) -> None:
    if database.kind == "tinydb":
        json.loads((data_dir / "newsbot.json").read_bytes())  # raises if torn
    database.open().close()  # and the bot can open it


def received(api: FakeBotAPI, marker: str) -> Counter[int]:
    return Counter(m.chat_id for m in api.sent if marker in m.plain and "Preview" not in m.plain)


def test_kills_during_a_broadcast_and_an_alert_fan_out_lose_and_repeat_nothing(
    tmp_path: Path, database: BotDatabase
):
    data_dir = tmp_path / "data"
    seed(database)
    with FakeBotAPI() as api, FeedServer() as feeds:
        feeds.serve("/news.xml", rss([OLD]))
        feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Wire": feeds.url("/news.xml")})

        def start() -> BotProcess:
            bot = BotProcess(
                api,
                data_dir=data_dir,
                feeds_file=feeds_file,
                admins=str(ADMIN),
                extra_env=FAST | database.env,
            )
            return bot.start()

        # 1. An announcement to every chat, killed part-way.
        bot = start()
        feeds.wait_for_hits("/news.xml", 2)
        api.user_says(ADMIN, "/broadcast Maintenance tonight")
        preview = api.wait_for_message(ADMIN, lambda m: "Preview" in m.text)
        api.user_presses(preview, f"Send to {CHATS:,} chats")
        api.wait_until(lambda: len(received(api, "Maintenance tonight")) >= 300, timeout=60, what="300 sent")
        bot.kill()
        assert_database_is_valid(database, data_dir)
        at_kill = sum(received(api, "Maintenance tonight").values())
        assert at_kill < CHATS, "the kill came in the middle"

        bot = start()
        api.wait_until(
            lambda: len(received(api, "Maintenance tonight")) == CHATS, timeout=120, what="all chats"
        )
        api.wait_for_message(ADMIN, lambda m: "Announcement sent" in m.text, timeout=30)

        # 2. A story that matches every chat, killed part-way through its alerts.
        feeds.serve("/news.xml", rss([NEW, OLD]))
        api.wait_until(lambda: len(received(api, "Census results")) >= 300, timeout=60, what="300 alerts")
        bot.kill()
        assert_database_is_valid(database, data_dir)

        bot = start()
        api.wait_until(lambda: len(received(api, "Census results")) == CHATS, timeout=120, what="all alerts")
        hits = feeds.hits("/news.xml")
        feeds.wait_for_hits("/news.xml", hits + 2)  # a full cycle more: nothing else comes
        assert bot.stop() == 0

    for marker in ("Maintenance tonight", "Census results"):
        counts = received(api, marker)
        assert set(counts) == set(range(1, CHATS + 1)), f"{marker}: every chat, none missed"
        repeated = {chat: n for chat, n in counts.items() if n > 1}
        assert len(repeated) <= 1 and all(n == 2 for n in repeated.values()), f"{marker}: {repeated}"

"""Two bot processes on one PostgreSQL database: one leads (polls and sends), the other waits
as a hot standby. Killed, the leader is replaced within seconds, and the story it was sending
reaches every chat once (the message in flight at most twice)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from bot.adapters.storage.database import Database
from bot.adapters.storage.postgres_documents import PostgresDocuments
from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI

pytestmark = pytest.mark.e2e

CHATS = 600
FAST = {"NEWSBOT_RATE_PER_SECOND": "300", "NEWSBOT_RATE_PRIVATE_BURST": "50"}
OLD = {"title": "Census plans", "guid": "old", "link": "https://example.org/old"}
NEW = {"title": "Census results", "guid": "new", "link": "https://example.org/new"}


def waiting_processes(url: str) -> int:
    """Bot processes holding, or waiting for, the leader role."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'newsbot leader'")
        return int(row.fetchone()[0])  # type: ignore[index]


def test_a_killed_leader_is_replaced_by_its_standby_and_nothing_is_lost_or_sent_twice(
    tmp_path: Path, postgres_url: str
):
    store = Database(PostgresDocuments.open(postgres_url))
    for chat in range(1, CHATS + 1):
        store.chats.register_chat(chat, "private", f"user {chat}")
        store.subscriptions.add_subscriptions(chat, ["census"])
    store.close()
    env = FAST | {"NEWSBOT_DATABASE_URL": postgres_url}
    with FakeBotAPI() as api, FeedServer() as feeds:
        feeds.serve("/news.xml", rss([OLD]))
        feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Wire": feeds.url("/news.xml")})
        leader = BotProcess(api, data_dir=tmp_path / "a", feeds_file=feeds_file, extra_env=env).start()
        feeds.wait_for_hits("/news.xml", 2)
        standby = BotProcess(api, data_dir=tmp_path / "b", feeds_file=feeds_file, extra_env=env).start()
        api.wait_until(lambda: waiting_processes(postgres_url) == 2, what="the standby waiting")

        feeds.serve("/news.xml", rss([NEW, OLD]))
        api.wait_until(lambda: len(alerts(api)) >= 100, timeout=60, what="100 alerts")
        leader.kill()
        killed = time.monotonic()
        sent_at_kill = len(api.sent)
        api.wait_until(lambda: len(api.sent) > sent_at_kill, timeout=30, what="the standby sending")
        took_over = time.monotonic() - killed
        api.wait_until(lambda: len(alerts(api)) == CHATS, timeout=90, what="every chat's alert")
        hits = feeds.hits("/news.xml")
        feeds.wait_for_hits("/news.xml", hits + 2)  # a full cycle more: nothing else comes
        assert standby.stop() == 0

    counts = alerts(api)
    assert set(counts) == set(range(1, CHATS + 1)), "every chat, none missed"
    repeated = {chat: n for chat, n in counts.items() if n > 1}
    assert len(repeated) <= 1 and all(n == 2 for n in repeated.values()), repeated
    assert took_over < 15, f"the standby took {took_over:.1f} s to take over"
    assert "waits as a standby" in standby.stderr and "this process leads" in standby.stderr
    assert "Traceback" not in standby.stderr, standby.stderr


def alerts(api: FakeBotAPI) -> Counter[int]:
    return Counter(m.chat_id for m in api.sent if "Census results" in m.plain)

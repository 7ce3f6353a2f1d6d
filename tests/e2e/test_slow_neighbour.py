"""A feed that answers after 40 s delays only itself: a neighbour's alert arrives on time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import Answer, FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI

pytestmark = pytest.mark.e2e

CHAT = 77
POLL = 2  # seconds


def test_a_slow_feed_does_not_hold_back_its_neighbours_alerts(tmp_path: Path):
    old = {"title": "Old census", "guid": "old", "link": "https://example.org/old"}
    with FakeBotAPI() as api, FeedServer() as feeds:
        feeds.serve("/good.xml", rss([old]))
        feeds.serve("/slow.xml", rss([old]))
        feeds_file = write_feeds_file(
            tmp_path / "feeds.toml", {"Good": feeds.url("/good.xml"), "Slow": feeds.url("/slow.xml")}
        )
        env = {"NEWSBOT_FETCH_TIMEOUT_SECONDS": "30"}
        data = tmp_path / "data"
        with BotProcess(api, data_dir=data, feeds_file=feeds_file, poll_seconds=POLL, extra_env=env):
            feeds.wait_for_hits("/good.xml", 2)
            feeds.wait_for_hits("/slow.xml", 2)
            api.user_says(CHAT, "/subscribe census")
            api.wait_for_message(CHAT, lambda m: "Subscribed" in m.text)
            # From now on the slow feed answers after 40 s: each of its polls times out at 30 s.
            feeds.serve("/slow.xml", Answer(rss([old]), delay=40))
            feeds.wait_for_hits("/slow.xml", feeds.hits("/slow.xml") + 1)  # it is being polled
            published = time.monotonic()
            new = {"title": "Census results are out", "guid": "new", "link": "https://example.org/new"}
            feeds.serve("/good.xml", rss([new, old]))
            # Before per-feed schedules, every poll waited for the slow feed: up to 30 s.
            arrived = api.wait_for_message(
                CHAT, lambda m: "Census results are out" in m.plain, timeout=POLL + 8
            )
            print(f"alert {arrived.at - published:.1f} s after publication, poll interval {POLL} s")

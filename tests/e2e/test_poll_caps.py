"""A feed that suddenly lists 100,000 new entries, against the real bot process: one chat
gets its cap of alerts and one summary, and another chat's /list is still answered."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Sent

pytestmark = pytest.mark.e2e

ENTRIES = 100_000
ALERTS_PER_CHAT = 10
READER, LISTER = 31, 32
OLD = {"title": "Census plans", "guid": "old", "link": "https://example.org/old"}


def is_alert(message: Sent) -> bool:
    return "Matched" in message.text


def is_summary(message: Sent) -> bool:
    return "matched your keywords in this poll" in message.text


def test_a_feed_of_100000_new_entries_costs_a_chat_its_cap_plus_one_message(tmp_path: Path):
    big = rss({"title": f"Census {n}", "guid": f"g{n}", "link": f"https://e.org/{n}"} for n in range(ENTRIES))
    with FakeBotAPI() as api, FeedServer() as feeds:
        feeds.serve("/big.xml", rss([OLD]))
        feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Big": feeds.url("/big.xml")})
        settings = {
            "NEWSBOT_MAX_FEED_BYTES": str(2 * len(big)),
            "NEWSBOT_FETCH_TIMEOUT_SECONDS": "120",
            "NEWSBOT_MAX_ALERTS_PER_CHAT_POLL": str(ALERTS_PER_CHAT),
            "NEWSBOT_FLOOD_ALERTS_PER_HOUR": "0",  # the cap of one poll, not the hour's guard
            # /list is asked five times a second: within the chat's budgets, so what is
            # measured is how long the poll holds a reply up, not the chat's pacing.
            "NEWSBOT_COMMANDS_PER_MINUTE": "600",
            "NEWSBOT_RATE_PRIVATE_PER_SECOND": "10",
        }
        with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, extra_env=settings) as bot:
            feeds.wait_for_hits("/big.xml", 2)  # the first poll is done
            api.user_says(READER, "/subscribe census")
            api.wait_for_message(READER, lambda m: "Subscribed" in m.text)
            api.user_says(LISTER, "/subscribe Erbil")
            api.wait_for_message(LISTER, lambda m: "Subscribed" in m.text)
            before = len(api.messages_to(READER))

            feeds.serve("/big.xml", big)
            fetched = feeds.hits("/big.xml")
            latencies = []  # /list from the other chat, asked until the summary has arrived
            deadline = time.monotonic() + 180
            while not any(is_summary(m) for m in api.messages_to(READER)):
                assert time.monotonic() < deadline, "no summary within 180 s"
                asked, answers = time.monotonic(), len(api.messages_to(LISTER))
                api.user_says(LISTER, "/list")
                api.wait_until(lambda: len(api.messages_to(LISTER)) > answers, timeout=60, what="/list")  # noqa: B023
                latencies.append(api.messages_to(LISTER)[answers].at - asked)
                time.sleep(0.2)  # pacing the questions, not waiting for anything
            assert feeds.hits("/big.xml") > fetched
            feeds.wait_for_hits("/big.xml", feeds.hits("/big.xml") + 2)  # later cycles bring nothing
            assert bot.stop() == 0

    poll = api.messages_to(READER)[before:]
    assert [is_alert(m) for m in poll].count(True) == ALERTS_PER_CHAT
    [summary] = [m for m in poll if is_summary(m)]
    assert len(poll) == ALERTS_PER_CHAT + 1 and poll[-1] == summary
    assert summary.text.startswith("…and 40 more stories matched your keywords in this poll:")
    # Only the first 1,000 entries of a fetch are read; of those, 950 new ones are over the cap.
    assert "feed Big: 950 new items over the cap of 50 were recorded as seen" in bot.stderr
    assert all("Your subscriptions" in m.text for m in api.messages_to(LISTER)[1:])
    print(  # the measurement the README quotes; shown with pytest -s
        f"\n/list during the poll of {ENTRIES:,} entries: {len(latencies)} asked, "
        f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms",
        file=sys.stderr,
    )

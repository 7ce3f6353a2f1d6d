"""Hostile feeds against the real bot: each costs bounded memory and time, and no other feed waits for it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.adapters.test_bounded_bodies import brotli_bomb
from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import Answer, FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Sent

pytestmark = pytest.mark.e2e

ADMIN, READER = 900, 5001
OLD = {"title": "Council meets", "link": "https://example.org/council", "guid": "old-1"}
NEWS = {"title": "Census begins in Makhmour", "link": "https://example.org/census", "guid": "new-1"}
# html.parser (Python 3.11.7) took 145 s over this description (17 s over a third of it).
CRAFTED = {"title": "Crafted", "guid": "crafted-1", "description": "<a " * 32_000}
# feedparser takes many seconds over a million unknown elements (the size limit allows it).
SLOW = b"<?xml version='1.0'?><rss version='2.0'><channel><title>slow</title>" + b"<i/>" * 1_000_000


def is_alert(message: Sent) -> bool:
    return "Matched" in message.text


@pytest.fixture
def feeds():
    with FeedServer() as server:
        yield server


@pytest.fixture
def api():
    with FakeBotAPI() as fake:
        yield fake


def subscribe_and_publish(api: FakeBotAPI, feeds: FeedServer, path: str) -> Sent:
    """The reader follows "census"; the quiet feed then publishes a story about it."""
    api.user_says(READER, "/subscribe census")
    api.wait_for_message(READER, lambda m: "Subscribed" in m.text)
    feeds.serve(path, rss([NEWS, OLD]))
    return api.wait_for_message(READER, is_alert, timeout=30)


def test_a_quiet_feeds_alert_arrives_while_a_crafted_feed_is_polled(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer
):
    feeds.serve("/quiet.xml", rss([OLD]))
    feeds.serve("/crafted.xml", rss([CRAFTED]))
    feeds_file = write_feeds_file(
        tmp_path / "feeds.toml", {"Crafted": feeds.url("/crafted.xml"), "Quiet": feeds.url("/quiet.xml")}
    )
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, admins=f"{ADMIN}"):
        feeds.wait_for_hits("/quiet.xml", 2)  # the first cycle, crafted feed included, is over
        # A new crafted story, so that the crafted feed is parsed again in the same cycles.
        feeds.serve("/crafted.xml", rss([{**CRAFTED, "guid": "crafted-2"}, CRAFTED]))
        alert = subscribe_and_publish(api, feeds, "/quiet.xml")
        assert "<b><u>Census</u> begins in Makhmour</b>" in alert.text
        feeds.wait_for_hits("/crafted.xml", feeds.hits("/crafted.xml") + 2)  # a whole cycle since
        api.user_says(ADMIN, "/feeds")
        health = api.wait_for_message(ADMIN, lambda m: "I watch 2 sources" in m.text)
        assert "<b>Crafted</b> <i>(127.0.0.1)</i>: ok, 2 stories" in health.text


def test_a_parse_past_its_deadline_fails_only_its_own_feed(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer
):
    feeds.serve("/quiet.xml", rss([OLD]))
    feeds.serve("/slow.xml", SLOW)
    feeds_file = write_feeds_file(
        tmp_path / "feeds.toml", {"Slow": feeds.url("/slow.xml"), "Quiet": feeds.url("/quiet.xml")}
    )
    deadline = {"NEWSBOT_PARSE_TIMEOUT_SECONDS": "2"}
    with BotProcess(
        api, data_dir=tmp_path / "data", feeds_file=feeds_file, admins=f"{ADMIN}", extra_env=deadline
    ):
        feeds.wait_for_hits("/quiet.xml", 2, timeout=30)
        alert = subscribe_and_publish(api, feeds, "/quiet.xml")
        assert "<b><u>Census</u> begins in Makhmour</b>" in alert.text
        api.user_says(ADMIN, "/feeds")
        health = api.wait_for_message(ADMIN, lambda m: "I watch 2 sources" in m.text)
        [slow] = [line for line in health.text.split("\n") if "<b>Slow</b>" in line]
        assert "failing" in slow and "parsing took longer than 2 s" in slow
        [quiet] = [line for line in health.text.split("\n") if "<b>Quiet</b>" in line]
        assert ": ok," in quiet


def worker_cpu_seconds(pid: int) -> float:
    """CPU time used so far by the bot's child processes (its parse workers), from /proc."""
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks
    return total


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the bot's workers from /proc")
def test_a_stop_signal_ends_the_bot_at_once_while_a_parse_is_stuck(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer
):
    feeds.serve("/slow.xml", SLOW)
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Slow": feeds.url("/slow.xml")})
    long_deadline = {"NEWSBOT_PARSE_TIMEOUT_SECONDS": "600"}
    bot = BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, extra_env=long_deadline).start()
    assert bot.process is not None
    feeds.wait_for_hits("/slow.xml", 1)
    waited_until = time.monotonic() + 30
    while worker_cpu_seconds(bot.process.pid) < 1.0:  # the parse is well under way
        assert time.monotonic() < waited_until, "no worker started parsing"
        time.sleep(0.1)
    assert bot.stop(timeout=8) == 0, bot.stderr  # SIGTERM; the parse alone takes far longer
    assert "Traceback" not in bot.stderr


def test_a_decompression_bomb_costs_the_bot_a_few_megabytes(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer
):
    feeds.serve(
        "/bomb.xml", Answer(brotli_bomb(), headers={"Content-Encoding": "br", "Content-Type": "text/xml"})
    )
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Bomb": feeds.url("/bomb.xml")})
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, admins=f"{ADMIN}") as bot:
        feeds.wait_for_hits("/bomb.xml", 2)
        api.user_says(ADMIN, "/feeds")
        health = api.wait_for_message(ADMIN, lambda m: "I watch 1 source" in m.text)
        assert "too large: more than 5000000 bytes" in health.text
        assert bot.process is not None
        status = Path(f"/proc/{bot.process.pid}/status").read_text()
        peak_kb = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
        assert peak_kb < 200 * 1024, f"the bot's peak memory was {peak_kb // 1024} MB for a 1 GiB bomb"


def test_addfeed_refuses_an_address_that_cannot_be_read(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer):
    feeds.serve("/quiet.xml", rss([OLD]))
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Quiet": feeds.url("/quiet.xml")})
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, admins=f"{ADMIN}"):
        api.user_says(ADMIN, "/addfeed http://[::1:80/x Broken")
        reply = api.wait_for_message(ADMIN)
        assert "<code>http://[::1:80/x</code> is not a web address" in reply.text
        assert "went wrong" not in reply.text


def test_a_malformed_link_costs_only_that_link(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer):
    feeds.serve("/quiet.xml", rss([OLD]))
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Quiet": feeds.url("/quiet.xml")})
    broken = {"title": "Census results out", "link": "http://[::1", "guid": "new-2"}
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file) as bot:
        feeds.wait_for_hits("/quiet.xml", 2)
        api.user_says(READER, "/subscribe census")
        api.wait_for_message(READER, lambda m: "Subscribed" in m.text)
        feeds.serve("/quiet.xml", rss([broken, NEWS, OLD]))
        api.wait_until(lambda: len([m for m in api.messages_to(READER) if is_alert(m)]) == 2, what="2 alerts")
        feeds.wait_for_hits("/quiet.xml", feeds.hits("/quiet.xml") + 2)
        assert bot.stop() == 0
    alerts = {m.text.split("\n")[0]: m.text for m in api.messages_to(READER) if is_alert(m)}
    assert "Read on example.org" in alerts["<b><u>Census</u> begins in Makhmour</b>"]
    assert "Read on" not in alerts["<b><u>Census</u> results out</b>"]
    logged = [line for line in bot.stderr.splitlines() if "feed Quiet: left out" in line]
    assert len(logged) == 1 and "1 × a link that is not a web address" in logged[0]

"""Telegram's limits, kept for everything the bot sends: the real bot process against a fake
Bot API that answers 429 beyond them, as Telegram does, or that says 429 when told to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Fault, Limits, Sent

pytestmark = pytest.mark.e2e

ADMIN = 1
ASKER = 2  # follows "census", asks /list over and over, and gets the announcement too
USERS = range(ADMIN, 61)  # 60 chats that started the bot
OLD = {"title": "Census plans", "guid": "old", "link": "https://example.org/old"}
NEW = {"title": "Census results are out", "guid": "new", "link": "https://example.org/new"}
ANNOUNCEMENT = "Maintenance tonight"


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.serve("/news.xml", rss([OLD]))
        yield server


def start(api: FakeBotAPI, feeds: FeedServer, tmp_path: Path) -> BotProcess:
    """The bot with its default limits (30 messages a second, one a second to a private chat
    after a burst of 3), its first poll done."""
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Wire": feeds.url("/news.xml")})
    bot = BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, admins=str(ADMIN)).start()
    feeds.wait_for_hits("/news.xml", 2)
    return bot


def announced(api: FakeBotAPI) -> set[int]:
    return {m.chat_id for m in api.sent if ANNOUNCEMENT in m.text and "Preview" not in m.text}


def test_replies_alerts_and_an_announcement_together_stay_within_telegrams_limits(
    tmp_path: Path, feeds: FeedServer
):
    # Telegram's limits as the bot's defaults have them; a message may come half a second
    # early (it is timed on arrival), not a whole one: two messages at once to a chat with
    # one message's room left are refused.
    with FakeBotAPI(limits=Limits()) as api:
        bot = start(api, feeds, tmp_path)
        try:
            for chat in USERS:  # one after the other (60 connections at once arrive in bunches)
                api.user_says(chat, "/start")
                api.wait_for_message(chat, lambda m: "Welcome" in m.text)
            api.user_says(ASKER, "/subscribe census")
            api.wait_for_message(ASKER, lambda m: "Subscribed" in m.text)
            api.user_says(ADMIN, f"/broadcast {ANNOUNCEMENT}")
            preview = api.wait_for_message(ADMIN, lambda m: "Preview" in m.text)
            api.user_presses(preview, f"Send to {len(USERS)} chats")
            feeds.serve("/news.xml", rss([NEW, OLD]))  # an alert for the asker, meanwhile
            for _ in range(5):  # replies to the asker, sharing its allowance with the rest
                api.user_says(ASKER, "/list")  # (the announcement goes to the others meanwhile)
            api.wait_for_message(ADMIN, lambda m: "Announcement sent" in m.text, timeout=60)
            api.wait_until(lambda: len(listings(api)) == 5, timeout=30, what="the five /list replies")
            api.wait_for_message(ASKER, lambda m: "Census results are out" in m.plain, timeout=30)
        finally:
            assert bot.stop() == 0
    assert api.too_many == [], f"{len(api.too_many)} messages came faster than Telegram allows"
    assert announced(api) == set(USERS), "every chat got the announcement"
    assert all("Welcome" in api.messages_to(chat)[0].text for chat in USERS)
    assert " ERROR bot" not in bot.stderr, bot.stderr


def listings(api: FakeBotAPI) -> list[Sent]:
    return [m for m in api.messages_to(ASKER) if "Remove one with" in m.text]


def test_a_reply_telegram_answers_429_comes_after_the_wait(tmp_path: Path, feeds: FeedServer):
    with FakeBotAPI() as api:
        bot = start(api, feeds, tmp_path)
        try:
            api.fail_next(
                Fault("sendMessage", 429, "Too Many Requests: retry after 2", chat_id=ASKER, retry_after=2)
            )
            api.user_says(ASKER, "/start")
            reply = api.wait_for_message(ASKER, lambda m: "Welcome" in m.text)
        finally:
            assert bot.stop() == 0
    refused_at = api.call_times("sendMessage", ASKER)[0]
    assert reply.at - refused_at >= 2.0, "the reply went again once Telegram's wait was over"
    assert [m.text for m in api.messages_to(ASKER)] == [reply.text], "one reply, and no apology"
    assert " ERROR bot" not in bot.stderr, bot.stderr
    assert "Warning" not in bot.stderr, bot.stderr

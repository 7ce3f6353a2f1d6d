"""Chats that flood or misuse the bot cost the others nothing: a real bot process, the fake
Bot API (as strict as Telegram about lengths and HTML) and a local feed server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Sent

pytestmark = pytest.mark.e2e

ADMIN = 700
QUIET = 701
FLOOD = 702
GROUP = -100_555
SLOW_DOWN = "faster than I can answer"


@pytest.fixture
def feeds():
    with FeedServer() as server:
        server.serve(
            "/news.xml", rss([{"title": "Old story", "guid": "old", "link": "https://example.org/old"}])
        )
        yield server


@pytest.fixture
def api():
    with FakeBotAPI() as fake:
        yield fake


def start(api: FakeBotAPI, feeds: FeedServer, tmp_path: Path, **env: str) -> BotProcess:
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Local News": feeds.url("/news.xml")})
    bot = BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, admins=str(ADMIN), extra_env=env)
    bot.start()
    feeds.wait_for_hits("/news.xml", 2)  # the first poll is over: the feed's baseline is known
    return bot


def answer_time(api: FakeBotAPI, chat: int, text: str, expected: str, timeout: float = 15.0) -> float:
    """Send *text* from *chat* and return how long the answer containing *expected* took."""
    before = api.count_to(chat)
    sent_at = time.monotonic()
    api.user_says(chat, text)
    reply = api.wait_for_message(
        chat, lambda m: expected in m.text and api.messages_to(chat).index(m) >= before, timeout
    )
    return reply.at - sent_at


def test_a_flooding_chat_does_not_slow_the_others(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer):
    bot = start(api, feeds, tmp_path)
    try:
        for n in range(10_000):
            api.user_says(FLOOD, f"/subscribe topic{n}")
        waited = answer_time(api, QUIET, "/list", "no subscriptions")
        print(f"/list answered in {waited * 1000:.0f} ms while another chat sent 10,000 commands")
        api.wait_until(lambda: api.updates_waiting == 0, timeout=60, what="the flood to be read")
        api.wait_until(lambda: any(SLOW_DOWN in m.text for m in api.messages_to(FLOOD)), what="the notice")
        # The burst's replies go at the pace of a private chat, one a second.
        api.wait_until(
            lambda: sum("Subscribed" in m.text for m in api.messages_to(FLOOD)) >= 10,
            30,
            "the burst's replies",
        )
    finally:
        assert bot.stop() == 0
    replies = api.messages_to(FLOOD)
    notices = [m for m in replies if SLOW_DOWN in m.text]
    assert len(notices) == 1, "the flooding chat is told once"
    answered = [m for m in replies if "Subscribed" in m.text]
    assert 10 <= len(answered) <= 50, f"the burst (and its refills) is answered, not 10,000: {len(answered)}"
    assert "Traceback" not in bot.stderr


def test_a_group_at_its_limit_holds_back_only_its_own_replies(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer
):
    # A group may receive 2 messages a minute here, and may send 60 commands at once: its
    # replies queue for half an hour, in its own lane.
    bot = start(api, feeds, tmp_path, NEWSBOT_RATE_GROUP_PER_MINUTE="2", NEWSBOT_COMMAND_BURST="60")
    try:
        api.user_says(QUIET, "/subscribe Makhmour")
        api.wait_for_message(QUIET, lambda m: "Subscribed" in m.text)
        for _ in range(60):
            api.user_says(GROUP, "/list", user_id=800, chat_type="supergroup")
        api.wait_until(lambda: api.count_to(GROUP) >= 2, what="the group's first replies")
        waited = answer_time(api, QUIET, "/list", "Makhmour")
        print(f"/list answered in {waited * 1000:.0f} ms while a group waited for its limit")
        feeds.serve(
            "/news.xml",
            rss([{"title": "Makhmour camp census", "guid": "new", "link": "https://example.org/new"}]),
        )
        alert = api.wait_for_message(QUIET, lambda m: "Matched" in m.text)
        assert "Makhmour camp census" in alert.plain, "alerts keep flowing"
        assert api.count_to(GROUP) <= 3, "the group's replies still wait for its limit"
    finally:
        assert bot.stop() == 0


def test_long_replies_come_in_parts_telegram_accepts(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer):
    keywords = [f"keyword{n:02d} " + "x" * 80 + f" {n}" for n in range(50)]
    bot = start(api, feeds, tmp_path)
    try:
        api.user_says(QUIET, "/subscribe " + ", ".join(keywords))
        api.wait_for_message(QUIET, lambda m: "Nothing has matched yet" in m.text)  # the reply's end
        before = api.count_to(QUIET)
        api.user_says(QUIET, "/list")
        api.wait_until(lambda: "Remove one with" in api.messages_to(QUIET)[-1].text, what="the whole list")
    finally:
        assert bot.stop() == 0
    listing = api.messages_to(QUIET)[before:]
    assert len(listing) == 2, [len(m.text) for m in listing]
    shown = "\n".join(m.text for m in listing)
    assert all(keyword in shown for keyword in keywords)
    # Leaving the FakeBotAPI block fails the test if any message was over Telegram's limit.


def test_an_announcement_is_measured_as_telegram_counts_it(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer
):
    bot = start(api, feeds, tmp_path)
    try:
        api.user_says(ADMIN, "/broadcast " + "📢" * 2_100)
        refusal = api.wait_for_message(ADMIN, lambda m: "too long" in m.text)
        assert "4,200 characters" in refusal.text and "emoji" in refusal.text
        api.user_says(ADMIN, "/broadcast " + "📢" * 1_850)
        preview = api.wait_for_message(ADMIN, lambda m: "Preview" in m.text)
        api.user_presses(preview, "Send to 1 chat")
        api.wait_until(
            lambda: any("Announcement sent" in m.text for m in api.messages_to(ADMIN)), what="report"
        )
    finally:
        assert bot.stop() == 0
    assert [m for m in api.messages_to(ADMIN) if m.text.count("📢") >= 1_850], (
        "the announcement arrived whole"
    )


def test_commands_for_another_bot_do_not_register_a_group(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer):
    bot = start(api, feeds, tmp_path)
    try:
        api.user_says(GROUP, "/subscribe@other_bot census", user_id=801, chat_type="supergroup")
        api.user_says(GROUP, "/start@other_bot", user_id=801, chat_type="supergroup")
        api.user_says(ADMIN, "/broadcast Hello")
        preview = api.wait_for_message(ADMIN, lambda m: "Preview" in m.text)
        assert "1 active chat" in preview.text, "only the admin's chat: the group never used this bot"
        api.user_says(GROUP, "/start@newsbot_test_bot", user_id=801, chat_type="supergroup")
        api.wait_for_message(GROUP, lambda m: "Welcome" in m.text)
        api.user_says(ADMIN, "/broadcast Hello again")
        api.wait_for_message(ADMIN, lambda m: "Preview" in m.text and "2 active chats" in m.text)
    finally:
        assert bot.stop() == 0
    assert not [m for m in api.messages_to(GROUP) if "Subscribed" in m.text]


def test_forged_and_stale_button_presses_change_nothing(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer):
    bot = start(api, feeds, tmp_path)
    try:
        api.user_says(QUIET, "/start")
        api.wait_for_message(QUIET, lambda m: "Welcome" in m.text)
        api.user_says(ADMIN, "/broadcast Maintenance tonight")
        preview: Sent = api.wait_for_message(ADMIN, lambda m: "Preview" in m.text)
        send = preview.buttons["Send to 2 chats"]
        for data in (
            "broadcast:send",
            "broadcast:",
            "broadcast:launch:abc",
            "broadcast:send:nosuchid",
            "x" * 64,
        ):
            api.user_sends_callback(ADMIN, data, message_id=preview.message_id)
        api.user_sends_callback(ADMIN, send)  # Send, but without its message
        api.user_sends_callback(QUIET, send, message_id=preview.message_id)  # not an admin
        api.wait_until(lambda: len(api.calls("answerCallbackQuery")) >= 7, what="every press answered")
        assert not api.messages_to(QUIET)[1:], "nothing was broadcast"
        api.user_presses(preview, "Send to 2 chats")  # the real press still works: the draft is intact
        api.wait_for_message(QUIET, lambda m: "Maintenance tonight" in m.text)
    finally:
        assert bot.stop() == 0
    assert "Traceback" not in bot.stderr
    assert not [m for m in api.sent if "something went wrong" in m.text]

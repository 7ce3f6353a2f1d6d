"""The whole bot as a user meets it: a real process, fake Telegram, a local feed server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import BotDatabase
from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import Answer, FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Fault, Sent

pytestmark = pytest.mark.e2e

OLD_ITEM = {
    "title": "Makhmour council meets",
    "link": "https://example.org/news/makhmour-council",
    "guid": "old-1",
    "description": "An item that existed before the bot first read the feed.",
}
MATCHING = {
    "title": "Makhmour <camp> & census",
    "link": "https://example.org/news/makhmour-camp?id=7&lang=en",
    "guid": "new-1",
    "description": "<p>Counting began in <b>Makhmour</b> camp on Sunday.</p>",
}
OTHER = {
    "title": "Basra port reopens",
    "link": "https://example.org/news/basra-port",
    "guid": "new-2",
    "description": "Ships returned to the port after repairs.",
}
CHAT = 5001


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


def test_alert_arrives_once_and_not_again_after_restart(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer, database: BotDatabase
):
    feeds.serve("/news.xml", rss([OLD_ITEM]))
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Local News": feeds.url("/news.xml")})
    data_dir = tmp_path / "data"

    with BotProcess(api, data_dir=data_dir, feeds_file=feeds_file, extra_env=database.env) as bot:
        feeds.wait_for_hits("/news.xml", 2)  # a second fetch: the first cycle is complete
        api.user_says(CHAT, "/subscribe Makhmour")
        reply = api.wait_for_message(CHAT, lambda m: "Subscribed" in m.text)
        assert "<code>Makhmour</code>" in reply.text
        assert "Makhmour council meets" in reply.text, "the preview shows the matching item already seen"

        feeds.serve("/news.xml", rss([MATCHING, OTHER, OLD_ITEM]))
        alert = api.wait_for_message(CHAT, is_alert)
        hits = feeds.hits("/news.xml")
        feeds.wait_for_hits("/news.xml", hits + 2)  # one more full cycle has finished
        assert bot.stop() == 0

    alerts = [m for m in api.messages_to(CHAT) if is_alert(m)]
    assert len(alerts) == 1, [m.text for m in alerts]
    assert alert.parse_mode == "HTML"
    assert "<b><u>Makhmour</u> &lt;camp&gt; &amp; census</b>" in alert.text, (
        "the title bold, its match underlined"
    )
    assert 'href="https://example.org/news/makhmour-camp?id=7&amp;lang=en"' in alert.text
    assert "Counting began in <b>Makhmour</b> camp on Sunday." in alert.text, "matched words are bold"
    assert "<code>Makhmour</code>" in alert.text
    assert "Local News" in alert.text
    assert "Basra" not in "".join(m.text for m in api.sent)
    assert "council meets" not in alert.text, "items from before the first poll are not alerted"
    assert api.token not in bot.stderr
    assert "polls in the last" in bot.stderr

    with BotProcess(api, data_dir=data_dir, feeds_file=feeds_file, extra_env=database.env) as again:
        hits = feeds.hits("/news.xml")
        feeds.wait_for_hits("/news.xml", hits + 2)
        assert again.stop() == 0
    assert len([m for m in api.messages_to(CHAT) if is_alert(m)]) == 1, "no repeat after a restart"


def test_command_menu_is_published(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer):
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file):
        api.wait_until(
            lambda: bool(api.calls("setMyCommands")) and bool(api.calls("getUpdates")), what="start"
        )
    published = api.calls("setMyCommands")[0]["commands"]
    assert [c["command"] for c in published] == [
        "subscribe",
        "unsubscribe",
        "list",
        "settings",
        "digest",
        "quiet",
        "timezone",
        "language",
        "feeds",
        "help",
    ]


def test_broadcast_is_for_admins_previewed_and_reaches_every_chat_once(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer, database: BotDatabase
):
    admin, users, group = 900, [101, 102], -500
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    data_dir = tmp_path / "data"
    with BotProcess(
        api, data_dir=data_dir, feeds_file=feeds_file, admins=f"{admin}", extra_env=database.env
    ) as bot:
        for chat in [*users, admin]:
            api.user_says(chat, "/start")
        api.user_says(group, "/start", user_id=103, chat_type="group")
        for chat in [*users, admin, group]:
            api.wait_for_message(chat, lambda m: "Welcome" in m.text)

        api.user_says(101, "/broadcast Free prizes for everyone")
        refusal = api.wait_for_message(101, lambda m: "only the bot's admins" in m.text)
        assert "Sorry" in refusal.text and not refusal.buttons

        api.user_says(admin, "/broadcast Maintenance tonight <b>22:00</b>\nBack soon.")
        preview = api.wait_for_message(admin, lambda m: "Preview" in m.text)
        assert "will go to 4 active chats" in preview.text
        assert list(preview.buttons) == ["Send to 4 chats", "Cancel"]
        api.user_presses(preview, "Send to 4 chats", user_id=101)  # not an admin: refused
        answers = lambda: [call.get("text", "") for call in api.calls("answerCallbackQuery")]  # noqa: E731
        api.wait_until(
            lambda: any("only the bot's admins" in text for text in answers()),
            what="the refusal, to the presser alone",
        )
        assert api.edits == [], "the admin's preview stays as it was"
        api.user_presses(preview, "Send to 4 chats")
        report = api.wait_for_message(admin, lambda m: "Announcement sent" in m.text)
        bot.stop()

    assert "sent</b> to 4 of 4 chats" in report.text
    for chat in [*users, admin, group]:
        announcements = [
            m for m in api.messages_to(chat) if "<b>Announcement</b>" in m.text and "Preview" not in m.text
        ]
        assert len(announcements) == 1, (chat, [m.text for m in api.messages_to(chat)])
        assert "Maintenance tonight &lt;b&gt;22:00&lt;/b&gt;\nBack soon." in announcements[0].text
    assert not any("Free prizes" in m.text for m in api.sent)
    assert any("Announcement sent" in e.text and e.message_id == preview.message_id for e in api.edits)


def test_without_a_token_the_bot_explains_how_to_get_one(tmp_path: Path, api: FakeBotAPI):
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    bot = BotProcess(
        api, data_dir=tmp_path / "data", feeds_file=feeds_file, extra_env={"TELEGRAM_BOT_TOKEN": ""}
    )
    code = bot.run_to_exit()
    assert code == 2
    assert "@BotFather" in bot.stderr and "python -m bot console" in bot.stderr
    assert "Traceback" not in bot.stderr


def test_a_wrong_token_gives_a_clear_message_without_the_token(tmp_path: Path, api: FakeBotAPI):
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    wrong = "999999:" + "WRONG-token-value-".ljust(35, "x")  # shaped like a token: Telegram is asked
    bot = BotProcess(
        api, data_dir=tmp_path / "data", feeds_file=feeds_file, extra_env={"TELEGRAM_BOT_TOKEN": wrong}
    )
    code = bot.run_to_exit()
    assert code == 2
    assert "refused the bot token" in bot.stderr
    assert "Traceback" not in bot.stderr
    assert wrong not in bot.stderr and "WRONG-token" not in bot.stderr


def test_a_server_without_set_my_commands_only_costs_a_warning(tmp_path: Path, api: FakeBotAPI):
    api.fail_next(Fault("setMyCommands", 404, "Not Found: method not found"))
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file) as bot:
        api.user_says(CHAT, "/list")
        api.wait_for_message(CHAT, lambda m: "no subscriptions yet" in m.text)
        assert bot.stop() == 0
    assert "could not publish the command menu" in bot.stderr


def test_groups_share_subscriptions_and_ignore_commands_for_other_bots(tmp_path: Path, api: FakeBotAPI):
    group = -1001
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    api.make_admin(group, 1)
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file) as bot:
        api.user_says(group, "/subscribe@newsbot_test_bot census", user_id=1, chat_type="supergroup")
        api.wait_for_message(group, lambda m: "Subscribed" in m.text)
        api.user_says(group, "/subscribe Erbil", user_id=2, chat_type="supergroup")
        api.wait_for_message(group, lambda m: "Only this group's admins" in m.text)
        api.user_says(group, "/weather@some_other_bot Erbil", user_id=2, chat_type="supergroup")
        api.user_says(group, "/list", user_id=2, chat_type="supergroup")
        listing = api.wait_for_message(group, lambda m: "Your subscriptions" in m.text)
        bot.stop()
    assert "1. <code>census</code>" in listing.text and "Erbil" not in listing.text, (
        "a member may not change it"
    )
    assert not any("I don't know" in m.text for m in api.messages_to(group))


def test_a_corrupt_database_stops_the_bot_with_a_clear_message(tmp_path: Path, api: FakeBotAPI):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = data_dir / "newsbot.json"
    database.write_text('{"chats": {"1": ')
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    bot = BotProcess(api, data_dir=data_dir, feeds_file=feeds_file)
    code = bot.run_to_exit()
    assert code == 2
    assert str(database) in bot.stderr and "corrupt" in bot.stderr
    assert "Traceback" not in bot.stderr
    assert database.read_text() == '{"chats": {"1": '


def test_admins_add_and_remove_feeds_from_a_chat(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer):
    admin, user = 900, 101
    feeds.serve("/wire.xml", rss([OLD_ITEM], title="Local Wire"))
    feeds.serve("/page.html", Answer(b"<!doctype html><title>Hi</title><p>Not a feed</p>", headers={}))
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Local News": feeds.url("/news.xml")})
    feeds.serve("/news.xml", rss([]))
    data_dir = tmp_path / "data"

    # By default a feed on a private address (here 127.0.0.1) cannot be added from a chat.
    with BotProcess(api, data_dir=data_dir, feeds_file=feeds_file, admins=f"{admin}") as bot:
        api.user_says(admin, f"/addfeed {feeds.url('/wire.xml')} Local Wire")
        refusal = api.wait_for_message(admin, lambda m: "could not add" in m.text)
        assert "local or private network" in refusal.text
        assert feeds.hits("/wire.xml") == 0
        bot.stop()

    private_ok = {"NEWSBOT_ALLOW_PRIVATE_FEEDS": "true"}
    with BotProcess(api, data_dir=data_dir, feeds_file=feeds_file, admins=f"{admin}", extra_env=private_ok):
        api.user_says(user, f"/addfeed {feeds.url('/wire.xml')}")
        api.wait_for_message(user, lambda m: "only the bot's admins" in m.text)
        api.user_says(admin, "/addfeed ftp://example.org/feed")
        assert "starts with https://" in api.wait_for_message(admin, lambda m: "ftp" in m.text).text
        api.user_says(admin, f"/addfeed {feeds.url('/page.html')} Page")
        assert "not a feed" in api.wait_for_message(admin, lambda m: "page.html" in m.text).text
        api.user_says(admin, f"/addfeed {feeds.url('/missing.xml')} Missing")
        assert (
            "HTTP 404"
            in api.wait_for_message(admin, lambda m: "Missing" not in m.text and "404" in m.text).text
        )
        api.user_says(admin, f"/addfeed {feeds.url('/wire.xml')} Local Wire")
        added = api.wait_for_message(admin, lambda m: "Added" in m.text)
        assert "<b>Local Wire</b> (127.0.0.1), with 1 story" in added.text
        api.user_says(admin, "/removefeed Local News")
        assert "feeds file" in api.wait_for_message(admin, lambda m: "Local News" in m.text).text

    # The added feed survives a restart, is polled and alerts like any other.
    with BotProcess(api, data_dir=data_dir, feeds_file=feeds_file, admins=f"{admin}", extra_env=private_ok):
        api.user_says(user, "/subscribe census")
        api.wait_for_message(user, lambda m: "Subscribed" in m.text)
        feeds.serve("/wire.xml", rss([MATCHING, OLD_ITEM], title="Local Wire"))
        alert = api.wait_for_message(user, is_alert)
        assert "Local Wire" in alert.text and "Makhmour &lt;camp&gt;" in alert.text
        api.user_says(admin, "/feeds")
        health = api.wait_for_message(admin, lambda m: "I watch 2 sources:" in m.text)
        assert "<b>Local Wire</b> <i>(127.0.0.1, added from a chat)</i>: ok, 2 stories" in health.text
        api.user_says(admin, "/removefeed local wire")
        assert "Removed <b>Local Wire</b>" in api.wait_for_message(admin, lambda m: "Removed" in m.text).text
        api.user_says(user, "/feeds")
        listing = api.wait_for_message(user, lambda m: "I watch 1 source:" in m.text)
        assert "Local Wire" not in listing.text and "ok," not in listing.text

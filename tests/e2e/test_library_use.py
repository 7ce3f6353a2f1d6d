"""PTB used as it intends: a whole session (replies, alerts, button presses, an edit) prints
no library warning, and PTB's Defaults stay in force for every message (no link preview
unless the chat asked for one, no reply that quotes the command, also in a group)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Sent

pytestmark = pytest.mark.e2e

PLAIN, PREVIEWS = 701, 702  # a chat with PTB's defaults, and one that asked for previews
GROUP = -703  # where PTB would quote a command in its reply, but for the Defaults
TEXT = "Counters went from door to door across the provinces on Wednesday, the planning ministry said."


def story(feed: str) -> dict[str, str]:
    """The same wire story as *feed* runs it: one alert, and an edit for the second copy."""
    return {
        "title": "Iraq holds its first census in decades",
        "guid": f"{feed}-census",
        "link": f"https://{feed}.example/census",
        "description": TEXT,
    }


def old(feed: str) -> dict[str, str]:
    return {"title": f"{feed} launches", "guid": f"{feed}-0", "link": f"https://{feed}.example/0"}


def alerts(api: FakeBotAPI, chat: int) -> list[Sent]:
    return [m for m in api.messages_to(chat) if "Matched" in m.text]


def test_a_whole_session_prints_no_library_warning_and_keeps_the_defaults(tmp_path: Path):
    with FakeBotAPI() as api, FeedServer() as server:
        for feed in ("wire", "daily"):
            server.serve(f"/{feed}.xml", rss([old(feed)]))
        feeds_file = write_feeds_file(
            tmp_path / "feeds.toml", {"Wire": server.url("/wire.xml"), "Daily": server.url("/daily.xml")}
        )
        with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file) as bot:
            server.wait_for_hits("/daily.xml", 2)  # both feeds read once: their items are old
            for chat in (PLAIN, PREVIEWS):
                api.user_says(chat, "/subscribe census")
                api.wait_for_message(chat, lambda m: "Subscribed" in m.text)
            api.user_says(PREVIEWS, "/previews on")
            api.wait_for_message(PREVIEWS, lambda m: "/previews" not in m.text and m.text != "")
            api.user_says(GROUP, "/help", user_id=PLAIN, chat_type="group")
            api.wait_for_message(GROUP, lambda m: "/subscribe" in m.text)
            api.user_says(PLAIN, "/list")
            listing = api.wait_for_message(PLAIN, lambda m: "census" in m.text and bool(m.buttons))

            server.serve("/wire.xml", rss([story("wire"), old("wire")]))
            for chat in (PLAIN, PREVIEWS):
                api.wait_until(lambda chat=chat: len(alerts(api, chat)) == 1, what=f"the alert to {chat}")
            alert = alerts(api, PLAIN)[0]
            api.user_presses(alert, next(label for label in alert.buttons if "Mute" in label))
            api.wait_until(lambda: any("Undo" in b for b in api.buttons_now(alert)), what="the Undo")

            server.serve("/daily.xml", rss([story("daily"), old("daily")]))
            edited = lambda chat: [e for e in api.edits if e.chat_id == chat and "Daily" in e.text]  # noqa: E731
            for chat in (PLAIN, PREVIEWS):
                api.wait_until(lambda chat=chat: edited(chat), what=f"the edit of {chat}'s alert")
            assert listing.buttons, "a message with buttons was sent"
            assert bot.stop() == 0

    assert "Warning" not in bot.stderr and "warn(" not in bot.stderr, bot.stderr
    assert "Traceback" not in bot.stderr, bot.stderr

    no_preview = {"is_disabled": True}  # PTB's Defaults, as build_application sets them
    small = {"is_disabled": False, "prefer_small_media": True}
    assert alerts(api, PLAIN)[0].parameters.get("link_preview_options") == no_preview
    assert edited(PLAIN)[-1].parameters.get("link_preview_options") == no_preview
    assert alerts(api, PREVIEWS)[0].parameters.get("link_preview_options") == small
    assert edited(PREVIEWS)[-1].parameters.get("link_preview_options") == small
    assert all(m.parse_mode == "HTML" for m in api.sent), "replies and alerts are HTML, the default"
    assert "disable_notification" not in alerts(api, PLAIN)[0].parameters, "an alert notifies"
    assert api.messages_to(GROUP) and not [m for m in api.sent if "reply_parameters" in m.parameters]

"""What the bot's messages say, seen through the real process and fake Telegram: an
announcement keeps its author's formatting, and its preview is the message every chat gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.telegram_api import FakeBotAPI, entity

pytestmark = pytest.mark.e2e

ADMIN, USERS, GROUP = 900, [101, 102], -500


@pytest.fixture
def api():
    with FakeBotAPI() as fake:
        yield fake


def test_a_broadcast_keeps_bold_italics_and_links_and_the_preview_is_what_every_chat_gets(
    tmp_path: Path, api: FakeBotAPI
):
    # An emoji first: Telegram counts the entities' offsets in UTF-16 code units, where it
    # counts two.
    text = "/broadcast 🔧 Maintenance tonight at 22:00 (Q&A <here>). Details: status page"
    link = "https://status.example.org/?day=1&zone=utc"
    entities = [
        entity(text, "Maintenance", "bold"),
        entity(text, "22:00", "italic"),
        entity(text, "status page", "text_link", url=link),
    ]
    sent_html = (
        "🔧 <b>Maintenance</b> tonight at <i>22:00</i> (Q&amp;A &lt;here&gt;). Details: "
        '<a href="https://status.example.org/?day=1&amp;zone=utc">status page</a>'
    )
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, admins=str(ADMIN)) as bot:
        api.user_says(GROUP, "/start", user_id=103, chat_type="group")
        for chat in [*USERS, ADMIN]:
            api.user_says(chat, "/start")
        for chat in [*USERS, ADMIN, GROUP]:
            api.wait_for_message(chat, lambda m: "Welcome" in m.text)

        api.user_says(ADMIN, text, entities=entities)
        preview = api.wait_for_message(ADMIN, lambda m: "Preview" in m.text)
        api.user_presses(preview, "Send to 4 chats")
        api.wait_for_message(ADMIN, lambda m: "Announcement sent" in m.text)
        bot.stop()

    assert sent_html in preview.text, preview.text
    assert api.refused == [], "Telegram accepted every message"
    for chat in [*USERS, ADMIN, GROUP]:
        announcements = [
            m for m in api.messages_to(chat) if "<b>Announcement</b>" in m.text and "Preview" not in m.text
        ]
        assert len(announcements) == 1, (chat, [m.text for m in api.messages_to(chat)])
        announcement = announcements[0]
        assert announcement.parse_mode == "HTML"
        assert sent_html in announcement.text
        assert preview.text.endswith("\n\n" + announcement.text), "the preview shows what is sent"

"""/list numbers as a user meets them: the real bot process, fake Telegram, a restart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.telegram_api import FakeBotAPI, Sent

pytestmark = pytest.mark.e2e

CHAT = 5101


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


def say(api: FakeBotAPI, text: str) -> Sent:
    """Send *text* as the user; the bot's answer."""
    before = api.count_to(CHAT)
    api.user_says(CHAT, text)
    api.wait_until(lambda: api.count_to(CHAT) > before, what=f"the answer to {text}")
    return api.messages_to(CHAT)[before]


def press(api: FakeBotAPI, message: Sent, label: str) -> str:
    """Press *label* under *message*; the short notice the bot answers with."""
    answered = len(api.calls("answerCallbackQuery"))
    api.user_presses(message, label)
    api.wait_until(lambda: len(api.calls("answerCallbackQuery")) > answered, what=f"the answer to {label}")
    return str(api.calls("answerCallbackQuery")[answered].get("text"))


def listed(api: FakeBotAPI) -> dict[int, str]:
    """What /list shows now: number -> keyword, and the ✖ buttons match the numbers."""
    listing = say(api, "/list")
    shown = {int(n): k for n, k in re.findall(r"^(\d+)\. <code>(.*?)</code>$", listing.text, re.MULTILINE)}
    assert [label for label in listing.buttons] == [f"✖ {n}" for n in shown], listing.buttons
    return shown


def test_list_numbers_stay_through_removals_undos_and_a_restart(tmp_path: Path, api: FakeBotAPI):
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    data_dir = tmp_path / "data"
    with BotProcess(api, data_dir=data_dir, feeds_file=feeds_file) as bot:
        assert "Subscribed to" in say(api, "/subscribe census, Erbil, oil prices").text
        assert listed(api) == {1: "census", 2: "Erbil", 3: "oil prices"}
        assert "Unsubscribed from <code>census</code>." in say(api, "/unsubscribe census").text
        assert listed(api) == {2: "Erbil", 3: "oil prices"}, "b is still 2 and c still 3"

        removed = say(api, "/unsubscribe 2")
        assert "Unsubscribed from <code>Erbil</code>." in removed.text, "2 is what /list showed as 2"
        assert listed(api) == {3: "oil prices"}

        say(api, "/subscribe Makhmour")
        assert listed(api) == {3: "oil prices", 4: "Makhmour"}, "1 and 2 can still come back"
        assert "is back" in press(api, removed, "↩ Undo")
        assert listed(api) == {2: "Erbil", 3: "oil prices", 4: "Makhmour"}, "back with its number"
        assert bot.stop() == 0

    with BotProcess(api, data_dir=data_dir, feeds_file=feeds_file) as again:
        assert listed(api) == {2: "Erbil", 3: "oil prices", 4: "Makhmour"}, "after a restart"
        assert "Unsubscribed from <code>oil prices</code>." in say(api, "/unsubscribe 3").text
        listing = say(api, "/list")
        assert "Remove one with its ✖ button, or <code>/unsubscribe 2</code>" in listing.text
        assert "Unsubscribed from “Makhmour”." in press(api, listing, "✖ 4")
        api.wait_until(lambda: list(api.buttons_now(listing)) == ["✖ 2", "↩ Undo"], what="the list again")
        assert "2. <code>Erbil</code>" in api.edits[-1].text and "Removed “Makhmour”" in api.edits[-1].text
        assert listed(api) == {2: "Erbil"}

        question = say(api, "/unsubscribe all")
        assert "Remove your 1 subscription: <code>Erbil</code>?" in question.text
        assert "Removed all 1." in press(api, question, "Yes, remove all 1")
        assert "no subscriptions" in say(api, "/list").text
        say(api, "/subscribe Sinjar")
        assert listed(api) == {5: "Sinjar"}, "no number an Undo could give back"
        assert "is back" in press(api, question, "↩ Undo")
        assert listed(api) == {2: "Erbil", 5: "Sinjar"}
        assert again.stop() == 0

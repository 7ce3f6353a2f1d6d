"""What the bot does when Telegram says no: the real process against the fake Bot API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Fault, Sent

pytestmark = pytest.mark.e2e

OLD = {"title": "Census plans", "guid": "old", "link": "https://example.org/old"}
ADMIN = 900


def story(n: int, title: str = "Census results <published>") -> dict[str, str]:
    return {"title": f"{title} #{n}", "guid": f"story-{n}", "link": f"https://example.org/{n}",
            "description": "The <b>census</b> results are out."}  # fmt: skip


def is_alert(message: Sent) -> bool:
    return "Matched" in message.text or "Matched" in str(message.parameters.get("text", ""))


class World:
    """A running bot, its fake Telegram and a feed, with chats subscribed to "census"."""

    def __init__(self, api: FakeBotAPI, feeds: FeedServer, bot: BotProcess) -> None:
        self.api, self.feeds, self.bot = api, feeds, bot
        self.published = [OLD]

    def subscribe(self, chat: int, chat_type: str = "private") -> None:
        if chat_type != "private":
            self.api.make_admin(chat, abs(chat))  # in a group, an admin subscribes it
        self.api.user_says(chat, "/subscribe census", user_id=abs(chat), chat_type=chat_type)
        self.api.wait_for_message(chat, lambda m: "Subscribed" in m.text)

    def publish(self, item: dict[str, str]) -> None:
        self.published.insert(0, item)
        self.feeds.serve("/news.xml", rss(self.published))

    def alerts(self, chat: int) -> list[Sent]:
        return [m for m in self.api.messages_to(chat) if "Matched" in m.text]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FakeBotAPI() as api, FeedServer() as feeds:
        feeds.serve("/news.xml", rss([OLD]))
        feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Wire": feeds.url("/news.xml")})
        with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, admins=str(ADMIN)) as bot:
            feeds.wait_for_hits("/news.xml", 2)  # the first poll is done
            yield World(api, feeds, bot)


def test_429_waits_the_time_telegram_gives_then_sends_the_same_alert(world: World):
    world.subscribe(11)
    world.api.fail_next(
        Fault("sendMessage", 429, "Too Many Requests: retry after 2", chat_id=11, retry_after=2)
    )
    world.publish(story(1))
    alert = world.api.wait_for_message(11, is_alert)
    refused = [call for call in world.api.calls("sendMessage") if call.get("chat_id") == 11]
    assert len(world.alerts(11)) == 1 and len(refused) >= 2
    first_try = world.api.call_times("sendMessage", chat_id=11)[-2]
    assert alert.at - first_try >= 2.0, "it waited at least as long as Telegram said"


def test_5xx_is_retried_and_the_alert_arrives_once(world: World):
    world.subscribe(12)
    world.api.fail_next(Fault("sendMessage", 502, "Bad Gateway", chat_id=12, count=2))
    world.publish(story(2))
    world.api.wait_for_message(12, is_alert)
    world.feeds.wait_for_hits("/news.xml", world.feeds.hits("/news.xml") + 2)
    assert len(world.alerts(12)) == 1


def test_a_slow_answer_is_waited_for_and_not_resent(world: World):
    world.subscribe(13)
    world.api.fail_next(Fault("sendMessage", 200, "", chat_id=13, delay=2.0))  # answered, slowly
    world.publish(story(3))
    world.api.wait_for_message(13, is_alert)
    world.feeds.wait_for_hits("/news.xml", world.feeds.hits("/news.xml") + 2)
    assert len(world.alerts(13)) == 1


def test_a_chat_that_blocked_the_bot_is_left_alone_until_it_comes_back(world: World):
    for chat in (21, 22, ADMIN):
        world.subscribe(chat)
    world.api.block(21)
    world.publish(story(4))
    world.api.wait_for_message(22, is_alert)
    world.api.wait_for_message(ADMIN, is_alert)
    world.api.user_says(ADMIN, "/stats")
    stats = world.api.wait_for_message(ADMIN, lambda m: "newsbot status" in m.text)
    assert "Chats: 2 active, 1 inactive" in stats.text
    tries = len(world.api.calls("sendMessage"))
    world.publish(story(5))
    world.api.wait_for_message(22, lambda m: is_alert(m) and "#5" in m.text)
    assert not any(c.get("chat_id") == 21 for c in world.api.calls("sendMessage")[tries:]), "not tried again"

    world.api.unblock(21)
    world.api.user_says(21, "/start")  # the user unblocks the bot and writes to it
    world.api.wait_for_message(21, lambda m: "Welcome" in m.text)
    world.publish(story(6))
    world.api.wait_for_message(21, lambda m: is_alert(m) and "#6" in m.text)
    world.api.user_says(21, "/list")
    listing = world.api.wait_for_message(21, lambda m: "Your subscriptions" in m.text)
    assert "census" in listing.text, "its subscriptions were kept"


def test_html_telegram_cannot_parse_arrives_as_plain_text(world: World):
    world.subscribe(31)
    world.api.fail_next(
        Fault("sendMessage", 400, "Bad Request: can't parse entities: unexpected end tag", chat_id=31)
    )
    world.publish(story(7, title="Census & <odd> markup"))
    alert = world.api.wait_for_message(31, lambda m: "Census & <odd> markup #7" in m.text)
    assert alert.parse_mode is None, "sent again as plain text"
    assert "<b>" not in alert.text


def test_a_group_that_became_a_supergroup_gets_its_alert_there(world: World):
    world.subscribe(-41, chat_type="group")
    world.api.fail_next(Fault("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
                              chat_id=-41, migrate_to_chat_id=-10041))  # fmt: skip
    world.publish(story(8))
    world.api.wait_for_message(-10041, is_alert)
    world.api.user_says(-10041, "/list", user_id=41, chat_type="supergroup")
    listing = world.api.wait_for_message(-10041, lambda m: "Your subscriptions" in m.text)
    assert "census" in listing.text, "the subscriptions moved to the supergroup"

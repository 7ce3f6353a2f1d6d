"""Alerts at the pace a reader wants: the whole bot in this process, through PTB and the fake
Bot API over HTTP, with a wall clock the test moves (digests, quiet hours, the flood guard)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.harness import write_feeds_file
from tests.e2e.inprocess import InProcessBot, MovableClock
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Sent

pytestmark = pytest.mark.e2e

READER = 501
# 20:30 UTC is 23:30 in Baghdad (UTC+3 all year).
EVENING = datetime(2027, 1, 15, 20, 30, tzinfo=UTC).timestamp()
OLD = {"title": "Old census story", "guid": "old", "link": "https://example.org/old"}


def story(n: int, title: str = "Census") -> dict[str, str]:
    return {"title": f"{title} report {n}", "guid": f"s{n}", "link": f"https://example.org/story/{n}"}


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.serve("/news.xml", rss([OLD]))
        yield server


class World:
    def __init__(self, api: FakeBotAPI, feeds: FeedServer, clock: MovableClock) -> None:
        self.api, self.feeds, self.clock = api, feeds, clock
        self.published: list[dict[str, str]] = [OLD]
        self.bot: InProcessBot | None = None

    def say(self, text: str, chat: int = READER, **kwargs: object) -> Sent:
        before = self.api.count_to(chat)
        self.api.user_says(chat, text, **kwargs)  # type: ignore[arg-type]
        self.api.wait_until(lambda: self.api.count_to(chat) > before, what=f"the answer to {text}")
        return self.api.messages_to(chat)[before]

    def publish(self, *items: dict[str, str]) -> None:
        """New stories, found at the next poll (the clock moves to it)."""
        self.published = [*items, *self.published]
        self.feeds.serve("/news.xml", rss(self.published))
        self.poll()

    def poll(self) -> None:
        """Move the clock to the feed's next poll and wait until that poll is over."""
        assert self.bot is not None
        poller = self.bot.services.poller
        due = poller.next_poll["Wire"]
        self.clock.set(max(self.clock(), due) + 1)
        self.bot.wait_until(lambda: poller.next_poll["Wire"] != due, what="the next poll")

    def alerts(self, chat: int = READER) -> list[Sent]:
        """The alerts one by one (a digest's stories are listed with bullets)."""
        return [m for m in self.api.messages_to(chat) if "Matched" in m.text and "•" not in m.text]


@contextlib.contextmanager
def start(world: World, tmp_path: Path) -> Iterator[InProcessBot]:
    """The bot, once its first poll of the feed is done."""
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Wire": world.feeds.url("/news.xml")})
    data = tmp_path / "data"
    with InProcessBot(world.api, data_dir=data, feeds_file=feeds_file, clock=world.clock) as bot:
        world.bot = bot
        bot.wait_until(lambda: "Wire" in bot.services.poller.next_poll, what="the first poll")
        yield bot


def links(messages: list[Sent]) -> set[str]:
    return {link for m in messages for link in re.findall(r'href="(https://example\.org/story/\d+)"', m.text)}


def test_thirty_stories_in_one_poll_come_as_at_most_eleven_messages(api, feeds, tmp_path):
    clock = MovableClock(EVENING)
    world = World(api, feeds, clock)
    with start(world, tmp_path):
        world.say("/subscribe census")
        before = api.count_to(READER)
        world.publish(*(story(n) for n in range(30)))
        api.wait_until(lambda: len(world.alerts()) == 10, what="the first ten alerts")
        clock.move(3600)  # the flood guard's window ends: what it held comes as one digest
        digest = api.wait_for_message(READER, lambda m: "more</b> came after your first 10 alerts" in m.text)
    messages = api.messages_to(READER)[before:]
    assert len(messages) <= 11, [m.text[:60] for m in messages]
    assert links(messages) == {f"https://example.org/story/{n}" for n in range(30)}, "every story is there"
    assert "/digest hourly" in digest.text, "the digest says how to get fewer"


def test_quiet_hours_hold_alerts_and_release_them_as_one_digest(api, feeds, tmp_path):
    clock = MovableClock(EVENING)  # 23:30 in Baghdad
    world = World(api, feeds, clock)
    with start(world, tmp_path):
        world.say("/subscribe census")
        assert "Asia/Baghdad" in world.say("/timezone asia/baghdad").text
        assert "23:00–07:00" in world.say("/quiet 23:00-07:00").text
        world.publish(story(1), story(2))
        clock.set(datetime(2027, 1, 16, 3, 59, tzinfo=UTC).timestamp())  # 06:59 in Baghdad
        world.poll()
        assert world.alerts() == [], "nothing during quiet hours"
        clock.set(datetime(2027, 1, 16, 4, 0, 30, tzinfo=UTC).timestamp())  # 07:00 in Baghdad
        digest = api.wait_for_message(READER, lambda m: "quiet hours" in m.text and "were on" in m.text)
    assert links([digest]) == {"https://example.org/story/1", "https://example.org/story/2"}
    assert world.alerts() == []
    assert "2 stories" in digest.text and "\nMatched: <code>census</code>\n" in digest.text


def test_a_daily_digest_comes_at_its_local_time_in_the_chats_time_zone(api, feeds, tmp_path):
    clock = MovableClock(datetime(2027, 1, 15, 2, 0, tzinfo=UTC).timestamp())  # 05:00 in Baghdad
    world = World(api, feeds, clock)
    with start(world, tmp_path):
        world.say("/subscribe census, oil prices")
        world.say("/timezone Asia/Baghdad")
        assert "daily digest at 08:00" in world.say("/digest daily 08:00").text
        world.publish(story(1), story(2, title="Oil prices"))
        clock.set(datetime(2027, 1, 15, 4, 59, tzinfo=UTC).timestamp())  # 07:59 in Baghdad
        world.poll()
        assert not [m for m in api.messages_to(READER) if "Your daily digest" in m.text], "not before 08:00"
        clock.set(datetime(2027, 1, 15, 5, 0, 30, tzinfo=UTC).timestamp())  # 08:00 in Baghdad
        digest = api.wait_for_message(READER, lambda m: "Your daily digest" in m.text)
    assert world.alerts() == []
    assert links([digest]) == {"https://example.org/story/1", "https://example.org/story/2"}
    assert "\nMatched: <code>census</code>\n" in digest.text, "grouped by keyword, named as in alerts"
    assert "\nMatched: <code>oil prices</code>\n" in digest.text
    assert digest.parameters.get("disable_notification") in (None, False), "a digest notifies once"


def test_buttons_under_an_alert_mute_unsubscribe_and_undo(api, feeds, tmp_path):
    clock = MovableClock(EVENING)
    world = World(api, feeds, clock)
    with start(world, tmp_path):
        world.say("/subscribe census")
        world.publish(story(1))
        api.wait_until(lambda: len(world.alerts()) == 1, what="the alert")
        alert = world.alerts()[0]
        assert set(alert.buttons) == {"🔕 Mute “census” 24 h", "✖ Unsubscribe “census”"}

        api.user_presses(alert, "🔕 Mute “census” 24 h")
        api.wait_until(lambda: "↩ Undo" in api.buttons_now(alert), what="the Undo button")
        assert "Muted “census” for 24 hours." in [c.get("text") for c in api.calls("answerCallbackQuery")]
        world.publish(story(2))
        world.poll()
        assert len(world.alerts()) == 1, "muted: no alert"

        api.user_presses(alert, "↩ Undo")
        api.wait_until(lambda: "✖ Unsubscribe “census”" in api.buttons_now(alert), what="the buttons back")
        world.publish(story(3))
        api.wait_until(lambda: len(world.alerts()) == 2, what="alerts again after the undo")

        api.user_presses(alert, "✖ Unsubscribe “census”")
        api.wait_until(lambda: "↩ Undo" in api.buttons_now(alert), what="the Undo button")
        assert "no subscriptions" in world.say("/list").text
        api.user_presses(alert, "↩ Undo")
        api.wait_until(lambda: "✖ Unsubscribe “census”" in api.buttons_now(alert), what="the buttons back")
        assert "1. <code>census</code>" in world.say("/list").text


def test_forged_and_foreign_presses_change_nothing(api, feeds, tmp_path):
    clock = MovableClock(EVENING)
    world = World(api, feeds, clock)
    other = 502
    with start(world, tmp_path):
        world.say("/subscribe census")
        listing = world.say("/list")
        [remove] = listing.buttons.values()
        world.say("/start", chat=other)
        for data in (
            remove,
            "mute:" + remove.partition(":")[2],
            "undo:1",
            "rmall:1",
            "mute:99999",
            "unsub:x" * 9,
        ):
            api.user_sends_callback(other, data, message_id=listing.message_id)  # another chat's press
        api.user_sends_callback(READER, remove)  # a press without its message
        api.wait_until(lambda: len(api.calls("answerCallbackQuery")) >= 7, what="every press answered")
        assert "1. <code>census</code>" in world.say("/list").text, "nothing changed"
        world.publish(story(1))
        api.wait_until(lambda: len(world.alerts()) == 1, what="alerts still come")
    assert not [m for m in api.sent if "something went wrong" in m.text]


def test_unsubscribe_all_asks_first_and_can_be_undone(api, feeds, tmp_path):
    clock = MovableClock(EVENING)
    world = World(api, feeds, clock)
    with start(world, tmp_path):
        world.say("/subscribe census, oil prices")
        question = world.say("/unsubscribe all")
        assert "Remove all 2 subscriptions" in question.text
        api.user_presses(question, "No, keep them")
        api.wait_until(lambda: bool(api.edits) and "Nothing was removed" in api.edits[-1].text, what="kept")
        assert "2. <code>oil prices</code>" in world.say("/list").text
        api.user_presses(question, "Yes, remove all 2")  # (a client still showing the question)
        api.wait_until(lambda: "no longer works" in str(api.calls("answerCallbackQuery")[-1].get("text")))
        assert "2. <code>oil prices</code>" in world.say("/list").text, "an answered question stays answered"
        question = world.say("/unsubscribe all")
        api.user_presses(question, "Yes, remove all 2")
        api.wait_until(lambda: "Unsubscribed from all 2" in api.edits[-1].text, what="removed")
        assert "no subscriptions" in world.say("/list").text
        api.user_presses(question, "↩ Undo")
        api.wait_until(
            lambda: "are back" in str(api.calls("answerCallbackQuery")[-1].get("text")), what="undone"
        )
        assert "2. <code>oil prices</code>" in world.say("/list").text


def test_a_forum_topic_gets_its_own_subscriptions_and_alerts(api, feeds, tmp_path):
    clock = MovableClock(EVENING)
    world = World(api, feeds, clock)
    group, admin, topic = -100_777, 71, 42
    api.make_admin(group, admin)
    with start(world, tmp_path):
        where = {"chat": group, "user_id": admin, "chat_type": "supergroup"}
        reply = world.say("/subscribe census", **where, thread_id=topic)
        assert "Subscribed" in reply.text and reply.parameters.get("message_thread_id") == topic
        in_topic = world.say("/list", **where, thread_id=topic)
        assert "census" in in_topic.text
        general = world.say("/list", **where)
        assert "no subscriptions" in general.text
        world.publish(story(1))
        api.wait_until(lambda: len(world.alerts(group)) == 1, what="the topic's alert")
    [alert] = world.alerts(group)
    assert alert.parameters.get("message_thread_id") == topic


def test_only_a_groups_admins_change_its_subscriptions_unless_it_allows_everyone(api, feeds, tmp_path):
    clock = MovableClock(EVENING)
    world = World(api, feeds, clock)
    group, admin, member = -100_888, 81, 82
    api.make_admin(group, admin)
    with start(world, tmp_path):
        refused = world.say("/subscribe census", chat=group, user_id=member, chat_type="supergroup")
        assert "Only this group's admins" in refused.text
        assert (
            "no subscriptions" in world.say("/list", chat=group, user_id=member, chat_type="supergroup").text
        )
        settings = world.say("/settings", chat=group, user_id=admin, chat_type="supergroup")
        api.user_presses(settings, "Members may edit: no", user_id=member)
        api.wait_until(lambda: len(api.calls("answerCallbackQuery")) >= 1, what="the refusal")
        api.user_presses(settings, "Members may edit: no", user_id=admin)
        api.wait_until(lambda: "Members may edit: yes" in api.buttons_now(settings), what="the change")
        allowed = world.say("/subscribe census", chat=group, user_id=member, chat_type="supergroup")
        assert "Subscribed" in allowed.text

"""One story, one alert: the same wire copy in several feeds reaches a chat once, and the
alert names the other feeds that carried it, by an edit (no new notification). The whole
bot in this process, through PTB and the fake Bot API over HTTP, with a clock the test moves."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.harness import write_feeds_file
from tests.e2e.inprocess import InProcessBot, MovableClock
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Fault, Sent

pytestmark = pytest.mark.e2e

READER = 601
FEEDS = ("Wire", "Daily", "Times", "Courier")
# 05:00 UTC is 08:00 in Baghdad.
MORNING = datetime(2027, 3, 2, 5, 0, tzinfo=UTC).timestamp()

WIRE_TEXT = (
    "Iraq began its first nationwide census in nearly four decades on Wednesday, with a curfew "
    "keeping people at home while some 120,000 counters went from door to door across the "
    "country's provinces, the planning ministry said."
)


def copy(feed: str, title: str = "Iraq holds its first census in decades") -> dict[str, str]:
    """The wire story as *feed* runs it: its own link and guid, the agency's title and text."""
    slug = feed.lower()
    return {
        "title": title,
        "guid": f"{slug}-census",
        "link": f"https://{slug}.example/census",
        "description": WIRE_TEXT,
    }


OTHER = {
    "title": "Census workers in Makhmour finish early",
    "guid": "daily-makhmour",
    "link": "https://daily.example/makhmour",
    "description": "Counters in Makhmour district reached every household two days ahead of plan.",
}


class Newsroom:
    """Four feeds on a local server, and the clock: publish a story, then poll that feed."""

    def __init__(self, api: FakeBotAPI, server: FeedServer, clock: MovableClock, tmp_path: Path) -> None:
        self.api, self.server, self.clock, self.tmp_path = api, server, clock, tmp_path
        self.items: dict[str, list[dict[str, str]]] = {}
        for feed in FEEDS:
            self.items[feed] = [
                {"title": f"{feed} launches", "guid": f"{feed}-0", "link": f"https://{feed}.example/0"}
            ]
            server.serve(f"/{feed}.xml", rss(self.items[feed], title=feed))
        self.feeds_file = write_feeds_file(
            tmp_path / "feeds.toml", {feed: server.url(f"/{feed}.xml") for feed in FEEDS}
        )
        self.bot: InProcessBot | None = None

    @contextlib.contextmanager
    def running(self) -> Iterator[InProcessBot]:
        """The bot (again, after a restart), once it has polled every feed."""
        with InProcessBot(self.api, data_dir=self.tmp_path / "data", feeds_file=self.feeds_file,
                          clock=self.clock) as bot:  # fmt: skip
            self.bot = bot
            poller = bot.services.poller
            bot.wait_until(lambda: all(feed in poller.next_poll for feed in FEEDS), what="the first polls")
            yield bot

    def publish(self, feed: str, *items: dict[str, str]) -> None:
        self.items[feed] = [*items, *self.items[feed]]
        self.server.serve(f"/{feed}.xml", rss(self.items[feed], title=feed))
        self.poll(feed)

    def poll(self, feed: str) -> None:
        """Move the clock to *feed*'s next poll and wait until that poll is over."""
        assert self.bot is not None
        poller = self.bot.services.poller
        due = poller.next_poll[feed]
        self.clock.set(max(self.clock(), due) + 1)
        self.bot.wait_until(lambda: poller.next_poll[feed] != due, what=f"the next poll of {feed}")

    def say(self, text: str) -> Sent:
        before = self.api.count_to(READER)
        self.api.user_says(READER, text)
        self.api.wait_until(lambda: self.api.count_to(READER) > before, what=f"the answer to {text}")
        return self.api.messages_to(READER)[before]

    def alerts(self) -> list[Sent]:
        return [m for m in self.api.messages_to(READER) if "Matched" in m.text]

    def edits_of(self, message: Sent) -> list[Sent]:
        return [e for e in self.api.edits if e.chat_id == READER and e.message_id == message.message_id]


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as feeds:
        yield feeds


def test_the_same_story_in_four_feeds_is_one_alert_that_names_them_all(api, server, tmp_path):
    room = Newsroom(api, server, MovableClock(MORNING), tmp_path)
    with room.running():
        room.say("/subscribe census")
        room.publish("Wire", copy("Wire"))
        api.wait_until(lambda: len(room.alerts()) == 1, what="the alert")
        alert = room.alerts()[0]
        assert "Also:" not in alert.text

        room.publish("Daily", copy("Daily"), OTHER)  # the copy, and a story of its own
        api.wait_until(
            lambda: len(room.alerts()) == 2 and room.edits_of(alert), what="the edit and the new story"
        )
        edited = room.edits_of(alert)[-1]
        assert edited.plain.endswith("Also: Daily")
        assert edited.text.startswith(alert.text), "the alert is the same, with a line more"
        assert set(edited.buttons) == set(alert.buttons), "its buttons stay"
        assert "Makhmour" in room.alerts()[1].text, "a different story is a new alert"

        room.publish("Times", copy("Times", title="Iraq holds first census in decades under curfew"))
        api.wait_until(lambda: len(room.edits_of(alert)) == 2, what="the second edit")
        assert room.edits_of(alert)[-1].plain.endswith("Also: Daily, Times")

    with room.running():  # a restart remembers the story and the alert's text
        room.publish("Courier", copy("Courier"))
        api.wait_until(lambda: len(room.edits_of(alert)) == 3, what="the edit after a restart")
        assert room.edits_of(alert)[-1].plain.endswith("Also: Daily, Times, Courier")
    assert len(room.alerts()) == 2, "four copies, one alert: no other notification"
    assert api.refused == []


def test_a_digest_lists_the_story_once_with_its_sources(api, server, tmp_path):
    room = Newsroom(api, server, MovableClock(MORNING - 3600), tmp_path)  # 07:00 in Baghdad
    with room.running() as bot:
        room.say("/subscribe census")
        room.say("/timezone Asia/Baghdad")
        assert "08:00" in room.say("/digest daily 08:00").text
        room.publish("Wire", copy("Wire"))
        room.publish("Daily", copy("Daily"))
        room.publish("Times", copy("Times"))
        assert room.alerts() == []
        room.clock.set(MORNING + 30)  # 08:00 in Baghdad
        digest = api.wait_for_message(READER, lambda m: "Your daily digest</b>" in m.text)
        bot.wait_until(lambda: not bot.services.poller.pending_alerts(), what="the digest delivered")
    assert "1 story" in digest.text
    assert digest.plain.count("Iraq holds its first census in decades") == 1
    assert "also Daily, Times" in digest.plain


def test_a_later_copy_keeps_the_undo_of_a_mute(api, server, tmp_path):
    """A reader mutes a keyword from its alert; a copy of the story then edits the alert:
    the Undo the press left stays (the edit does not bring back Mute)."""
    room = Newsroom(api, server, MovableClock(MORNING), tmp_path)
    with room.running():
        room.say("/subscribe census")
        room.publish("Wire", copy("Wire"))
        api.wait_until(lambda: len(room.alerts()) == 1, what="the alert")
        alert = room.alerts()[0]
        mute = next(label for label in alert.buttons if "Mute" in label)
        api.user_presses(alert, mute)
        api.wait_until(lambda: any("Undo" in b for b in api.buttons_now(alert)), what="the Undo button")

        room.publish("Daily", copy("Daily"))
        api.wait_until(lambda: room.edits_of(alert), what="the edit that names Daily")
        edited = room.edits_of(alert)[-1]
        assert edited.plain.endswith("Also: Daily")
        buttons = api.buttons_now(alert)
        assert any("Undo" in label for label in buttons), f"the Undo is gone: {list(buttons)}"


def test_a_later_copy_does_not_bring_back_buttons_of_a_removed_subscription(api, server, tmp_path):
    """Unsubscribe from the alert, Undo, then a copy edits the alert: the buttons stay those
    of the subscription as it came back (under a new id), not those the alert was sent with."""
    room = Newsroom(api, server, MovableClock(MORNING), tmp_path)
    with room.running():
        room.say("/subscribe census")
        room.publish("Wire", copy("Wire"))
        api.wait_until(lambda: len(room.alerts()) == 1, what="the alert")
        alert = room.alerts()[0]
        unsubscribe = next(label for label in alert.buttons if "Unsubscribe" in label)
        api.user_presses(alert, unsubscribe)
        api.wait_until(lambda: any("Undo" in b for b in api.buttons_now(alert)), what="the Undo button")
        api.user_presses(alert, next(b for b in api.buttons_now(alert) if "Undo" in b))
        api.wait_until(lambda: any("Mute" in b for b in api.buttons_now(alert)), what="the buttons back")
        after_undo = api.buttons_now(alert)

        room.publish("Daily", copy("Daily"))
        api.wait_until(lambda: room.edits_of(alert), what="the edit that names Daily")
        assert api.buttons_now(alert) == after_undo


def test_a_copy_in_flight_alone_is_shown(api, server, tmp_path):
    """A copy comes while its alert is on its way (Telegram answers slowly): the alert went
    without it, so an edit names it."""
    room = Newsroom(api, server, MovableClock(MORNING), tmp_path)
    with room.running() as bot:
        room.say("/subscribe census")
        api.fail_next(Fault("sendMessage", 200, "", chat_id=READER, delay=3.0))
        room.publish("Wire", copy("Wire"))
        api.wait_until(
            lambda: any("Matched" in str(c.get("text", "")) for c in api.calls("sendMessage")),
            what="the alert on its way",
        )
        room.publish("Daily", copy("Daily"))
        api.wait_until(lambda: len(room.alerts()) == 1, what="the alert")
        bot.wait_until(lambda: not bot.services.poller.pending_alerts(), what="nothing left to send")
        alert = room.alerts()[0]
        shown = [alert.plain, *(e.plain for e in room.edits_of(alert))]
        assert "Also: Daily" in shown[-1], f"the reader sees: {shown[-1]!r}"


def test_an_alert_does_not_name_its_own_feed_as_another_source(api, server, tmp_path):
    """The chat's alert came from Daily (the Wire's copy, first, did not match the keyword);
    Daily then runs the story again under a new address. Daily is the alert's own source."""
    room = Newsroom(api, server, MovableClock(MORNING), tmp_path)
    with room.running():
        room.say("/subscribe makhmour")
        room.publish("Wire", copy("Wire"))  # the story's first copy: no Makhmour in it
        daily = copy("Daily")
        daily["description"] += " In Makhmour the count ended two days early."
        room.publish("Daily", daily)
        api.wait_until(lambda: len(room.alerts()) == 1, what="the alert from Daily")
        alert = room.alerts()[0]
        assert "Daily" in alert.plain
        again = dict(daily, guid="daily-census-updated", link="https://daily.example/census?updated=1")
        room.publish("Daily", again)
        times = copy("Times")
        times["description"] = daily["description"]
        room.publish("Times", times)  # a real other source, so an edit comes either way
        api.wait_until(lambda: any("Times" in e.plain for e in room.edits_of(alert)), what="the edit")
        shown = room.edits_of(alert)[-1].plain
        assert shown.endswith("Also: Times"), shown


def test_a_restart_after_a_busy_day_still_knows_the_story(api, server, tmp_path):
    """A restart after 1,050 other stories (more than the 1,000 recent items the /subscribe
    preview keeps) still knows the story a chat had: its next copy edits the alert."""
    room = Newsroom(api, server, MovableClock(MORNING), tmp_path)
    with room.running():
        room.say("/subscribe census")
        room.publish("Wire", copy("Wire"))
        api.wait_until(lambda: len(room.alerts()) == 1, what="the alert")
        alert = room.alerts()[0]
        for batch in range(21):  # 1,050 other stories within the hour (50 a poll, the cap)
            fresh = [
                {"title": f"Market report {batch}-{n}", "guid": f"busy-{batch}-{n}",
                 "link": f"https://courier.example/busy/{batch}/{n}"}
                for n in range(50)
            ]  # fmt: skip
            room.items["Courier"] = fresh
            server.serve("/Courier.xml", rss(fresh, title="Courier"))
            room.poll("Courier")
    with room.running():  # a restart, 21 minutes after the alert
        room.publish("Daily", copy("Daily"))
        api.wait_until(lambda: room.edits_of(alert) or len(room.alerts()) > 1, what="the edit")
        assert len(room.alerts()) == 1, [a.plain.splitlines()[0] for a in room.alerts()]
        assert room.edits_of(alert)[-1].plain.endswith("Also: Daily")


def test_a_group_that_became_a_supergroup_gets_no_edit_of_a_message_it_never_had(api, server, tmp_path):
    """The alert went to a group; the group then became a supergroup (a new chat whose
    message ids start afresh). The edit a later copy brings must not go to the supergroup
    with the group's message id: there that id is another message, possibly another alert."""
    group, supergroup, admin = -4001, -100_4001, 77
    api.make_admin(group, admin)
    room = Newsroom(api, server, MovableClock(MORNING), tmp_path)
    with room.running():
        before = api.count_to(group)
        api.user_says(group, "/subscribe census", user_id=admin, chat_type="group")
        api.wait_until(lambda: api.count_to(group) > before, what="the answer")
        room.publish("Wire", copy("Wire"))
        api.wait_until(lambda: any("Matched" in m.text for m in api.messages_to(group)), what="the alert")
        alert = next(m for m in api.messages_to(group) if "Matched" in m.text)
        api.fail_next(
            Fault(
                "editMessageText",
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                chat_id=group,
                migrate_to_chat_id=supergroup,
            )
        )
        room.publish("Daily", copy("Daily"))
        api.wait_until(lambda: api.calls("editMessageText"), what="the edit, refused: the group moved")
        room.bot.wait_until(
            lambda: not room.bot.services.poller.pending_alerts(), what="nothing left to send"
        )
        assert room.bot.services.subscriptions.in_place(supergroup), "the group moved, with its keywords"
        wrong = [
            c for c in api.calls("editMessageText")
            if int(c["chat_id"]) == supergroup and int(c["message_id"]) == alert.message_id
        ]  # fmt: skip
        assert wrong == [], "the group's message id was edited in the supergroup"

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
from tests.fakes.telegram_api import FakeBotAPI, Sent

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

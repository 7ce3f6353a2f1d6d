"""The slow-neighbour scenario of bench/polling.py: alert latency while a feed answers
after 40 s (see that script's docstring)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import feedparser
import httpx

from bench.loopback import Hosts, bot_running
from bench.replies import percentile
from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import Answer, rss
from tests.fakes.telegram_api import FakeBotAPI

READER = 3  # the chat that follows "Makhmour"
NEIGHBOUR_DELAY = 40.0  # the slow neighbour answers after this long...
FETCH_TIMEOUT = 30.0  # ...and the bot (and the naive cycles) give up after this long
NAIVE_AGENT = "naive-poller"
FILLER = "census oil prices Erbil council water election border"


@dataclass(frozen=True)
class Neighbourhood:
    """The feeds, their hosts, and the news."""

    feeds: int = 30
    per_host: int = 10
    slow: int = 2  # feeds that answer after NEIGHBOUR_DELAY
    slow_together: bool = False  # the slow feeds on one host (else each on a host of its own)
    interval: int = 10  # every feed's poll interval
    publish_seconds: float = 120.0
    publish_every: float = 3.0  # on average

    def slow_feeds(self) -> list[int]:
        if self.slow_together:
            return list(range(self.slow))
        return [host * self.per_host for host in range(self.slow)]

    def describe(self) -> str:
        where = "all on one host" if self.slow_together else "each on a different host"
        hosts = (self.feeds + self.per_host - 1) // self.per_host
        return (
            f"{self.feeds} feeds on {hosts} hosts, {self.slow} of "
            f"them ({where}) answering after {NEIGHBOUR_DELAY:.0f} s with a {FETCH_TIMEOUT:.0f} s fetch "
            f"timeout; every feed polled every {self.interval} s; a story every {self.publish_every:g} s "
            f"on average for {self.publish_seconds:g} s"
        )

    def good_feeds(self) -> list[int]:
        return [feed for feed in range(self.feeds) if feed not in self.slow_feeds()]


@dataclass(frozen=True)
class Alerts:
    latencies: Sequence[float]  # seconds, sorted: one per story that arrived
    published: int
    slow_tries: int  # requests to the slow feeds during the measurement


class Newsroom:
    """The good feeds' stories: each starts with 20 that match nobody; publishing puts a
    new "Makhmour" story at the top of a feed (a real feed keeps its latest 20)."""

    def __init__(self, hosts: Hosts, town: Neighbourhood) -> None:
        self.hosts = hosts
        self.published: dict[str, float] = {}  # story id -> when it was published (monotonic)
        now = time.time()
        self.items = {
            feed: [self.story(f"Feed {feed} routine report {n}", f"{feed}-old-{n}", now - 3600 * (n + 1))
                   for n in range(20)]
            for feed in town.good_feeds()
        }  # fmt: skip
        self.versions = dict.fromkeys(self.items, 0)
        for feed in self.items:
            self.serve(feed)
        for feed in town.slow_feeds():
            hosts.serve(feed, Answer(rss(self.items[town.good_feeds()[0]]), delay=NEIGHBOUR_DELAY))

    @staticmethod
    def story(title: str, guid: str, when: float) -> dict[str, str]:
        return {
            "title": title,
            "guid": guid,
            "link": f"https://news.example/{guid}",
            "description": f"{title}. " + FILLER,
            "pubDate": formatdate(when, usegmt=True),
        }

    def serve(self, feed: int) -> None:
        self.versions[feed] += 1
        headers = {"Content-Type": "application/rss+xml", "ETag": f'"{feed}-{self.versions[feed]}"'}
        self.hosts.serve(feed, Answer(rss(self.items[feed], title=f"Feed {feed}"), headers=headers))

    def publish(self, feed: int) -> None:
        number = len(self.published)
        guid = f"dispatch-{number:04d}"
        story = self.story(f"Makhmour dispatch {number:04d}", guid, time.time())
        self.items[feed] = [story, *self.items[feed][:19]]
        self.published[guid] = time.monotonic()  # from now on a poll may find it
        self.serve(feed)

    def run(self, town: Neighbourhood, stop: threading.Event, rng: random.Random) -> None:
        """Publish on random good feeds for town.publish_seconds, a story every few seconds."""
        ends = time.monotonic() + town.publish_seconds
        while not stop.is_set() and time.monotonic() < ends:
            self.publish(rng.choice(town.good_feeds()))
            stop.wait(rng.uniform(0.5, 1.5) * town.publish_every)


async def naive_cycles(urls: list[str], interval: float, seen: Callable[[str, float], None]) -> None:
    """The cycle model: every *interval*, fetch all the feeds together (each with the fetch
    timeout); the next cycle starts at the first tick after the whole batch has ended."""

    async def poll(client: httpx.AsyncClient, url: str) -> None:
        try:
            async with asyncio.timeout(FETCH_TIMEOUT):
                response = await client.get(url)
        except (TimeoutError, httpx.HTTPError):
            return
        for entry in feedparser.parse(io.BytesIO(response.content)).entries:
            seen(entry.get("id", ""), time.monotonic())

    started = time.monotonic()
    async with httpx.AsyncClient(headers={"User-Agent": NAIVE_AGENT}, timeout=None) as client:
        while True:
            await asyncio.gather(*(poll(client, url) for url in urls))
            ticks = int((time.monotonic() - started) // interval) + 1
            await asyncio.sleep(started + ticks * interval - time.monotonic())


def run_naive_cycles(
    urls: list[str], interval: float, seen: Callable[[str, float], None], stop: threading.Event
) -> None:
    """:func:`naive_cycles` on an event loop of its own, until *stop*."""

    async def main() -> None:
        cycles = asyncio.create_task(naive_cycles(urls, interval, seen))
        while not stop.is_set():
            await asyncio.sleep(0.1)
        cycles.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await cycles

    asyncio.run(main())


def measure(town: Neighbourhood, naive: bool) -> tuple[Alerts, Alerts | None]:
    """Run the bot (and the naive cycles, against the same servers at the same time)
    while the news is published; the alerts of each."""
    rng = random.Random(11)
    with (
        tempfile.TemporaryDirectory() as work,
        Hosts(town.feeds, town.per_host) as hosts,
        FakeBotAPI() as api,
    ):
        newsroom = Newsroom(hosts, town)
        feeds_file = write_feeds_file(
            Path(work) / "feeds.toml", {f"Feed {n}": hosts.url(n) for n in range(town.feeds)}
        )
        # Every story is timed as an alert: the flood guard (10 an hour, then a digest) is off.
        env = {"NEWSBOT_FETCH_TIMEOUT_SECONDS": str(int(FETCH_TIMEOUT)), "NEWSBOT_FLOOD_ALERTS_PER_HOUR": "0"}
        bot = BotProcess(api, data_dir=Path(work) / "data", feeds_file=feeds_file,
                         poll_seconds=town.interval, extra_env=env)  # fmt: skip
        naive_seen: dict[str, float] = {}

        def naive_saw(guid: str, at: float) -> None:
            if guid in newsroom.published:
                naive_seen.setdefault(guid, at)

        stop = threading.Event()
        with bot_running(bot, Path(work) / "bot.log"):
            api.user_says(READER, "/subscribe Makhmour")
            api.wait_for_message(READER, lambda m: "Subscribed" in m.text, timeout=60)
            for feed in town.good_feeds():  # the bot knows every good feed before the news starts
                hosts.server(feed).wait_for_hits(hosts.path(feed), 2, timeout=120)
            measured = time.monotonic()
            threads = [threading.Thread(target=newsroom.run, args=(town, stop, rng), daemon=True)]
            if naive:
                urls = [hosts.url(n) for n in range(town.feeds)]
                cycles = (urls, town.interval, naive_saw, stop)
                threads.append(threading.Thread(target=run_naive_cycles, args=cycles, daemon=True))
            for thread in threads:
                thread.start()
            threads[0].join()  # the news is over; wait for the last stories to arrive
            deadline = time.monotonic() + town.interval + FETCH_TIMEOUT + 15
            while time.monotonic() < deadline and (
                len(alerted(api, newsroom)) < len(newsroom.published)
                or (naive and len(naive_seen) < len(newsroom.published))
            ):
                stop.wait(0.2)
            stop.set()
            for thread in threads[1:]:
                thread.join(timeout=15)
        requests = hosts.requests_since(measured)
    slow_paths = {hosts.path(feed) for feed in town.slow_feeds()}

    def tries(agent: Callable[[str], bool]) -> int:
        return sum(1 for _, path, user_agent in requests if path in slow_paths and agent(user_agent))

    published = newsroom.published
    bot_alerts = Alerts(
        latencies=sorted(at - published[guid] for guid, at in alerted(api, newsroom).items()),
        published=len(published),
        slow_tries=tries(lambda agent: agent.startswith("newsbot")),
    )
    naive_alerts = Alerts(
        latencies=sorted(at - published[guid] for guid, at in naive_seen.items()),
        published=len(published),
        slow_tries=tries(lambda agent: agent == NAIVE_AGENT),
    )
    return bot_alerts, naive_alerts if naive else None


def alerted(api: FakeBotAPI, newsroom: Newsroom) -> dict[str, float]:
    """Story id -> when its alert reached the fake Bot API."""
    found: dict[str, float] = {}
    for message in api.messages_to(READER):
        number = re.search(r"dispatch (\d{4})", message.text)
        if number:
            guid = f"dispatch-{number.group(1)}"
            if guid in newsroom.published:
                found.setdefault(guid, message.at)
    return found


def print_table(town: Neighbourhood, naive: bool) -> None:
    target = town.interval + 5
    print(f"Slow neighbour: {town.describe()}\n")
    print("| poller | alerts | latency p50 (s) | latency p95 (s) | latency max (s) | goal: p95 ≤ (s) "
          "| goal met | tries of the slow feeds |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    bot, baseline = measure(town, naive)
    for name, run in (("newsbot", bot), ("naive cycles", baseline)):
        if run is None:
            continue
        p50, p95, most = (percentile(run.latencies, q) for q in (0.5, 0.95, 1.0))
        complete = len(run.latencies) == run.published
        met = "yes" if complete and p95 <= target else "no"
        print(
            f"| {name} | {len(run.latencies)} of {run.published} | {p50:.1f} | {p95:.1f} | {most:.1f} "
            f"| {target} | {met} | {run.slow_tries} |",
            flush=True,
        )
    print()

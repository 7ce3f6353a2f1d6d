"""Benchmark: one poll cycle over 500 feeds served from 127.0.0.1, while a user asks for /list.

    python bench/polling.py                      # about a minute and a half
    python bench/polling.py --feeds 200

The bot runs as its own process (``python -m bot``) against the tests' fake Bot API and a
local feed server. Its first cycle learns the feeds (and their ETags); the second one is
timed. Two scenarios:

- **mixed**: 60% of the feeds are unchanged and answer 304 to the bot's validators, 30%
  are fresh 100-item feeds with new items every cycle, 5% answer after 2 seconds, 3% fail
  with HTTP 500 and 2% send 6 MB bodies (over the 5 MB limit);
- **all 304**: every feed answers 304.

Reported: the cycle's wall time (from the bot's own log), the CPU time spent parsing, and
the latency of /list replies sent every 100 ms while the cycle runs.

The naive baseline, in the same run, is the simplest poller one would write: each feed in
turn, downloaded in full (no validators, no size limit) and parsed with feedparser on the
event loop. Its reply latency is how late a 100 ms timer on that event loop fires while
it polls (a command arriving then would wait as long).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import httpx  # noqa: E402

from bench.replies import ask_repeatedly  # noqa: E402
from tests.e2e.harness import BotProcess, write_feeds_file  # noqa: E402
from tests.fakes.feed_server import Answer, FeedServer, rss  # noqa: E402
from tests.fakes.telegram_api import FakeBotAPI  # noqa: E402

ASKER = 2
ITEMS_PER_FEED = 100
FEEDS_PER_HOST = 10  # feeds are spread over loopback addresses 127.0.0.2, 127.0.0.3, ...
SLOW_SECONDS = 2.0
OVERSIZED_BYTES = 6_000_000
SUMMARY = re.compile(r"poll cycle: (.*?); ([\d.]+) s, of which ([\d.]+) s CPU parsing")


@dataclass
class Cycle:
    seconds: float
    parse_cpu: float
    outcome: str
    reply_p50_ms: float
    reply_p95_ms: float
    reply_max_ms: float
    replies: int


def feed_body(feed: int, cycle: int) -> bytes:
    words = ["census", "oil", "prices", "Erbil", "Makhmour", "council", "water", "election", "border", "camp"]
    items = [
        {
            "title": f"Story {cycle}-{n} of feed {feed}: {words[n % len(words)]} news",
            "link": f"https://news{feed}.example/{cycle}/{n}",
            "guid": f"{feed}-{cycle}-{n}",
            "description": "<p>" + " ".join(words[(n + k) % len(words)] for k in range(60)) + "</p>",
            "pubDate": "Wed, 25 Nov 2026 10:00:00 GMT",
        }
        for n in range(ITEMS_PER_FEED)
    ]
    return rss(items, title=f"Feed {feed}")


def kinds(feeds: int, scenario: str) -> list[str]:
    if scenario == "all 304":
        return ["unchanged"] * feeds
    shares = [("unchanged", 0.60), ("fresh", 0.30), ("slow", 0.05), ("failing", 0.03), ("oversized", 0.02)]
    result: list[str] = []
    for kind, share in shares:
        result += [kind] * round(feeds * share)
    result = (result + ["unchanged"] * feeds)[:feeds]
    random.Random(7).shuffle(result)  # slow and failing feeds spread over the hosts, as in life
    return result


class Hosts:
    """Feed servers on several loopback addresses, each serving FEEDS_PER_HOST feeds."""

    def __init__(self, feeds: int) -> None:
        self.servers = [
            FeedServer(f"127.0.0.{2 + n}") for n in range((feeds + FEEDS_PER_HOST - 1) // FEEDS_PER_HOST)
        ]

    def __enter__(self) -> Hosts:
        for server in self.servers:
            server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.__exit__(*exc)

    def server(self, feed: int) -> FeedServer:
        return self.servers[feed // FEEDS_PER_HOST]

    def url(self, feed: int) -> str:
        return self.server(feed).url(f"/feed{feed}.xml")


def serve(hosts: Hosts, feed_kinds: list[str], cycle: int) -> None:
    for feed, kind in enumerate(feed_kinds):
        server = hosts.server(feed)
        path = f"/feed{feed}.xml"
        if kind == "unchanged":
            headers = {"Content-Type": "application/rss+xml", "ETag": f'"feed{feed}"'}
            server.serve(path, Answer(feed_body(feed, 0), headers=headers))
        elif kind == "fresh":
            server.serve(path, feed_body(feed, cycle))
        elif kind == "slow":
            server.serve(path, Answer(feed_body(feed, 0), delay=SLOW_SECONDS))
        elif kind == "failing":
            server.serve(path, Answer(b"oops", status=500, headers={}))
        else:
            server.serve(path, Answer(b"<rss>" + b" " * OVERSIZED_BYTES + b"</rss>"))


def wait_for_summaries(log: Path, count: int, timeout: float) -> list[tuple[float, re.Match[str]]]:
    """Poll the bot's log until it has *count* cycle summaries; note when each was seen."""
    deadline = time.monotonic() + timeout
    seen: list[tuple[float, re.Match[str]]] = []
    while time.monotonic() < deadline:
        found = list(SUMMARY.finditer(log.read_text(errors="replace")))
        while len(seen) < len(found):
            seen.append((time.monotonic(), found[len(seen)]))
        if len(seen) >= count:
            return seen
        threading.Event().wait(0.02)  # the bench's clock, not a synchronisation
    raise AssertionError(f"the bot logged {len(seen)} poll cycles in {timeout} s:\n{log.read_text()[-2000:]}")


def run_bot(feeds: int, scenario: str, poll_seconds: int, concurrency: int | None = None) -> Cycle:
    feed_kinds = kinds(feeds, scenario)
    with tempfile.TemporaryDirectory() as work, Hosts(feeds) as hosts, FakeBotAPI() as api:
        serve(hosts, feed_kinds, cycle=1)
        feeds_file = write_feeds_file(
            Path(work) / "feeds.toml", {f"Feed {n}": hosts.url(n) for n in range(feeds)}
        )
        env = {"NEWSBOT_FETCH_TIMEOUT_SECONDS": "10"}
        if concurrency:
            env["NEWSBOT_FETCH_CONCURRENCY"] = str(concurrency)
        bot = BotProcess(api, data_dir=Path(work) / "data", feeds_file=feeds_file,
                         poll_seconds=poll_seconds, extra_env=env)  # fmt: skip
        log = Path(work) / "bot.log"
        with log.open("w") as stderr:
            process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=bot.cwd, env=bot.env, stderr=stderr)
            try:
                wait_for_summaries(log, 1, timeout=120)
                serve(hosts, feed_kinds, cycle=2)  # fresh feeds get new items
                latencies: list[tuple[float, float]] = []
                stop = threading.Event()
                asker = threading.Thread(
                    target=ask_repeatedly, args=(api, ASKER, 0.1, stop, latencies), daemon=True
                )
                asker.start()
                seen_at, summary = wait_for_summaries(log, 2, timeout=poll_seconds + 120)[1]
                stop.set()
                asker.join(timeout=15)
            finally:
                process.terminate()
                process.wait(timeout=30)
    seconds, parse_cpu = float(summary.group(2)), float(summary.group(3))
    started = seen_at - seconds
    during = sorted(latency for asked, latency in latencies if started <= asked <= seen_at)
    return Cycle(
        seconds=seconds,
        parse_cpu=parse_cpu,
        outcome=summary.group(1).split(";")[0],
        reply_p50_ms=statistics.median(during) * 1000 if during else float("nan"),
        reply_p95_ms=during[int(0.95 * (len(during) - 1))] * 1000 if during else float("nan"),
        reply_max_ms=during[-1] * 1000 if during else float("nan"),
        replies=len(during),
    )


async def naive_cycle(urls: list[str]) -> tuple[float, float, list[float]]:
    """Each feed in turn, downloaded in full and parsed on the event loop."""
    stalls: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        # A command every 100 ms, like the bot's /list asker: how late the loop gets to it.
        while not done.is_set():
            planned = time.monotonic() + 0.1
            await asyncio.sleep(0.1)
            stalls.append(time.monotonic() - planned)

    ticking = asyncio.create_task(ticker())
    parse_cpu = 0.0
    started = time.monotonic()
    async with httpx.AsyncClient(follow_redirects=True, timeout=30) as client:
        for url in urls:
            try:
                response = await client.get(url)
            except httpx.HTTPError:
                continue
            cpu = time.process_time()
            feedparser.parse(io.BytesIO(response.content))
            parse_cpu += time.process_time() - cpu
    seconds = time.monotonic() - started
    done.set()
    await ticking
    return seconds, parse_cpu, stalls


def run_naive(feeds: int, scenario: str) -> Cycle:
    feed_kinds = kinds(feeds, scenario)
    with Hosts(feeds) as hosts:
        serve(hosts, feed_kinds, cycle=2)
        seconds, parse_cpu, stalls = asyncio.run(naive_cycle([hosts.url(n) for n in range(feeds)]))
    ordered = sorted(stalls)
    return Cycle(
        seconds=seconds,
        parse_cpu=parse_cpu,
        outcome="every feed downloaded and parsed",
        reply_p50_ms=statistics.median(ordered) * 1000,
        reply_p95_ms=ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        reply_max_ms=ordered[-1] * 1000,
        replies=len(ordered),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--poll-seconds", type=int, default=30, help="the bot's interval between cycles")
    parser.add_argument("--concurrency", type=int, help="the bot's fetch_concurrency (default: its default)")
    parser.add_argument("--scenarios", default="mixed,all 304")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline (it takes minutes)")
    args = parser.parse_args()
    print(
        f"{args.feeds} feeds of {ITEMS_PER_FEED} items, {FEEDS_PER_HOST} per loopback address; "
        "the bot's default concurrency (8 feeds at a time, 2 per host)\n"
    )
    print("| scenario | poller | cycle (s) | parsing CPU (s) | reply p50 (ms) | reply p95 (ms) "
          "| reply max (ms) | naive cycle ÷ bot cycle | what the bot's cycle did |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for scenario in args.scenarios.split(","):
        bot = run_bot(args.feeds, scenario, args.poll_seconds, args.concurrency)
        naive = None if args.no_naive else run_naive(args.feeds, scenario)
        for name, cycle in (("newsbot", bot), ("naive", naive)):
            if cycle is None:
                continue
            ratio = f"{naive.seconds / bot.seconds:.1f}×" if name == "newsbot" and naive else ""
            print(
                f"| {scenario} | {name} | {cycle.seconds:.1f} | {cycle.parse_cpu:.1f} "
                f"| {cycle.reply_p50_ms:.0f} | {cycle.reply_p95_ms:.0f} | {cycle.reply_max_ms:.0f} | {ratio} "
                f"| {cycle.outcome if name == 'newsbot' else ''} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Benchmark: polling 500 feeds, and alerts on time beside a slow neighbour.

    python bench/polling.py                  # about five minutes
    python bench/polling.py --quick          # under two minutes: 100 feeds, a short slow-neighbour run
    python bench/polling.py --scenarios "slow neighbour" --publish-seconds 300

The bot runs as its own process (``python -m bot``) against the tests' fake Bot API and
feed servers on loopback addresses (127.0.0.2, 127.0.0.3, ...), so its per-host limit
works as it would on the internet. Each scenario also runs a naive baseline in the same
run.

**A round over every feed** (scenarios "mixed" and "all 304"). The bot runs once to
learn the feeds (their items and ETags) and is stopped; the fresh feeds then get new
items and the bot is started again. Every feed is due at start, so its first polls are
one round over all the feeds with their validators known. The round runs from the first
request a feed server receives to the bot's first report line ("polls in the last ...");
the CPU time spent parsing and what the polls did are read from that line. Meanwhile a
chat sends /list every 100 ms; the reply columns are the time to each answer asked during
the round.

- mixed: 60% of the feeds are unchanged and answer 304 to the bot's validators, 30% are
  fresh 100-item feeds with 100 new items, 5% answer after 2 seconds, 3% fail with HTTP
  500 and 2% send 6 MB bodies (over the 5 MB limit);
- all 304: every feed answers 304.

The naive baseline is the simplest poller one would write: each feed in turn, downloaded
in full (no validators, no size limit) and parsed with feedparser on the event loop. Its
reply latency is how late a 100 ms timer on that event loop fires while it polls (a
command arriving then would wait as long).

**Slow neighbour** (scenario "slow neighbour"). 30 feeds on 3 hosts; by default one feed
on each of two hosts answers after 40 s, so each of its polls times out at the fetch
timeout (30 s). Every feed is polled every --interval seconds (``poll_seconds`` and
``poll_max_seconds`` both set to it). A chat follows "Makhmour"; once the bot has polled every good feed
twice, a new matching story is published on a random good feed every few seconds for
--publish-seconds. Each alert's latency runs from the story's publication to the fake Bot
API receiving the alert; the goal is the interval plus 5 s at the 95th percentile.

The naive baseline polls the same servers at the same time, as the bot did before each
feed had its own schedule: a cycle every interval fetches all the feeds concurrently (30 s
timeout each) and the next cycle starts at the first interval tick after the whole batch
has ended (a repeating job that does not overlap itself). Its latency is when it first
saw each story, after that feed's fetch and parse: it sends nothing, which favours it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import httpx  # noqa: E402

from bench import slow_neighbour  # noqa: E402
from bench.loopback import FEEDS_PER_HOST, Hosts, bot_running, wait_for_report  # noqa: E402
from bench.replies import UNPACED_ASKER, ask_repeatedly, percentile  # noqa: E402
from tests.e2e.harness import BotProcess, write_feeds_file  # noqa: E402
from tests.fakes.feed_server import Answer, rss  # noqa: E402
from tests.fakes.telegram_api import FakeBotAPI  # noqa: E402

SCENARIOS = ("mixed", "all 304", "slow neighbour")
ASKER = 2  # the chat that keeps sending /list
ITEMS_PER_FEED = 100
SLOW_SECONDS = 2.0
OVERSIZED_BYTES = 6_000_000
ROUND_POLL_SECONDS = 3600  # long enough that each bot run polls every feed once
WORDS = ["census", "oil", "prices", "Erbil", "Makhmour", "council", "water", "election", "border", "camp"]


def load() -> str:
    """The machine's load averages over 1, 5 and 15 minutes (the bench shares two cores)."""
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# --- a round over every feed ------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    seconds: float
    parse_cpu: float
    outcome: str
    replies: Sequence[float]  # seconds, sorted


def feed_body(feed: int, version: int) -> bytes:
    items = [
        {
            "title": f"Story {version}-{n} of feed {feed}: {WORDS[n % len(WORDS)]} news",
            "link": f"https://news{feed}.example/{version}/{n}",
            "guid": f"{feed}-{version}-{n}",
            "description": "<p>" + " ".join(WORDS[(n + k) % len(WORDS)] for k in range(60)) + "</p>",
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


def serve_round(hosts: Hosts, feed_kinds: list[str], version: int) -> None:
    """What each feed answers; the fresh feeds' items change with *version*."""
    for feed, kind in enumerate(feed_kinds):
        if kind == "unchanged":
            headers = {"Content-Type": "application/rss+xml", "ETag": f'"feed{feed}"'}
            hosts.serve(feed, Answer(feed_body(feed, 0), headers=headers))
        elif kind == "fresh":
            hosts.serve(feed, feed_body(feed, version))
        elif kind == "slow":
            hosts.serve(feed, Answer(feed_body(feed, 0), delay=SLOW_SECONDS))
        elif kind == "failing":
            hosts.serve(feed, Answer(b"oops", status=500, headers={}))
        else:
            hosts.serve(feed, Answer(b"<rss>" + b" " * OVERSIZED_BYTES + b"</rss>"))


def bot_round(feeds: int, scenario: str, concurrency: int | None) -> Round:
    feed_kinds = kinds(feeds, scenario)
    with tempfile.TemporaryDirectory() as work, Hosts(feeds) as hosts, FakeBotAPI() as api:
        serve_round(hosts, feed_kinds, version=1)
        feeds_file = write_feeds_file(
            Path(work) / "feeds.toml", {f"Feed {n}": hosts.url(n) for n in range(feeds)}
        )
        env = {"NEWSBOT_FETCH_TIMEOUT_SECONDS": "10", **UNPACED_ASKER}
        if concurrency:
            env["NEWSBOT_FETCH_CONCURRENCY"] = str(concurrency)
        bot = BotProcess(api, data_dir=Path(work) / "data", feeds_file=feeds_file,
                         poll_seconds=ROUND_POLL_SECONDS, extra_env=env)  # fmt: skip
        with bot_running(bot, Path(work) / "learn.log") as process:  # learns every feed, then stops
            wait_for_report(Path(work) / "learn.log", timeout=300)
        if process.returncode != 0:
            raise AssertionError(
                f"the bot stopped with {process.returncode}: {(Path(work) / 'learn.log').read_text()[-3000:]}"
            )
        serve_round(hosts, feed_kinds, version=2)  # the fresh feeds get new items
        log = Path(work) / "round.log"
        latencies: list[tuple[float, float]] = []
        stop = threading.Event()
        asker = threading.Thread(target=ask_repeatedly, args=(api, ASKER, 0.1, stop, latencies), daemon=True)
        restarted = time.monotonic()
        with bot_running(bot, log):
            asker.start()
            ended, report = wait_for_report(log, timeout=300)
            stop.set()
            asker.join(timeout=15)
        started = hosts.requests_since(restarted)[0][0]
    return Round(
        seconds=ended - started,
        parse_cpu=float(report.group(3)),
        outcome=report.group(2).split(";")[0],
        replies=sorted(latency for asked, latency in latencies if started <= asked <= ended),
    )


async def naive_round(urls: list[str]) -> tuple[float, float, list[float]]:
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


def naive_round_run(feeds: int, scenario: str) -> Round:
    with Hosts(feeds) as hosts:
        serve_round(hosts, kinds(feeds, scenario), version=2)
        seconds, parse_cpu, stalls = asyncio.run(naive_round([hosts.url(n) for n in range(feeds)]))
    return Round(seconds, parse_cpu, "every feed downloaded and parsed", sorted(stalls))


def print_rounds(feeds: int, concurrency: int | None, scenarios: list[str], *, naive: bool) -> None:
    fetching = (
        f"fetch_concurrency {concurrency}"
        if concurrency
        else "the bot's default concurrency (8 feeds at a time, 2 per host)"
    )
    print(f"A round over {feeds} feeds of {ITEMS_PER_FEED} items, {FEEDS_PER_HOST} per loopback "
          f"address; {fetching}\n")  # fmt: skip
    print("| scenario | poller | round (s) | parsing CPU (s) | reply p50 (ms) | reply p95 (ms) "
          "| reply max (ms) | naive round ÷ bot round | what the bot's round did |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for scenario in scenarios:
        bot = bot_round(feeds, scenario, concurrency)
        baseline = naive_round_run(feeds, scenario) if naive else None
        for name, run in (("newsbot", bot), ("naive", baseline)):
            if run is None:
                continue
            ratio = f"{baseline.seconds / bot.seconds:.1f}×" if name == "newsbot" and baseline else ""
            replies = [percentile(run.replies, q) * 1000 for q in (0.5, 0.95, 1.0)]
            print(
                f"| {scenario} | {name} | {run.seconds:.1f} | {run.parse_cpu:.1f} "
                + "".join(f"| {ms:.0f} " for ms in replies)
                + f"| {ratio} | {run.outcome if name == 'newsbot' else ''} |",
                flush=True,
            )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="100 feeds in a round, 30 s of news beside the slow neighbour"
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated, of: {', '.join(SCENARIOS)} (default: all)")  # fmt: skip
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baselines")
    rounds = parser.add_argument_group("a round over every feed")
    rounds.add_argument("--feeds", type=int, help="feeds in a round (default 500; --quick: 100)")
    rounds.add_argument("--concurrency", type=int, help="the bot's fetch_concurrency (default: its default)")
    town = parser.add_argument_group("slow neighbour")
    town.add_argument("--interval", type=int, default=10, help="every feed's poll interval, s (default 10)")
    town.add_argument("--slow-feeds", type=int, default=2, help="feeds answering after 40 s (default 2)")
    town.add_argument("--slow-together", action="store_true",
                      help="put the slow feeds on one host (default: each on a different host)")  # fmt: skip
    town.add_argument("--publish-seconds", type=float,
                      help="how long stories are published, s (default 120; --quick: 30)")  # fmt: skip
    town.add_argument("--publish-every", type=float, default=3.0,
                      help="seconds between two stories, on average (default 3)")  # fmt: skip
    args = parser.parse_args()
    scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if not 1 <= args.slow_feeds <= 10:
        parser.error("--slow-feeds: from 1 to 10")
    print(f"load average (1, 5, 15 min) before: {load()}\n")
    round_scenarios = [name for name in scenarios if name != "slow neighbour"]
    if round_scenarios:
        print_rounds(args.feeds or (100 if args.quick else 500), args.concurrency, round_scenarios,
                     naive=not args.no_naive)  # fmt: skip
    if "slow neighbour" in scenarios:
        neighbourhood = slow_neighbour.Neighbourhood(
            feeds=30 if args.slow_together else 10 * max(3, args.slow_feeds),  # 10 a host
            slow=args.slow_feeds,
            slow_together=args.slow_together,
            interval=args.interval,
            publish_seconds=args.publish_seconds or (30.0 if args.quick else 120.0),
            publish_every=args.publish_every,
        )
        slow_neighbour.print_table(neighbourhood, naive=not args.no_naive)
    print(f"load average (1, 5, 15 min) after: {load()}")


if __name__ == "__main__":
    main()

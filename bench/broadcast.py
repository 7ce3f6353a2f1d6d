"""Benchmark: an announcement to 10,000 chats, paced, while a user keeps asking for /list.

    python bench/broadcast.py                     # three limits (about three minutes)
    python bench/broadcast.py --chats 2000 --window 10

The bot runs as its own process (``python -m bot``) against the tests' fake Bot API on
127.0.0.1, with 10,000 chats in its database. An admin broadcasts and presses Send; while
it goes out, another chat sends /list every quarter second. Reported for each overall rate
limit: messages per second achieved after the first second (whose burst the limit allows),
over a window at 30/s and over the rest of the broadcast at higher limits, and as a share of
the limit; the bot's peak memory (VmHWM); the latency of the /list replies. At 10,000/s the
limit is out of the bot's reach, and the rate is the bot's own. Every message the bot sends
counts against the limit, the /list replies as well as the announcements. The naive
baseline is a bare loop of PTB send_message calls in its own process (no outbox, no
journal, no pacing) against a fake server of its own, measured right before and right
after each row, and the ratio taken to their mean (the bot and the baseline share the
machine with whatever else runs on it, whose load drifts).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.replies import UNPACED_ASKER, ask_repeatedly, wait_quietly  # noqa: E402
from bot.adapters.storage.database import Database  # noqa: E402
from tests.e2e.harness import BotProcess, write_feeds_file  # noqa: E402
from tests.fakes.telegram_api import FakeBotAPI  # noqa: E402

ADMIN = 1
ASKER = 2  # the chat that keeps sending /list
MARKER = "<b>Announcement</b>"


@dataclass
class Result:
    limit: int
    chats: int
    timed: int
    rate: float
    peak_mb: float
    list_p50_ms: float
    list_p95_ms: float


def seed(data_dir: Path, chats: int) -> None:
    store = Database.open(data_dir)
    with store.documents.unit():
        for chat in range(1, chats + 1):
            store.chats.register_chat(chat, "private", f"user {chat}")
    store.close()


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def naive_send(base_url: str, token: str, chats: int) -> float:
    from telegram import Bot

    async with Bot(token, base_url=base_url) as bot:
        started = time.monotonic()
        for chat in range(1, chats + 1):
            await bot.send_message(chat, f"{MARKER}\n\nhello", parse_mode="HTML")
        return chats / (time.monotonic() - started)


def naive_rate(chats: int) -> float:
    """The bare PTB loop, in a process of its own like the bot, against a fresh fake."""
    import subprocess

    with FakeBotAPI() as api:
        code = (
            f"import asyncio, sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from bench.broadcast import naive_send; "
            f"print(asyncio.run(naive_send({api.base_url!r}, {api.token!r}, {chats})))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])


def run(limit: int, chats: int, window: float) -> Result:
    with tempfile.TemporaryDirectory() as work:
        data_dir = Path(work) / "data"
        seed(data_dir, chats)
        feeds_file = write_feeds_file(Path(work) / "feeds.toml", {})
        with FakeBotAPI() as api:
            env = {"NEWSBOT_RATE_PER_SECOND": str(limit), "NEWSBOT_LOG_LEVEL": "WARNING", **UNPACED_ASKER}
            bot = BotProcess(api, data_dir=data_dir, feeds_file=feeds_file, admins=str(ADMIN),
                             poll_seconds=3600, extra_env=env).start()  # fmt: skip
            api.wait_until(lambda: bool(api.calls("getUpdates")), timeout=30, what="the bot to start")
            api.user_says(ADMIN, "/broadcast Maintenance tonight")
            preview = api.wait_for_message(ADMIN, lambda m: "Preview" in m.text)
            latencies: list[tuple[float, float]] = []
            stop = threading.Event()
            asker = threading.Thread(
                target=ask_repeatedly, args=(api, ASKER, 0.25, stop, latencies), daemon=True
            )
            before = api.sent_count
            api.user_presses(preview, f"Send to {chats:,} chats")
            api.wait_until(lambda: api.sent_count > before + 1, timeout=30, what="the first announcements")
            asker.start()
            started = time.monotonic()
            if limit * window < chats:  # time a window, after the first second's burst
                threading.Event().wait(1 + window + 0.5)  # the bench's clock, not a synchronisation
            else:  # time the whole broadcast
                expected = before + chats + 1  # the announcements and the author's report
                wait_quietly(lambda: api.sent_count >= expected, timeout=chats / limit * 5 + 60, what="all")
            # Every message the bot sent counts against the limit: announcements and replies.
            times = [m.at for m in api.sent[before + 1 :]]
            end = started + 1 + window if limit * window < chats else float("inf")
            times = [t for t in times if started + 1 <= t <= end]
            stop.set()
            asker.join(timeout=15)
            peak = peak_memory_mb(bot.process.pid)  # type: ignore[union-attr]
            bot.stop()
    rate = (len(times) - 1) / (times[-1] - times[0])
    ordered = sorted(latency for _, latency in latencies)
    return Result(
        limit=limit,
        chats=chats,
        timed=len(times),
        rate=rate,
        peak_mb=peak,
        list_p50_ms=statistics.median(ordered) * 1000,
        list_p95_ms=ordered[int(0.95 * (len(ordered) - 1))] * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--limits", default="30,1000,10000")
    parser.add_argument("--window", type=float, default=20.0, help="seconds timed at a low limit")
    args = parser.parse_args()
    loads = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"{args.chats:,} chats; load average (1, 5, 15 min) before: {loads}\n")
    print("| limit (msg/s) | messages timed | achieved msg/s | share of limit | naive msg/s | vs naive "
          "| bot peak memory (MB) | /list p50 (ms) | /list p95 (ms) |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for limit in (int(x) for x in args.limits.split(",")):
        before = naive_rate(args.chats)
        result = run(limit, args.chats, args.window)
        naive = (before + naive_rate(args.chats)) / 2
        print(
            f"| {limit:,} | {result.timed:,} | {result.rate:,.1f} | {result.rate / limit:.2f} "
            f"| {naive:,.0f} | {result.rate / naive:.2f} | {result.peak_mb:.0f} "
            f"| {result.list_p50_ms:.0f} | {result.list_p95_ms:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""Benchmark: the store at 1,000 / 10,000 / 50,000 / 100,000 chats, beside plain TinyDB.

    pip install -e '.[bench]'
    python bench/storage.py            # every size
    python bench/storage.py --quick    # 1,000 and 50,000 chats only, shorter phases
    python bench/storage.py --sizes 10000

Each database holds its chats with two subscriptions each (keywords as this bot's readers
write them: see bench/storage_load.py) and is written straight to its file (not through
the store's writes). For each size, newsbot's store and a naive baseline, plain TinyDB
whose every write replaces the whole file atomically (bench/storage_subjects.py), each run
in a fresh process of their own, which measures:

* open: the time to open the database (after the imports), then the time to build what
  the bot builds on it at start (the services, with the matcher index of every
  subscription; for plain TinyDB the same index), and the resident memory (RSS) of the
  process holding both;
* /subscribe: one subscription added to a chat of the database, timed until it is durable
  (the store's write alone), then new chat: a chat registered, until durable. Writes follow
  each other a few milliseconds apart; each phase stops after its time budget (at least 5
  writes), so a slow store is measured on fewer writes: the table gives how many;
* /list under load: 20 new chats a second send their first /subscribe (one or two keywords:
  the chat's language, the chat registered, the subscription, durable) while 10 chats of
  the database a second send /list. A /list is answered through the services as
  bot/service/assembly.py builds them, without Telegram; its time runs from when it was
  sent to when its reply is ready, so time spent waiting for the event loop counts. The
  table also gives how many of the new chats a second were served during the window;
* checkpoint (newsbot only): a broadcast to every chat is saved and the outcomes of its
  first 1,800 messages (a minute at Telegram's 30 messages a second) are journaled, then
  the journal is folded into the database file.

All along, a task on the event loop wakes every 2 ms and keeps the longest gap between its
wake-ups: the longest the loop was held (by storage, or by anything else on a shared
machine). It is reported per phase; the longest stall is that of the write phases and the
checkpoint (under the load, a store that falls behind holds the loop for as long as its
queue of new chats lasts, which the /list times show), and the last line gives newsbot's
longest over every size. The same task alone for two seconds before the phases shows the
machine's own noise.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.storage_load import Chat  # noqa: E402
from bench.storage_subjects import SUBJECTS, NewsbotStore, PlainTinyDB  # noqa: E402

SIZES = (1_000, 10_000, 50_000, 100_000)
QUICK_SIZES = (1_000, 50_000)
TICK = 0.002  # how often the ticker wakes
NEWCOMERS_PER_SECOND = 20
LISTS_PER_SECOND = 10
# A minute of a broadcast at Telegram's 30 messages a second: what the store of today folds
# in at each of its checkpoints (every 60 s) while a broadcast goes out.
BROADCAST_OUTCOMES = 1_800
IDLE = 2.0  # seconds the ticker runs alone first: the machine's own noise
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Budget:
    write_seconds: float  # for each write phase
    most: int  # writes in a phase at most
    least: int  # ... and at least, whatever the time
    window: float  # seconds of /list under load


FULL = Budget(write_seconds=20, most=300, least=5, window=15)
QUICK = Budget(write_seconds=10, most=200, least=5, window=10)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank, rounding down; NaN when there are none."""
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else float("nan")


def summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(seconds),
        "p50": percentile(seconds, 0.5) * 1000,
        "p95": percentile(seconds, 0.95) * 1000,
    }


# --- in the measuring process ------------------------------------------------------------


def memory_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class Ticker:
    """A task that wakes every TICK seconds and keeps the longest gap between wake-ups."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(TICK)
            now = loop.time()
            self.longest = max(self.longest, now - last)
            last = now

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def take(self) -> float:
        """The longest gap since the last take, in ms."""
        longest, self.longest = self.longest, 0.0
        return longest * 1000


async def timed_writes(
    write: Callable[[T], Awaitable[None]], items: Sequence[T], budget: Budget, rng: random.Random
) -> list[float]:
    """Time *write* of each of *items*, one after the other, within the phase's budget."""
    times: list[float] = []
    deadline = time.perf_counter() + budget.write_seconds
    for item in items:
        if len(times) >= budget.most or (len(times) >= budget.least and time.perf_counter() > deadline):
            break
        await asyncio.sleep(rng.uniform(0.002, 0.010))
        started = time.perf_counter()
        await write(item)
        times.append(time.perf_counter() - started)
    return times


async def under_load(
    subject: NewsbotStore | PlainTinyDB,
    newcomers: Sequence[tuple[Chat, str | None]],
    askers: Sequence[Chat],
    window: float,
) -> dict[str, Any]:
    """/list from *askers* while *newcomers* subscribe, each at its own steady rate, for
    *window* seconds. A newcomer not started when the window closes is dropped; every /list
    sent in it is answered."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    end = start + window
    latencies: list[float] = []
    served = 0
    tasks: set[asyncio.Task[None]] = set()

    async def newcomer(n: int, due: float) -> None:
        nonlocal served
        if loop.time() >= end:
            return
        chat, language = newcomers[n % len(newcomers)]
        await subject.newcomer(chat, language)
        served += loop.time() <= end

    async def lister(n: int, due: float) -> None:
        chat = askers[n % len(askers)]
        await subject.list_reply(chat.chat_id, chat.kind, chat.title)
        latencies.append(loop.time() - due)

    async def drive(rate: float, arrival: Callable[[int, float], Coroutine[Any, Any, None]]) -> None:
        n = 0
        while (due := start + n / rate) < end:
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            task = asyncio.create_task(arrival(n, due))
            tasks.add(task)
            n += 1

    await asyncio.gather(drive(NEWCOMERS_PER_SECOND, newcomer), drive(LISTS_PER_SECOND, lister))
    await asyncio.gather(*tasks)
    return {"list": summary(latencies), "served_per_second": served / window}


def chat_from(fields: dict[str, Any]) -> Chat:
    return Chat(**fields | {"queries": tuple(fields["queries"])})


async def phases(subject: NewsbotStore | PlainTinyDB, work: dict[str, Any], budget: Budget) -> dict[str, Any]:
    rng = random.Random(work["seed"])
    ticker = Ticker()
    ticker.start()
    await asyncio.sleep(IDLE)
    result: dict[str, Any] = {"idle": ticker.take()}
    targets = [chat_from(chat) for chat in work["targets"]]
    writers, askers = targets[: len(targets) // 2], targets[len(targets) // 2 :]
    subscriptions = [(writers[n % len(writers)].chat_id, q) for n, q in enumerate(work["subscribe"])]
    newcomers = [(chat_from(chat), language) for chat, language in work["newcomers"]]
    fresh, arriving = newcomers[: budget.most], newcomers[budget.most :]

    times = await timed_writes(lambda pair: subject.subscribe(*pair), subscriptions, budget, rng)
    result["subscribe"] = summary(times)
    result["stall_subscribe"] = ticker.take()
    times = await timed_writes(lambda pair: subject.new_chat(pair[0]), fresh, budget, rng)
    result["new_chat"] = summary(times)
    result["stall_new_chat"] = ticker.take()
    result.update(await under_load(subject, arriving, askers, budget.window))
    result["stall_load"] = ticker.take()
    if isinstance(subject, NewsbotStore):
        await subject.broadcast_outcomes(BROADCAST_OUTCOMES)
        result["stall_outcomes"] = ticker.take()
        started = time.perf_counter()
        await subject.checkpoint()
        result["checkpoint_seconds"] = time.perf_counter() - started
        await asyncio.sleep(0.05)  # the ticker's first wake-up after it
        result["stall_checkpoint"] = ticker.take()
    return result


def measure(kind: str, data_dir: Path, workload: Path, budget: Budget) -> dict[str, Any]:
    """Everything measured in this (fresh) process, for one store and one database."""
    gc.collect()
    result: dict[str, Any] = {"rss_before": memory_mb()[0]}
    started = time.perf_counter()
    subject = SUBJECTS[kind](data_dir)
    result["open_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    subject.index()
    result["index_seconds"] = time.perf_counter() - started
    gc.collect()
    result["rss"], result["rss_peak"] = memory_mb()
    work = json.loads(workload.read_text())
    try:
        result.update(asyncio.run(phases(subject, work, budget)))
    finally:
        subject.close()
    return result


# --- in the benchmark's own process -------------------------------------------------------


def run_fresh(kind: str, data_dir: Path, workload: Path, budget: Budget) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", kind, str(data_dir), str(workload),
               json.dumps(dataclasses.asdict(budget))]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"measuring {kind} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def p50_p95(part: dict[str, float]) -> str:
    return f"{ms(part['p50'])} / {ms(part['p95'])} ({part['n']:.0f})"


def table(size: int, megabytes: float, results: dict[str, dict[str, Any]]) -> str:
    ours, plain = results["newsbot"], results["plain"]
    rows = [
        ("open, fresh process (s)", lambda r: f"{r['open_seconds']:.2f}"),
        ("services and matcher index built (s)", lambda r: f"{r['index_seconds']:.2f}"),
        ("resident memory: store + index (MB), peak", lambda r: f"{r['rss']:.0f}, {r['rss_peak']:.0f}"),
        ("… of which before opening (MB)", lambda r: f"{r['rss_before']:.0f}"),
        ("`/subscribe` write p50 / p95 (ms) (writes)", lambda r: p50_p95(r["subscribe"])),
        ("new chat p50 / p95 (ms) (writes)", lambda r: p50_p95(r["new_chat"])),
        ("longest stall during these writes (ms)",
         lambda r: ms(max(r["stall_subscribe"], r["stall_new_chat"]))),
        (f"`/list` p50 / p95 (ms) while {NEWCOMERS_PER_SECOND} new chats/s subscribe (lists)",
         lambda r: p50_p95(r["list"])),
        (f"new chats served per second (of {NEWCOMERS_PER_SECOND})",
         lambda r: f"{r['served_per_second']:.1f}"),
        ("longest gap under that load (ms)", lambda r: ms(r["stall_load"])),
        (f"longest stall: broadcast saved, {BROADCAST_OUTCOMES:,} outcomes journaled (ms)",
         lambda r: ms(r["stall_outcomes"]) if "stall_outcomes" in r else "–"),
        ("checkpoint (ms) / longest stall during it (ms)",
         lambda r: f"{ms(r['checkpoint_seconds'] * 1000)} / {ms(r['stall_checkpoint'])}"
         if "checkpoint_seconds" in r else "– (no journal)"),
        ("**longest stall: writes, outcomes, checkpoint (ms)**", lambda r: ms(longest_stall(r))),
        (f"longest gap with nothing running, {IDLE:.0f} s (ms)", lambda r: ms(r["idle"])),
    ]  # fmt: skip
    lines = [
        f"{size:,} chats, {2 * size:,} subscriptions; database file {megabytes:.1f} MB\n",
        f"| | {NewsbotStore.NAME} | {PlainTinyDB.NAME} |",
        "|---|---:|---:|",
    ]
    lines += [f"| {label} | {cell(ours)} | {cell(plain)} |" for label, cell in rows]
    return "\n".join(lines) + "\n"


def longest_stall(result: dict[str, Any]) -> float:
    """The longest the loop was held by one of the store's writes or its checkpoint. (Under
    the load, a store that cannot keep up holds it for as long as its queue of work lasts:
    that shows in the /list times instead.)"""
    phases = ("stall_subscribe", "stall_new_chat", "stall_outcomes", "stall_checkpoint")
    return max(result[key] for key in phases if key in result)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 and 50,000 chats, shorter phases")
    parser.add_argument("--sizes", help="comma-separated numbers of chats (default: all four)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--measure", nargs=4, metavar=("KIND", "DIR", "WORKLOAD", "BUDGET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.measure:
        kind, data_dir, workload, budget = args.measure
        print(json.dumps(measure(kind, Path(data_dir), Path(workload), Budget(**json.loads(budget)))))
        return

    from bench.storage_load import make_load

    budget = QUICK if args.quick else FULL
    sizes = (
        [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)
    )
    began = time.monotonic()
    arriving = int(NEWCOMERS_PER_SECOND * budget.window) + 20
    load = make_load(max(sizes), args.seed, subscribe=budget.most, newcomers=budget.most + arriving)
    print(
        f"Python {sys.version.split()[0]}; writes fsynced on the disk of {tempfile.gettempdir()}; "
        f"each phase of writes stops after {budget.write_seconds:.0f} s (at least {budget.least} writes, "
        f"at most {budget.most}); /list under load for {budget.window:.0f} s\n",
        flush=True,
    )
    p95s: dict[int, float] = {}
    stalls: list[float] = []
    with tempfile.TemporaryDirectory(prefix="newsbot-storage-bench-") as work:
        for size in sizes:
            rng = random.Random(args.seed + size)
            chats = load.chats[:size]
            workload = Path(work) / "workload.json"
            workload.write_text(json.dumps({
                "seed": args.seed,
                "targets": [dataclasses.asdict(c) for c in rng.sample(chats, min(len(chats), 4000))],
                "subscribe": load.subscribe,
                "newcomers": [[dataclasses.asdict(c), language] for c, language in load.newcomers],
            }))  # fmt: skip
            results: dict[str, dict[str, Any]] = {}
            megabytes = 0.0
            for kind, subject in SUBJECTS.items():
                data_dir = Path(work) / kind
                path = subject.build(data_dir, chats)
                if kind == "newsbot":
                    megabytes = path.stat().st_size / 1e6
                results[kind] = run_fresh(kind, data_dir, workload, budget)
                shutil.rmtree(data_dir)
            print(table(size, megabytes, results), flush=True)
            p95s[size] = results["newsbot"]["subscribe"]["p95"]
            stalls.append(longest_stall(results["newsbot"]))
    print(f"({time.monotonic() - began:.0f} s in all)\n")
    at = {size: ms(p95s[size]) if size in p95s else "n/a" for size in (1_000, 50_000)}
    print(
        f"storage: subscribe p95 {at[1_000]} ms at 1,000 chats, {at[50_000]} ms at 50,000 chats; "
        f"longest stall {ms(max(stalls))} ms"
    )


if __name__ == "__main__":
    main()

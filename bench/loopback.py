"""What the polling benchmarks share: feed servers on loopback addresses, and the bot as
its own process with its log in a file."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tests.e2e.harness import BotProcess
from tests.fakes.feed_server import Answer, FeedServer

FEEDS_PER_HOST = 10
# The bot's report line, logged when its polls at start are done (then every poll_seconds).
REPORT = re.compile(r"polls in the last ([\d.]+) s: (.*?); ([\d.]+) s CPU parsing")


class Hosts:
    """Feed servers on loopback addresses 127.0.0.2, 127.0.0.3, ..., each serving
    *per_host* feeds, so that the bot's per-host limit works as it would on the internet."""

    def __init__(self, feeds: int, per_host: int = FEEDS_PER_HOST) -> None:
        self.per_host = per_host
        self.servers = [FeedServer(f"127.0.0.{2 + n}") for n in range((feeds + per_host - 1) // per_host)]

    def __enter__(self) -> Hosts:
        for server in self.servers:
            server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.__exit__(*exc)

    def server(self, feed: int) -> FeedServer:
        return self.servers[feed // self.per_host]

    def path(self, feed: int) -> str:
        return f"/feed{feed}.xml"

    def url(self, feed: int) -> str:
        return self.server(feed).url(self.path(feed))

    def serve(self, feed: int, answer: Answer | bytes) -> None:
        self.server(feed).serve(self.path(feed), answer)

    def requests_since(self, since: float) -> list[tuple[float, str, str]]:
        """(arrival, path, User-Agent) of every request that arrived after *since*, oldest first."""
        found = [
            (at, path, headers.get("user-agent", ""))
            for server in self.servers
            for at, path, headers in server.requests_since(since)
        ]
        return sorted(found)


@contextlib.contextmanager
def bot_running(bot: BotProcess, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m bot`` configured as *bot* says, its log written to *log*; stopped with
    SIGTERM, as an operator stops it (its state is saved)."""
    with log.open("w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=bot.cwd, env=bot.env, stderr=stderr)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_report(log: Path, timeout: float) -> tuple[float, re.Match[str]]:
    """Watch the bot's log for its first report line; return when it was seen
    (time.monotonic()) and the line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = REPORT.search(log.read_text(errors="replace"))
        if found:
            return time.monotonic(), found
        threading.Event().wait(0.02)  # the bench's clock, not a synchronisation
    raise AssertionError(f"the bot logged no report in {timeout} s:\n{log.read_text()[-3000:]}")

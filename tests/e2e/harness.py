"""Running the real bot (``python -m bot``) as a separate process against the fakes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from tests.fakes.telegram_api import FakeBotAPI

REPO = Path(__file__).resolve().parents[2]


def write_feeds_file(path: Path, feeds: Mapping[str, str]) -> Path:
    """A feeds file naming each feed (name -> url)."""
    lines = []
    for name, url in feeds.items():
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class BotProcess:
    """``python -m bot`` in a subprocess, configured only through environment variables.

    Every process started is remembered until it ends, so that a test that fails half-way
    does not leave a bot running (see :func:`kill_leftovers`)."""

    started: ClassVar[list[subprocess.Popen[str]]] = []

    def __init__(
        self,
        api: FakeBotAPI,
        *,
        data_dir: Path,
        feeds_file: Path,
        admins: str = "",
        poll_seconds: int = 1,
        extra_env: Mapping[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO),
            "PYTHONFAULTHANDLER": "1",  # a bot that hangs shows where (see stop)
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.base_url,
            "NEWSBOT_DATA_DIR": str(data_dir),
            "NEWSBOT_FEEDS": str(feeds_file),
            "NEWSBOT_POLL_SECONDS": str(poll_seconds),
            # Every feed every poll_seconds, whatever its pace (tests of the pace set their own).
            "NEWSBOT_POLL_MAX_SECONDS": str(poll_seconds),
            "NEWSBOT_ADMINS": admins,
            "NEWSBOT_LOG_LEVEL": "INFO",
            **(extra_env or {}),
        }
        self.args = args
        self.cwd = data_dir.parent
        self.process: subprocess.Popen[str] | None = None
        self.stderr = ""

    def start(self) -> BotProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *self.args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        BotProcess.started.append(self.process)
        return self

    def stop(self, timeout: float = 20.0) -> int:
        """Stop the bot as an operator would (SIGTERM) and collect its output."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, self.stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: where each thread is
            try:
                _, self.stderr = self.process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                _, self.stderr = self.process.communicate()
            raise AssertionError(f"the bot did not stop within {timeout} s:\n{self.stderr}") from None
        return self.process.returncode

    def kill(self) -> None:
        """Kill the bot at once (SIGKILL): no shutdown, no checkpoint, as a crash would."""
        assert self.process is not None
        self.process.kill()
        _, self.stderr = self.process.communicate(timeout=20)

    def run_to_exit(self, timeout: float = 30.0) -> int:
        """Start a bot that is expected to stop by itself (it refuses to start); wait for it
        and return its exit code (its output is in :attr:`stderr`)."""
        with self:
            assert self.process is not None
            self.process.wait(timeout=timeout)
            return self.stop()

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.stop()


def kill_leftovers() -> int:
    """Kill the bot processes a test started and left running; returns how many there were."""
    left = [process for process in BotProcess.started if process.poll() is None]
    for process in left:
        process.kill()
        process.communicate(timeout=20)
    BotProcess.started.clear()
    return len(left)

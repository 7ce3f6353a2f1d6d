"""The console in a terminal: a pseudo-terminal stands in for one, and the test types keys."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import REPO

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX"),
]

UP, LEFT, RIGHT, HOME = "\x1b[A", "\x1b[D", "\x1b[C", "\x1b[H"
ENTER, BACKSPACE, CTRL_R, CTRL_D = "\r", "\x7f", "\x12", "\x04"
# Escape sequences (cursor moves, styles, modes) and carriage returns: what is left is the
# text the terminal shows, in the order it was written (a move right stands for spaces).
CURSOR_RIGHT = re.compile(r"\x1b\[(\d*)C")
TERMINAL_CODES = re.compile(
    r"\x1b(?:\[[0-9;?<=>]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-Za-z]|[=>78])|[\r\x08]"
)
# prompt_toolkit turns bracketed paste on each time it shows the prompt.
PROMPT_SHOWN = b"\x1b[?2004h"


class Terminal:
    """A console process on a pseudo-terminal of 100 x 40 characters."""

    def __init__(self, tmp_path: Path, poll_seconds: int) -> None:
        self._master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO),
            "TERM": "xterm-256color",
            "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
            "NEWSBOT_POLL_SECONDS": str(poll_seconds),
            "NEWSBOT_POLL_MAX_SECONDS": str(poll_seconds),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "console"],
            cwd=tmp_path,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self._raw = bytearray()
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # the process ended and closed its side
                chunk = b""
            with self._changed:
                if not chunk:
                    self._changed.notify_all()
                    return
                self._raw += chunk
                # Where the terminal is asked where its cursor is, answer as a terminal would.
                if b"\x1b[6n" in chunk:
                    os.write(self._master, b"\x1b[1;1R")
                self._changed.notify_all()

    @property
    def shown(self) -> str:
        with self._changed:
            text = self._raw.decode("utf-8", "replace")
        text = CURSOR_RIGHT.sub(lambda move: " " * int(move.group(1) or 1), text)
        return TERMINAL_CODES.sub("", text)

    def wait_for_prompt(self, after: str = "", timeout: float = 30.0) -> None:
        """Wait until the prompt is drawn after the last *after* (so that keys typed now
        reach it, not the terminal between two prompts)."""
        deadline = time.monotonic() + timeout
        marker = after.encode()
        with self._changed:
            while PROMPT_SHOWN not in self._raw[max(self._raw.rfind(marker), 0) if marker else 0 :]:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no prompt after {after!r}; got:\n{self.shown}")
                self._changed.wait(left)

    def answer(self, keys: str, expected: str, count: int = 1) -> None:
        """Type *keys*, see *expected* for the *count*-th time, and the prompt back."""
        self.type(keys)
        self.wait_for(expected, count)
        self.wait_for_prompt(after=expected)

    def type(self, keys: str) -> None:
        os.write(self._master, keys.encode())

    def wait_until(self, condition: Callable[[str], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self.shown):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"not shown in time:\n{self.shown}")
                self._changed.wait(left)

    def wait_for(self, text: str, count: int = 1) -> None:
        self.wait_until(lambda shown: shown.count(text) >= count)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self._master)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    console = Terminal(tmp_path, poll_seconds=1)
    yield console
    console.close()


def test_keys_edit_the_line_and_recall_earlier_ones(terminal: Terminal):
    terminal.wait_for_prompt()
    # Home, Right, Right: /b|gus1, then o
    terminal.answer("/bgus1" + HOME + RIGHT + RIGHT + "o" + ENTER, "I don't know /bogus1")
    terminal.answer(UP + ENTER, "I don't know /bogus1", count=2)
    # Left, Backspace: /bogus2 -> /bogu2, then s
    terminal.answer("/bogus2" + LEFT + BACKSPACE + "s" + ENTER, "I don't know /bogus2")
    # Search back through the history: Enter ends the search with the line found, Enter sends it.
    terminal.answer(CTRL_R + "gus1" + ENTER + ENTER, "I don't know /bogus1", count=3)
    terminal.type(CTRL_D)
    assert terminal.process.wait(timeout=30) == 0


def test_log_lines_appear_above_the_line_being_typed(terminal: Terminal):
    terminal.wait_for_prompt()
    terminal.type("/bog")
    terminal.wait_for("/bog")
    reports = terminal.shown.count("polls in the last")
    terminal.wait_for("polls in the last", count=reports + 2)  # log lines while typing
    # Under each log line the prompt is drawn again, with what was typed so far.
    terminal.wait_until(lambda shown: "> /bog" in shown[shown.rindex("CPU parsing") :])
    terminal.answer("us3" + ENTER, "I don't know /bogus3")
    terminal.type("/quit" + ENTER)
    assert terminal.process.wait(timeout=30) == 0

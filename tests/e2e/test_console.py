"""The console: the same bot in a terminal, scripted through standard input."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from bot.settings import SAMPLE_FEED
from tests.e2e.harness import REPO, write_feeds_file
from tests.fakes.feed_server import rss

pytestmark = pytest.mark.e2e


class Stream:
    """Collects a pipe's lines in a thread so a test can wait for one to appear."""

    def __init__(self, pipe: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def wait_for(self, fragment: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while fragment not in "".join(self.lines):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{fragment!r} did not appear; got:\n{''.join(self.lines)}")
                self._changed.wait(left)


def start_console(
    tmp_path: Path, feeds_file: Path | None, poll_seconds: int
) -> tuple[subprocess.Popen[str], Stream, Stream]:
    """The console on pipes; with *feeds_file*, watching its feeds besides the sample."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        "NEWSBOT_POLL_SECONDS": str(poll_seconds),
    }
    arguments = ["console"]
    if feeds_file is not None:
        env["NEWSBOT_FEEDS"] = str(feeds_file)
        arguments.append("--feeds")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *arguments],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    return process, Stream(process.stdout), Stream(process.stderr)


def test_scripted_console_session_with_the_bundled_sample(tmp_path: Path):
    process, out, _err = start_console(tmp_path, None, poll_seconds=300)
    assert process.stdin is not None
    # At once, as `echo ... | python -m bot console` would: the first poll is over before
    # the first line is handed over, so the preview shows what it found.
    process.stdin.write("/subscribe census\n/list\n/subscribe Makhmur, <>\n/bogus\nhello\n")
    process.stdin.close()  # end of input: the console answers everything, then exits
    assert process.wait(timeout=30) == 0

    text = out.text
    assert "Subscribed to census." in text
    assert "Census teams begin counting households in Makhmour camp" in text
    assert "(https://example.org/newsbot-sample/makhmour-camp-census)" in text
    assert "1. census" in text
    assert "Subscribed to Makhmur." in text and "Makhmūr farmers" in text
    assert "Not added: <>: the keyword has no letters or digits" in text
    assert "I don't know /bogus" in text
    assert "I understand commands only" in text


def test_console_prints_an_alert_when_the_feed_gets_a_new_item(tmp_path: Path):
    feed = tmp_path / "local.xml"
    feed.write_bytes(rss([{"title": "Old census story", "guid": "1", "link": "https://example.org/1"}]))
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Local": str(feed)})
    process, out, err = start_console(tmp_path, feeds_file, poll_seconds=1)
    assert process.stdin is not None
    err.wait_for("polls in the last")
    process.stdin.write("/subscribe census\n")
    process.stdin.flush()
    out.wait_for("Subscribed to census.")

    feed.write_bytes(
        rss(
            [
                {"title": "Census & <results> published", "guid": "2", "link": "https://example.org/2"},
                {"title": "Old census story", "guid": "1", "link": "https://example.org/1"},
            ]
        )
    )
    out.wait_for("Census & <results> published")
    process.stdin.write("/quit\n")
    process.stdin.flush()
    assert process.wait(timeout=30) == 0
    assert "Matched: census" in out.text
    assert out.text.count("Census & <results> published") == 1


def test_console_shows_buttons_presses_them_and_shows_an_alert_updated(tmp_path: Path):
    old = {"title": "Old census story", "guid": "1", "link": "https://example.org/1"}
    wire, daily = tmp_path / "wire.xml", tmp_path / "daily.xml"
    for path in (wire, daily):
        path.write_bytes(rss([old]))
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Wire": str(wire), "Daily": str(daily)})
    process, out, err = start_console(tmp_path, feeds_file, poll_seconds=1)
    assert process.stdin is not None
    err.wait_for("polls in the last")

    def say(line: str, then: str) -> None:
        assert process.stdin is not None
        process.stdin.write(line + "\n")
        process.stdin.flush()
        out.wait_for(then)

    say("/subscribe census", "Subscribed to census.")
    text = "Iraq began its first census in decades with counters going from door to door in every province."
    story = {"title": "Iraq holds its first census in decades", "description": text}
    wire.write_bytes(rss([{**story, "guid": "w", "link": "https://wire.example/census"}, old]))
    out.wait_for("[ 🔕 Mute “census” 24 h ]   [ ✖ Unsubscribe “census” ]")
    daily.write_bytes(rss([{**story, "guid": "d", "link": "https://daily.example/census"}, old]))
    out.wait_for("(an earlier message, updated:)")
    say("mute", "Muted “census” for 24 hours.")
    out.wait_for("(the buttons of that message, now:)\n[ ↩ Undo ]")
    say("undo", "(the buttons of that message, now:)\n[ 🔕 Mute")
    say("/settings", "[ Hourly ]")
    say("hourly", "✓ Hourly")
    process.stdin.write("/quit\n")
    process.stdin.flush()
    assert process.wait(timeout=30) == 0
    assert out.text.count("Iraq holds its first census in decades") == 2, "the alert, and that alert updated"
    assert "Also: Daily" in out.text


def test_console_from_any_directory_with_no_settings_needs_no_network(tmp_path: Path):
    """What a new user runs: nothing configured, started outside the project, input piped at
    once. The installed ``newsbot`` script is used where there is one (CI installs the
    package, so this also checks that the sample and the defaults ship with it)."""
    script = Path(sys.executable).with_name("newsbot")
    command = [str(script), "console"] if script.exists() else [sys.executable, "-m", "bot", "console"]
    env = {"PATH": os.environ.get("PATH", "")}
    if not script.exists():
        env["PYTHONPATH"] = str(REPO)
    finished = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        input="/subscribe census\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    assert "Polling 1 feed" in finished.stdout
    assert "Census teams begin counting households in Makhmour camp" in finished.stdout
    assert "Iraq's nationwide census: what the first results show" in finished.stdout
    for trouble in ("WARNING", "ERROR", "Traceback", "rudaw", "bbc"):
        assert trouble not in finished.stderr, finished.stderr
    # The console's own copy of the sample, for a user to add a story to.
    assert (tmp_path / "data" / "sample-feed.xml").read_bytes() == SAMPLE_FEED.read_bytes()


def test_console_feeds_flag_adds_the_feeds_file(tmp_path: Path):
    feed = tmp_path / "local.xml"
    feed.write_bytes(
        rss([{"title": "A census of the marshes", "guid": "1", "link": "https://example.org/1"}])
    )
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Local": str(feed)})
    process, out, _err = start_console(tmp_path, feeds_file, poll_seconds=300)
    assert process.stdin is not None
    process.stdin.write("/subscribe census\n")
    process.stdin.close()
    assert process.wait(timeout=30) == 0
    assert "Polling 2 feeds" in out.text
    assert "A census of the marshes" in out.text
    assert "Census teams begin counting households in Makhmour camp" in out.text

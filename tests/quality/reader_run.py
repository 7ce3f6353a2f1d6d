"""The reader's run: the real bot on the 39 real outlet feeds, as a community would use it.

Every feed of the corpus's ``real/`` folder is served over HTTP (tests/fakes/feed_server.py)
with its outlet's Content-Type, first with only its oldest entry, then whole, so that every
other entry arrives as new. It is served as if published at the run: its dates moved by
whole days so that its newest entry is of the day before the run (tests/quality/time_shift.py),
and every check reads the bytes served. Seven chats (five private, two groups) follow 23 keywords in
the corpus's scripts. The real bot (``python -m bot``, tests/e2e/harness.py) polls the feeds
every second and sends its alerts to the fake Bot API (tests/fakes/telegram_api.py), which
keeps them as Telegram would have received them. Every wait is on a condition: feeds
fetched, the bot's ``polls in the last …`` report lines, the messages the fake received.

Run ``python -m tests.quality.reader_run`` for the table of defects (see
tests/quality/reader_audit.py); ``tests/quality/test_reader_run.py`` runs the same.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import ftfy

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import Answer, FeedServer
from tests.fakes.telegram_api import FakeBotAPI
from tests.quality.feed_corpus import REAL_FEEDS, FeedFile, feed_files
from tests.quality.shown_alert import ShownAlert, read_alert
from tests.quality.story import Story

__all__ = ["CHATS", "Chat", "Delivered", "RunResult", "main", "run_reader"]


@dataclass(frozen=True, slots=True)
class Chat:
    chat_id: int
    kind: str  # "private" or "group"
    who: str
    keywords: tuple[str, ...]


# Keywords chosen by reading the feeds: each names real stories in them. Some exercise the
# script rules of issue 11: a Persian spelling with heh (امریکه) for the Urdu امریکہ, an
# Arabic word with its article (الفساد), Chinese and Japanese words inside runs (特斯拉,
# 東京, 和平鸽), a Hindi word with vowel signs (वुहान), Cyrillic with й (Зеленський), Latin
# with a diacritic (Erdoğan), prefixes in Russian, Ukrainian and Greek (оренбург*, маріупол*,
# καραντίνα*). Москве and оренбург* name stories that only mojibake hides.
CHATS: tuple[Chat, ...] = (
    Chat(1001, "private", "a reader of world news", ("trump", "Erdoğan", "Macron")),
    Chat(-1002, "group", "a tech and homelab group", ("Slack", "Google", "iPhone", "Microsoft", "Proxmox")),
    Chat(1003, "private", "a reader in Russian and Ukrainian",
         ("Москве", "Минске", "оренбург*", "Зеленський", "маріупол*")),
    Chat(-1004, "group", "a group reading Urdu news", ("پاکستان", "الفساد")),
    Chat(1007, "private", "a Persian reader", ("امریکه",)),
    Chat(1005, "private", "a reader of Chinese and Japanese", ("特斯拉", "東京", "和平鸽")),
    Chat(1006, "private", "a reader of health and European news",
         ("वुहान", "καραντίνα*", "fitness", "Bolsonaro")),
)  # fmt: skip

# Limits high enough that pacing never holds the run up, and no cap on what one poll brings
# turns alerts into a summary: this run judges each alert (pacing and caps have their own tests).
FAST_DELIVERY = {
    "NEWSBOT_FLOOD_ALERTS_PER_HOUR": "0",
    "NEWSBOT_MAX_ALERTS_PER_CHAT_POLL": "100000",
    "NEWSBOT_MAX_NEW_ITEMS_PER_FEED_POLL": "100000",
    "NEWSBOT_COMMAND_BURST": "1000",
    "NEWSBOT_RATE_PER_SECOND": "1000",
    "NEWSBOT_RATE_PRIVATE_PER_SECOND": "1000",
    "NEWSBOT_RATE_PRIVATE_BURST": "1000",
    "NEWSBOT_RATE_GROUP_PER_MINUTE": "60000",
    "NEWSBOT_FETCH_PER_HOST": "8",
}

_CYCLE = re.compile(r"polls in the last .*?; (\d+) alerts queued\b.*?; (\d+) alerts pending")


class LoggedBot(BotProcess):
    """The bot process with its log written to a file, so the run can read it while the
    bot runs (a pipe nobody reads would fill up and stall the bot)."""

    def __init__(self, *args: object, log_path: Path, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.log_path = log_path
        self._log_file = log_path.open("w", encoding="utf-8")

    def start(self) -> LoggedBot:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *self.args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            text=True,
        )
        BotProcess.started.append(self.process)
        return self

    def stop(self, timeout: float = 20.0) -> int:
        code = super().stop(timeout)
        self._log_file.close()
        self.stderr = self.log()
        return code

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def cycles(self) -> list[tuple[int, int]]:
        """(alerts queued, alerts pending) of every report on the polls logged so far."""
        return [(int(q), int(p)) for q, p in _CYCLE.findall(self.log())]


@dataclass(frozen=True, slots=True)
class Delivered:
    """One alert the fake Bot API received, and the entry it came from (if found)."""

    alert: ShownAlert
    feed: FeedFile | None
    index: int | None
    story: Story | None


@dataclass(frozen=True)
class RunResult:
    feeds: Sequence[FeedFile]
    chats: Sequence[Chat]
    delivered: Sequence[Delivered]
    first_seen: datetime  # when the bot first saw the new entries
    exit_code: int
    log: str
    seconds: float
    merged: Sequence[tuple[int, str]] = ()  # (chat, alert text) of alerts naming other sources

    @property
    def feeds_with_alerts(self) -> set[str]:
        return {d.feed.outlet.name for d in self.delivered if d.feed is not None}


def _is_alert(text: str) -> bool:
    return "\nMatched" in text


def run_reader(
    workdir: Path, *, feeds: Sequence[FeedFile] | None = None, timeout: float = 180.0
) -> RunResult:
    """Run the reader's run in *workdir* (see the module docstring)."""
    started = time.monotonic()
    now = datetime.now(UTC)
    feeds = [f if f.now else f.served_at(now) for f in (feeds if feeds is not None else feed_files())]
    paths = {feed.path.name: f"/{feed.path.name}" for feed in feeds}
    with FeedServer() as server, FakeBotAPI() as api:
        for feed in feeds:
            server.serve(paths[feed.path.name], _answer(feed, feed.with_oldest_only()))
        feeds_file = write_feeds_file(
            workdir / "feeds.toml", {feed.outlet.name: server.url(paths[feed.path.name]) for feed in feeds}
        )
        bot = LoggedBot(
            api,
            data_dir=workdir / "data",
            feeds_file=feeds_file,
            poll_seconds=1,
            extra_env=FAST_DELIVERY,
            log_path=workdir / "bot.log",
        )
        with bot:
            # The first poll of every feed has finished once each was fetched a second time.
            _wait(api, bot, lambda: all(server.hits(p) >= 2 for p in paths.values()), timeout, "first poll")
            for chat in CHATS:
                if chat.kind != "private":
                    api.make_admin(chat.chat_id, abs(chat.chat_id) + 1)  # an admin subscribes the group
                api.user_says(
                    chat.chat_id,
                    "/subscribe " + ", ".join(chat.keywords),
                    user_id=abs(chat.chat_id) + 1,
                    chat_type=chat.kind,
                )
            for chat in CHATS:
                api.wait_for_message(chat.chat_id, lambda m: "Subscribed" in m.text, timeout=timeout)

            first_seen = datetime.now(UTC)
            hits = {}
            for feed in feeds:
                path = paths[feed.path.name]
                hits[path] = server.hits(path)
                server.serve(path, _answer(feed, feed.body))
            # Fetched twice since: the cycle that found the new entries has ended and logged.
            alive = [paths[f.path.name] for f in feeds if f.entries]
            _wait(api, bot, lambda: all(server.hits(p) >= hits[p] + 2 for p in alive), timeout, "whole feeds")
            # The polls are reported every second: one more report covers them all.
            reports = len(bot.cycles())
            _wait(api, bot, lambda: len(bot.cycles()) > reports, timeout, "the report on those polls")
            queued = sum(q for q, _ in bot.cycles())
            # (a later copy of a story a chat has is queued as an edit of its alert)
            _wait(
                api,
                bot,
                lambda: sum(_is_alert(m.text) for m in [*api.sent, *api.edits]) >= queued,
                timeout,
                f"{queued} alerts to arrive",
            )
            exit_code = bot.stop()
        sent = [m for m in api.sent if _is_alert(m.text)]
        # The alerts that name other feeds that carried their story, as the reader last saw them.
        last = {(m.chat_id, m.message_id): m for m in [*sent, *api.edits] if _is_alert(m.text)}
        merged = [(chat, _clean(m.text)) for (chat, _), m in sorted(last.items()) if "\nAlso: " in m.plain]
    by_name = {feed.outlet.name: feed for feed in feeds}
    delivered = [_trace(read_alert(m.chat_id, m.text), by_name) for m in sent]
    return RunResult(
        feeds=feeds,
        chats=CHATS,
        delivered=delivered,
        first_seen=first_seen,
        exit_code=exit_code,
        log=bot.stderr,
        seconds=time.monotonic() - started,
        merged=merged,
    )


def _answer(feed: FeedFile, body: bytes) -> Answer:
    return Answer(body, headers={"Content-Type": feed.outlet.content_type})


def _wait(api: FakeBotAPI, bot: LoggedBot, condition: object, timeout: float, what: str) -> None:
    """Wait for *condition*, failing early with the log if the bot has exited."""
    assert callable(condition)

    def done() -> bool:
        if bot.process is not None and bot.process.poll() is not None:
            raise AssertionError(f"the bot exited while waiting for {what}:\n{bot.log()[-3000:]}")
        return bool(condition())

    api.wait_until(done, timeout=timeout, what=what)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", text)).strip()


def _trace(alert: ShownAlert, feeds: dict[str, FeedFile]) -> Delivered:
    """Find the entry an alert came from: by the feed it names, then by link, then title."""
    feed = feeds.get(alert.source)
    if feed is None:
        return Delivered(alert, None, None, None)
    by_link = [i for i, e in enumerate(feed.entries) if e.get("link") and e.get("link") == alert.link]
    title = alert.title.rstrip("…").strip()
    by_title = [
        i
        for i, e in enumerate(feed.entries)
        # (the title as the outlet meant it: the bot repairs mojibake, as a reader would)
        if title and _clean(ftfy.fix_encoding(html.unescape(e.get("title", "")))).startswith(title)
    ]
    both = [i for i in by_link if i in by_title]
    found = both or by_link or by_title
    if not found:
        return Delivered(alert, feed, None, None)
    return Delivered(alert, feed, found[0], feed.story(found[0]))


def main(argv: Sequence[str] = ()) -> int:
    """Run the reader's run and print the table of defects; 2 without the corpus."""
    from tests.quality.reader_audit import audit

    if not REAL_FEEDS.is_dir():
        print(
            f"the shared feed corpus is not present at {REAL_FEEDS}; set NEWSBOT_FEED_CORPUS", file=sys.stderr
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="newsbot-reader-run-") as folder:
        result = run_reader(Path(folder))
    print(audit(result).report())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Fakes of the service ports, fake time, and the services on an in-memory database (or, for
tests of what the disk refuses, the TinyDB files in a temporary directory)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import pytest

from bot.adapters.storage.database import Database
from bot.adapters.storage.documents import MemorySink, Tables
from bot.core.items import Item
from bot.core.pace import FloodGuard
from bot.core.pacing import ChatBuckets, Pacing
from bot.core.sources import FeedSource
from bot.service.assembly import Services, assemble
from bot.service.polling import PollLimits
from bot.service.ports import (
    DEFAULT_OPTIONS,
    DeliveryError,
    FeedState,
    FetchOutcome,
    FetchResult,
    SendOptions,
)


class ScriptedFetcher:
    """Answers each feed with whatever the test set last."""

    def __init__(self) -> None:
        self.results: dict[str, FetchResult] = {}
        self.requests: list[tuple[str, str]] = []  # (feed name, URL fetched)

    def publish(self, feed: str, *items: Item, moved_to: str = "") -> None:
        self.results[feed] = FetchResult(FetchOutcome.FETCHED, items=list(items), moved_to=moved_to)

    def fail(self, feed: str, error: str = "HTTP 500", retry_after: float | None = None) -> None:
        self.results[feed] = FetchResult(FetchOutcome.FAILED, error=error, retry_after=retry_after)

    def fetched(self, feed: str) -> int:
        return sum(1 for name, _ in self.requests if name == feed)

    async def fetch(self, source: FeedSource, state: FeedState | None) -> FetchResult:
        self.requests.append((source.name, source.url))
        return self.results.get(source.name, FetchResult(FetchOutcome.FAILED, error="no answer set"))


class FakeTime:
    """Wall clock and monotonic clock in one; sleeping advances it instead of waiting."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class RecordingSender:
    """Records what is sent (chat, text, at) and edited; *fail* may raise a delivery error
    for a (chat, text), to play Telegram saying no. Each message and edit takes a token of
    its chat's allowance in *allowances*, as the rate limiter in front of the real sender does."""

    time: FakeTime
    allowances: ChatBuckets[int | str] | None = None
    sent: list[tuple[int, str, float]] = field(default_factory=list)
    plain: list[tuple[int, str]] = field(default_factory=list)
    options: list[SendOptions] = field(default_factory=list)  # how each message in sent went
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    fail: Callable[[int, str], DeliveryError | None] = lambda chat, text: None

    async def send(
        self, chat_id: int, text: str, *, html: bool = True, options: SendOptions = DEFAULT_OPTIONS
    ) -> int:
        if self.allowances is not None:
            self.allowances.spend(chat_id)
        error = self.fail(chat_id, text)
        if error is not None:
            raise error
        self.sent.append((chat_id, text, self.time.now))
        self.options.append(options)
        if not html:
            self.plain.append((chat_id, text))
        return len(self.sent)  # the message's id: its number among those sent

    async def edit(
        self, chat_id: int, message_id: int, html: str, *, options: SendOptions = DEFAULT_OPTIONS
    ) -> None:
        if self.allowances is not None:
            self.allowances.spend(chat_id)
        self.edits.append((chat_id, message_id, html))

    def to(self, chat_id: int) -> list[str]:
        return [text for chat, text, _ in self.sent if chat == chat_id]


@dataclass
class Bot:
    """The services wired as the composition root wires them."""

    store: Database
    fetcher: ScriptedFetcher
    sender: RecordingSender
    time: FakeTime
    services: Services

    def __getattr__(self, name: str) -> object:  # bot.commands, bot.delivery, ...
        return getattr(self.services, name)


def build_bot(store: Database, feeds: list[str | FeedSource], *, admins: tuple[int, ...] = (),
              fetcher: ScriptedFetcher | None = None, time: FakeTime | None = None,
              limits: PollLimits | None = None, flood: FloodGuard | None = None) -> Bot:  # fmt: skip
    fetcher = fetcher or ScriptedFetcher()
    time = time or FakeTime()
    allowances: ChatBuckets[int | str] = ChatBuckets(Pacing().rate_of, time)  # Telegram's per-chat limits
    sender = RecordingSender(time, allowances)
    services = assemble(
        storage=store,
        fetcher=fetcher,
        sender=sender,
        sources=[
            f if isinstance(f, FeedSource) else FeedSource(f, f"https://{f.lower()}.example/rss")
            for f in feeds
        ],
        admins=admins,
        tz=UTC,
        max_subscriptions_per_chat=50,
        seen_retention_seconds=30 * 86400,
        poll_limits=limits,
        flood=flood,
        clock=time,
        monotonic=time,
        sleep=time.sleep,
        chat_buckets=allowances,
    )
    return Bot(store, fetcher, sender, time, services)


@pytest.fixture
def make_bot() -> Iterator[Callable[..., Bot]]:
    """Build a bot on an in-memory database; building another closes the previous one and
    opens the same data (a restart)."""
    tables: Tables = {}
    yield from _bots(lambda: Database(MemorySink(tables)))


@pytest.fixture
def make_file_bot(tmp_path: Path) -> Iterator[Callable[..., Bot]]:
    """Build a bot on the TinyDB files in a temporary directory; building another is a restart."""
    yield from _bots(lambda: Database.open(tmp_path / "data"))


def _bots(open_database: Callable[[], Database]) -> Iterator[Callable[..., Bot]]:
    opened: list[Bot] = []

    def make(feeds: list[str | FeedSource] | None = None, **options: object) -> Bot:
        for bot in opened:
            bot.store.close()
        bot = build_bot(open_database(), feeds or ["Wire"], **options)  # type: ignore[arg-type]
        opened.append(bot)
        return bot

    yield make
    for bot in opened:
        bot.store.close()


def news(key: str, title: str, summary: str = "", feed: str = "Wire", link: str | None = None) -> Item:
    return Item(feed=feed, key=key, title=title, link=f"https://news.example/{key}" if link is None else link,
                summary=summary)  # fmt: skip


@contextmanager
def disk_full() -> Iterator[None]:
    """Every file write of this process fails inside the block, as on a full disk.

    The file-size limit (RLIMIT_FSIZE) at 0 makes the kernel refuse any write to a file with
    EFBIG (Python ignores SIGXFSZ); pipes and terminals are not files, and nothing else
    writes to a file while the block runs. No root needed."""
    resource = pytest.importorskip(
        "resource", reason="RLIMIT_FSIZE plays the full disk; this system has no resource module"
    )
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

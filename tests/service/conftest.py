"""Fakes of the service ports, and a real store in a temporary directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import pytest

from bot.adapters.store import Store
from bot.core.items import Item
from bot.core.sources import FeedSource
from bot.service.assembly import assemble
from bot.service.commands import Commands
from bot.service.delivery import Outbox
from bot.service.polling import Poller
from bot.service.ports import DeliveryError, FeedState, FetchOutcome, FetchResult
from bot.service.recent import RecentItems
from bot.service.subscriptions import Subscriptions


class ScriptedFetcher:
    """Answers each feed with whatever the test set last."""

    def __init__(self) -> None:
        self.results: dict[str, FetchResult] = {}

    def publish(self, feed: str, *items: Item) -> None:
        self.results[feed] = FetchResult(FetchOutcome.FETCHED, items=list(items))

    def fail(self, feed: str, error: str = "HTTP 500") -> None:
        self.results[feed] = FetchResult(FetchOutcome.FAILED, error=error)

    async def fetch(self, source: FeedSource, state: FeedState | None) -> FetchResult:
        return self.results.get(source.name, FetchResult(FetchOutcome.FAILED, error="no answer set"))


@dataclass
class RecordingSender:
    """Records what is sent; *fail* may raise for a (chat, html) to simulate Telegram errors."""

    sent: list[tuple[int, str]] = field(default_factory=list)
    fail: Callable[[int, str], DeliveryError | None] = lambda chat, html: None

    async def send(self, chat_id: int, html: str) -> None:
        error = self.fail(chat_id, html)
        if error is not None:
            raise error
        self.sent.append((chat_id, html))

    def to(self, chat_id: int) -> list[str]:
        return [html for chat, html in self.sent if chat == chat_id]


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Bot:
    """The services wired as the composition root wires them, on a real store."""

    store: Store
    fetcher: ScriptedFetcher
    sender: RecordingSender
    clock: Clock
    subscriptions: Subscriptions
    recent: RecentItems
    outbox: Outbox
    poller: Poller
    commands: Commands


def build_bot(
    data_dir: Path,
    feeds: list[str],
    *,
    admins: tuple[int, ...] = (),
    clock: Clock | None = None,
    fetcher: ScriptedFetcher | None = None,
    sender: RecordingSender | None = None,
) -> Bot:
    store = Store.open(data_dir)
    fetcher = fetcher or ScriptedFetcher()
    sender = sender or RecordingSender()
    clock = clock or Clock()
    services = assemble(
        store=store,
        fetcher=fetcher,
        sender=sender,
        sources=[FeedSource(name, f"https://{name.lower()}.example/rss") for name in feeds],
        admins=admins,
        tz=UTC,
        max_subscriptions_per_chat=50,
        fetch_concurrency=4,
        seen_retention_seconds=30 * 86400,
        clock=clock,
    )
    return Bot(
        store,
        fetcher,
        sender,
        clock,
        services.subscriptions,
        services.recent,
        services.outbox,
        services.poller,
        services.commands,
    )


@pytest.fixture
def make_bot(tmp_path: Path) -> Iterator[Callable[..., Bot]]:
    opened: list[Bot] = []

    def make(feeds: list[str] | None = None, **options: object) -> Bot:
        for bot in opened:
            bot.store.close()
        bot = build_bot(tmp_path / "data", feeds or ["Wire"], **options)  # type: ignore[arg-type]
        opened.append(bot)
        return bot

    yield make
    for bot in opened:
        bot.store.close()


def news(key: str, title: str, summary: str = "", feed: str = "Wire", link: str | None = None) -> Item:
    return Item(
        feed=feed,
        key=key,
        title=title,
        link=f"https://news.example/{key}" if link is None else link,
        summary=summary,
    )

"""A stop signal stops the bot whenever it comes. PTB looks for a stop asked during start-up
only once, right after post_init; one that comes while its updater starts (deleteWebhook
before polling, setWebhook before the webhook server) must not be lost, or the bot runs on
until it is killed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.telegram_api import FakeBotAPI, Fault
from tests.network import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_sigterm_while_the_updater_starts_still_stops_the_bot(tmp_path: Path, api: FakeBotAPI, mode: str):
    env = {}
    if mode == "webhook":
        method, calls = "setWebhook", 2  # the start-up check's, then PTB's (the slow one)
        api.fail_next(Fault("setWebhook", 200, "", delay=0.0))
        env = {"NEWSBOT_WEBHOOK_URL": "https://newsbot.example.org/telegram",
               "NEWSBOT_WEBHOOK_LISTEN": "127.0.0.1", "PORT": str(free_port())}  # fmt: skip
    else:
        method, calls = "deleteWebhook", 1
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    bot = BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, extra_env=env)
    api.fail_next(Fault(method, 200, "", delay=2.0))  # a slow answer, while the signal comes
    with bot:
        api.wait_until(lambda: len(api.calls(method)) == calls, what=f"{method} under way")
        assert bot.stop() == 0, bot.stderr
    assert "Traceback" not in bot.stderr

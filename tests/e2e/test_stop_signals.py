"""A stop signal stops the bot whenever it comes. PTB looks for a stop asked during start-up
only once, right after post_init; one that comes while its updater starts (deleteWebhook
before polling) must not be lost, or the bot runs on until it is killed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.telegram_api import FakeBotAPI, Fault

pytestmark = pytest.mark.e2e


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


def test_sigterm_while_the_updater_starts_still_stops_the_bot(tmp_path: Path, api: FakeBotAPI):
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    bot = BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file)
    api.fail_next(Fault("deleteWebhook", 200, "", delay=2.0))  # a slow answer, while the signal comes
    with bot:
        api.wait_until(lambda: len(api.calls("deleteWebhook")) == 1, what="deleteWebhook under way")
        assert bot.stop() == 0, bot.stderr
    assert "Traceback" not in bot.stderr

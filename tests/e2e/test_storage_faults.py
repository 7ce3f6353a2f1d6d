"""A full disk under the running bot: a command says its change was not saved, and the
change does not come back after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.service.commands import NOT_SAVED
from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI

pytestmark = pytest.mark.e2e

resource = pytest.importorskip("resource", reason="RLIMIT_FSIZE plays the full disk; no resource module here")
if not hasattr(resource, "prlimit"):
    pytest.skip("changing a running process's file-size limit needs prlimit (Linux)", allow_module_level=True)

OLD = {"title": "Census plans", "guid": "old", "link": "https://example.org/old"}
KNOWN, NEWCOMER = 11, 12


class FullDisk:
    """The bot process's file-size limit (RLIMIT_FSIZE) at 0: the kernel refuses every write
    to a file (EFBIG), as a full disk refuses it (ENOSPC). No root needed: a process may
    lower and raise its own user's processes' soft limit up to the hard one."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.soft, self.hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)

    def __enter__(self) -> FullDisk:
        resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (0, self.hard))
        return self

    def __exit__(self, *exc: object) -> None:
        resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (self.soft, self.hard))


def listing(api: FakeBotAPI, chat: int) -> str:
    """Ask for /list and return the answer."""
    before = len(api.messages_to(chat))
    api.user_says(chat, "/list")
    api.wait_until(lambda: len(api.messages_to(chat)) > before, what=f"/list answered to {chat}")
    return api.messages_to(chat)[before].text


def test_a_subscription_refused_by_a_full_disk_is_explained_and_gone_after_a_restart(tmp_path: Path):
    with FakeBotAPI() as api, FeedServer() as feeds:
        feeds.serve("/news.xml", rss([OLD]))
        feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Wire": feeds.url("/news.xml")})
        data_dir = tmp_path / "data"
        with BotProcess(api, data_dir=data_dir, feeds_file=feeds_file) as bot:
            feeds.wait_for_hits("/news.xml", 2)  # the first poll is done
            api.user_says(KNOWN, "/subscribe census")
            api.wait_for_message(KNOWN, lambda m: "Subscribed" in m.text)
            assert bot.process is not None
            with FullDisk(bot.process.pid):
                api.user_says(KNOWN, "/subscribe Makhmour")
                refused = api.wait_for_message(KNOWN, lambda m: "could not save" in m.text)
                api.user_says(NEWCOMER, "/subscribe oil prices")  # a chat the bot never saw
                api.wait_for_message(NEWCOMER, lambda m: "could not save" in m.text)
                during = listing(api, KNOWN)
            api.user_says(KNOWN, "/subscribe Erbil")  # room again: it works
            api.wait_for_message(KNOWN, lambda m: "Subscribed to <code>Erbil</code>" in m.text)
        assert refused.text == NOT_SAVED
        assert "census" in during and "Makhmour" not in during
        assert [m.text for m in api.messages_to(NEWCOMER)] == [NOT_SAVED], "one clear answer, nothing else"
        assert not any("something went wrong" in m.text for m in api.sent)
        assert f"cannot write the journal {data_dir / 'newsbot.json.journal'}: File too large" in bot.stderr

        # A fresh fake: this one would hand the restarted bot every update again.
        with FakeBotAPI() as restarted, BotProcess(restarted, data_dir=data_dir, feeds_file=feeds_file):
            after = listing(restarted, KNOWN)
            assert "census" in after and "Erbil" in after
            assert "Makhmour" not in after
            assert "no subscriptions" in listing(restarted, NEWCOMER)

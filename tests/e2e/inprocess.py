"""The whole bot in this process, against the fake Bot API, with a wall clock a test moves.

Schedules (digests at a local time, quiet hours, the flood guard's window) are tested end
to end without waiting hours: the bot is built by the composition root (:func:`bot.__main__.wire`)
with a :class:`MovableClock`, and runs PTB's own ``run_polling`` in a thread of its own, so
every request still goes through PTB's request stack to the fake server over HTTP. Time
that is not the wall clock (the JobQueue's tick every second, pacing) is real.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.__main__ import DATABASE, Bot, wire
from bot.service.assembly import Services
from bot.settings import load_settings
from tests.fakes.telegram_api import FakeBotAPI

__all__ = ["InProcessBot", "MovableClock"]


class MovableClock:
    """A wall clock that starts at *now* and moves only when told (thread-safe)."""

    def __init__(self, now: float) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def move(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, moment: float) -> None:
        with self._lock:
            self._now = moment


class InProcessBot:
    """Run the bot as ``python -m bot`` would, in a thread; stop it on leaving."""

    def __init__(
        self,
        api: FakeBotAPI,
        *,
        data_dir: Path,
        feeds_file: Path,
        clock: MovableClock,
        admins: str = "",
        env: Mapping[str, str] | None = None,
    ) -> None:
        environ = {
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.base_url,
            "NEWSBOT_DATA_DIR": str(data_dir),
            "NEWSBOT_FEEDS": str(feeds_file),
            "NEWSBOT_POLL_SECONDS": "60",
            "NEWSBOT_POLL_MAX_SECONDS": "60",
            "NEWSBOT_ADMINS": admins,
            "NEWSBOT_RATE_PRIVATE_BURST": "50",
            "NEWSBOT_RATE_GROUP_PER_MINUTE": "600",
            "NEWSBOT_COMMAND_BURST": "100",  # a test plays a quick user; budgets have their own tests
            **(env or {}),
        }
        self._settings = load_settings(environ)
        self._clock = clock
        self.bot: Bot | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)  # run_polling runs on it
        try:
            self.bot = wire(self._settings, database=DATABASE, token=self._settings.telegram_bot_token,
                            clock=self._clock)  # fmt: skip
            self._ready.set()
            self.bot.application.run_polling(drop_pending_updates=False, stop_signals=None, close_loop=False)
        except BaseException as exc:  # reported by stop()
            self._error = exc
            self._ready.set()
        finally:
            if self.bot is not None:
                self.bot.store.close()

    def __enter__(self) -> InProcessBot:
        self._thread = threading.Thread(target=self._run, name="bot", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    @property
    def services(self) -> Services:
        assert self.bot is not None
        return self.bot.services

    def wait_until(
        self, condition: Callable[[], bool], timeout: float = 15.0, what: str = "condition"
    ) -> None:
        """Wait until *condition* about the bot's state holds (looked at every 20 ms)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            threading.Event().wait(0.02)

    def stop(self) -> None:
        assert self.bot is not None and self._thread is not None
        application = self.bot.application
        deadline = time.monotonic() + 10
        while not application.running and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.05)  # (run_polling is starting: nothing to wait on but its flag)
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(application.stop_running)
        self._thread.join(30)
        if self._thread.is_alive():
            raise AssertionError("the bot did not stop within 30 s")
        if not self._loop.is_closed() and not self._loop.is_running():
            self._loop.close()
        if self._error is not None:
            raise self._error

    def __exit__(self, *exc: object) -> None:
        self.stop()

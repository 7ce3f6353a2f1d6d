"""Timing a chat's command replies while a benchmark keeps the bot busy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from tests.fakes.telegram_api import FakeBotAPI

# A chat asking every 100 or 250 ms is over a chat's command budget and reply pace (20
# commands a minute, one message a second after a burst): lifted, so that every reply shows
# how soon the bot can answer, not its allowance.
UNPACED_ASKER = {
    "NEWSBOT_COMMANDS_PER_MINUTE": "6000",
    "NEWSBOT_COMMAND_BURST": "100",
    "NEWSBOT_RATE_PRIVATE_PER_SECOND": "30",
    "NEWSBOT_RATE_PRIVATE_BURST": "30",
}
# How often the bench's own threads look at the fake Bot API. They poll rather than wait on
# it: a waiter is woken by every request the bot makes, which at hundreds of messages a
# second costs the fake (in the bench's process) more than the answers themselves, and the
# naive baseline's fake has no such waiters. Reply times come from the fake's clock, so
# the polling does not change them.
POLL_SECONDS = 0.005


def wait_quietly(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    """Wait until *condition* holds, looking every *every* seconds (see POLL_SECONDS)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def ask_repeatedly(
    api: FakeBotAPI, chat: int, every: float, stop: threading.Event, latencies: list[tuple[float, float]]
) -> None:
    """Send /list from *chat*, then again *every* seconds after each reply, until *stop*;
    record (when asked, how long the reply took) for each."""
    while not stop.is_set():
        seen = api.count_to(chat)
        asked = time.monotonic()
        api.user_says(chat, "/list")
        try:
            wait_quietly(lambda seen=seen: api.count_to(chat) > seen, 10, "the reply", every=POLL_SECONDS)
        except AssertionError:
            continue
        latencies.append((asked, api.messages_to(chat)[-1].at - asked))
        stop.wait(every)


def percentile(ordered: Sequence[float], share: float) -> float:
    """The value below which *share* of the sorted *ordered* values lie (nearest rank,
    rounding down); NaN when there are none."""
    if not ordered:
        return float("nan")
    return ordered[int(share * (len(ordered) - 1))]

"""Timing a chat's command replies while a benchmark keeps the bot busy."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from tests.fakes.telegram_api import FakeBotAPI


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
            api.wait_until(lambda seen=seen: api.count_to(chat) > seen, timeout=10)
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

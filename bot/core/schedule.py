"""When to poll a feed next: its own pace, within the operator's bounds.

Each feed is polled on its own schedule, so a slow or failing feed delays only itself. The
wait after a successful poll follows how often the feed actually publishes: a quarter of the
typical gap between its latest stories, so a feed that publishes every few minutes is polled
every minute or so and one that posts weekly rarely, always between the shortest and the
longest wait the operator allows, and the usual wait when the feed says nothing about its
pace. A server's caching headers (``Cache-Control: max-age``, ``Expires``) and the feed's
own ``<ttl>`` or ``sy:updatePeriod`` ask the bot not to come back sooner; they are honoured
up to the longest wait. A little jitter keeps feeds that started together apart.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FeedPace", "PollBounds", "feed_not_before", "next_poll_delay", "publishing_gap"]

GAP_SHARE = 0.25  # poll four times per typical gap between stories
RECENT_STORIES = 10  # how many of the latest stories tell a feed's pace


@dataclass(frozen=True, slots=True)
class PollBounds:
    """The operator's waits between two polls of one feed, in seconds."""

    usual: float
    shortest: float
    longest: float

    @classmethod
    def of(cls, usual: float, shortest: float, longest: float) -> PollBounds:
        """Bounds that always hold *usual* (a short usual wait lowers the shortest)."""
        return cls(usual=usual, shortest=min(shortest, usual), longest=max(longest, usual))

    def clamp(self, seconds: float) -> float:
        return min(self.longest, max(self.shortest, seconds))


@dataclass(frozen=True, slots=True)
class FeedPace:
    """What a poll told about a feed's pace (seconds; None where it said nothing)."""

    gap: float | None = None  # typical time between its stories (see publishing_gap)
    not_before: float | None = None  # the server's or the feed's own "not sooner than"


def publishing_gap(times: Iterable[float]) -> float | None:
    """The typical time between a feed's latest stories: the median gap between the
    distinct publication times (epoch seconds) of its latest :data:`RECENT_STORIES`
    stories, or None with fewer than three."""
    latest = sorted(set(times), reverse=True)[:RECENT_STORIES]
    if len(latest) < 3:
        return None
    gaps = [newer - older for newer, older in itertools.pairwise(latest)]
    return statistics.median(gaps)


def next_poll_delay(bounds: PollBounds, pace: FeedPace, *, jitter: float) -> float:
    """Seconds until the next poll of a feed that was just polled successfully; *jitter*
    is a random number in [0, 1)."""
    delay = bounds.usual if pace.gap is None else pace.gap * GAP_SHARE
    if pace.not_before is not None:
        delay = max(delay, min(pace.not_before, bounds.longest))
    return bounds.clamp(delay * (0.9 + 0.2 * jitter))


_PERIODS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 7 * 86400.0, "monthly": 30 * 86400.0,
            "yearly": 365 * 86400.0}  # fmt: skip


def feed_not_before(*, ttl: str = "", update_period: str = "", update_frequency: str = "") -> float | None:
    """Seconds a feed asks readers to wait between polls: its RSS ``<ttl>`` (minutes) or its
    ``sy:updatePeriod`` divided by ``sy:updateFrequency``; None when it says nothing usable."""
    waits: list[float] = []
    if ttl.strip().isdecimal() and int(ttl) > 0:
        waits.append(int(ttl) * 60.0)
    period = _PERIODS.get(update_period.strip().lower())
    if period is not None:
        frequency = update_frequency.strip()
        waits.append(period / (int(frequency) if frequency.isdecimal() and int(frequency) > 0 else 1))
    return max(waits) if waits else None

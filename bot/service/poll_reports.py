"""What polling did: for each feed, for feeds polled together, and for a whole cycle with
the delivery loop's counts (the report line operators read in the log)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.service.delivery import DeliveryCounts
from bot.service.ports import FetchOutcome

__all__ = ["Batch", "CycleReport", "FeedReport"]


@dataclass(frozen=True, slots=True)
class FeedReport:
    feed: str
    outcome: FetchOutcome
    new_items: int = 0
    alerts: int = 0
    error: str = ""
    parse_seconds: float = 0.0
    over_cap: int = 0  # new items past the per-feed cap: recorded as seen, not matched
    too_old: int = 0  # new items dated more than max_story_age ago: recorded as seen, not sent
    next_poll: float | None = None  # when the feed is due again (epoch seconds)


@dataclass(frozen=True, slots=True)
class Batch:
    """What polling some feeds together did."""

    feeds: Sequence[FeedReport]
    summarised: int = 0  # alerts over a chat's cap, told in a summary instead
    summaries: int = 0  # chats that got a summary


@dataclass(frozen=True, slots=True)
class CycleReport:
    feeds: Sequence[FeedReport]
    delivery: DeliveryCounts  # what the delivery loop did since the previous cycle
    pending: int
    seconds: float
    summarised: int = 0  # alerts over a chat's cap, told in a summary instead
    summaries: int = 0  # chats that got a summary
    ended_at: float = 0.0  # wall time (epoch seconds)

    def count(self, outcome: FetchOutcome) -> int:
        return sum(1 for feed in self.feeds if feed.outcome is outcome)

    @property
    def new_items(self) -> int:
        return sum(feed.new_items for feed in self.feeds)

    @property
    def parse_seconds(self) -> float:
        return sum(feed.parse_seconds for feed in self.feeds)

    @property
    def alerts_queued(self) -> int:
        return sum(feed.alerts for feed in self.feeds)

    @property
    def over_cap(self) -> int:
        return sum(feed.over_cap for feed in self.feeds)

    @property
    def too_old(self) -> int:
        return sum(feed.too_old for feed in self.feeds)

    def summary(self) -> str:
        held = [f"{self.over_cap} over the per-feed cap"] if self.over_cap else []
        held += [f"{self.too_old} too old"] if self.too_old else []
        kept = f" ({', '.join(held)})" if held else ""
        summarised = (
            f", {self.summarised} more in summaries to {self.summaries} chats" if self.summarised else ""
        )
        deferred = self.delivery.deferred
        retried = f", {deferred} to try again later" if deferred else ""
        return (
            f"polls in the last {self.seconds:.1f} s: {self.count(FetchOutcome.FETCHED)} feeds fetched, "
            f"{self.count(FetchOutcome.NOT_MODIFIED)} unchanged, {self.count(FetchOutcome.FAILED)} failed, "
            f"{self.count(FetchOutcome.DEFERRED)} backing off; "
            f"{self.new_items} new items{kept}; {self.alerts_queued} alerts queued{summarised}; "
            f"since the last report {self.delivery.sent} messages sent, "
            f"{self.delivery.blocked + self.delivery.failed} not sent{retried}; "
            f"{self.pending} alerts pending; "
            f"{self.parse_seconds:.1f} s CPU parsing"
        )

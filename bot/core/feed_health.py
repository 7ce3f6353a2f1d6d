"""A feed's health: what follows each answer of a feed, decided without any I/O.

Given what the bot remembers of a feed (:class:`FeedHealth`), what one fetch brought
(:class:`Answer`) and the time, :func:`after_fetch` tells what to remember now, when the
feed is due again, and whether the admins must be told that it is down or back
(:class:`Verdict`). :func:`backing_off` tells whether a failing feed may be fetched yet.

A failing feed backs off: it is tried again at its usual time, then after about one poll
interval, two, four, ... up to a cap, with jitter, or later if its server sent Retry-After
(honoured up to :data:`LONGEST_RETRY_AFTER`). Once it has failed without a break for a
while, the admins are told once, and told again when it recovers. A permanent redirect
moves the feed: later polls go to the new URL. What was remembered of a feed under another
URL does not count: a feed whose configured URL changed starts afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from bot.core.backoff import backoff_delay
from bot.core.schedule import FeedPace, PollBounds, next_poll_delay

__all__ = [
    "DEFAULT_BOUNDS",
    "LONGEST_RETRY_AFTER",
    "Answer",
    "FeedBack",
    "FeedDown",
    "FeedHealth",
    "FeedPolicy",
    "Verdict",
    "after_fetch",
    "backing_off",
    "remembered",
]

LONGEST_RETRY_AFTER = 24 * 3600.0  # a server's Retry-After is honoured up to a day (seconds)
DEFAULT_BOUNDS = PollBounds(usual=300.0, shortest=60.0, longest=1800.0)


@dataclass(frozen=True, slots=True)
class FeedPolicy:
    """When the poller polls each feed, and how it treats failing ones (seconds)."""

    bounds: PollBounds = DEFAULT_BOUNDS
    backoff_cap: float = 6 * 3600.0
    notify_after: float = 6 * 3600.0  # failing this long without a break: tell the admins

    @property
    def backoff_first(self) -> float:
        """The first wait after a second failure in a row: the usual poll interval."""
        return self.bounds.usual


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """What the bot remembers of a feed's answers between polls (the part of its stored
    state these decisions read and write)."""

    url: str  # the URL the feed is configured with
    location: str = ""  # where it is fetched from after permanent redirects ("": its URL)
    last_error: str = ""
    error_streak: int = 0  # failed polls in a row
    failing_since: float | None = None  # the first failure of the streak (epoch seconds)
    retry_at: float | None = None  # backing off: not fetched again before this time
    reported_down: bool = False  # the admins were told it is failing
    publish_gap: float | None = None  # typical seconds between its stories (its pace)

    @property
    def fetch_url(self) -> str:
        return self.location or self.url


@dataclass(frozen=True, slots=True)
class Answer:
    """What one fetch of a feed brought, as far as its health and schedule go."""

    failed: bool = False
    error: str = ""  # why it failed
    retry_after: float | None = None  # seconds the server asked the bot to wait (a failure)
    moved_to: str = ""  # its new URL, after permanent redirects
    not_before: float | None = None  # seconds the server or the feed asks readers to wait
    publish_gap: float | None = None  # the pace its stories showed (None: they did not tell)


@dataclass(frozen=True, slots=True)
class FeedDown:
    """Tell the admins: the feed has failed without a break for *failing_for* seconds,
    last with *error*."""

    event: ClassVar[str] = "down"
    error: str
    failing_for: float


@dataclass(frozen=True, slots=True)
class FeedBack:
    """Tell the admins, who were told it was down: the feed works again, after failing for
    *failed_for* seconds."""

    event: ClassVar[str] = "up"
    failed_for: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """What follows a fetch of a feed."""

    health: FeedHealth  # what to remember of the feed now
    changed: bool  # health differs from what was remembered before (write it)
    next_poll: float  # when the feed is due again (epoch seconds)
    backoff: float = 0.0  # after a failure: the wait before the next try (0: its usual time)
    notice: FeedDown | FeedBack | None = None  # what the admins must be told, if anything
    moved: bool = False  # this fetch moved the feed to a new URL (a permanent redirect)


def remembered(health: FeedHealth | None, url: str) -> FeedHealth | None:
    """What counts of *health* for the feed now configured at *url*: nothing when it was
    remembered under another URL (the feed starts afresh)."""
    return health if health is not None and health.url == url else None


def backing_off(health: FeedHealth | None, *, url: str, now: float) -> float | None:
    """Until when the failing feed configured at *url* is left alone (not fetched); None
    when it may be fetched."""
    known = remembered(health, url)
    if known is not None and known.retry_at is not None and now < known.retry_at:
        return known.retry_at
    return None


def after_fetch(
    health: FeedHealth | None,
    answer: Answer,
    *,
    url: str,
    now: float,
    policy: FeedPolicy,
    jitter: float,
) -> Verdict:
    """What follows *answer*: the feed configured at *url*, of which the bot remembered
    *health*, was fetched at *now* from the place :func:`remembered` gives (its URL when
    nothing counts). *jitter* is a random number in [0, 1) that spreads feeds which failed
    or started together."""
    previous = remembered(health, url) or FeedHealth(url)
    location = previous.location
    moved = bool(answer.moved_to) and answer.moved_to != previous.fetch_url
    if moved:
        location = "" if answer.moved_to == url else answer.moved_to
    if answer.failed:
        return _after_failure(replace(previous, location=location), answer, now, policy, jitter, moved)
    notice = None
    if previous.reported_down and previous.failing_since is not None:
        notice = FeedBack(failed_for=now - previous.failing_since)
    gap = answer.publish_gap if answer.publish_gap is not None else previous.publish_gap
    recovered = FeedHealth(url=url, location=location, publish_gap=gap)
    pace = FeedPace(gap=gap, not_before=answer.not_before)
    return Verdict(
        health=recovered,
        changed=recovered != previous,
        next_poll=now + next_poll_delay(policy.bounds, pace, jitter=jitter),
        notice=notice,
        moved=moved,
    )


def _after_failure(
    previous: FeedHealth, answer: Answer, now: float, policy: FeedPolicy, jitter: float, moved: bool
) -> Verdict:
    streak = previous.error_streak + 1
    failing_since = previous.failing_since if previous.failing_since is not None else now
    # One failure may be a blip: the next poll tries again. Waits start from the second.
    wait = 0.0
    if streak > 1:
        wait = backoff_delay(streak - 1, first=policy.backoff_first, cap=policy.backoff_cap, jitter=jitter)
    if answer.retry_after is not None:
        wait = max(wait, min(answer.retry_after, LONGEST_RETRY_AFTER))
    failing_for = now - failing_since
    tell = not previous.reported_down and failing_for >= policy.notify_after
    health = replace(
        previous,
        last_error=answer.error,
        error_streak=streak,
        failing_since=failing_since,
        retry_at=now + wait if wait else None,
        reported_down=previous.reported_down or tell,
    )
    return Verdict(
        health=health,
        changed=True,
        next_poll=now + (wait or policy.bounds.usual),
        backoff=wait,
        notice=FeedDown(error=answer.error, failing_for=failing_for) if tell else None,
        moved=moved,
    )

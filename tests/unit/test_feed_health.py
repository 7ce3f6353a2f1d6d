"""What follows a feed's answer: backoff, Retry-After, notices to the admins, recovery, moves.

Each table row is (what the bot remembered of the feed, what the fetch brought, when) and
what must follow. Jitter is 0.5 throughout, where it changes no wait.
"""

from __future__ import annotations

import pytest

from bot.core.feed_health import (
    LONGEST_RETRY_AFTER,
    Answer,
    FeedBack,
    FeedDown,
    FeedHealth,
    FeedPolicy,
    Verdict,
    after_fetch,
    backing_off,
    remembered,
)
from bot.core.schedule import PollBounds

URL = "https://wire.example/rss"
MOVED = "https://moved.example/rss"
T0 = 1_800_000_000.0
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
POLICY = FeedPolicy(
    bounds=PollBounds(usual=5 * MINUTE, shortest=MINUTE, longest=30 * MINUTE),
    backoff_cap=6 * HOUR,
    notify_after=6 * HOUR,
)
FAILED = Answer(failed=True, error="HTTP 500")
FETCHED = Answer()


def at(seconds: float) -> float:
    return T0 + seconds


def failing(streak: int, *, since: float = T0, reported: bool = False, **more: object) -> FeedHealth:
    """A feed that has failed *streak* times in a row since *since*."""
    return FeedHealth(URL, last_error="HTTP 500", error_streak=streak, failing_since=since,
                      reported_down=reported, **more)  # type: ignore[arg-type]  # fmt: skip


def follow(health: FeedHealth | None, answer: Answer, now: float, *, url: str = URL) -> Verdict:
    return after_fetch(health, answer, url=url, now=now, policy=POLICY, jitter=0.5)


# --- failures: the streak, the backoff and its cap ------------------------------------------

# (remembered, fetched at) -> (streak after, wait before the next try; 0: the usual time)
BACKOFF = [
    pytest.param(None, at(0), 1, 0.0, id="a first failure is tried again at the usual time"),
    pytest.param(failing(1), at(5 * MINUTE), 2, 5 * MINUTE, id="the second waits one poll interval"),
    pytest.param(failing(2), at(10 * MINUTE), 3, 10 * MINUTE, id="the third waits two"),
    pytest.param(failing(3), at(HOUR), 4, 20 * MINUTE, id="the fourth waits four"),
    pytest.param(failing(7), at(5 * HOUR), 8, 5 * MINUTE * 2**6, id="doubling on"),
    pytest.param(failing(8), at(6 * HOUR), 9, 6 * HOUR, id="until the cap"),
    pytest.param(failing(500), at(60 * DAY), 501, 6 * HOUR, id="never past the cap"),
]


@pytest.mark.parametrize(("health", "now", "streak", "wait"), BACKOFF)
def test_a_failing_feed_backs_off_up_to_the_cap(health, now, streak, wait):
    verdict = follow(health, FAILED, now)
    assert verdict.health.error_streak == streak
    assert verdict.health.last_error == "HTTP 500"
    assert verdict.health.failing_since == T0, "the streak is dated from its first failure"
    assert verdict.backoff == wait
    assert verdict.health.retry_at == (now + wait if wait else None)
    assert verdict.next_poll == now + (wait or POLICY.bounds.usual)
    assert verdict.changed


def test_jitter_spreads_the_waits_by_half_either_way():
    waits = [
        after_fetch(failing(3), FAILED, url=URL, now=T0, policy=POLICY, jitter=jitter).backoff
        for jitter in (0.0, 0.5, 0.999)
    ]
    assert waits[0] == 10 * MINUTE and waits[1] == 20 * MINUTE and 29 * MINUTE < waits[2] < 30 * MINUTE
    capped = after_fetch(failing(50), FAILED, url=URL, now=T0, policy=POLICY, jitter=0.999)
    assert capped.backoff == 6 * HOUR, "jitter never takes a wait past the cap"


# (remembered, Retry-After in seconds) -> wait before the next try
RETRY_AFTER = [
    pytest.param(None, HOUR, HOUR, id="asked on a first failure: waited for"),
    pytest.param(failing(1), 30.0, 5 * MINUTE, id="shorter than the backoff: the backoff"),
    pytest.param(failing(5), HOUR, 80 * MINUTE, id="shorter than a longer backoff: the backoff"),
    pytest.param(failing(5), 3 * HOUR, 3 * HOUR, id="longer than the backoff: what the server asked"),
    pytest.param(failing(50), 12 * HOUR, 12 * HOUR, id="past the backoff cap: still what it asked"),
    pytest.param(None, 30 * DAY, LONGEST_RETRY_AFTER, id="past a day: a day"),
    pytest.param(None, 0.0, 0.0, id="zero: the usual time"),
    pytest.param(None, -5.0, 0.0, id="negative: the usual time"),
]


@pytest.mark.parametrize(("health", "retry_after", "wait"), RETRY_AFTER)
def test_retry_after_is_honoured_within_bounds(health, retry_after, wait):
    answer = Answer(failed=True, error="HTTP 429", retry_after=retry_after)
    verdict = follow(health, answer, at(HOUR))
    assert verdict.backoff == wait
    assert verdict.next_poll == at(HOUR) + (wait or POLICY.bounds.usual)
    until = at(HOUR) + wait
    assert backing_off(verdict.health, url=URL, now=until - 1) == (until if wait else None)
    assert backing_off(verdict.health, url=URL, now=until) is None


# --- backing off: not fetched before its time -------------------------------------------

# (remembered, now) -> until when it is left alone (None: fetch it)
BACKING_OFF = [
    pytest.param(None, at(0), None, id="never polled"),
    pytest.param(FeedHealth(URL), at(0), None, id="healthy"),
    pytest.param(failing(1), at(0), None, id="one failure: no wait"),
    pytest.param(failing(3, retry_at=at(HOUR)), at(HOUR - 1), at(HOUR), id="before its time"),
    pytest.param(failing(3, retry_at=at(HOUR)), at(HOUR), None, id="at its time"),
    pytest.param(failing(3, retry_at=at(HOUR)), at(2 * HOUR), None, id="after its time"),
]


@pytest.mark.parametrize(("health", "now", "until"), BACKING_OFF)
def test_a_feed_is_left_alone_until_its_retry_time(health, now, until):
    assert backing_off(health, url=URL, now=now) == until


# --- the admins: told once it is down, told once it is back -------------------------------

# (remembered, fetched at, what it brought) -> the notice, and whether the admins know it is down
NOTICES = [
    pytest.param(None, at(0), FAILED, None, False, id="a first failure: nothing"),
    pytest.param(failing(20), at(6 * HOUR - 1), FAILED, None, False, id="short of the notice time"),
    pytest.param(failing(20), at(6 * HOUR), FAILED, FeedDown("HTTP 500", 6 * HOUR), True, id="at it: down"),
    pytest.param(failing(20), at(9 * HOUR), FAILED, FeedDown("HTTP 500", 9 * HOUR), True, id="past it: down"),
    pytest.param(failing(30, reported=True), at(DAY), FAILED, None, True, id="told already: nothing"),
    pytest.param(failing(30, reported=True), at(DAY), FETCHED, FeedBack(DAY), False, id="back: told"),
    pytest.param(failing(10), at(5 * HOUR), FETCHED, None, False, id="back before any notice: nothing"),
    pytest.param(FeedHealth(URL), at(DAY), FETCHED, None, False, id="healthy: nothing"),
]


@pytest.mark.parametrize(("health", "now", "answer", "notice", "down"), NOTICES)
def test_the_admins_hear_when_a_feed_is_down_and_when_it_is_back(health, now, answer, notice, down):
    verdict = follow(health, answer, now)
    assert verdict.notice == notice
    assert verdict.health.reported_down is down


def test_a_feed_down_for_days_is_told_once_and_its_recovery_once():
    """The verdicts followed poll after poll, as the poller follows them."""
    health: FeedHealth | None = FeedHealth(URL)
    now, notices = T0, []
    while now < T0 + 3 * DAY:
        verdict = follow(health, FAILED, now)
        health, now = verdict.health, verdict.next_poll
        notices += [verdict.notice] if verdict.notice else []
    assert notices == [FeedDown("HTTP 500", notices[0].failing_for)]
    assert 6 * HOUR <= notices[0].failing_for < 12 * HOUR
    for answer in (FETCHED, FETCHED, FAILED, FETCHED):
        verdict = follow(health, answer, now)
        health, now = verdict.health, verdict.next_poll
        notices += [verdict.notice] if verdict.notice else []
    assert len(notices) == 2 and isinstance(notices[1], FeedBack)
    assert notices[1].failed_for >= 3 * DAY


# --- recovery -------------------------------------------------------------------------------

RECOVERIES = [
    pytest.param(failing(1), id="after one failure"),
    pytest.param(failing(12, retry_at=at(DAY)), id="after a streak"),
    pytest.param(failing(40, reported=True, retry_at=at(2 * DAY)), id="after a streak the admins heard of"),
]


@pytest.mark.parametrize("health", RECOVERIES)
@pytest.mark.parametrize("answer", [FETCHED, Answer(not_before=60.0)], ids=["fetched", "unchanged"])
def test_an_answer_after_failures_clears_the_streak(health, answer):
    verdict = follow(health, answer, at(DAY))
    assert verdict.health == FeedHealth(URL), "no error, no streak, no wait, nothing told"
    assert verdict.changed, "the cleared streak is written"
    assert backing_off(verdict.health, url=URL, now=at(DAY)) is None


# --- when an answering feed is due next -------------------------------------------------------

# (remembered pace, what the fetch told of it) -> seconds to the next poll, and the pace kept
SCHEDULE = [
    pytest.param(None, FETCHED, 5 * MINUTE, None, id="nothing told: the usual wait"),
    pytest.param(None, Answer(publish_gap=4 * HOUR), 30 * MINUTE, 4 * HOUR, id="a slow feed: the longest"),
    pytest.param(None, Answer(publish_gap=2 * MINUTE), MINUTE, 2 * MINUTE, id="a busy feed: the shortest"),
    pytest.param(40 * MINUTE, FETCHED, 10 * MINUTE, 40 * MINUTE, id="the pace remembered"),
    pytest.param(40 * MINUTE, Answer(publish_gap=HOUR), 15 * MINUTE, HOUR, id="a new pace replaces it"),
    pytest.param(None, Answer(not_before=20 * MINUTE), 20 * MINUTE, None, id="the server's wish"),
    pytest.param(None, Answer(not_before=DAY), 30 * MINUTE, None, id="the wish, up to the longest wait"),
]


@pytest.mark.parametrize(("gap", "answer", "wait", "kept"), SCHEDULE)
def test_an_answering_feed_is_due_again_at_its_own_pace(gap, answer, wait, kept):
    verdict = follow(FeedHealth(URL, publish_gap=gap), answer, at(0))
    assert verdict.next_poll == at(wait)
    assert verdict.health.publish_gap == kept


def test_a_failure_keeps_the_pace_for_when_the_feed_is_back():
    verdict = follow(FeedHealth(URL, publish_gap=HOUR), FAILED, at(0))
    assert verdict.health.publish_gap == HOUR


# --- moves and a changed URL --------------------------------------------------------------------

# (remembered location, where the redirects ended, failed?) -> the location kept, and whether it moved
MOVES = [
    pytest.param("", MOVED, False, MOVED, True, id="moved: fetched there from now on"),
    pytest.param(MOVED, MOVED, False, MOVED, False, id="already there: no move"),
    pytest.param(MOVED, URL, False, "", True, id="moved back to its own URL"),
    pytest.param(MOVED, "https://third.example/rss", False, "https://third.example/rss", True, id="again"),
    pytest.param("", MOVED, True, MOVED, True, id="moved, then failed there: the move is kept"),
    pytest.param(MOVED, "", False, MOVED, False, id="no redirect: it stays"),
]


@pytest.mark.parametrize(("location", "moved_to", "failed", "kept", "moved"), MOVES)
def test_a_permanent_redirect_moves_the_feed(location, moved_to, failed, kept, moved):
    answer = Answer(failed=failed, error="HTTP 500" if failed else "", moved_to=moved_to)
    verdict = follow(FeedHealth(URL, location=location), answer, at(0))
    assert (verdict.health.location, verdict.moved) == (kept, moved)
    assert verdict.health.fetch_url == (kept or URL)
    assert verdict.changed is (failed or kept != location)


def test_a_feed_whose_url_changed_starts_afresh():
    old = failing(30, reported=True, retry_at=at(DAY), location=MOVED, publish_gap=HOUR)
    new = "https://wire.example/atom"
    assert remembered(old, new) is None and remembered(old, URL) == old
    assert backing_off(old, url=new, now=at(HOUR)) is None, "the old URL's wait is not the new one's"

    failed = follow(old, FAILED, at(HOUR), url=new)
    assert failed.health == FeedHealth(new, last_error="HTTP 500", error_streak=1, failing_since=at(HOUR))
    assert failed.notice is None and failed.backoff == 0

    back = follow(old, FETCHED, at(HOUR), url=new)
    assert back.notice is None, "the admins heard of the old URL, not of this one"
    assert back.health == FeedHealth(new)
    assert back.next_poll == at(HOUR + 5 * MINUTE), "the old URL's pace does not count"


def test_a_first_answer_unchanged_writes_nothing():
    verdict = follow(FeedHealth(URL), Answer(not_before=60.0), at(0))
    assert not verdict.changed and verdict.notice is None

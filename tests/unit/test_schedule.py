"""Each feed's next poll: its own pace, within the operator's bounds."""

from __future__ import annotations

import pytest

from bot.core.schedule import FeedPace, PollBounds, feed_not_before, next_poll_delay, publishing_gap

BOUNDS = PollBounds.of(usual=300, shortest=60, longest=1800)
HOUR = 3600.0


def delay(pace: FeedPace) -> float:
    return next_poll_delay(BOUNDS, pace, jitter=0.5)  # no jitter at 0.5


def test_a_feed_that_says_nothing_is_polled_at_the_usual_pace():
    assert delay(FeedPace()) == 300


def test_a_busy_feed_is_polled_more_often_than_a_quiet_one():
    wire = delay(FeedPace(gap=120))  # a story every two minutes
    hourly = delay(FeedPace(gap=HOUR))
    weekly = delay(FeedPace(gap=7 * 24 * HOUR))
    assert wire == 60, "never below the shortest wait"
    assert wire < hourly < weekly
    assert hourly == 900
    assert weekly == 1800, "never above the longest wait"


def test_a_server_that_asks_for_time_gets_it_up_to_the_longest_wait():
    assert delay(FeedPace(gap=120, not_before=600)) == 600
    assert delay(FeedPace(not_before=86400)) == 1800


def test_jitter_spreads_feeds_by_a_tenth_at_most():
    low = next_poll_delay(BOUNDS, FeedPace(), jitter=0.0)
    high = next_poll_delay(BOUNDS, FeedPace(), jitter=0.999)
    assert 270 <= low < high <= 330


def test_a_short_usual_wait_is_never_made_longer_by_the_bounds():
    bounds = PollBounds.of(usual=1, shortest=60, longest=1800)
    assert bounds.shortest == 1
    assert next_poll_delay(bounds, FeedPace(), jitter=0.5) == 1


def test_the_publishing_gap_is_the_median_of_the_latest_stories():
    stories = [1000.0 + 600 * n for n in range(30)]  # every ten minutes
    assert publishing_gap(stories) == 600
    assert publishing_gap([1.0, 2.0]) is None, "too few to tell"
    assert publishing_gap([5.0, 5.0, 5.0, 5.0]) is None, "the same time over and over tells nothing"
    burst_then_quiet = [0.0, 10 * HOUR, 20 * HOUR, 20 * HOUR + 60, 20 * HOUR + 120]
    assert publishing_gap(burst_then_quiet) == 5 * HOUR + 30


@pytest.mark.parametrize(
    ("ttl", "period", "frequency", "expected"),
    [
        ("60", "", "", 3600),
        ("", "hourly", "2", 1800),
        ("", "daily", "", 86400),
        ("15", "hourly", "1", 3600),
        ("", "", "", None),
        ("soon", "sometimes", "x", None),
        ("0", "", "", None),
    ],
)
def test_what_a_feed_says_of_its_own_pace(ttl: str, period: str, frequency: str, expected: float | None):
    assert feed_not_before(ttl=ttl, update_period=period, update_frequency=frequency) == expected

"""A chat's pace: digests, quiet hours and the flood guard decide when a story goes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.pace import (
    ChatSettings,
    DeliveryMode,
    FloodGuard,
    HoldReason,
    QuietHours,
    flood_window_end,
    next_digest,
    parse_clock,
    parse_quiet,
    parse_timezone,
    quiet_until,
    route,
)

BAGHDAD = ZoneInfo("Asia/Baghdad")  # UTC+3, no summer time
LONDON = ZoneInfo("Europe/London")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "clock"),
    [("8:00", "08:00"), ("08.30", "08:30"), ("23:59", "23:59"), ("7h05", "07:05"), ("24:00", None),
     ("8", None), ("noon", None)],
)  # fmt: skip
def test_times_of_day(text: str, clock: str | None):
    assert parse_clock(text) == clock


def test_quiet_hours_as_typed():
    assert parse_quiet("23:00-07:00") == QuietHours("23:00", "07:00")
    assert parse_quiet("22:30 – 6:15") == QuietHours("22:30", "06:15")
    assert parse_quiet("23:00 to 07:00") == QuietHours("23:00", "07:00")
    assert parse_quiet("23:00") is None and parse_quiet("07:00-07:00") is None


def test_time_zones_as_typed():
    assert parse_timezone("Asia/Baghdad") == "Asia/Baghdad"
    assert parse_timezone("asia/baghdad") == "Asia/Baghdad"
    assert parse_timezone("UTC") == "UTC"
    assert parse_timezone("Baghdad") is None and parse_timezone("../etc/passwd") is None


def test_the_daily_digest_comes_at_its_local_time():
    # 05:30 UTC is 08:30 in Baghdad: today's 08:00 has passed, so tomorrow's, 05:00 UTC.
    assert iso(next_digest(at("2027-01-15T05:30"), DeliveryMode.DAILY, daily_at="08:00", tz=BAGHDAD)) == (
        "2027-01-16 05:00"
    )
    assert iso(next_digest(at("2027-01-15T04:30"), DeliveryMode.DAILY, daily_at="08:00", tz=BAGHDAD)) == (
        "2027-01-15 05:00"
    )


def test_the_daily_digest_follows_summer_time():
    assert iso(next_digest(at("2027-07-01T12:00"), DeliveryMode.DAILY, daily_at="08:00", tz=LONDON)) == (
        "2027-07-02 07:00"
    )


def test_the_hourly_digest_comes_at_the_next_full_hour():
    assert iso(next_digest(at("2027-01-15T05:30"), DeliveryMode.HOURLY, daily_at="08:00", tz=UTC)) == (
        "2027-01-15 06:00"
    )


BERLIN = ZoneInfo("Europe/Berlin")


def test_the_night_clocks_go_back_the_later_hour_is_after_that_days_digest():
    # 27 Oct 2024: Berlin's 03:00 CEST became 02:00 CET; 02:10 came twice. The digest at
    # 02:30 went at the first 02:30 (00:30 UTC); a story at the second 02:10 (01:10 UTC)
    # waits for the next day's, never for a moment already past.
    daily = next_digest(at("2024-10-27T01:10"), DeliveryMode.DAILY, daily_at="02:30", tz=BERLIN)
    assert iso(daily) == "2024-10-28 01:30"
    assert iso(next_digest(at("2024-10-27T00:30"), DeliveryMode.HOURLY, daily_at="08:00", tz=BERLIN)) == (
        "2024-10-27 01:00"
    ), "the repeated hour has its digest too"


def test_a_daily_time_skipped_when_clocks_go_forward_comes_an_hour_later():
    # 31 Mar 2024: Berlin went from 02:00 CET to 03:00 CEST; 02:30 did not exist.
    assert iso(next_digest(at("2024-03-31T00:00"), DeliveryMode.DAILY, daily_at="02:30", tz=BERLIN)) == (
        "2024-03-31 01:30"
    )


def test_the_hourly_digest_comes_at_the_local_full_hour_in_a_half_hour_zone():
    assert iso(next_digest(at("2027-01-15T05:10"), DeliveryMode.HOURLY, daily_at="08:00",
                           tz=ZoneInfo("Asia/Kolkata"))) == "2027-01-15 05:30"  # fmt: skip


def test_quiet_hours_across_midnight():
    quiet = QuietHours("23:00", "07:00")
    assert quiet_until(at("2027-01-15T21:00"), quiet, BAGHDAD) == at("2027-01-16T04:00")  # 00:00 local
    assert quiet_until(at("2027-01-15T03:59"), quiet, BAGHDAD) == at("2027-01-15T04:00")  # 06:59 local
    assert quiet_until(at("2027-01-15T04:00"), quiet, BAGHDAD) is None  # 07:00 local
    assert quiet_until(at("2027-01-15T12:00"), quiet, BAGHDAD) is None


def test_quiet_hours_within_a_day():
    quiet = QuietHours("13:00", "14:00")
    assert quiet_until(at("2027-01-15T13:30"), quiet, UTC) == at("2027-01-15T14:00")
    assert quiet_until(at("2027-01-15T14:30"), quiet, UTC) is None


NOON = at("2027-01-15T12:00")


DEFAULT = ChatSettings()
GUARD = FloodGuard()


def go(settings: ChatSettings = DEFAULT, modes=(DeliveryMode.INSTANT,), recent=(), flood=GUARD):
    return route(NOON, modes=list(modes), settings=settings, tz=UTC, flood=flood, recent_alerts=list(recent))


def test_an_instant_story_goes_at_once():
    assert go().hold is None


def test_a_story_only_digest_subscriptions_matched_waits_for_the_earliest_digest():
    routed = go(modes=(DeliveryMode.DAILY, DeliveryMode.HOURLY))
    assert routed.hold is not None and routed.hold.reason is HoldReason.HOURLY
    assert iso(routed.hold.until) == "2027-01-15 13:00"


def test_one_instant_subscription_is_enough_to_send_at_once():
    assert go(modes=(DeliveryMode.DAILY, DeliveryMode.INSTANT)).hold is None


def test_quiet_hours_hold_or_silence():
    quiet = ChatSettings(quiet=QuietHours("11:00", "13:00"))
    held = go(quiet)
    assert (
        held.hold is not None
        and held.hold.reason is HoldReason.QUIET
        and iso(held.hold.until) == "2027-01-15 13:00"
    )
    silent = go(ChatSettings(quiet=QuietHours("11:00", "13:00", silent=True)))
    assert silent.hold is None and silent.silent


def test_the_flood_guard_holds_what_comes_after_its_alerts_until_the_window_ends():
    guard = FloodGuard(alerts=10, window=3600)
    first = NOON - 1800
    nine = [first + n for n in range(9)]
    assert go(recent=nine, flood=guard).hold is None
    held = go(recent=[*nine, first + 9], flood=guard)
    assert held.hold is not None and held.hold.reason is HoldReason.FLOOD and held.hold.until == first + 3600
    assert go(recent=[*nine, first + 9], flood=FloodGuard(alerts=0)).hold is None, "0 turns the guard off"


def test_a_new_window_opens_with_the_first_alert_after_the_last_one_ended():
    guard = FloodGuard(alerts=2, window=100)
    assert flood_window_end([0, 1], now=50, flood=guard) == 100
    assert flood_window_end([0, 1], now=100, flood=guard) is None
    assert flood_window_end([0, 1, 150], now=160, flood=guard) is None
    assert flood_window_end([0, 1, 150, 151], now=160, flood=guard) == 250

"""Dates as real feeds write them, read as the feed meant them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.dates import parse_feed_date


@pytest.mark.parametrize(
    ("text", "moment", "zoned", "day_only"),
    [
        ("Sat, 18 May 2019 10:52:50 +0300", datetime(2019, 5, 18, 7, 52, 50, tzinfo=UTC), True, False),
        ("Sun, 25 Mar 2018 11:52:46 GMT", datetime(2018, 3, 25, 11, 52, 46, tzinfo=UTC), True, False),
        ("Tue, 21 Aug 2012 10:33:00 EST", datetime(2012, 8, 21, 15, 33, tzinfo=UTC), True, False),
        ("07 Jan 2017 17:12:53 +0300", datetime(2017, 1, 7, 14, 12, 53, tzinfo=UTC), True, False),
        ("Wed, 6 Apr 2022 21:07:47 +0000", datetime(2022, 4, 6, 21, 7, 47, tzinfo=UTC), True, False),
        ("2016-02-01T17:22:00+01:00", datetime(2016, 2, 1, 16, 22, tzinfo=UTC), True, False),
        ("2019-07-10T11:53:37Z", datetime(2019, 7, 10, 11, 53, 37, tzinfo=UTC), True, False),
        ("2019-07-10T11:53:37.123Z", datetime(2019, 7, 10, 11, 53, 37, tzinfo=UTC), True, False),
        # Portuguese names (UOL): feedparser gives no date at all.
        ("Seg, 24 Set 2018 19:42:40 -0300", datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC), True, False),
        ("mer., 05 févr. 2020 10:00:00 +0100", datetime(2020, 2, 5, 9, 0, tzinfo=UTC), True, False),
        # No zone (a Chinese forum): feedparser read "2020/1/10 14:33" as 1 December 2020.
        ("2020/1/10 14:33:00", datetime(2020, 1, 10, 14, 33, tzinfo=UTC), False, False),
        ("2020-01-10 14:33", datetime(2020, 1, 10, 14, 33, tzinfo=UTC), False, False),
        # News18 Hindi: feedparser gives no date.
        ("Friday, January 29, 2021 04:42 PM", datetime(2021, 1, 29, 16, 42, tzinfo=UTC), False, False),
        ("January 29, 2021 12:05 AM", datetime(2021, 1, 29, 0, 5, tzinfo=UTC), False, False),
        # Days without a time, or midnight in the feed's own zone: the day itself.
        ("Wed, 25 Jan 2017 00:00:00 +0300", datetime(2017, 1, 24, 21, 0, tzinfo=UTC), True, True),
        ("2017-01-25", datetime(2017, 1, 25, tzinfo=UTC), False, True),
        ("25 Jan 2017", datetime(2017, 1, 25, tzinfo=UTC), False, True),
    ],
)
def test_dates_real_feeds_write(text: str, moment: datetime, zoned: bool, day_only: bool):
    parsed = parse_feed_date(text)
    assert parsed is not None
    assert (parsed.moment, parsed.zoned, parsed.day_only) == (moment, zoned, day_only)


def test_the_written_day_is_kept_for_a_day_only_date():
    parsed = parse_feed_date("Wed, 25 Jan 2017 00:00:00 +0300")
    assert parsed is not None and parsed.written.date().isoformat() == "2017-01-25"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "yesterday",
        "2020/13/45 10:00",
        "32 Jan 2017",
        "Friday, Smarch 29, 2021",
        "x" * 500,
        "13:45 PM",
    ],
)
def test_what_is_not_a_date(text: str):
    assert parse_feed_date(text) is None

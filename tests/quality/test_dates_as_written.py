"""Feed dates read as written, and alert dates read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.quality.dates_as_written import read_shown_date, read_written_date


@pytest.mark.parametrize(
    ("written", "moment", "has_time"),
    [
        ("Sat, 07 Jan 2017 03:51:18 GMT", datetime(2017, 1, 7, 3, 51, 18, tzinfo=UTC), True),
        ("07 Jan 2017 17:12:53 +0300", datetime(2017, 1, 7, 14, 12, 53, tzinfo=UTC), True),
        ("Tue, 7 Aug 2012 11:02:03 EST", datetime(2012, 8, 7, 16, 2, 3, tzinfo=UTC), True),
        ("Wed, 25 Jan 2017 00:00:00 +0300", datetime(2017, 1, 24, 21, 0, tzinfo=UTC), False),
        ("Seg, 24 Set 2018 19:42:40 -0300", datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC), True),
        ("2020-01-19T16:08:59+11:00", datetime(2020, 1, 19, 5, 8, 59, tzinfo=UTC), True),
        ("2023-07-23T10:50:44Z", datetime(2023, 7, 23, 10, 50, 44, tzinfo=UTC), True),
        ("2020/1/10 14:33:00", datetime(2020, 1, 10, 14, 33, tzinfo=UTC), True),  # no zone: read as UTC
        ("2017-01-25", datetime(2017, 1, 25, tzinfo=UTC), False),
    ],
)
def test_feed_dates_are_read_as_written(written: str, moment: datetime, has_time: bool) -> None:
    said = read_written_date(written)
    assert said is not None
    assert (said.moment, said.has_time) == (moment, has_time)


@pytest.mark.parametrize("written", ["", "sometime last week", "32 Jan 2017", "Sat, 07 Foo 2017"])
def test_what_is_not_a_date_is_not_read(written: str) -> None:
    assert read_written_date(written) is None


def test_an_alert_date_is_read_back_with_its_zone() -> None:
    shown = read_shown_date("25 Nov 2026, 14:05 UTC")
    assert shown is not None and shown.offset == timedelta(0) and shown.has_time
    baghdad = read_shown_date("25 Nov 2026, 17:05 +03")
    assert baghdad is not None and baghdad.offset == timedelta(hours=3)
    assert read_shown_date("no date here") is None

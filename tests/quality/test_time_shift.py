"""Feeds served as if published today: dates moved by whole days, in their own shape."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from bot.core.dates import parse_feed_date
from tests.quality.feed_corpus import FeedFile, Outlet, feed_files
from tests.quality.time_shift import (
    DAY,
    RFC822,
    WEEK,
    Style,
    date_texts,
    shift_date_text,
    shift_feed,
    steps_to_bring,
    style_of,
)

NOW = datetime(2026, 12, 1, 16, 15, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("written", "days", "moved"),
    [
        # RFC 822 with English names, a numeric zone, a named zone, GMT, no weekday
        ("Wed, 25 Jan 2017 14:34:54 +0300", 7, "Wed, 01 Feb 2017 14:34:54 +0300"),
        ("Wed, 25 Jan 2017 14:34:54 +0300", 1, "Thu, 26 Jan 2017 14:34:54 +0300"),
        ("Fri, 24 Aug 2012 08:45:54 EST", 5208, "Fri, 27 Nov 2026 08:45:54 EST"),
        ("Sat, 28 Dec 2019 10:00:00 GMT", 5, "Thu, 02 Jan 2020 10:00:00 GMT"),
        ("07 Jan 2017 17:12:53 +0300", -7, "31 Dec 2016 17:12:53 +0300"),
        ("WED, 25 JAN 2017 14:34:54 +0300", 8, "THU, 02 FEB 2017 14:34:54 +0300"),
        # Portuguese names (UOL): the weekday and month keep their language
        ("Seg, 24 Set 2018 19:42:40 -0300", 7, "Seg, 01 Out 2018 19:42:40 -0300"),
        ("Seg, 24 Set 2018 19:42:40 -0300", 5, "Sáb, 29 Set 2018 19:42:40 -0300"),
        ("Sex, 28 Set 2018 19:42:40 -0300", 65, "Dom, 02 Dez 2018 19:42:40 -0300"),
        # News18's channel date, whose weekday slot holds a month: left as it is
        ("January, 29 Jan 2021 17:56:15 +0530", 3, "January, 01 Feb 2021 17:56:15 +0530"),
        # ISO 8601 with its offset, with a space, and a date alone
        ("2017-01-23T21:54:55+01:00", 14, "2017-02-06T21:54:55+01:00"),
        ("2023-07-23T17:57:55.123Z", 9, "2023-08-01T17:57:55.123Z"),
        ("2019-05-18 10:58:46 +0300", 2751, "2026-11-28 10:58:46 +0300"),
        ("2017-01-25", 7, "2017-02-01"),
        # kc0011's slashed date without a zone, its month unpadded
        ("2020/1/10 14:33:00", 21, "2020/1/31 14:33:00"),
        ("2020/1/10 14:33:00", 28, "2020/2/7 14:33:00"),
        # a US date with full names and a 12-hour clock (News18)
        ("Friday, January 29, 2021 04:42 PM", 3, "Monday, February 01, 2021 04:42 PM"),
        ("January 29, 2021", 7, "February 05, 2021"),
        # spaces around the date are kept
        ("  Wed, 03 Jan 2018 13:47:00 GMT\r\n      ", 7, "  Wed, 10 Jan 2018 13:47:00 GMT\r\n      "),
    ],
)
def test_a_date_moves_in_its_own_shape(written: str, days: int, moved: str) -> None:
    assert shift_date_text(written, days) == moved
    before, after = parse_feed_date(written), parse_feed_date(moved)
    assert before is not None and after is not None
    assert after.moment - before.moment == timedelta(days=days)


def test_a_day_written_without_its_zero_stays_so() -> None:
    # Hacker News writes "Wed, 6 Apr 2022": a day of two digits takes the feed's habit.
    style = style_of(["Wed, 6 Apr 2022 21:07:47 +0000", "Tue, 12 Apr 2022 10:00:00 +0000"])
    assert style == Style(unpadded=frozenset({RFC822}))
    assert shift_date_text("Tue, 12 Apr 2022 10:00:00 +0000", -7, style) == "Tue, 5 Apr 2022 10:00:00 +0000"
    assert shift_date_text("Wed, 6 Apr 2022 21:07:47 +0000", 7, style) == "Wed, 13 Apr 2022 21:07:47 +0000"
    assert shift_date_text("Tue, 12 Apr 2022 10:00:00 +0000", -7) == "Tue, 05 Apr 2022 10:00:00 +0000"


def test_a_portuguese_feed_names_months_in_portuguese_even_without_a_weekday() -> None:
    style = style_of(["Seg, 24 Set 2018 19:42:40 -0300", "24 Jan 2019 10:00:00 -0300"])
    assert style.portuguese
    assert shift_date_text("24 Jan 2019 10:00:00 -0300", 28, style) == "21 Fev 2019 10:00:00 -0300"
    assert shift_date_text("24 Jan 2019 10:00:00 -0300", 28) == "21 Feb 2019 10:00:00 -0300"
    # an English weekday or month in the same feed stays English
    assert shift_date_text("Thu, 24 Jan 2019 10:00:00 -0300", 70, style) == "Thu, 04 Apr 2019 10:00:00 -0300"
    assert shift_date_text("24 Dec 2018 10:00:00 -0300", 31, style) == "24 Jan 2019 10:00:00 -0300"
    plain = style_of(["Sab, 29 Set 2018 10:00:00 -0300"])
    assert shift_date_text("Seg, 24 Set 2018 19:42:40 -0300", 5, plain) == "Sab, 29 Set 2018 19:42:40 -0300"


_ENGLISH_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_PORTUGUESE_DAYS = ("Seg", "Ter", "Qua", "Qui", "Sex", "Sáb", "Dom")


@pytest.mark.parametrize("days", [*range(-5000, 5001, 373), *range(-8, 9)])
def test_the_weekday_name_stays_right(days: int) -> None:
    for written, names in (
        ("Wed, 25 Jan 2017 14:34:54 +0300", _ENGLISH_DAYS),
        ("Sat, 29 Feb 2020 23:59:59 -1100", _ENGLISH_DAYS),
        ("Seg, 24 Set 2018 19:42:40 -0300", _PORTUGUESE_DAYS),
    ):
        moved = shift_date_text(written, days)
        assert moved is not None
        read = parse_feed_date(moved)
        assert read is not None
        assert moved.split(",")[0] == names[read.written.weekday()]
        assert moved[-14:] == written[-14:]  # the time and zone as written
    us = shift_date_text("Friday, January 29, 2021 04:42 PM", days)
    assert us is not None and (read := parse_feed_date(us)) is not None
    assert us.split(",")[0] == read.written.strftime("%A")


@pytest.mark.parametrize(
    "written", ["", "sometime last week", "32 Jan 2017", "Sat, 07 Foo 2017", "1485354894", "Sept 5, 2017"]
)
def test_what_cannot_be_read_or_rewritten_is_not_moved(written: str) -> None:
    assert shift_date_text(written, 7) is None


def test_the_newest_entry_is_brought_into_the_step_before_the_run() -> None:
    for step in (DAY, WEEK):
        for newest in (NOW - timedelta(days=3000, hours=5), NOW - timedelta(hours=23), NOW):
            steps = steps_to_bring(newest, NOW, step)
            assert NOW - step < newest + steps * step <= NOW
    assert steps_to_bring(NOW + timedelta(hours=1), NOW) == -1


def _rss(
    encoding: str, *items: tuple[str, str], channel_date: str = "", text: str = "snow"
) -> tuple[bytes, list[bytes]]:
    """A feed in *encoding* whose titles and descriptions say *text*, and its parts between
    the date texts."""
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>{text}</title>'
    parts, texts = [head], []
    if channel_date:
        parts[-1] += "<lastBuildDate>"
        texts.append(channel_date)
        parts.append("</lastBuildDate>")
    for title, written in items:
        parts[-1] += f"\n<item><title>{title}</title><description>{text}: {title}</description><pubDate>"
        texts.append(written)
        parts.append("</pubDate></item>")
    parts[-1] += "\n</channel></rss>\n"
    encoded = [part.encode(encoding) for part in parts]
    body = encoded[0] + b"".join(t.encode() + p for t, p in zip(texts, encoded[1:], strict=True))
    return body, encoded


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("windows-1251", "В Оренбурге «снег»"),
        ("gb2312", "和平鸽 下雪"),
        ("iso-8859-7", "Καραντίνα στην Αθήνα"),
        ("iso-8859-1", "Não há neve em Lisboa"),
        ("utf-8", "В Оренбурге «снег» 下雪 برف"),
    ],
)
def test_only_the_dates_change_whatever_the_encoding(encoding: str, text: str) -> None:
    body, parts = _rss(
        encoding,
        ("1", "Thu, 23 Jan 2014 09:33:08 +0600"),
        ("2", "Wed, 22 Jan 2014 20:31:31 +0600"),
        channel_date="Thu, 23 Jan 2014 09:40:00 +0600",
        text=text,
    )
    newest = datetime(2014, 1, 23, 3, 33, 8, tzinfo=UTC)
    shifted = shift_feed(body, newest=newest, now=NOW, encoding=encoding)
    assert shifted.days == (date(2026, 12, 1) - date(2014, 1, 23)).days
    dates = [
        "Tue, 01 Dec 2026 09:40:00 +0600",
        "Tue, 01 Dec 2026 09:33:08 +0600",
        "Mon, 30 Nov 2026 20:31:31 +0600",
    ]
    assert shifted.body == parts[0] + b"".join(d.encode() + p for d, p in zip(dates, parts[1:], strict=True))
    assert (shifted.moved, shifted.held_back, shifted.left_as_written) == (3, (), ())
    read = feedparser.parse(io.BytesIO(shifted.body))
    assert [e.summary for e in read.entries] == [f"{text}: 1", f"{text}: 2"]


def test_a_name_outside_ascii_is_written_in_the_document_s_encoding() -> None:
    # UOL's Latin-1 feed: a Monday moved to a Saturday is "Sáb", one byte for the "á".
    body, parts = _rss("iso-8859-1", ("1", "Seg, 24 Set 2018 19:42:40 -0300"), text="Não")
    sunday = datetime(2026, 11, 29, 12, tzinfo=UTC)
    shifted = shift_feed(
        body, newest=datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC), now=sunday, encoding="iso-8859-1"
    )
    assert shifted.body == parts[0] + b"S\xe1b, 28 Nov 2026 19:42:40 -0300" + parts[1]
    again = shift_feed(shifted.body, newest=None, now=sunday + timedelta(days=2), encoding="iso-8859-1")
    assert again.body == parts[0] + b"Seg, 30 Nov 2026 19:42:40 -0300" + parts[1]


def test_whole_weeks_keep_every_weekday_name() -> None:
    body, _ = _rss(
        "utf-8", ("1", "Wed, 25 Jan 2017 14:34:54 +0300"), ("2", "Seg, 24 Set 2018 19:42:40 -0300")
    )
    shifted = shift_feed(body, newest=None, now=NOW, step=WEEK)
    assert shifted.days % 7 == 0
    wednesday = (date(2017, 1, 25) + timedelta(days=shifted.days)).strftime("%d %b %Y")
    assert f"<pubDate>Wed, {wednesday} 14:34:54 +0300<".encode() in shifted.body
    assert b"<pubDate>Seg, 30 Nov 2026 19:42:40 -0300<" in shifted.body


def test_a_date_that_would_land_after_the_run_is_moved_further_back() -> None:
    # BBC News: a channel date of 2023 above entries of 2018.
    body, _ = _rss(
        "utf-8", ("story", "Sun, 25 Mar 2018 11:52:46 GMT"), channel_date="Fri, 24 Nov 2023 14:59:44 GMT"
    )
    shifted = shift_feed(body, newest=datetime(2018, 3, 25, 11, 52, 46, tzinfo=UTC), now=NOW)
    assert shifted.held_back == ("Fri, 24 Nov 2023 14:59:44 GMT",)
    assert b"<lastBuildDate>Tue, 01 Dec 2026 14:59:44 GMT<" in shifted.body
    assert b"<pubDate>Tue, 01 Dec 2026 11:52:46 GMT<" in shifted.body


def test_an_unreadable_date_is_left_as_written_and_listed() -> None:
    body = (
        (
            '<rss version="2.0"><channel><title>T</title>'
            "<item><title>a</title><pubDate>Wed, 25 Jan 2017 14:34:54 +0300</pubDate></item>"
            "<item><title>b</title><pubDate>sometime last week</pubDate></item>"
            "<item><title>c</title><pubDate>25 févr. 2017 10:00 +0100</pubDate></item>"
        ).encode()
        + b"<item><title>d</title><pubDate>26 f\xe9vr. 2017 10:00 +0100</pubDate></item></channel></rss>"
    )
    shifted = shift_feed(body, newest=datetime(2017, 1, 25, 11, 34, 54, tzinfo=UTC), now=NOW)
    assert shifted.moved == 1
    # a French month name is not one the rewriting knows; Latin-1 bytes in UTF-8 do not decode
    assert shifted.left_as_written == (
        "sometime last week",
        "25 févr. 2017 10:00 +0100",
        "26 f\\xe9vr. 2017 10:00 +0100",
    )
    assert b"<pubDate>Tue, 01 Dec 2026 14:34:54 +0300</pubDate>" in shifted.body
    assert body.split(b"</pubDate>", 1)[1] == shifted.body.split(b"</pubDate>", 1)[1]


def test_dates_in_cdata_atom_and_dublin_core_move_too() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><updated>2020-01-19T16:08:59+11:00</updated>'
        b"<entry><published>2020-01-19T16:01:56+11:00</published><updated>2020-01-19T16:08:59+11:00</updated>"
        b"<dc:date>2020-01-19T05:01:56Z</dc:date>"
        b"<pubDate><![CDATA[Sun, 19 Jan 2020 05:01:56 GMT]]> </pubDate>"
        b"<summary>Released on 2020-01-19, see &lt;updated&gt;</summary></entry></feed>"
    )
    shifted = shift_feed(body, newest=datetime(2020, 1, 19, 5, 8, 59, tzinfo=UTC), now=NOW)
    assert shifted.moved == 5
    assert shifted.body == body.replace(b"2020-01-19T", b"2026-12-01T").replace(
        b"Sun, 19 Jan 2020", b"Tue, 01 Dec 2026"
    )


def test_a_served_feed_is_read_back_from_the_bytes_served(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(
        _rss("utf-8", ("new", "Sat, 07 Jan 2017 10:00:00 GMT"), ("old", "Fri, 06 Jan 2017 10:00:00 +0000"))[0]
    )
    served = FeedFile(path, Outlet("Test", "application/rss+xml")).served_at(NOW)
    assert (
        served.time_shift is not None
        and served.time_shift.days == (date(2026, 12, 1) - date(2017, 1, 7)).days
    )
    assert served.story(0).written_date == "Tue, 01 Dec 2026 10:00:00 GMT"
    assert b"Mon, 30 Nov 2026 10:00:00 +0000" in served.with_oldest_only()
    assert b"Tue, 01 Dec 2026" not in served.with_oldest_only()
    assert served.feed_time == datetime(2026, 12, 1, 10, tzinfo=UTC)


def _between_dates(body: bytes) -> list[bytes]:
    spans = [(d.start, d.end) for d in date_texts(body)]
    ends = [0] + [end for _, end in spans]
    starts = [start for start, _ in spans] + [len(body)]
    return [body[end:start] for end, start in zip(ends, starts, strict=True)]


def _weekday_is_right(text: str) -> bool:
    read = parse_feed_date(text)
    name = text.strip().split(",")[0]
    if read is None or name not in _ENGLISH_DAYS + _PORTUGUESE_DAYS:
        return False
    return read.written.weekday() == (
        _ENGLISH_DAYS.index(name) if name in _ENGLISH_DAYS else _PORTUGUESE_DAYS.index(name)
    )


@pytest.mark.skipif(not feed_files(), reason="the shared feed corpus is not present")
def test_every_date_of_the_corpus_moves_and_nothing_else_does() -> None:
    for feed in feed_files():
        served = feed.served_at(NOW)
        shift = served.time_shift
        assert shift is not None
        assert not shift.left_as_written, (feed.path.name, shift.left_as_written)
        assert _between_dates(served.body) == _between_dates(feed.file_bytes), feed.path.name
        before, after = date_texts(feed.file_bytes), date_texts(served.body)
        assert shift.moved == len(before) == len(after)
        for old, new in zip(before, after, strict=True):
            assert old.text is not None and new.text is not None
            assert _weekday_is_right(new.text) == _weekday_is_right(old.text), (old.text, new.text)
        assert [e.get("title") for e in served.entries] == [e.get("title") for e in feed.entries]
        dated = []
        for entry in served.entries:
            for name in ("published", "updated", "created"):
                if (read := parse_feed_date(entry.get(name) or "")) is not None:
                    assert read.moment <= NOW, (feed.path.name, entry.get(name))
            if read := parse_feed_date(entry.get("published") or entry.get("updated") or ""):
                dated.append(read.moment)
        if dated:
            assert NOW - DAY < max(dated) <= NOW, feed.path.name

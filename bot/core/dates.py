"""Dates as feeds write them, beyond RFC 822 and ISO 8601.

Real feeds write ``2020/1/10 14:33:00`` (no zone), ``Friday, January 29, 2021 04:42 PM``,
``Seg, 24 Set 2018 19:42:40 -0300`` (Portuguese names) or give only a day. feedparser
misreads or drops several of these, so the bot reads the raw date text itself and keeps
what the feed meant:

* a time with a zone is a moment, shown in the reader's time zone;
* a time without a zone is shown as written (the bot cannot know the feed's zone), and taken
  as UTC where a moment is needed (to tell an old story from a new one);
* a date without a time, or midnight exactly in the feed's own zone (how many systems write
  a bare date), is shown as that date, never shifted to the day before by a time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz

__all__ = ["FeedDate", "parse_feed_date"]


@dataclass(frozen=True, slots=True)
class FeedDate:
    """A date from a feed. ``moment`` is aware (UTC when the feed gave no zone);
    ``written`` is the date and time as the feed wrote them, in its own zone."""

    moment: datetime
    written: datetime
    zoned: bool = True
    day_only: bool = False


# Month names and abbreviations in the languages of the bot's feeds that write RFC 822
# dates with local names (checked on real feeds: Portuguese; the others are the same shape).
_MONTHS = {
    1: "jan janeiro enero ene janvier janv januar gennaio gen januari",
    2: "feb fev fevereiro febrero février févr fevr februar febbraio februari",
    3: "mar março marco marzo mars märz maerz maart",
    4: "apr abr abril avril avr aprile",
    5: "may mai maio mayo maggio mag mei",
    6: "jun june junho junio juin juni giugno giu",
    7: "jul july julho julio juillet juil juli luglio lug",
    8: "aug ago agosto août aout augustus",
    9: "sep sept set setembro septiembre septembre september settembre",
    10: "oct out outubro octubre octobre okt oktober ottobre ott",
    11: "nov novembro noviembre novembre november",
    12: "dec dez dezembro diciembre dic décembre dezember dicembre december",
}
_ENGLISH_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FULL_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")  # fmt: skip
_MONTH_OF = {name: number for number, names in _MONTHS.items() for name in names.split()}
_MONTH_OF.update({name: number for number, name in enumerate(_FULL_MONTHS, start=1)})

_WEEKDAY = re.compile(r"^\s*[^\W\d_]{2,12}\.?,\s*")  # "Wed, ", "Seg, ", "Friday, "
_NUMERIC = re.compile(
    r"^\s*(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)
_US = re.compile(
    r"^\s*([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})(?:[ ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
    r"\s*([+-]\d{4}|[A-Z]{1,4})?\s*$"
)
_DAY_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})\s+([^\W\d_]+)\.?\s+(\d{2,4})\b(.*)$")


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _make(
    date: tuple[int, int, int], time: tuple[int, int, int], zone: timezone | None, *, timed: bool
) -> FeedDate | None:
    try:
        written = datetime(*date, *time)
    except ValueError:
        return None
    moment = written.replace(tzinfo=zone or UTC).astimezone(UTC)
    midnight = time == (0, 0, 0)
    return FeedDate(moment=moment, written=written, zoned=zone is not None, day_only=not timed or midnight)


def _english(text: str) -> str:
    """RFC 822 text with a leading weekday dropped and month names made English."""
    text = _WEEKDAY.sub("", text)
    match = _DAY_MONTH_YEAR.match(text)
    if match is None:
        return text
    day, month, year, rest = match.groups()
    number = _MONTH_OF.get(month.casefold().rstrip("."))
    if number is None:
        return text
    return f"{day} {_ENGLISH_MONTHS[number - 1]} {year}{rest}"


def _rfc822(text: str) -> FeedDate | None:
    english = _english(text)
    if not re.match(r"^\s*\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}", english):
        return None
    timed = bool(re.search(r"\d{1,2}:\d{2}", english))
    parsed = parsedate_tz(english if timed else f"{english.strip()} 00:00:00")
    if parsed is None:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    # parsedate_tz reads a missing zone as UTC: only a zone written after the time counts.
    written_zone = re.search(r"\d{1,2}:\d{2}(?::\d{2})?\s+[+-]?[A-Za-z0-9]", english)
    offset = parsed[9] if written_zone else None
    zone = timezone(timedelta(seconds=offset)) if offset is not None else None
    return _make((year, month, day), (hour, minute, second), zone, timed=timed)


def _numeric(text: str) -> FeedDate | None:
    match = _NUMERIC.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    time = (int(hour or 0), int(minute or 0), int(second or 0))
    return _make((int(year), int(month), int(day)), time, _zone(zone), timed=hour is not None)


def _us(text: str) -> FeedDate | None:
    match = _US.match(_WEEKDAY.sub("", text))
    if match is None:
        return None
    month_name, day, year, hour, minute, second, half, zone = match.groups()
    month = _MONTH_OF.get(month_name.casefold())
    if month is None:
        return None
    hours = int(hour or 0)
    if half is not None:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if half.lower() == "pm" else 0)
    tz: timezone | None = None
    if zone:
        if zone[0] in "+-":
            tz = _zone(zone)
        else:
            parsed = parsedate_tz(f"1 Jan 2000 00:00 {zone}")
            if parsed is None or parsed[9] is None:
                return None
            tz = timezone(timedelta(seconds=parsed[9]))
    time = (hours, int(minute or 0), int(second or 0))
    return _make((int(year), month, int(day)), time, tz, timed=hour is not None)


def parse_feed_date(text: str) -> FeedDate | None:
    """The date *text* stands for (see the module docstring), or None when it is not one."""
    if not isinstance(text, str) or not text.strip() or len(text) > 100:
        return None
    for parse in (_numeric, _rfc822, _us):
        found = parse(text)
        if found is not None and 1970 <= found.moment.year <= 9998:
            return found
    return None

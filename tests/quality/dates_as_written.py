"""A feed's date string read as its writer meant it, and an alert's shown date read back.

Written apart from feedparser on purpose: the point is to compare what the bot showed with
what the feed said, including the forms feedparser reads differently or not at all
(``2020/1/10 14:33:00``, ``Seg, 24 Set 2018 19:42:40 -0300``). A date whose time is
exactly midnight is taken for a date alone: feeds write ``25 Jan 2017 00:00:00 +0300``
when they know only the day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["ShownDate", "WrittenDate", "read_shown_date", "read_written_date"]

_ENGLISH_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {
    # English, then the Portuguese, German, French and Spanish forms seen in feeds
    **{m: i for i, m in enumerate(_ENGLISH_MONTHS, start=1)},
    **{"fev": 2, "abr": 4, "mai": 5, "ago": 8, "set": 9, "out": 10, "dez": 12},
    **{"mär": 3, "mrz": 3, "okt": 10},
    **{"janv": 1, "févr": 2, "fevr": 2, "mars": 3, "avr": 4, "juin": 6, "juil": 7, "août": 8, "aout": 8},
    **{"sept": 9, "déc": 12},
    **{"ene": 1, "dic": 12},
}
_ZONES = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "cet": 1, "cest": 2, "msk": 3,
}  # fmt: skip

_ZONE = r"(?P<zone>[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?"
_TIME = r"(?:[T\s]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?)?"
_RFC822 = re.compile(
    r"^(?:[^\d\s,]+,?\s+)?(?P<d>\d{1,2})\s+(?P<mon>[^\W\d_]{3,5})\.?\s+(?P<y>\d{2,4})"
    + _TIME
    + r"\s*"
    + _ZONE
)
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<mon>\d{1,2})-(?P<d>\d{1,2})" + _TIME + r"\s*" + _ZONE)
_SLASHED = re.compile(r"^(?P<y>\d{4})/(?P<mon>\d{1,2})/(?P<d>\d{1,2})" + _TIME + r"\s*" + _ZONE)


@dataclass(frozen=True, slots=True)
class WrittenDate:
    """A date as a feed wrote it: the wall-clock time written, the offset if the feed gave
    one, and whether a time of day was given (midnight counts as none)."""

    wall: datetime  # naive
    offset: timedelta | None
    has_time: bool

    @property
    def moment(self) -> datetime:
        """The moment meant; a date without a zone is taken as UTC."""
        return (self.wall - (self.offset or timedelta())).replace(tzinfo=UTC)


def _offset(zone: str | None) -> timedelta | None:
    if not zone:
        return None
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        sign = -1 if zone[0] == "-" else 1
        return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
    hours = _ZONES.get(zone.lower())
    return None if hours is None else timedelta(hours=hours)


def read_written_date(text: str) -> WrittenDate | None:
    """Read an RFC 822 date (any language's month names), an ISO 8601 / W3C date or a
    ``Y/M/D h:m:s`` date; None for anything else."""
    text = text.strip()
    for pattern in (_RFC822, _ISO, _SLASHED):
        found = pattern.match(text)
        if not found:
            continue
        month_text = found["mon"]
        month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower()[:4].rstrip("."))
        if month is None:
            month = _MONTHS.get(month_text.lower()[:3])
        if month is None:
            return None
        year = int(found["y"])
        year += 2000 if year < 50 else 1900 if year < 100 else 0
        hour, minute, second = (int(found[k] or 0) for k in ("h", "mi", "s"))
        try:
            wall = datetime(year, month, int(found["d"]), hour, minute, second)
        except ValueError:
            return None
        has_time = found["h"] is not None and (hour, minute, second) != (0, 0, 0)
        return WrittenDate(wall, _offset(found["zone"]), has_time)
    return None


@dataclass(frozen=True, slots=True)
class ShownDate:
    """A date as an alert shows it: wall-clock time, and the zone's offset if it can be told."""

    wall: datetime
    offset: timedelta | None
    has_time: bool


_SHOWN = re.compile(
    r"(?P<d>\d{1,2}) (?P<mon>[^\W\d_]{3,})\.? (?P<y>\d{4})"
    r"(?:,? (?P<h>\d{1,2}):(?P<mi>\d{2}))?\s*(?P<zone>\S+)?"
)


def read_shown_date(text: str) -> ShownDate | None:
    """Read ``25 Nov 2026, 14:05 UTC`` (the zone may be a name or an offset like ``+03``)."""
    found = _SHOWN.search(text)
    if not found:
        return None
    month = _MONTHS.get(found["mon"].lower()[:3])
    if month is None:
        return None
    hour, minute = int(found["h"] or 0), int(found["mi"] or 0)
    try:
        wall = datetime(int(found["y"]), month, int(found["d"]), hour, minute)
    except ValueError:
        return None
    zone = found["zone"] or ""
    if re.fullmatch(r"[+-]\d{2}", zone):
        zone += "00"
    return ShownDate(wall, _offset(zone) if zone else None, found["h"] is not None)

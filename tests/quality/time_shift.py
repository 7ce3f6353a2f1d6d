"""A captured feed served as if published today: its dates moved by whole days.

The corpus dates from 2005 to 2023, and a reader meets a feed as its outlet publishes it
now. So before a feed is served, every date it writes (``pubDate``, ``dc:date``,
``published``, ``updated``, ``lastBuildDate``, ...) is moved by one whole number of days,
chosen so the feed's newest dated entry falls within the day before the run: stories keep
their ages relative to the feed's newest, and every story up to six days older than it is
news whatever the hour of the run. (A whole number of *weeks* would keep weekday names
without rewriting them, but the newest entry would then fall anywhere in the week before
the run, and which stories are over 7 days old would change with the hour of the week:
``step=WEEK`` does that.) Times of day and zones stay as written, and each date keeps its
shape and language (``Seg, 24 Set 2018 19:42:40 -0300`` stays Portuguese,
``2020/1/10 14:33:00`` keeps its unpadded month): only the weekday name, the year, month
and day, and the month's name are rewritten in place. Everything else stays byte for byte
as it was, so a windows-1251 or GB2312 document stays what it was.

A date is read with the bot's own reader of feed dates (:func:`bot.core.dates.parse_feed_date`),
and a rewritten date must read back, with it, as the same moment moved by the shift: what
does not (a shape not known here, a text that is not a date) is left as written and listed.
A date that the shift would put after the run (a channel's ``lastBuildDate`` years after its
entries, an entry ``updated`` after the feed's newest publication) is moved back by more
whole steps, into the step before the run, so no date looks like the future.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.dates import parse_feed_date

__all__ = [
    "DAY",
    "WEEK",
    "DateText",
    "ShiftedFeed",
    "Style",
    "date_texts",
    "shift_date_text",
    "shift_feed",
    "steps_to_bring",
    "style_of",
]

DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)

# The elements that date a feed or an entry, whatever their namespace prefix: RSS 2.0
# (pubDate, lastBuildDate), Dublin Core (dc:date, dcterms:modified/created/issued), Atom
# (published, updated), and WordPress's wp:lastPublished. Not sy:updateBase, which anchors
# a schedule rather than dates content.
_LOCAL_NAMES = rb"pubDate|lastBuildDate|date|published|updated|modified|created|issued|lastPublished"
_DATE_ELEMENT = re.compile(
    rb"<(?P<tag>(?:[A-Za-z_][\w.-]*:)?(?i:" + _LOCAL_NAMES + rb"))(?:\s[^<>]*)?>"
    rb"(?P<inner>[^<]{0,200}?|\s*<!\[CDATA\[[^\]<]{0,200}?\]\]>\s*)"
    rb"</(?P=tag)\s*>"
)
_CDATA = re.compile(rb"^(\s*<!\[CDATA\[)(.*?)(\]\]>\s*)$", re.S)

# The shapes a date is written in (the same three parse_feed_date reads), as where its
# weekday, year, month and day stand: "Wed, 25 Jan 2017 14:34:54 +0300" (any language's
# names), "2017-01-23T21:54:55+01:00", "2020/1/10 14:33:00",
# "Friday, January 29, 2021 04:42 PM".
RFC822 = "RFC 822"
NUMERIC = "numeric"
US = "US"
_SHAPES = (
    (
        NUMERIC,
        re.compile(r"\s*(?P<y>\d{4})(?P<sep>[-/.])(?P<mon>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"),
    ),
    (
        RFC822,
        re.compile(
            r"\s*(?:(?P<wd>[^\W\d_]{2,12})\.?,\s*)?(?P<d>\d{1,2})\s+(?P<mon>[^\W\d_]{3,12})\.?\s+"
            r"(?P<y>\d{4}|\d{2})(?!\d)"
        ),
    ),
    (
        US,
        re.compile(
            r"\s*(?:(?P<wd>[^\W\d_]{2,12})\.?,\s*)?(?P<mon>[^\W\d_]{3,12})\.?\s+(?P<d>\d{1,2}),?\s+"
            r"(?P<y>\d{4})(?!\d)"
        ),
    ),
)

_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December")  # fmt: skip
_PORTUGUESE_MONTHS = ("Jan", "Fev", "Mar", "Abr", "Mai", "Jun", "Jul", "Ago", "Set", "Out", "Nov", "Dez")
_ENGLISH_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PORTUGUESE_WEEKDAYS = ("Seg", "Ter", "Qua", "Qui", "Sex", "Sáb", "Dom")
_PORTUGUESE_WEEKDAYS_PLAIN = ("Seg", "Ter", "Qua", "Qui", "Sex", "Sab", "Dom")
_PORTUGUESE_NAMES = {n.casefold() for n in (*_PORTUGUESE_WEEKDAYS, *_PORTUGUESE_WEEKDAYS_PLAIN)} | {
    "fev", "abr", "mai", "ago", "set", "out", "dez",
}  # fmt: skip


_ENGLISH_NAMES = {n.casefold() for n in (*_ENGLISH_MONTHS, *_ENGLISH_WEEKDAYS)} | {
    n[:3].casefold() for n in (*_ENGLISH_MONTHS, *_ENGLISH_WEEKDAYS)
}
_ENGLISH_NAMES -= {n.casefold() for n in _PORTUGUESE_MONTHS}  # "Jan", "Mar", "Jun", "Jul", "Nov" are both


def _abbreviated(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(name[:3] for name in names)


@dataclass(frozen=True, slots=True)
class Style:
    """How a feed writes what one date alone does not tell: the shapes in which it writes a
    day or month below ten without a leading zero, whether its names are Portuguese, and
    whether it writes Saturday "Sab" rather than "Sáb"."""

    unpadded: frozenset[str] = frozenset()
    portuguese: bool = False
    plain_saturday: bool = False

    def pads(self, shape: str) -> bool:
        return shape not in self.unpadded


def style_of(texts: Iterable[str]) -> Style:
    """The :class:`Style` of a feed's date texts: a day or month written "06" pads, "6"
    does not (the more frequent wins); Portuguese when a weekday or month name says so."""
    votes: dict[str, int] = {}
    portuguese = plain_saturday = False
    for text in texts:
        if (shaped := _shape(text)) is None:
            continue
        shape, found = shaped
        for name in ("mon", "d"):
            digits = found[name]
            if digits.isdigit() and (len(digits) == 1 or digits.startswith("0")):
                votes[shape] = votes.get(shape, 0) + (1 if digits.startswith("0") else -1)
        if shape == RFC822:
            names = {(found["wd"] or "").casefold(), found["mon"].casefold()}
            portuguese |= bool(names & _PORTUGUESE_NAMES)
            plain_saturday |= "sab" in names
    return Style(frozenset(shape for shape, vote in votes.items() if vote < 0), portuguese, plain_saturday)


def _shape(text: str) -> tuple[str, re.Match[str]] | None:
    """The shape *text* is written in, and where its parts stand; None for none known."""
    for shape, pattern in _SHAPES:
        found = pattern.match(text)
        if found is not None:
            return shape, found
    return None


def _pads(found: re.Match[str]) -> bool | None:
    """Whether a date's day and month below ten are zero-padded, as far as it shows."""
    numbers = [found[name] for name in ("mon", "d") if found[name].isdigit()]
    if any(len(number) == 1 for number in numbers):
        return False
    if any(number.startswith("0") for number in numbers):
        return True
    return None


def _number(value: int, written: str, pad: bool) -> str:
    """*value* written as *written* was: zero-padded if it was, unpadded if it had one
    digit; a two-digit number says nothing, and *pad* decides."""
    if len(written) == 1:
        return str(value)
    if written.startswith("0") or pad:
        return f"{value:02d}"
    return str(value)


def _same_case(name: str, written: str) -> str:
    if written.isupper() and len(written) > 1:
        return name.upper()
    if written.islower():
        return name.lower()
    return name


def _renamed(
    written: str, tables: Sequence[Sequence[str]], index: int | None = None, by: int = 0
) -> str | None:
    """*written*, a name in one of *tables*, as the name at *index* of the same table (or
    *by* places further on, around the table), in the same case; None if not in a table."""
    key = written.casefold()
    for table in tables:
        folded = [name.casefold() for name in table]
        if key in folded:
            at = index if index is not None else (folded.index(key) + by) % len(table)
            return _same_case(table[at], written)
    return None


def _month_name(month: int, written: str, portuguese: bool) -> str | None:
    """The name of *month* in the language and length of *written* (``Set`` -> ``Out``,
    ``January`` -> ``March``), or None for a name not known here."""
    tables = [_abbreviated(_ENGLISH_MONTHS), _ENGLISH_MONTHS, _PORTUGUESE_MONTHS]
    if portuguese:
        tables.insert(0, tables.pop())
    return _renamed(written, tables, index=month - 1)


def _portuguese(weekday: str, month: str, style: Style) -> bool:
    """Whether a date's names are Portuguese: as its month says ("Set", not "Sep"), else its
    weekday ("Seg", not "Mon"), else as the feed writes ("Jan" is both)."""
    for name in (month.casefold(), weekday.casefold()):
        if name in _PORTUGUESE_NAMES:
            return True
        if name in _ENGLISH_NAMES:
            return False
    return style.portuguese


def _weekday_name(written: str, days: int, style: Style) -> str:
    """The weekday name *days* after *written*, in its language, length and case. A name
    not known here (News18 writes a month there) stays as it is."""
    if days % 7 == 0:
        return written
    portuguese = [_PORTUGUESE_WEEKDAYS, _PORTUGUESE_WEEKDAYS_PLAIN]
    if style.plain_saturday:
        portuguese.reverse()
    tables = [_abbreviated(_ENGLISH_WEEKDAYS), _ENGLISH_WEEKDAYS, *portuguese]
    return _renamed(written, tables, by=days) or written


def shift_date_text(text: str, days: int, style: Style | None = None) -> str | None:
    """*text* with its date moved by *days*, written in the same shape, language and
    padding, its time and zone untouched; None when it is not a date the bot reads, or not
    in a shape known here (then it is to be left as written)."""
    before = parse_feed_date(text)
    shaped = _shape(text)
    if before is None or shaped is None:
        return None
    style = style or Style()
    shape, found = shaped
    moved = before.written.date() + timedelta(days=days)
    # What this date's own numbers say ("2020/1/10": unpadded) comes before the feed's habit.
    own = _pads(found)
    pad = style.pads(shape) if own is None else own
    year = found["y"]
    parts = {
        "y": f"{moved.year % 100:02d}" if len(year) == 2 else f"{moved.year:04d}",
        "d": _number(moved.day, found["d"], pad),
    }
    weekday = found.groupdict().get("wd") or ""
    if weekday:
        parts["wd"] = _weekday_name(weekday, days, style)
    if found["mon"].isdigit():
        parts["mon"] = _number(moved.month, found["mon"], pad)
    else:
        name = _month_name(moved.month, found["mon"], _portuguese(weekday, found["mon"], style))
        if name is None:
            return None
        parts["mon"] = name
    out = text
    for key in sorted(parts, key=found.start, reverse=True):
        out = out[: found.start(key)] + parts[key] + out[found.end(key) :]
    after = parse_feed_date(out)
    shift = timedelta(days=days)
    if after is None or after.written != before.written + shift or after.moment != before.moment + shift:
        return None
    return out


def steps_to_bring(moment: datetime, now: datetime, step: timedelta = DAY) -> int:
    """The whole *steps* that bring *moment* into the *step* up to *now*, *now* included."""
    return (now - moment) // step


@dataclass(frozen=True, slots=True)
class DateText:
    """A date element's text: where it stands in the feed's bytes, and the text (None when
    it cannot be decoded)."""

    start: int
    end: int
    text: str | None


@dataclass(frozen=True, slots=True)
class ShiftedFeed:
    """A feed's bytes with its dates moved, and what the moving did."""

    body: bytes
    days: int  # how far the feed's dates moved
    moved: int  # date texts rewritten
    held_back: tuple[str, ...] = ()  # dates moved further back, or they would be after the run
    left_as_written: tuple[str, ...] = ()  # date texts not rewritten: not read, or in an unknown shape


def _decode(raw: bytes, encoding: str) -> str | None:
    for name in ("ascii", encoding):
        try:
            return raw.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def date_texts(body: bytes, encoding: str = "utf-8") -> list[DateText]:
    """Every date element's text in *body* (a document in *encoding*), spaces and CDATA
    around it left out."""
    found = []
    for element in _DATE_ELEMENT.finditer(body):
        start, end = element.span("inner")
        cdata = _CDATA.match(element["inner"])
        if cdata is not None:
            start, end = start + cdata.end(1), start + cdata.start(3)
        raw = body[start:end]
        stripped = raw.strip()
        start += raw.index(stripped) if stripped else 0
        found.append(DateText(start, start + len(stripped), _decode(stripped, encoding)))
    return found


def shift_feed(
    body: bytes, *, newest: datetime | None, now: datetime, step: timedelta = DAY, encoding: str = "utf-8"
) -> ShiftedFeed:
    """*body* (a document in *encoding*) with every date moved by the whole *steps* that
    bring *newest* (the feed's newest dated entry; without one, its newest date) into the
    *step* up to *now*."""
    dates = date_texts(body, encoding)
    read = {d.text: parse_feed_date(d.text) for d in dates if d.text is not None}
    if newest is None:
        newest = max((r.moment for r in read.values() if r is not None), default=None)
    if newest is None:
        return ShiftedFeed(body, 0, 0, left_as_written=tuple(d.text or "?" for d in dates))
    days = steps_to_bring(newest, now, step) * step // DAY
    style = style_of(d.text for d in dates if d.text is not None)
    out, position, moved = [], 0, 0
    held_back: list[str] = []
    left: list[str] = []
    for date in dates:
        moment = read.get(date.text) if date.text is not None else None
        if date.text is None or moment is None:
            left.append(date.text or body[date.start : date.end].decode("ascii", "backslashreplace"))
            continue
        shift = days
        if moment.moment + timedelta(days=days) > now:
            shift = steps_to_bring(moment.moment, now, step) * step // DAY
            held_back.append(date.text)
        rewritten = shift_date_text(date.text, shift, style)
        encoded = _encode(rewritten, encoding) if rewritten is not None else None
        if encoded is None:
            left.append(date.text)
            continue
        out += [body[position : date.start], encoded]
        position = date.end
        moved += 1
    out.append(body[position:])
    return ShiftedFeed(b"".join(out), days, moved, tuple(held_back), tuple(left))


def _encode(text: str, encoding: str) -> bytes | None:
    """*text* in the document's encoding (a rewritten name may be "Sáb"), if it can be."""
    if text.isascii():
        return text.encode("ascii")
    try:
        return text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return None

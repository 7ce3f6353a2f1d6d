"""A chat's pace: how and when its alerts reach it.

Each chat chooses how its alerts come (:class:`ChatSettings`): at once, in an hourly digest,
or in a daily digest at a local time; a subscription may choose for itself. Quiet hours in
the chat's time zone hold alerts until they end (or send them without a notification). A
flood guard holds what comes after a chat's first few alerts of the hour. What is held
comes as one digest when the reason to hold it ends; :func:`route` decides, for one story and
one chat at one moment, whether it goes now or waits, and until when.

Times of day are ``HH:MM`` in the chat's time zone; every moment here is a UTC epoch second.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "ChatSettings",
    "DeliveryMode",
    "FloodGuard",
    "Hold",
    "HoldReason",
    "QuietHours",
    "Route",
    "next_digest",
    "parse_clock",
    "parse_quiet",
    "parse_timezone",
    "quiet_until",
    "route",
    "time_zones",
]

_CLOCK = re.compile(r"^\s*([01]?\d|2[0-3])[:.h]([0-5]\d)\s*$")


class DeliveryMode(StrEnum):
    INSTANT = "instant"
    HOURLY = "hourly"
    DAILY = "daily"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """From *start* to *end* (``HH:MM``, the chat's time; *end* may be the next day).
    *silent*: alerts go at once without a notification, instead of waiting."""

    start: str
    end: str
    silent: bool = False

    def describe(self) -> str:
        return f"{self.start}–{self.end}"


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What a chat chose. ``timezone`` None: the bot's default; ``daily_at``: the local time
    of the daily digest."""

    delivery: DeliveryMode = DeliveryMode.INSTANT
    daily_at: str = "08:00"
    timezone: str | None = None
    quiet: QuietHours | None = None
    previews: bool = False
    members_may_edit: bool = False  # groups: every member may change subscriptions and settings
    language: str | None = None  # None: the bot's default language

    def with_changes(self, **changes: object) -> ChatSettings:
        return replace(self, **changes)  # type: ignore[arg-type]


class HoldReason(StrEnum):
    HOURLY = "hourly"  # the chat (or the subscription) asked for an hourly digest
    DAILY = "daily"  # ... or a daily one
    QUIET = "quiet"  # quiet hours
    FLOOD = "flood"  # more than the flood guard allows in its window


@dataclass(frozen=True, slots=True)
class Hold:
    """Wait until *until* (epoch seconds), for *reason*."""

    reason: HoldReason
    until: float


@dataclass(frozen=True, slots=True)
class Route:
    """Where a story goes for a chat: at once (``hold`` None; ``silent``: without a
    notification), or held."""

    hold: Hold | None = None
    silent: bool = False


@dataclass(frozen=True, slots=True)
class FloodGuard:
    """At most *alerts* instant alerts in a window of *window* seconds (0 alerts: no guard)."""

    alerts: int = 10
    window: float = 3600.0


def parse_clock(text: str) -> str | None:
    """``HH:MM`` for a time of day written ``8:00``, ``08.00``, ``8h00``; None otherwise."""
    match = _CLOCK.match(text)
    return f"{int(match[1]):02d}:{match[2]}" if match else None


def parse_quiet(text: str) -> QuietHours | None:
    """``23:00-07:00`` (any dash, or "to") as quiet hours; None when it is not that."""
    parts = re.split(r"\s*(?:[-–—]|to)\s*", text.strip(), maxsplit=1)
    if len(parts) != 2:
        return None
    start, end = parse_clock(parts[0]), parse_clock(parts[1])
    if start is None or end is None or start == end:
        return None
    return QuietHours(start, end)


@functools.cache
def time_zones() -> dict[str, str]:
    """The IANA time zones a chat may choose, by their casefolded names: those of the
    system's database, without the names that are not places (``localtime``, ``Factory``)."""
    return {
        zone.casefold(): zone
        for zone in available_timezones()
        if zone not in ("localtime", "Factory", "posixrules") and not zone.startswith(("posix/", "right/"))
    }


def parse_timezone(name: str) -> str | None:
    """The IANA name a user meant (``asia/baghdad`` is ``Asia/Baghdad``), or None."""
    zone = time_zones().get(name.strip().replace(" ", "_").casefold())
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _local(now: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(now, tz=UTC).astimezone(tz)


def _at(day: datetime, clock: str, tz: tzinfo) -> datetime:
    """*clock* on the day of *day*, in *tz* (a time skipped by a clock change moves on)."""
    return datetime.combine(day.date(), _clock(clock), tzinfo=tz)


QUARTER = 900  # every zone's offset from UTC is a whole number of quarter hours


def next_digest(now: float, mode: DeliveryMode, *, daily_at: str, tz: tzinfo) -> float:
    """When the next digest of *mode* goes out after *now*: the next full hour of *tz*, or
    the next *daily_at* in *tz*.

    Moments are compared as instants, never as wall-clock times: on the night clocks go back
    an hour repeats, and the later 02:10 is after the first 02:30 (that day's digest went at
    the first 02:30; the next is tomorrow's). A time skipped when clocks go forward is read
    with the offset before the change (02:30 becomes 03:30)."""
    if mode is DeliveryMode.HOURLY:
        # The first quarter hour after now that is a full hour in tz (in India, :30 UTC).
        moment = (now // QUARTER + 1) * QUARTER
        while _local(moment, tz).minute != 0:
            moment += QUARTER
        return moment
    local = _local(now, tz)
    today = _at(local, daily_at, tz).timestamp()
    return today if today > now else _at(local + timedelta(days=1), daily_at, tz).timestamp()


def quiet_until(now: float, quiet: QuietHours, tz: tzinfo) -> float | None:
    """When the quiet hours under way at *now* end (epoch seconds), or None outside them."""
    local = _local(now, tz)
    for day in (local - timedelta(days=1), local):
        start = _at(day, quiet.start, tz)
        end = _at(day, quiet.end, tz)
        if end <= start:
            end = _at(day + timedelta(days=1), quiet.end, tz)
        if start <= local < end:
            return end.timestamp()
    return None


def route(
    now: float,
    *,
    modes: list[DeliveryMode],
    settings: ChatSettings,
    tz: tzinfo,
    flood: FloodGuard,
    recent_alerts: list[float],
) -> Route:
    """Where a story goes for a chat at *now*.

    *modes* are the delivery modes of the chat's subscriptions the story matched (each its
    own, or the chat's); *recent_alerts* the times of the chat's instant alerts, oldest
    first. The story goes at once when one of its subscriptions wants it so, unless quiet
    hours hold it or the flood guard's window is full; otherwise it waits for the earliest
    digest of its subscriptions.
    """
    if DeliveryMode.INSTANT not in modes:
        until, mode = min(
            (next_digest(now, mode, daily_at=settings.daily_at, tz=tz), mode) for mode in set(modes)
        )
        return Route(hold=Hold(HoldReason(mode.value), until))
    silent = False
    if settings.quiet is not None:
        end = quiet_until(now, settings.quiet, tz)
        if end is not None:
            if not settings.quiet.silent:
                return Route(hold=Hold(HoldReason.QUIET, end))
            silent = True
    if flood.alerts:
        window_end = flood_window_end(recent_alerts, now=now, flood=flood)
        if window_end is not None:
            return Route(hold=Hold(HoldReason.FLOOD, window_end))
    return Route(silent=silent)


def flood_window_end(recent_alerts: list[float], *, now: float, flood: FloodGuard) -> float | None:
    """When the chat's full flood window ends, or None when it may have another alert now.

    A window opens with a chat's first alert after the previous window ended, and lasts
    *flood.window* seconds; once it holds *flood.alerts* alerts, the rest wait for its end.
    """
    start: float | None = None
    count = 0
    for moment in recent_alerts:
        if start is None or moment >= start + flood.window:
            start, count = moment, 0
        count += 1
    if start is None or now >= start + flood.window or count < flood.alerts:
        return None
    return start + flood.window

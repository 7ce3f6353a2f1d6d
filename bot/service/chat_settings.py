"""A chat's settings: how its alerts come, its quiet hours, its time zone, link previews.

``/settings`` shows them with buttons; each can also be set by a command:

    /digest daily 08:00 | /digest hourly | /digest off      the chat's pace
    /digest daily for oil prices | /digest instant for 2    one subscription's own pace
    /quiet 23:00-07:00 [silent] | /quiet off                quiet hours (hold, or no sound)
    /timezone Asia/Baghdad                                  times in messages and schedules
    /previews on | /previews off                            link previews under alerts
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.formatting import escape
from bot.core.pace import ChatSettings, DeliveryMode, parse_clock, parse_quiet, parse_timezone, time_zones
from bot.core.query import QueryError, parse_query
from bot.core.text import strip_bidi_controls
from bot.service.pace import AlertPace
from bot.service.ports import Button, Buttons, Reply, StorageFailure
from bot.service.presses import NOT_SAVED as PRESS_NOT_SAVED
from bot.service.presses import STALE, Pressed
from bot.service.subscriptions import Place, Subscription, Subscriptions

__all__ = ["ChatSettingsCommands"]

NOT_SAVED = (
    "I could not save that: the bot's storage is failing (disk full?). "
    "Nothing was changed; please try again later."
)
TIMEZONE_EXAMPLES = (
    "<code>/timezone Asia/Baghdad</code>, <code>/timezone Europe/Berlin</code> or <code>/timezone UTC</code>"
)
DIGEST_USAGE = (
    "How should alerts come? <code>/digest daily 08:00</code> (once a day at that time), "
    "<code>/digest hourly</code>, or <code>/digest off</code> (each story at once). "
    "For one keyword only: <code>/digest daily for oil prices</code> or <code>/digest instant for 2</code> "
    "(its number in /list)."
)
QUIET_USAGE = (
    "Quiet hours hold alerts and send them together when they end: <code>/quiet 23:00-07:00</code>; "
    "or send them without a sound: <code>/quiet 23:00-07:00 silent</code>. <code>/quiet off</code> ends them."
)
_QUIET_HOW = {True: "alerts come without a sound", False: "alerts wait until they end"}
_MODE_WORDS = {
    "instant": DeliveryMode.INSTANT, "off": DeliveryMode.INSTANT, "now": DeliveryMode.INSTANT,
    "hourly": DeliveryMode.HOURLY, "daily": DeliveryMode.DAILY,
}  # fmt: skip


def _echo(typed: str, limit: int) -> str:
    """What the user typed, shown back: without bidi controls (a right-to-left override
    would turn the rest of the answer around), cut and escaped."""
    return escape(strip_bidi_controls(typed)[:limit])


def _mode_text(mode: DeliveryMode, daily_at: str) -> str:
    if mode is DeliveryMode.HOURLY:
        return "in an hourly digest"
    if mode is DeliveryMode.DAILY:
        return f"in a daily digest at {daily_at}"
    return "at once, each story as it comes"


class ChatSettingsCommands:
    """See the module docstring."""

    def __init__(self, pace: AlertPace, subscriptions: Subscriptions, *, default_timezone: str) -> None:
        self._pace = pace
        self._subscriptions = subscriptions
        self._default_timezone = default_timezone

    # --- /settings ----------------------------------------------------------------------

    def show(self, place: Place, *, group: bool) -> Reply:
        """The chat's settings, with buttons to change them."""
        chat_id = place[0]
        settings = self._pace.settings(chat_id)
        quiet = settings.quiet
        lines = [
            "<b>Settings</b>",
            f"• Alerts come {_mode_text(settings.delivery, settings.daily_at)}. /digest changes it.",
            "• Quiet hours: "
            + (
                f"{quiet.describe()}, {_QUIET_HOW[quiet.silent]}."
                if quiet
                else "none. <code>/quiet 23:00-07:00</code> sets them."
            ),
            f"• Time zone: {escape(settings.timezone or self._default_timezone)}. /timezone changes it.",
            f"• Link previews under alerts: {'on' if settings.previews else 'off'}.",
        ]
        own = [s for s in self._subscriptions.in_place(*place) if s.stored.delivery is not None]
        for subscription in own:
            mode = subscription.stored.delivery or settings.delivery
            lines.append(
                f"• <code>{escape(subscription.query.text)}</code> comes "
                f"{_mode_text(mode, settings.daily_at)}."
            )
        if group:
            who = "every member" if settings.members_may_edit else "only the group's admins"
            lines.append(f"• In this group, {who} may change the subscriptions and settings.")
        return Reply("\n".join(lines), self._buttons(settings, group=group))

    def _buttons(self, settings: ChatSettings, *, group: bool) -> Buttons:
        def mark(label: str, on: bool) -> str:
            return f"✓ {label}" if on else label

        rows: list[tuple[Button, ...]] = [
            (
                Button(mark("Instant", settings.delivery is DeliveryMode.INSTANT), "set:delivery:instant"),
                Button(mark("Hourly", settings.delivery is DeliveryMode.HOURLY), "set:delivery:hourly"),
                Button(
                    mark(f"Daily {settings.daily_at}", settings.delivery is DeliveryMode.DAILY),
                    "set:delivery:daily",
                ),
            ),
            (Button(f"Link previews: {'on' if settings.previews else 'off'}", "set:previews:toggle"),),
        ]
        if settings.quiet is not None:
            rows.append(
                (
                    Button(mark("Quiet: hold", not settings.quiet.silent), "set:quiet:hold"),
                    Button(mark("Quiet: no sound", settings.quiet.silent), "set:quiet:silent"),
                    Button("Quiet hours off", "set:quiet:off"),
                )
            )
        if group:
            rows.append(
                (
                    Button(
                        f"Members may edit: {'yes' if settings.members_may_edit else 'no'}",
                        "set:members:toggle",
                    ),
                )
            )
        return tuple(rows)

    def press(self, place: Place, data: str, *, group: bool) -> Pressed:
        """A button under /settings."""
        _, field, value = [*data.split(":"), "", ""][:3]
        settings = self._pace.settings(place[0])
        changed: ChatSettings | None = None
        if field == "delivery" and value in ("instant", "hourly", "daily"):
            changed = replace(settings, delivery=DeliveryMode(value))
        elif field == "previews":
            changed = replace(settings, previews=not settings.previews)
        elif field == "quiet" and settings.quiet is not None and value in ("hold", "silent", "off"):
            changed = replace(
                settings, quiet=None if value == "off" else replace(settings.quiet, silent=value == "silent")
            )
        elif field == "members" and group:
            changed = replace(settings, members_may_edit=not settings.members_may_edit)
        if changed is None:
            return Pressed(STALE)
        try:
            self._pace.save(place[0], changed)
        except StorageFailure:
            return Pressed(PRESS_NOT_SAVED)
        shown = self.show(place, group=group)
        return Pressed("Saved.", html=shown.html, buttons=shown.buttons)

    # --- commands -----------------------------------------------------------------------

    def _save(self, chat_id: int, settings: ChatSettings, done: str) -> str:
        try:
            self._pace.save(chat_id, settings)
        except StorageFailure:
            return NOT_SAVED
        return done

    def digest(self, place: Place, arguments: str) -> str:
        """/digest: the chat's pace, or one subscription's (``… for <keyword or number>``)."""
        words, _, target = arguments.partition(" for ")
        parts = words.split()
        mode = _MODE_WORDS.get(parts[0].casefold()) if parts else None
        if mode is None or len(parts) > 2:
            return DIGEST_USAGE
        settings = self._pace.settings(place[0])
        daily_at = settings.daily_at
        if len(parts) == 2:
            clock = parse_clock(parts[1])
            if clock is None or mode is not DeliveryMode.DAILY:
                return f"{_echo(parts[1], 20)} is not a time of day like 08:00. {DIGEST_USAGE}"
            daily_at = clock
        if target.strip():
            return self._digest_for(place, target.strip(), mode, settings.with_changes(daily_at=daily_at))
        done = f"From now on, alerts come {_mode_text(mode, daily_at)}."
        if mode is DeliveryMode.INSTANT and settings.delivery is not DeliveryMode.INSTANT:
            done += " What was waiting for a digest comes now."
        return self._save(place[0], replace(settings, delivery=mode, daily_at=daily_at), done)

    def _digest_for(self, place: Place, target: str, mode: DeliveryMode, settings: ChatSettings) -> str:
        subscription = self._find(place, target)
        if subscription is None:
            return (
                f"You do not follow <code>{_echo(target, 100)}</code>; "
                "/list shows the keywords and their numbers."
            )
        try:
            if settings.daily_at != self._pace.settings(place[0]).daily_at:
                self._pace.save(place[0], settings)
            own = None if mode is settings.delivery else mode
            self._subscriptions.set_delivery(subscription.id, own)
        except StorageFailure:
            return NOT_SAVED
        return (
            f"<code>{escape(subscription.query.text)}</code> now comes {_mode_text(mode, settings.daily_at)}."
        )

    def _find(self, place: Place, target: str) -> Subscription | None:
        subscriptions = self._subscriptions.in_place(*place)
        if target.isdecimal() and 1 <= int(target) <= len(subscriptions):
            return subscriptions[int(target) - 1]
        try:
            key = parse_query(target).key
        except QueryError:
            return None
        return next((s for s in subscriptions if s.query.key == key), None)

    def quiet(self, place: Place, arguments: str) -> str:
        """/quiet 23:00-07:00 [silent], /quiet off."""
        text = arguments.strip()
        settings = self._pace.settings(place[0])
        if not text:
            current = f"Your quiet hours: {settings.quiet.describe()}. " if settings.quiet else ""
            return current + QUIET_USAGE
        if text.casefold() == "off":
            if settings.quiet is None:
                return "You have no quiet hours."
            return self._save(
                place[0], replace(settings, quiet=None), "Quiet hours are off; what they held comes now."
            )
        silent = text.casefold().endswith(" silent")
        quiet = parse_quiet(text[: -len(" silent")] if silent else text)
        if quiet is None:
            return f"<code>{_echo(text, 50)}</code> is not quiet hours like 23:00-07:00. {QUIET_USAGE}"
        quiet = replace(quiet, silent=silent)
        how = "alerts come without a sound" if silent else "alerts wait and come together when they end"
        return self._save(
            place[0], replace(settings, quiet=quiet), f"Quiet hours set: {quiet.describe()} ({how})."
        )

    def timezone(self, place: Place, arguments: str) -> str:
        """/timezone Asia/Baghdad."""
        settings = self._pace.settings(place[0])
        name = arguments.strip()
        if not name:
            current = escape(settings.timezone or self._default_timezone)
            return f"Your time zone is {current}. Change it with {TIMEZONE_EXAMPLES}."
        zone = parse_timezone(name)
        if zone is None:
            typed = name.casefold().replace(" ", "_")
            close = sorted(zone for folded, zone in time_zones().items() if typed in folded)[:5]
            hint = f" Did you mean {', '.join(f'<code>{z}</code>' for z in close)}?" if close else ""
            return (
                f"I do not know the time zone <code>{_echo(name, 64)}</code>.{hint} "
                f"Write it as in {TIMEZONE_EXAMPLES}."
            )
        return self._save(
            place[0],
            replace(settings, timezone=zone),
            f"Time zone set: {zone}. Times in messages and digests follow it.",
        )

    def previews(self, place: Place, arguments: str) -> str:
        """/previews on|off."""
        word = arguments.strip().casefold()
        if word not in ("on", "off"):
            return (
                "Show a preview of the story's page under each alert? "
                "<code>/previews on</code> or <code>/previews off</code>."
            )
        settings = self._pace.settings(place[0])
        return self._save(place[0], replace(settings, previews=word == "on"), f"Link previews are {word}.")

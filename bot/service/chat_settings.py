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

from bot.core.formatting import join_list
from bot.core.language import N_, _, direction_mark, embed
from bot.core.markup import code, inline
from bot.core.pace import ChatSettings, DeliveryMode, parse_clock, parse_quiet, parse_timezone, time_zones
from bot.core.query import QueryError
from bot.core.query_parser import parse_query
from bot.core.text import strip_bidi_controls
from bot.service.commands import NOT_SAVED
from bot.service.pace import AlertPace
from bot.service.ports import Button, Buttons, Reply, StorageFailure
from bot.service.presses import NOT_SAVED as PRESS_NOT_SAVED
from bot.service.presses import STALE, Pressed
from bot.service.subscriptions import Place, Subscription, Subscriptions

__all__ = ["ChatSettingsCommands"]

# Translators: how /digest is used. Keep the commands in <code> as they are (the words
# after "for" are examples of a keyword: you may translate "oil prices").
DIGEST_USAGE = N_(
    "How should alerts come? <code>/digest daily 08:00</code> (once a day at that time), "
    "<code>/digest hourly</code>, or <code>/digest off</code> (each story at once). "
    "For one keyword only: <code>/digest daily for oil prices</code> or <code>/digest instant for 2</code> "
    "(its number in /list)."
)
# Translators: how /quiet is used. Keep the commands in <code> as they are.
QUIET_USAGE = N_(
    "Quiet hours hold alerts and send them together when they end: <code>/quiet 23:00-07:00</code>; "
    "or send them without a sound: <code>/quiet 23:00-07:00 silent</code>. <code>/quiet off</code> ends them."
)
# How a chat's alerts come, as one line of /settings.
_MODE_LINE = {
    # Translators: a line of /settings (and of /digest's answers): how the chat's alerts come.
    DeliveryMode.INSTANT: N_("• Alerts come at once, each story as it comes. /digest changes it."),
    DeliveryMode.HOURLY: N_("• Alerts come in an hourly digest. /digest changes it."),
    # Translators: {time} is the daily digest's time of day ("08:00").
    DeliveryMode.DAILY: N_("• Alerts come in a daily digest at {time}. /digest changes it."),
}
# How one subscription's alerts come, as a line of /settings ({keywords}: the subscription).
_OWN_MODE_LINE = {
    # Translators: a line of /settings; {keywords} is one of the chat's subscriptions, which
    # has a pace of its own (the same holds for the sentences like it).
    DeliveryMode.INSTANT: N_("• {keywords} comes at once, each story as it comes."),
    DeliveryMode.HOURLY: N_("• {keywords} comes in an hourly digest."),
    # Translators: {keywords} is one of the chat's subscriptions; {time} the daily digest's time.
    DeliveryMode.DAILY: N_("• {keywords} comes in a daily digest at {time}."),
}
# /digest's answer when the chat's pace changed.
_MODE_SET = {
    DeliveryMode.INSTANT: N_("From now on, alerts come at once, each story as it comes."),
    DeliveryMode.HOURLY: N_("From now on, alerts come in an hourly digest."),
    # Translators: {time} is the daily digest's time of day ("08:00").
    DeliveryMode.DAILY: N_("From now on, alerts come in a daily digest at {time}."),
}
# /digest's answer when one subscription's pace changed ({keywords}: the subscription).
_OWN_MODE_SET = {
    # Translators: {keywords} is the subscription whose pace /digest … for changed.
    DeliveryMode.INSTANT: N_("{keywords} now comes at once, each story as it comes."),
    DeliveryMode.HOURLY: N_("{keywords} now comes in an hourly digest."),
    # Translators: {keywords} is the subscription /digest … for changed; {time} the digest's time.
    DeliveryMode.DAILY: N_("{keywords} now comes in a daily digest at {time}."),
}
_MODE_WORDS = {
    "instant": DeliveryMode.INSTANT, "off": DeliveryMode.INSTANT, "now": DeliveryMode.INSTANT,
    "hourly": DeliveryMode.HOURLY, "daily": DeliveryMode.DAILY,
}  # fmt: skip


def _echo(typed: str, limit: int) -> str:
    """What the user typed, to show back: without bidi controls (a right-to-left override
    would turn the rest of the answer around), and cut."""
    return strip_bidi_controls(typed)[:limit]


def _mode(sentences: dict[DeliveryMode, str], mode: DeliveryMode, daily_at: str, keywords: str = "") -> str:
    """One of the *sentences* about a pace, translated, with its time and keywords."""
    return _(sentences[mode]).format(time=embed(daily_at), keywords=keywords)


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
        if quiet is None:
            quiet_line = _("• Quiet hours: none. <code>/quiet 23:00-07:00</code> sets them.")
        elif quiet.silent:
            # Translators: a line of /settings; {hours} is when quiet hours are ("23:00–07:00").
            quiet_line = _("• Quiet hours: {hours}, alerts come without a sound.")
        else:
            # Translators: a line of /settings; {hours} is when quiet hours are ("23:00–07:00").
            quiet_line = _("• Quiet hours: {hours}, alerts wait until they end.")
        lines = [
            # Translators: heads the answer to /settings.
            _("<b>Settings</b>"),
            _mode(_MODE_LINE, settings.delivery, settings.daily_at),
            quiet_line.format(hours=embed(quiet.describe()) if quiet else ""),
            # Translators: a line of /settings; {zone} is a time zone's name ("Asia/Baghdad").
            _("• Time zone: {zone}. /timezone changes it.").format(
                zone=inline(settings.timezone or self._default_timezone)
            ),
            _("• Link previews under alerts: on.")
            if settings.previews
            else _("• Link previews under alerts: off."),
        ]
        own = [s for s in self._subscriptions.in_place(*place) if s.stored.delivery is not None]
        for subscription in own:
            mode = subscription.stored.delivery or settings.delivery
            keywords = code(subscription.query.text)
            lines.append(direction_mark() + _mode(_OWN_MODE_LINE, mode, settings.daily_at, keywords))
        if group:
            if settings.members_may_edit:
                lines.append(_("• In this group, every member may change the subscriptions and settings."))
            else:
                lines.append(
                    _("• In this group, only the group's admins may change the subscriptions and settings.")
                )
        return Reply("\n".join(lines), self._buttons(settings, group=group))

    def _buttons(self, settings: ChatSettings, *, group: bool) -> Buttons:
        def mark(label: str, on: bool) -> str:
            return f"✓ {label}" if on else label

        # Translators: buttons under /settings, three in a row (Instant, Hourly, Daily {time}):
        # keep them short. They choose how the chat's alerts come.
        instant = _("Instant")
        # Translators: a button under /settings, beside Instant and Daily {time}: keep it short.
        hourly = _("Hourly")
        # Translators: a button under /settings: the daily digest at that time ("Daily 08:00").
        daily = _("Daily {time}").format(time=embed(settings.daily_at))
        # Translators: a button under /settings that turns link previews under alerts on or off.
        previews = _("Link previews: on") if settings.previews else _("Link previews: off")
        rows: list[tuple[Button, ...]] = [
            (
                Button(mark(instant, settings.delivery is DeliveryMode.INSTANT), "set:delivery:instant"),
                Button(mark(hourly, settings.delivery is DeliveryMode.HOURLY), "set:delivery:hourly"),
                Button(mark(daily, settings.delivery is DeliveryMode.DAILY), "set:delivery:daily"),
            ),
            (Button(previews, "set:previews:toggle"),),
        ]
        if settings.quiet is not None:
            # Translators: buttons under /settings, three in a row: keep them short. Quiet
            # hours either hold alerts or send them without a sound.
            hold = _("Quiet: hold")
            # Translators: a button under /settings: quiet hours send alerts without a sound.
            no_sound = _("Quiet: no sound")
            # Translators: a button under /settings that ends the chat's quiet hours.
            off = _("Quiet hours off")
            rows.append(
                (
                    Button(mark(hold, not settings.quiet.silent), "set:quiet:hold"),
                    Button(mark(no_sound, settings.quiet.silent), "set:quiet:silent"),
                    Button(off, "set:quiet:off"),
                )
            )
        if group:
            # Translators: a button under /settings in a group: whether every member (not only
            # admins) may change the subscriptions and settings.
            may_edit = _("Members may edit: yes") if settings.members_may_edit else _("Members may edit: no")
            rows.append((Button(may_edit, "set:members:toggle"),))
        return tuple(rows)

    def press(self, place: Place, data: str, *, group: bool) -> Pressed:
        """A button under /settings."""
        _prefix, field, value = [*data.split(":"), "", ""][:3]
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
            return Pressed(_(STALE))
        try:
            self._pace.save(place[0], changed)
        except StorageFailure:
            return Pressed(_(PRESS_NOT_SAVED))
        shown = self.show(place, group=group)
        # Translators: the short notice when a /settings button changed a setting.
        return Pressed(_("Saved."), html=shown.html, buttons=shown.buttons)

    # --- commands -----------------------------------------------------------------------

    def _save(self, chat_id: int, settings: ChatSettings, done: str) -> str:
        try:
            self._pace.save(chat_id, settings)
        except StorageFailure:
            return _(NOT_SAVED)
        return done

    def digest(self, place: Place, arguments: str) -> str:
        """/digest: the chat's pace, or one subscription's (``… for <keyword or number>``)."""
        words, _for, target = arguments.partition(" for ")
        parts = words.split()
        mode = _MODE_WORDS.get(parts[0].casefold()) if parts else None
        if mode is None or len(parts) > 2:
            return _(DIGEST_USAGE)
        settings = self._pace.settings(place[0])
        daily_at = settings.daily_at
        if len(parts) == 2:
            clock = parse_clock(parts[1])
            if clock is None or mode is not DeliveryMode.DAILY:
                # Translators: {typed} is what the user wrote after /digest daily.
                wrong = _("{typed} is not a time of day like 08:00.").format(
                    typed=inline(_echo(parts[1], 20))
                )
                return f"{direction_mark()}{wrong} {_(DIGEST_USAGE)}"
            daily_at = clock
        if target.strip():
            return self._digest_for(place, target.strip(), mode, settings.with_changes(daily_at=daily_at))
        done = _mode(_MODE_SET, mode, daily_at)
        if mode is DeliveryMode.INSTANT and settings.delivery is not DeliveryMode.INSTANT:
            done += " " + _("What was waiting for a digest comes now.")
        return self._save(place[0], replace(settings, delivery=mode, daily_at=daily_at), done)

    def _digest_for(self, place: Place, target: str, mode: DeliveryMode, settings: ChatSettings) -> str:
        subscription = self._find(place, target)
        if subscription is None and target.strip().isdecimal():
            # Translators: {number} is what the user wrote after /digest … for: no subscription has it.
            return _("There is no subscription number {number}; /list shows the numbers.").format(
                number=code(_echo(target.strip(), 20))
            )
        if subscription is None:
            # Translators: {keywords} is what the user wrote after /digest … for.
            return _("You do not follow {keywords}; /list shows the keywords and their numbers.").format(
                keywords=code(_echo(target, 100))
            )
        try:
            if settings.daily_at != self._pace.settings(place[0]).daily_at:
                self._pace.save(place[0], settings)
            own = None if mode is settings.delivery else mode
            self._subscriptions.set_delivery(subscription.id, own)
        except StorageFailure:
            return _(NOT_SAVED)
        keywords = code(subscription.query.text)
        return direction_mark() + _mode(_OWN_MODE_SET, mode, settings.daily_at, keywords)

    def _find(self, place: Place, target: str) -> Subscription | None:
        subscriptions = self._subscriptions.in_place(*place)
        numbered = self._subscriptions.numbered(place, target)
        if numbered is not None:
            return numbered
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
            if settings.quiet is None:
                return _(QUIET_USAGE)
            # Translators: {hours} is when the chat's quiet hours are ("23:00–07:00").
            current = _("Your quiet hours: {hours}.").format(hours=embed(settings.quiet.describe()))
            return f"{current} {_(QUIET_USAGE)}"
        if text.casefold() == "off":
            if settings.quiet is None:
                return _("You have no quiet hours.")
            return self._save(
                place[0], replace(settings, quiet=None), _("Quiet hours are off; what they held comes now.")
            )
        silent = text.casefold().endswith(" silent")
        quiet = parse_quiet(text[: -len(" silent")] if silent else text)
        if quiet is None:
            # Translators: {typed} is what the user wrote after /quiet.
            wrong = _("{typed} is not quiet hours like 23:00-07:00.").format(typed=code(_echo(text, 50)))
            return f"{direction_mark()}{wrong} {_(QUIET_USAGE)}"
        quiet = replace(quiet, silent=silent)
        if silent:
            # Translators: {hours} is when the quiet hours are ("23:00–07:00").
            done = _("Quiet hours set: {hours} (alerts come without a sound).")
        else:
            # Translators: {hours} is when the quiet hours are ("23:00–07:00").
            done = _("Quiet hours set: {hours} (alerts wait and come together when they end).")
        return self._save(
            place[0], replace(settings, quiet=quiet), done.format(hours=embed(quiet.describe()))
        )

    def timezone(self, place: Place, arguments: str) -> str:
        """/timezone Asia/Baghdad."""
        settings = self._pace.settings(place[0])
        name = arguments.strip()
        if not name:
            current = inline(settings.timezone or self._default_timezone)
            # Translators: {zone} is the chat's time zone ("Asia/Baghdad"). Keep the commands as they are.
            return _(
                "Your time zone is {zone}. Change it with <code>/timezone Asia/Baghdad</code>, "
                "<code>/timezone Europe/Berlin</code> or <code>/timezone UTC</code>."
            ).format(zone=current)
        zone = parse_timezone(name)
        if zone is None:
            typed = name.casefold().replace(" ", "_")
            close = sorted(zone for folded, zone in time_zones().items() if typed in folded)[:5]
            if close:
                # Translators: {zone} is what the user wrote after /timezone, {zones} a list of
                # time zones whose names contain it. Keep the commands as they are.
                wrong = _(
                    "I do not know the time zone {zone}. Did you mean {zones}? Write it as in "
                    "<code>/timezone Asia/Baghdad</code>, <code>/timezone Europe/Berlin</code> or "
                    "<code>/timezone UTC</code>."
                )
            else:
                # Translators: {zone} is what the user wrote after /timezone. Keep the commands as they are.
                wrong = _(
                    "I do not know the time zone {zone}. Write it as in "
                    "<code>/timezone Asia/Baghdad</code>, <code>/timezone Europe/Berlin</code> or "
                    "<code>/timezone UTC</code>."
                )
            return wrong.format(zone=code(_echo(name, 64)), zones=join_list(code(z) for z in close))
        # Translators: {zone} is the time zone the chat chose ("Asia/Baghdad").
        done = _("Time zone set: {zone}. Times in messages and digests follow it.").format(zone=embed(zone))
        return self._save(place[0], replace(settings, timezone=zone), done)

    def previews(self, place: Place, arguments: str) -> str:
        """/previews on|off."""
        word = arguments.strip().casefold()
        if word not in ("on", "off"):
            return _(
                "Show a preview of the story's page under each alert? "
                "<code>/previews on</code> or <code>/previews off</code>."
            )
        settings = self._pace.settings(place[0])
        done = _("Link previews are on.") if word == "on" else _("Link previews are off.")
        return self._save(place[0], replace(settings, previews=word == "on"), done)

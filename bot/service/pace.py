"""Each chat's pace: an alert now, or the story held for a digest; and the digests.

For every story a chat's subscriptions match, :meth:`AlertPace.place` decides with the
chat's settings and :func:`bot.core.pace.route` whether the alert goes at once (maybe
silently, during quiet hours that ask so), or the story is held: for the chat's (or the
subscription's) digest, until its quiet hours end, or until its flood guard's window ends.
Muted subscriptions bring nothing. :meth:`AlertPace.release_due` turns what is due into
digest messages (split to fit Telegram, one notification each), replacing the held stories
in one durable step, so a crash never loses a held story nor sends a digest twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import tzinfo
from zoneinfo import ZoneInfo

from bot.core.dedup import seen_token
from bot.core.formatting import DigestStory, digest_header, format_alert, format_digest, split_message
from bot.core.items import Item
from bot.core.language import DEFAULT_LANGUAGE, _, embed, format_number, speaking
from bot.core.pace import ChatSettings, DeliveryMode, FloodGuard, HoldReason, next_digest, quiet_until, route
from bot.service.ports import Button, ChatPreferences, HeldStories, HeldStory, OutboxEntry
from bot.service.subscriptions import Place, Subscription

__all__ = ["AlertPace", "alert_buttons"]

log = logging.getLogger(__name__)

BUTTON_KEYWORD_CHARS = 24


def _short(text: str) -> str:
    return text if len(text) <= BUTTON_KEYWORD_CHARS else text[: BUTTON_KEYWORD_CHARS - 1] + "…"


def alert_buttons(matched: Sequence[Subscription]) -> tuple[tuple[Button, ...], ...]:
    """Under an alert, for the (first two) subscriptions it matched: mute for a day, or
    unsubscribe. The callback data carries the subscription's id only."""
    # Translators: buttons under an alert, two in a row: keep them short. {keyword} is a
    # subscription the story matched (at most 24 characters); "24 h" is for 24 hours.
    mute = _("🔕 Mute “{keyword}” 24 h")
    # Translators: a button under an alert, beside Mute: keep it short. {keyword} is a
    # subscription the story matched (at most 24 characters).
    unsubscribe = _("✖ Unsubscribe “{keyword}”")
    return tuple(
        (
            Button(mute.format(keyword=embed(_short(s.query.quotable))), f"mute:{s.id}"),
            Button(unsubscribe.format(keyword=embed(_short(s.query.quotable))), f"unsub:{s.id}"),
        )
        for s in matched[:2]
    )


class AlertPace:
    """See the module docstring."""

    def __init__(
        self,
        preferences: ChatPreferences,
        held: HeldStories,
        *,
        default_tz: tzinfo,
        default_language: str = DEFAULT_LANGUAGE,
        flood: FloodGuard,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._preferences = preferences
        self._holds = held
        self._default_tz = default_tz
        self._default_language = default_language
        self._flood = flood
        self._clock = clock
        self._settings: dict[int, ChatSettings] = {}
        self._alerts: dict[int, list[float]] = held.alert_times(since=clock() - max(flood.window, 1.0))

    # --- what chats chose -------------------------------------------------------------

    def settings(self, chat_id: int) -> ChatSettings:
        settings = self._settings.get(chat_id)
        if settings is None:
            settings = self._settings[chat_id] = self._preferences.chat_settings(chat_id)
        return settings

    def language(self, chat_id: int) -> str:
        """The language chat *chat_id* reads: its choice, else the bot's default."""
        return self.settings(chat_id).language or self._default_language

    def tz(self, chat_id: int) -> tzinfo:
        name = self.settings(chat_id).timezone
        return ZoneInfo(name) if name else self._default_tz

    def save(self, chat_id: int, settings: ChatSettings) -> None:
        """Save what a chat chose, and move what it holds to the new schedule: stories held
        for its digest follow the new pace, time of day or time zone (and go now if the chat
        now wants each story at once); stories held by quiet hours that no longer hold now
        go now (quietly if quiet hours are now silent)."""
        before = self.settings(chat_id)
        self._preferences.save_chat_settings(chat_id, settings)
        self._settings[chat_id] = settings
        now = self._clock()
        held = [story for story in self._holds.held() if story.chat_id == chat_id]
        if (before.delivery, before.daily_at, before.timezone) != (
            settings.delivery,
            settings.daily_at,
            settings.timezone,
        ):
            self._follow_pace(held, before.delivery, settings, now)
        if settings.quiet != before.quiet:
            quiet = settings.quiet
            end = quiet_until(now, quiet, self.tz(chat_id)) if quiet and not quiet.silent else None
            self._holds.reschedule([s.key for s in held if s.reason is HoldReason.QUIET], end or now)

    def _follow_pace(
        self, held: Sequence[HeldStory], before: DeliveryMode, settings: ChatSettings, now: float
    ) -> None:
        """Move stories held for a digest to the chat's new pace: those held for the chat's
        own pace take the new one, those held for a subscription's keep theirs; both at the
        new time of day and time zone."""
        moves: dict[tuple[float, HoldReason], list[str]] = {}
        for story in held:
            if story.reason not in (HoldReason.HOURLY, HoldReason.DAILY):
                continue
            mode = DeliveryMode(story.reason.value)
            if mode is before:
                mode = settings.delivery
            move: tuple[float, HoldReason] = (now, story.reason)
            if mode is not DeliveryMode.INSTANT:
                tz = self.tz(story.chat_id)
                move = (next_digest(now, mode, daily_at=settings.daily_at, tz=tz), HoldReason(mode.value))
            moves.setdefault(move, []).append(story.key)
        for (until, reason), keys in moves.items():
            self._holds.reschedule(keys, until, reason)

    # --- where a story goes -------------------------------------------------------------

    def place(
        self, place: Place, item: Item, matched: Sequence[Subscription], *, key: str, now: float
    ) -> OutboxEntry | HeldStory | None:
        """The alert for *item* to a chat (or topic), or the story held for later; None when
        every subscription it matched is muted."""
        awake = [subscription for subscription in matched if not subscription.muted(now)]
        if not awake:
            return None
        chat_id, thread_id = place
        settings = self.settings(chat_id)
        tz = self.tz(chat_id)
        modes = [subscription.stored.delivery or settings.delivery for subscription in awake]
        recent = self._recent(chat_id, now)
        where = route(now, modes=modes, settings=settings, tz=tz, flood=self._flood, recent_alerts=recent)
        if where.hold is not None:
            return HeldStory(
                key=key,
                chat_id=chat_id,
                thread_id=thread_id,
                item=replace(item, summary="", content=""),
                keywords=tuple(subscription.query.text for subscription in awake),
                reason=where.hold.reason,
                until=where.hold.until,
                held_at=now,
            )
        recent.append(now)
        with speaking(self.language(chat_id)):
            html = format_alert(item, [subscription.query for subscription in awake], tz=tz)
            buttons = alert_buttons(awake)
        return OutboxEntry(
            key=key,
            chat_id=chat_id,
            html=html,
            created=now,
            thread_id=thread_id,
            silent=where.silent,
            preview=settings.previews,
            buttons=buttons,
            instant=True,
            source=item.feed,
        )

    def _recent(self, chat_id: int, now: float) -> list[float]:
        """The chat's instant alerts within the flood guard's window, oldest first."""
        recent = self._alerts.setdefault(chat_id, [])
        while recent and recent[0] < now - self._flood.window * 2:
            recent.pop(0)  # (a window that started before now - window is over)
        if len(self._alerts) > 50_000:
            self._alerts = {chat: times for chat, times in self._alerts.items() if times}
        return recent

    # --- digests ------------------------------------------------------------------------

    def release_due(self) -> int:
        """Turn the held stories whose time has come into digest messages; returns how many
        messages were queued. During quiet hours a digest waits for their end (or, if they
        are silent, comes without a sound)."""
        now = self._clock()
        due: dict[tuple[int, int | None, HoldReason], list[HeldStory]] = {}
        for story in self._holds.held_due(now):
            due.setdefault((story.chat_id, story.thread_id, story.reason), []).append(story)
        queued = 0
        for (chat_id, thread_id, reason), stories in due.items():
            keys = [story.key for story in stories]
            quiet = self.settings(chat_id).quiet
            quiet_end = quiet_until(now, quiet, self.tz(chat_id)) if quiet is not None else None
            if quiet_end is not None and quiet is not None and not quiet.silent:
                self._holds.reschedule(keys, quiet_end)
                continue
            digests = self._digest((chat_id, thread_id), reason, stories, now, silent=quiet_end is not None)
            queued += self._holds.release(keys, digests)
        return queued

    def _digest(
        self, place: Place, reason: HoldReason, stories: Sequence[HeldStory], now: float, *, silent: bool
    ) -> list[OutboxEntry]:
        with speaking(self.language(place[0])):
            return self._digest_parts(place, reason, stories, now, silent=silent)

    def _digest_parts(
        self, place: Place, reason: HoldReason, stories: Sequence[HeldStory], now: float, *, silent: bool
    ) -> list[OutboxEntry]:
        chat_id, thread_id = place
        settings = self.settings(chat_id)
        if reason is HoldReason.QUIET:
            quiet = settings.quiet.describe() if settings.quiet else ""
            header = digest_header(len(stories), reason="quiet", detail=quiet)
        elif reason is HoldReason.FLOOD:
            header = digest_header(len(stories), reason="flood", detail=format_number(self._flood.alerts))
        else:
            header = digest_header(len(stories), reason=reason.value)
        html = format_digest(
            [DigestStory(s.item, s.keywords, s.also) for s in stories], header=header, tz=self.tz(chat_id)
        )
        # One key per release: the same stories are never released twice, and two releases
        # never share a key (one would be taken for the other, already sent).
        release = seen_token("\n".join(sorted(story.key for story in stories)))[:12]
        return [
            OutboxEntry(
                key=f"digest:{chat_id}:{thread_id or 0}:{reason.value}:{release}:{number}",
                chat_id=chat_id,
                html=part,
                created=now,
                thread_id=thread_id,
                silent=silent or number > 0,  # one notification per digest
            )
            for number, part in enumerate(split_message(html))
        ]

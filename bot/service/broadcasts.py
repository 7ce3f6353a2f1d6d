"""Announcements from the admins to every active chat: previewed, confirmed, reported.

``/broadcast <text>`` stores a draft, with the author's bold, italics and links, and shows
its author a preview of exactly that message with the number of chats it would reach;
nothing is sent until the author presses Send. Sending is the delivery loop's job (see
:mod:`bot.service.delivery`); this module shows its progress by editing the preview message
at most every few seconds, and reports at the end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from bot.core.authored_html import clean_authored_html
from bot.core.formatting import (
    ANNOUNCEMENT_TEXT_LIMIT,
    format_announcement,
    format_duration,
    to_plain_text,
    visible_length,
)
from bot.core.language import (
    DEFAULT_LANGUAGE,
    N_,
    _,
    format_number,
    ngettext,
    speaking,
)
from bot.service.commands import NOT_SAVED
from bot.service.delivery import Delivery
from bot.service.ports import Broadcast, BroadcastStatus, BroadcastStore, ChatRegistry, Sender, StorageFailure

__all__ = ["BroadcastProgress", "Broadcasts", "Preview"]

REFUSAL = N_("Sorry, only the bot's admins can send announcements.")
CANCELLED = N_("Cancelled: the announcement was not sent.")
# Translators: the example after /broadcast is an announcement; translate it, keep "/broadcast".
USAGE = N_(
    "Write the announcement after the command, for example "
    "<code>/broadcast The bot restarts at 22:00 UTC.</code>"
)
GONE = N_("This announcement no longer exists.")


@dataclass(frozen=True, slots=True)
class Preview:
    """A draft shown to its author, to be confirmed (``send``) or dropped (``cancel``)."""

    broadcast_id: str
    html: str
    chats: int


class Broadcasts:
    """Admin announcements (see the module docstring)."""

    def __init__(
        self,
        *,
        store: BroadcastStore,
        chats: ChatRegistry,
        delivery: Delivery,
        progress: BroadcastProgress,
        admins: Collection[int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._chats = chats
        self._delivery = delivery
        self._progress = progress
        self._admins = frozenset(admins)
        self._clock = clock

    def draft(self, user_id: int | None, chat_id: int, markup: str) -> Preview | str:
        """Keep an announcement as a draft and return its preview, or the reason it cannot be.

        *markup* is the announcement as Telegram HTML, with the author's own formatting (the
        entities of their message): it is kept to what Telegram accepts
        (:func:`clean_authored_html`), and measured as Telegram measures it, in UTF-16 code
        units of its visible text. The preview shows the very HTML every chat will get."""
        if user_id not in self._admins or user_id is None:
            return _(REFUSAL)
        text = clean_authored_html(markup).strip()
        if not to_plain_text(text).strip():
            return _(USAGE)
        length = visible_length(text)
        if length > ANNOUNCEMENT_TEXT_LIMIT:
            return ngettext(
                "That announcement is too long: {length} character, counted as Telegram counts "
                "them (an emoji counts as two); the limit is {limit}.",
                "That announcement is too long: {length} characters, counted as Telegram counts "
                "them (an emoji counts as two); the limit is {limit}.",
                length,
            ).format(length=format_number(length), limit=format_number(ANNOUNCEMENT_TEXT_LIMIT))
        html = format_announcement(text)
        draft = Broadcast(
            id=uuid.uuid4().hex[:12],
            html=html,
            status=BroadcastStatus.DRAFT,
            author=user_id,
            chat_id=chat_id,
            created=self._clock(),
        )
        try:
            self._store.save_broadcast(draft)
        except StorageFailure:
            return _(NOT_SAVED)
        chats = len(self._chats.active_chat_ids())
        # Translators: above an announcement an admin wrote, before they press Send.
        heading = ngettext(
            "<b>Preview</b>: this announcement will go to {n} active chat.",
            "<b>Preview</b>: this announcement will go to {n} active chats.",
            chats,
        ).format(n=format_number(chats))
        preview = f"{heading}\n\n{html}"
        return Preview(draft.id, preview, chats)

    def send(self, user_id: int | None, broadcast_id: str, message_id: int) -> str:
        """The author pressed Send: fix the list of chats and start. Returns the new text of
        the preview message, which then shows the progress."""
        broadcast = self._store.broadcast(broadcast_id)
        if user_id not in self._admins or broadcast is None:
            return _(REFUSAL) if broadcast is not None else _(GONE)
        if broadcast.status is not BroadcastStatus.DRAFT:
            return self._progress.progress_text(broadcast)  # a second press changes nothing
        targets = tuple(self._chats.active_chat_ids())
        started = replace(
            broadcast,
            status=BroadcastStatus.SENDING,
            targets=targets,
            total=len(targets),
            message_id=message_id,
            started=self._clock(),
        )
        try:
            self._store.save_broadcast(started)
        except StorageFailure:
            return _(NOT_SAVED)  # still a draft, never sent: /broadcast again later
        self._delivery.wake()
        return self._progress.progress_text(started)

    def refusal(self, user_id: int | None) -> str | None:
        """Why *user_id* may not press a preview's buttons (None: an admin may)."""
        return None if user_id in self._admins else _(REFUSAL)

    def stale_button(self) -> str:
        """The answer to a press that is not a valid button of a preview (short: a toast)."""
        # Translators: a short notice shown on top of the chat when an old button is pressed.
        return _("This button no longer works.")

    def cancel(self, user_id: int | None, broadcast_id: str) -> str:
        """The author pressed Cancel: drop the draft (a broadcast already sending goes on)."""
        broadcast = self._store.broadcast(broadcast_id)
        if user_id not in self._admins or broadcast is None:
            return _(REFUSAL) if broadcast is not None else _(GONE)
        if broadcast.status is not BroadcastStatus.DRAFT:
            return self._progress.progress_text(broadcast)
        try:
            self._store.save_broadcast(replace(broadcast, status=BroadcastStatus.CANCELLED))
        except StorageFailure:
            return _(NOT_SAVED)
        return _(CANCELLED)


class BroadcastProgress:
    """How a broadcast's progress is told to its author: the preview message edited as it
    goes, and a report at the end."""

    def __init__(
        self,
        sender: Sender,
        *,
        clock: Callable[[], float] = time.time,
        language_of: Callable[[int], str] = lambda chat_id: DEFAULT_LANGUAGE,
    ) -> None:
        self._sender = sender
        self._clock = clock
        self._language_of = language_of  # the author's, for progress told outside their commands

    def progress_text(self, broadcast: Broadcast) -> str:
        if broadcast.status is BroadcastStatus.DONE:
            return self.report_text(broadcast)
        if broadcast.status is BroadcastStatus.CANCELLED:
            return _(CANCELLED)
        done = broadcast.done
        elapsed = self._clock() - (broadcast.started or self._clock())
        lines = [
            ngettext(
                "📢 <b>Sending the announcement</b> to {n} chat",
                "📢 <b>Sending the announcement</b> to {n} chats",
                broadcast.total,
            ).format(n=format_number(broadcast.total)),
            # Translators: the counts of chats an announcement went to so far, and of those left.
            _("Sent {sent} · blocked {blocked} · failed {failed} · remaining {remaining}").format(
                sent=format_number(broadcast.sent),
                blocked=format_number(broadcast.blocked),
                failed=format_number(broadcast.failed),
                remaining=format_number(broadcast.remaining),
            ),
        ]
        if done and elapsed > 0:
            # Translators: {duration} is a length of time, such as "12 min".
            left = _("About {duration} left.")
            lines.append(left.format(duration=format_duration(broadcast.remaining * elapsed / done)))
        return "\n".join(lines) + "\n\n" + broadcast.html

    def report_text(self, broadcast: Broadcast) -> str:
        took = (broadcast.finished or self._clock()) - (broadcast.started or self._clock())
        total = broadcast.total
        if broadcast.blocked and broadcast.failed:
            # Translators: {sent} of {n} chats got the announcement; {blocked} and {failed} are
            # numbers of chats that did not; {duration} is a length of time, such as "12 min".
            text = ngettext(
                "📢 <b>Announcement sent</b> to {sent} of {n} chat in {duration}; "
                "{blocked} had blocked the bot or left; {failed} refused it.",
                "📢 <b>Announcement sent</b> to {sent} of {n} chats in {duration}; "
                "{blocked} had blocked the bot or left; {failed} refused it.",
                total,
            )
        elif broadcast.blocked:
            text = ngettext(
                "📢 <b>Announcement sent</b> to {sent} of {n} chat in {duration}; "
                "{blocked} had blocked the bot or left.",
                "📢 <b>Announcement sent</b> to {sent} of {n} chats in {duration}; "
                "{blocked} had blocked the bot or left.",
                total,
            )
        elif broadcast.failed:
            text = ngettext(
                "📢 <b>Announcement sent</b> to {sent} of {n} chat in {duration}; {failed} refused it.",
                "📢 <b>Announcement sent</b> to {sent} of {n} chats in {duration}; {failed} refused it.",
                total,
            )
        else:
            text = ngettext(
                "📢 <b>Announcement sent</b> to {sent} of {n} chat in {duration}.",
                "📢 <b>Announcement sent</b> to {sent} of {n} chats in {duration}.",
                total,
            )
        return text.format(
            sent=format_number(broadcast.sent),
            n=format_number(total),
            duration=format_duration(took),
            blocked=format_number(broadcast.blocked),
            failed=format_number(broadcast.failed),
        )

    async def __call__(self, broadcast: Broadcast, finished: bool) -> None:
        """Edit the author's message with the progress; at the end, also tell them anew
        (an edited message does not notify)."""
        with speaking(self._language_of(broadcast.chat_id)):
            progress, report = self.progress_text(broadcast), self.report_text(broadcast)
        if broadcast.message_id is not None:
            await self._sender.edit(broadcast.chat_id, broadcast.message_id, progress)
        if finished:
            await self._sender.send(broadcast.chat_id, report)

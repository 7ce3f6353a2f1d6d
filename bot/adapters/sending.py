"""Sending to Telegram: messages and edits from the delivery loop, and group membership.

The sender turns PTB's exceptions into the service's delivery errors
(:mod:`bot.service.ports`); membership answers are kept for a while, so a group's activity
does not cost a lookup per message.

Messages go out with ``do_api_request("sendMessage", ...)``: PTB's request stack, rate
limiter and errors all the same, but the answer stays the Bot API's dictionary instead of
becoming a :class:`telegram.Message` (some 150 attributes set one by one) that the loop
would read only the id of: 70 µs of CPU a message, of about a millisecond that sending one
costs in all (bench/broadcast.py). PTB warns that ``send_message`` exists for this; that
one warning is silenced, and PTB's Defaults, which ``do_api_request`` does not apply, are
passed from the bot's own.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ChatMemberStatus
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Defaults, ExtBot
from telegram.warnings import PTBUserWarning

from bot.adapters.ratelimit import PACED
from bot.service.ports import (
    DEFAULT_OPTIONS,
    BadMarkup,
    Buttons,
    ChatMoved,
    ChatUnreachable,
    MessageRejected,
    RetryLater,
    SendOptions,
    TemporaryFailure,
    TopicGone,
)

__all__ = ["PressedButtons", "TelegramMembership", "TelegramSender", "keyboard"]

MEMBERSHIP_SECONDS = 600.0  # how long an answer about a group's admins is kept
# Telegram's words for a forum topic that is gone.
_TOPIC_GONE = (
    "message thread not found",
    "topic_closed",
    "topic_deleted",
    "topic was deleted",
    "topic is closed",
)


def keyboard(buttons: Buttons) -> InlineKeyboardMarkup | None:
    """The inline keyboard for rows of buttons (None for none)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.label, callback_data=button.data) for button in row] for row in buttons]
    )


class PressedButtons:
    """The buttons a press left under a message (after Mute, an Undo), so an edit of that
    message's text keeps them instead of bringing back those it was sent with. Kept in
    memory for the latest :data:`PRESSED_MESSAGES` messages."""

    def __init__(self) -> None:
        self._buttons: dict[tuple[int, int], InlineKeyboardMarkup | None] = {}

    def record(self, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None) -> None:
        self._buttons.pop((chat_id, message_id), None)
        self._buttons[(chat_id, message_id)] = markup
        while len(self._buttons) > PRESSED_MESSAGES:
            del self._buttons[next(iter(self._buttons))]

    def get(
        self, chat_id: int, message_id: int, sent: InlineKeyboardMarkup | None
    ) -> InlineKeyboardMarkup | None:
        """The buttons under the message now: as a press left them, else *sent*."""
        return self._buttons.get((chat_id, message_id), sent)


PRESSED_MESSAGES = 10_000


class TelegramSender:
    """Sends and edits messages with a bot, raising the service's delivery errors."""

    def __init__(self, bot: ExtBot, pressed: PressedButtons | None = None) -> None:  # type: ignore[type-arg]
        self._bot = bot
        self._pressed = pressed or PressedButtons()
        self._defaults = _message_defaults(bot.defaults)
        warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)

    async def send(
        self, chat_id: int, text: str, *, html: bool = True, options: SendOptions = DEFAULT_OPTIONS
    ) -> int | None:
        message = {
            **self._defaults,
            "chat_id": chat_id,
            "text": text,
            "message_thread_id": options.thread_id,  # None is left out
            "reply_markup": keyboard(options.buttons),
            **_beyond_defaults(options),
            **({} if html else PLAIN_TEXT),
        }
        with _delivery_errors():
            # PACED: the delivery loop picked a chat with room; its token is taken without a wait.
            answer = await self._bot.do_api_request("sendMessage", api_kwargs=message, rate_limit_args=PACED)
        return int(answer["message_id"])

    async def edit(
        self, chat_id: int, message_id: int, html: str, *, options: SendOptions = DEFAULT_OPTIONS
    ) -> None:
        with _delivery_errors():
            try:
                await self._bot.edit_message_text(
                    html,
                    chat_id,
                    message_id,
                    reply_markup=self._pressed.get(chat_id, message_id, keyboard(options.buttons)),
                    rate_limit_args=PACED,
                    **_preview(options),
                )
            except BadRequest as exc:
                if "not modified" not in exc.message.casefold():
                    raise


SMALL_PREVIEW = LinkPreviewOptions(is_disabled=False, prefer_small_media=True)
# PTB's Defaults send HTML; an explicit None sends a message as it is written (the last try
# of an alert whose markup Telegram refused).
PLAIN_TEXT: dict[str, Any] = {"parse_mode": None}


def _message_defaults(defaults: Defaults | None) -> dict[str, Any]:
    """The parameters of a message that PTB's *defaults* set (``send_message`` would apply
    them; ``do_api_request`` does not)."""
    if defaults is None:
        return {}
    values = {
        "parse_mode": defaults.parse_mode,
        "disable_notification": defaults.disable_notification,
        "protect_content": defaults.protect_content,
        "link_preview_options": defaults.link_preview_options,
    }
    return {name: value for name, value in values.items() if value is not None}


def _preview(options: SendOptions) -> dict[str, Any]:
    """The link's preview, small, if the chat wants previews. Otherwise nothing is passed,
    so PTB's Defaults apply (no preview): an explicit None would send no option at all, and
    Telegram would show its own preview."""
    return {"link_preview_options": SMALL_PREVIEW} if options.preview else {}


def _beyond_defaults(options: SendOptions) -> dict[str, Any]:
    """The options of a message that differ from PTB's Defaults (see :func:`_preview`)."""
    return {**_preview(options), **({"disable_notification": True} if options.silent else {})}


@contextlib.contextmanager
def _delivery_errors() -> Iterator[None]:
    """Translate PTB's exceptions into :mod:`bot.service.ports` delivery errors."""
    try:
        yield
    except RetryAfter as exc:
        wait = exc.retry_after  # seconds, or a timedelta when PTB_TIMEDELTA is set
        raise RetryLater(wait.total_seconds() if isinstance(wait, timedelta) else float(wait)) from None
    except ChatMigrated as exc:
        raise ChatMoved(exc.new_chat_id) from None
    except Forbidden as exc:
        raise ChatUnreachable(exc.message) from None
    except BadRequest as exc:  # before NetworkError, which it subclasses
        reason = exc.message.casefold()
        if "chat not found" in reason:
            raise ChatUnreachable(exc.message) from None
        if any(words in reason for words in _TOPIC_GONE):
            raise TopicGone(exc.message) from None
        if "can't parse entities" in reason:
            raise BadMarkup(exc.message) from None
        raise MessageRejected(exc.message) from None
    except (NetworkError, InvalidToken) as exc:
        raise TemporaryFailure(exc.message) from None
    except TelegramError as exc:
        raise TemporaryFailure(exc.message) from None


class TelegramMembership:
    """Whether a user administers a group, asked of Telegram (getChatMember) and kept for
    :data:`MEMBERSHIP_SECONDS`. A lookup that fails counts as "no" and is not kept."""

    def __init__(self, bot: ExtBot, clock: Callable[[], float] = time.monotonic) -> None:  # type: ignore[type-arg]
        self._bot = bot
        self._clock = clock
        self._known: dict[tuple[int, int], tuple[bool, float]] = {}

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        now = self._clock()
        known = self._known.get((chat_id, user_id))
        if known is not None and now - known[1] < MEMBERSHIP_SECONDS:
            return known[0]
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            return False
        admin = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
        if len(self._known) > 50_000:
            self._known = {
                key: value for key, value in self._known.items() if now - value[1] < MEMBERSHIP_SECONDS
            }
        self._known[(chat_id, user_id)] = (admin, now)
        return admin

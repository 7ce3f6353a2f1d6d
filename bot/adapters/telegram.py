"""The Telegram edge: PTB handlers, the message sender and the Application builder.

Handlers parse the update, call :class:`~bot.service.commands.Commands` and reply; they hold
no logic of their own. The sender turns PTB's exceptions into the service's delivery errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine, Iterator, Sequence
from datetime import timedelta
from typing import Any

from telegram import (
    BotCommand,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.adapters.ratelimit import PACED, ChatBusy, TelegramRateLimiter
from bot.adapters.updates import ChatLanes
from bot.core.formatting import split_message
from bot.core.pacing import ChatBuckets, Rate
from bot.service.broadcasts import Broadcasts
from bot.service.catalogue import FeedCatalogue
from bot.service.commands import BOT_COMMANDS, Commands
from bot.service.ports import (
    BadMarkup,
    ChatMoved,
    ChatUnreachable,
    MessageRejected,
    RetryLater,
    TemporaryFailure,
)

__all__ = ["TelegramHandlers", "TelegramSender", "build_application", "publish_command_menu"]

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

NO_PREVIEW = {"is_disabled": True}
BUTTON = "broadcast"  # callback data: broadcast:<send|cancel>:<id>, well under Telegram's 64 bytes


class TelegramSender:
    """Sends and edits messages with a bot, raising the service's delivery errors."""

    def __init__(self, bot: ExtBot) -> None:  # type: ignore[type-arg]
        self._bot = bot

    async def send(self, chat_id: int, text: str, *, html: bool = True) -> None:
        message: dict[str, object] = {"chat_id": chat_id, "text": text, "link_preview_options": NO_PREVIEW}
        if html:
            message["parse_mode"] = ParseMode.HTML.value
        with _delivery_errors():
            # The answer is not needed: do_api_request (PTB's request stack, rate limiter and
            # errors all the same) skips building a Message from it, a third of the cost.
            # PACED: the delivery loop took this chat's allowance itself (see ratelimit.py).
            await self._bot.do_api_request("sendMessage", api_kwargs=message, rate_limit_args=PACED)

    async def edit(self, chat_id: int, message_id: int, html: str) -> None:
        with _delivery_errors():
            try:
                await self._bot.edit_message_text(html, chat_id, message_id, parse_mode=ParseMode.HTML)
            except BadRequest as exc:
                if "not modified" not in exc.message.casefold():
                    raise


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
        if "can't parse entities" in reason:
            raise BadMarkup(exc.message) from None
        raise MessageRejected(exc.message) from None
    except (NetworkError, InvalidToken) as exc:
        raise TemporaryFailure(exc.message) from None
    except TelegramError as exc:
        raise TemporaryFailure(exc.message) from None


def _for_another_bot(update: Update, context: Context) -> bool:
    """A command addressed to another bot (``/subscribe@otherbot``), as seen in groups."""
    message = update.effective_message
    words = (message.text or "").split(maxsplit=1) if message is not None else []
    addressee = words[0].partition("@")[2] if words else ""
    return bool(addressee) and addressee.casefold() != (context.bot.username or "").casefold()


def _arguments(message: Message) -> str:
    """The text after the command word, line breaks kept."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


class TelegramHandlers:
    """PTB callbacks for every command; each one parses, calls :class:`Commands`, replies."""

    def __init__(self, commands: Commands, broadcasts: Broadcasts, feeds: FeedCatalogue) -> None:
        self._commands = commands
        self._broadcasts = broadcasts
        self._feeds = feeds

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(MessageHandler(filters.COMMAND, self.remember_chat), group=-1)
        simple: dict[str, Callable[[Update, Context], Coroutine[Any, Any, None]]] = {
            "start": self.start,
            "help": self.help,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "list": self.list,
            "feeds": self.feeds,
            "stats": self.stats,
            "broadcast": self.broadcast,
            "removefeed": self.removefeed,
        }
        for name, callback in simple.items():
            application.add_handler(CommandHandler(name, callback))
        # Fetching a feed to check it may take the whole fetch timeout: not in the update queue.
        application.add_handler(CommandHandler("addfeed", self.addfeed, block=False))
        application.add_handler(MessageHandler(filters.COMMAND, self.unknown))
        application.add_handler(
            MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, self.not_a_command)
        )
        application.add_handler(ChatMemberHandler(self.membership, ChatMemberHandler.MY_CHAT_MEMBER))
        application.add_handler(CallbackQueryHandler(self.broadcast_button, pattern=f"^{BUTTON}:"))
        application.add_handler(CallbackQueryHandler(self.stale_button))
        application.add_error_handler(self.on_error)

    @staticmethod
    async def _reply(update: Update, html: str) -> None:
        """Answer in the update's chat; a reply over Telegram's length limit goes in parts,
        cut at line breaks."""
        if update.effective_message is not None:
            for part in split_message(html):
                await update.effective_message.reply_html(part, do_quote=False)

    @staticmethod
    def _user_id(update: Update) -> int | None:
        return update.effective_user.id if update.effective_user else None

    async def remember_chat(self, update: Update, context: Context) -> None:
        """Every chat that uses one of this bot's commands is one it may write to (again)."""
        chat = update.effective_chat
        if chat is not None and not _for_another_bot(update, context):
            self._commands.chat_seen(chat.id, chat.type, chat.effective_name or "")

    async def start(self, update: Update, context: Context) -> None:
        """Welcome and help."""
        await self._reply(update, self._commands.start(self._user_id(update)))

    async def help(self, update: Update, context: Context) -> None:
        """Every command with an example, and how keywords match."""
        await self._reply(update, self._commands.help(self._user_id(update)))

    async def subscribe(self, update: Update, context: Context) -> None:
        """Add keyword subscriptions for this chat."""
        assert update.effective_chat and update.effective_message
        reply = self._commands.subscribe(update.effective_chat.id, _arguments(update.effective_message))
        await self._reply(update, reply)

    async def unsubscribe(self, update: Update, context: Context) -> None:
        """Remove keyword subscriptions of this chat."""
        assert update.effective_chat and update.effective_message
        reply = self._commands.unsubscribe(update.effective_chat.id, _arguments(update.effective_message))
        await self._reply(update, reply)

    async def list(self, update: Update, context: Context) -> None:
        """This chat's subscriptions."""
        assert update.effective_chat
        await self._reply(update, self._commands.list(update.effective_chat.id))

    async def feeds(self, update: Update, context: Context) -> None:
        """The news sources; for admins, with each one's health."""
        await self._reply(update, self._feeds.describe(self._user_id(update)))

    async def addfeed(self, update: Update, context: Context) -> None:
        """Admins: fetch a feed's URL once and, if it is a working feed, watch it."""
        assert update.effective_message
        reply = await self._feeds.add(self._user_id(update), _arguments(update.effective_message))
        await self._reply(update, reply)

    async def removefeed(self, update: Update, context: Context) -> None:
        """Admins: stop watching a feed added with /addfeed."""
        assert update.effective_message
        await self._reply(
            update, self._feeds.remove(self._user_id(update), _arguments(update.effective_message))
        )

    async def stats(self, update: Update, context: Context) -> None:
        """Admins: the bot's health."""
        await self._reply(update, self._commands.stats(self._user_id(update)))

    async def broadcast(self, update: Update, context: Context) -> None:
        """Admins: preview an announcement, with buttons to send it or not."""
        assert update.effective_message and update.effective_chat
        preview = self._broadcasts.draft(
            self._user_id(update), update.effective_chat.id, _arguments(update.effective_message)
        )
        if isinstance(preview, str):
            await self._reply(update, preview)
            return
        chats = f"{preview.chats:,} chat{'' if preview.chats == 1 else 's'}"
        send = InlineKeyboardButton(f"Send to {chats}", callback_data=f"{BUTTON}:send:{preview.broadcast_id}")
        cancel = InlineKeyboardButton("Cancel", callback_data=f"{BUTTON}:cancel:{preview.broadcast_id}")
        buttons = InlineKeyboardMarkup([[send, cancel]])
        await update.effective_message.reply_html(preview.html, reply_markup=buttons, do_quote=False)

    async def broadcast_button(self, update: Update, context: Context) -> None:
        """Send or Cancel pressed under a preview. A press that is not one of ours (forged or
        malformed data), or that comes without its message, is answered and changes nothing."""
        query = update.callback_query
        assert query is not None
        action, _, broadcast_id = (query.data or "").removeprefix(f"{BUTTON}:").partition(":")
        user_id = query.from_user.id if query.from_user else None
        message = query.message if isinstance(query.message, Message) else None
        if action not in ("send", "cancel") or not broadcast_id or message is None:
            await query.answer(self._broadcasts.stale_button())
            return
        if action == "send":
            text = self._broadcasts.send(user_id, broadcast_id, message.message_id)
        else:
            text = self._broadcasts.cancel(user_id, broadcast_id)
        await query.answer()
        await query.edit_message_text(text, parse_mode=ParseMode.HTML)

    async def stale_button(self, update: Update, context: Context) -> None:
        """A press of a button this bot does not know (forged, or from an old version)."""
        assert update.callback_query is not None
        await update.callback_query.answer(self._broadcasts.stale_button())

    async def unknown(self, update: Update, context: Context) -> None:
        """A command this bot does not have (commands for other bots in a group are ignored)."""
        assert update.effective_message
        if _for_another_bot(update, context):
            return
        word = (update.effective_message.text or "").split(maxsplit=1)[0]
        await self._reply(update, self._commands.unknown(word.partition("@")[0]))

    async def not_a_command(self, update: Update, context: Context) -> None:
        """Plain text in a private chat: point to the commands."""
        await self._reply(update, self._commands.not_a_command())

    async def membership(self, update: Update, context: Context) -> None:
        """The bot was blocked, or removed from a group: stop writing to that chat."""
        change: ChatMemberUpdated | None = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            log.info("chat %d: the bot was blocked or removed", change.chat.id)
            self._commands.chat_left(change.chat.id)

    async def on_error(self, update: object, context: Context) -> None:
        """Log the error with the update it came from; tell the user something went wrong."""
        if isinstance(context.error, ChatBusy):  # the bot is stopping: no reply can go now
            log.info("a reply to update %s was dropped: %s", getattr(update, "update_id", "-"), context.error)
            return
        log.error("error while handling update %s", getattr(update, "update_id", "-"), exc_info=context.error)
        if isinstance(update, Update) and update.effective_message is not None:
            with contextlib.suppress(TelegramError):
                await update.effective_message.reply_text(
                    "Sorry, something went wrong on my side; please try again in a moment.", do_quote=False
                )


def build_application(
    *,
    token: str,
    base_url: str,
    chat_buckets: ChatBuckets[int | str],
    command_budget: Rate,
    flood_notice: str,
    overall_per_second: float = 30,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
) -> Application:  # type: ignore[type-arg]
    """The PTB Application: HTML by default, link previews off, every request paced under
    Telegram's limits (each chat's allowance in *chat_buckets*, shared with the delivery
    loop), updates from different chats handled at once, each chat within *command_budget*
    (told *flood_notice* once when it goes over). A 429 is not retried here: it reaches the
    delivery loop, which waits."""
    limiter = TelegramRateLimiter(overall_per_second=overall_per_second, chats=chat_buckets)
    defaults = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))

    async def notify(chat_id: int) -> None:
        await application.bot.send_message(chat_id, flood_notice)

    lanes = ChatLanes(budget=command_budget, notify=notify)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .defaults(defaults)
        .rate_limiter(limiter)
        .concurrent_updates(lanes)
    )
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    application = builder.build()
    return application


def stop_on_signals(
    application: Application,  # type: ignore[type-arg]
    first: Callable[[], None] = lambda: None,
) -> None:
    """Stop the bot on SIGINT, SIGTERM and SIGABRT (PTB's stop signals), after *first*,
    telling replies that wait for their chat's allowance, and updates that wait for their
    chat's turn, to give up: PTB would otherwise wait for each of them before it stops. For
    ``run_polling(stop_signals=None)``."""

    def stop() -> None:
        first()
        for part in (application.update_processor, application.bot.rate_limiter):
            if isinstance(part, ChatLanes | TelegramRateLimiter):
                part.abandon_waits()
        application.stop_running()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, not POSIX
            loop.add_signal_handler(signum, stop)


async def publish_command_menu(bot: object, commands: Sequence[tuple[str, str]] = BOT_COMMANDS) -> None:
    """Show the command menu in Telegram clients; a server without the method only costs a warning."""
    try:
        await bot.set_my_commands([BotCommand(name, text) for name, text in commands])  # type: ignore[attr-defined]
    except TelegramError as exc:
        log.warning("could not publish the command menu (setMyCommands): %s", exc.message)

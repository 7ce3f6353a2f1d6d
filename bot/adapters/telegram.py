"""The Telegram edge: PTB handlers, and the command menus they publish.

Handlers parse the update, call a service and reply; they hold no logic of their own. Where
a command comes from is a *place*: the chat, and its forum topic when it comes from one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.adapters.ratelimit import ChatBusy
from bot.adapters.sending import PressedButtons, keyboard
from bot.core.formatting import split_message
from bot.core.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    _,
    format_number,
    in_direction,
    ngettext,
    speaking,
    use,
)
from bot.service.assembly import Services
from bot.service.commands import BOT_COMMANDS
from bot.service.permissions import ONLY_ADMINS
from bot.service.ports import Reply, StorageFailure
from bot.service.presses import Pressed
from bot.service.subscriptions import Place

SUBSCRIPTION_BUTTONS = "^(mute|unsub|undo|undol|rm|rmall|keep):"
LANGUAGE_BUTTONS = "^lang:"

__all__ = ["TelegramHandlers", "publish_chat_menu", "publish_command_menu"]

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

BUTTON = "broadcast"  # callback data: broadcast:<send|cancel>:<id>, well under Telegram's 64 bytes


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


def _html_arguments(message: Message) -> str:
    """The text after the command word as Telegram HTML, with the formatting the user gave
    it (bold, italics, links: the message's entities, as PTB renders them)."""
    parts = (message.text_html if message.text else "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


class TelegramHandlers:
    """PTB callbacks for every command and button; each one parses, calls a service, replies."""

    def __init__(self, services: Services, pressed: PressedButtons | None = None) -> None:
        self._pressed = pressed or PressedButtons()  # shared with the sender's edits
        self._commands = services.commands
        self._broadcasts = services.broadcasts
        self._feeds = services.feeds
        self._settings = services.chat_settings
        self._presses = services.presses
        self._permissions = services.permissions
        self._languages = services.languages
        self._durability = services.durability

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(TypeHandler(Update, self.speak_chat_language), group=-2)
        application.add_handler(MessageHandler(filters.COMMAND, self.remember_chat), group=-1)
        simple: dict[str, Callable[[Update, Context], Coroutine[Any, Any, None]]] = {
            "start": self.start,
            "help": self.help,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "list": self.list,
            "settings": self.settings,
            "digest": self.digest,
            "quiet": self.quiet,
            "timezone": self.timezone,
            "previews": self.previews,
            "language": self.language,
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
        application.add_handler(CallbackQueryHandler(self.settings_button, pattern="^set:"))
        application.add_handler(CallbackQueryHandler(self.language_button, pattern=LANGUAGE_BUTTONS))
        application.add_handler(CallbackQueryHandler(self.subscription_button, pattern=SUBSCRIPTION_BUTTONS))
        application.add_handler(CallbackQueryHandler(self.stale_button))
        application.add_error_handler(self.on_error)

    async def _settled(self) -> None:
        """Wait until what the update changed is kept. A database that does not confirm in
        time (PostgreSQL unreachable) keeps the change queued: the answer goes all the same."""
        try:
            await self._durability.durable()
        except StorageFailure as exc:
            log.warning("answering before the change is confirmed: %s", exc)

    async def _reply(self, update: Update, reply: str | Reply) -> None:
        """Answer in the update's chat (and topic), once what the command changed is on the
        disk; a reply over Telegram's length limit goes in parts, cut at line breaks, its
        buttons under the last."""
        message = update.effective_message
        if message is None:
            return
        await self._settled()
        if isinstance(reply, str):
            reply = Reply(reply)
        parts = split_message(in_direction(reply.html))
        for number, part in enumerate(parts):
            markup = keyboard(reply.buttons) if number == len(parts) - 1 else None
            await message.reply_text(part, reply_markup=markup)

    @staticmethod
    def _user_id(update: Update) -> int | None:
        return update.effective_user.id if update.effective_user else None

    async def _may_change(self, update: Update) -> bool:
        """Whether the sender may change this chat's subscriptions and settings; if not,
        they are told why."""
        chat = update.effective_chat
        if chat is None:
            return False
        message = update.effective_message
        as_group = (
            message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id
        )
        allowed = await self._permissions.may_change(
            chat.id, chat.type, self._user_id(update), as_group=as_group
        )
        if not allowed:
            if update.callback_query is not None:
                await update.callback_query.answer(_(ONLY_ADMINS), show_alert=True)
            else:
                await self._reply(update, _(ONLY_ADMINS))
        return allowed

    async def speak_chat_language(self, update: Update, context: Context) -> None:
        """Before any handler: everything this update is answered with is in its chat's
        language (a private chat first takes its user's Telegram language, if it is ours)."""
        chat = update.effective_chat
        if chat is None:
            use(DEFAULT_LANGUAGE)
            return
        user = update.effective_user
        if self._languages.adopt(
            chat.id, private=chat.type == chat.PRIVATE, user_language=user.language_code if user else None
        ):
            await publish_chat_menu(context.bot, chat.id, self._languages.of(chat.id))
        use(self._languages.of(chat.id))

    async def remember_chat(self, update: Update, context: Context) -> None:
        """Every chat that uses one of this bot's commands is one it may write to (again);
        a forum topic whose subscriptions were paused works again."""
        chat = update.effective_chat
        if chat is not None and not _for_another_bot(update, context):
            self._commands.chat_seen(_place(update), chat.type, chat.effective_name or "")

    async def start(self, update: Update, context: Context) -> None:
        """Welcome and help."""
        await self._reply(update, self._commands.start(self._user_id(update)))

    async def help(self, update: Update, context: Context) -> None:
        """Every command with an example, and how keywords match."""
        await self._reply(update, self._commands.help(self._user_id(update)))

    async def _change(self, update: Update, change: Callable[[Place, str], str | Reply]) -> None:
        """A command that changes the chat's subscriptions or settings, with its arguments,
        if the sender may change them."""
        assert update.effective_message
        if await self._may_change(update):
            await self._reply(update, change(_place(update), _arguments(update.effective_message)))

    async def subscribe(self, update: Update, context: Context) -> None:
        """Add keyword subscriptions for this chat (or forum topic)."""
        await self._change(update, self._commands.subscribe)

    async def unsubscribe(self, update: Update, context: Context) -> None:
        """Remove keyword subscriptions of this chat (or forum topic)."""
        assert update.effective_message
        if await self._may_change(update):
            await self._reply(update, self._commands.unsubscribe(*_placed(update)))

    async def list(self, update: Update, context: Context) -> None:
        """This chat's (or forum topic's) subscriptions."""
        await self._reply(update, self._commands.list(_place(update)))

    async def settings(self, update: Update, context: Context) -> None:
        """This chat's settings, with buttons to change them."""
        await self._reply(update, self._settings.show(_place(update), group=_is_group(update)))

    async def digest(self, update: Update, context: Context) -> None:
        """/digest daily 08:00, hourly, off; or for one keyword."""
        await self._change(update, self._settings.digest)

    async def quiet(self, update: Update, context: Context) -> None:
        """/quiet 23:00-07:00 [silent], /quiet off."""
        await self._change(update, self._settings.quiet)

    async def timezone(self, update: Update, context: Context) -> None:
        """/timezone Asia/Baghdad."""
        assert update.effective_message
        arguments = _arguments(update.effective_message)
        if not arguments.strip() or await self._may_change(update):
            await self._reply(update, self._settings.timezone(_place(update), arguments))

    async def previews(self, update: Update, context: Context) -> None:
        """/previews on|off."""
        await self._change(update, self._settings.previews)

    async def language(self, update: Update, context: Context) -> None:
        """/language shows the choice; /language ckb (ar, en) changes it."""
        assert update.effective_message and update.effective_chat
        chat_id = update.effective_chat.id
        arguments = _arguments(update.effective_message).strip()
        if not arguments:
            await self._reply(update, self._languages.show(chat_id))
        elif await self._may_change(update):
            before = self._languages.of(chat_id)
            reply = self._languages.choose(chat_id, arguments)
            use(self._languages.of(chat_id))  # (the answer is in the new language)
            await self._reply(update, reply)
            if self._languages.of(chat_id) != before:
                await publish_chat_menu(context.bot, chat_id, self._languages.of(chat_id))

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
            self._user_id(update), update.effective_chat.id, _html_arguments(update.effective_message)
        )
        if isinstance(preview, str):
            await self._reply(update, preview)
            return
        # Translators: a button under an announcement's preview; keep it short.
        label = ngettext("Send to {n} chat", "Send to {n} chats", preview.chats).format(
            n=format_number(preview.chats)
        )
        send = InlineKeyboardButton(label, callback_data=f"{BUTTON}:send:{preview.broadcast_id}")
        # Translators: a button under an announcement's preview: do not send it.
        cancel = InlineKeyboardButton(_("Cancel"), callback_data=f"{BUTTON}:cancel:{preview.broadcast_id}")
        buttons = InlineKeyboardMarkup([[send, cancel]])
        await self._settled()
        await update.effective_message.reply_text(preview.html, reply_markup=buttons)

    async def broadcast_button(self, update: Update, context: Context) -> None:
        """Send or Cancel pressed under a preview. A press that is not one of ours (forged or
        malformed data), or that comes without its message, is answered and changes nothing."""
        query = update.callback_query
        assert query is not None
        action, _colon, broadcast_id = (query.data or "").removeprefix(f"{BUTTON}:").partition(":")
        user_id = query.from_user.id if query.from_user else None
        message = query.message if isinstance(query.message, Message) else None
        if action not in ("send", "cancel") or not broadcast_id or message is None:
            await query.answer(self._broadcasts.stale_button())
            return
        refusal = self._broadcasts.refusal(user_id)
        if refusal is not None:  # answered to the presser alone: the preview stays as it is
            await query.answer(refusal, show_alert=True)
            return
        if action == "send":
            text = self._broadcasts.send(user_id, broadcast_id, message.message_id)
        else:
            text = self._broadcasts.cancel(user_id, broadcast_id)
        await query.answer()
        async with _edit_of_pressed():
            await self._settled()
            await query.edit_message_text(text)

    async def _allowed_press(self, update: Update) -> CallbackQuery | None:
        """A press of a button that changes the chat, if the presser may change it (if not,
        they are told why); a press that comes without its message (too old) is stale."""
        query = update.callback_query
        assert query is not None
        if not isinstance(query.message, Message):
            await query.answer(self._broadcasts.stale_button())
            return None
        return query if await self._may_change(update) else None

    async def settings_button(self, update: Update, context: Context) -> None:
        """A button under /settings."""
        if (query := await self._allowed_press(update)) is not None:
            pressed = self._settings.press(_place(update), query.data or "", group=_is_group(update))
            await self._show_pressed(update, pressed)

    async def language_button(self, update: Update, context: Context) -> None:
        """A language's button under /language: the message becomes the answer, in it."""
        assert update.effective_chat is not None
        if (query := await self._allowed_press(update)) is not None:
            chat_id = update.effective_chat.id
            before = self._languages.of(chat_id)
            reply = self._languages.choose(chat_id, (query.data or "").removeprefix("lang:"))
            use(self._languages.of(chat_id))  # (the answer is in the new language)
            await query.answer()
            async with _edit_of_pressed():
                await self._settled()
                await query.edit_message_text(in_direction(reply.html))
            if self._languages.of(chat_id) != before:
                await publish_chat_menu(context.bot, chat_id, self._languages.of(chat_id))

    async def subscription_button(self, update: Update, context: Context) -> None:
        """Mute, unsubscribe, undo, remove or confirm, under an alert or /list."""
        if (query := await self._allowed_press(update)) is not None:
            await self._show_pressed(update, self._presses.press(_place(update), query.data or ""))

    async def _show_pressed(self, update: Update, pressed: Pressed) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(pressed.answer)
        markup = keyboard(pressed.buttons) if pressed.buttons else None
        async with _edit_of_pressed():
            if pressed.html is not None:
                html = in_direction(pressed.html)
                await self._settled()
                await query.edit_message_text(html, reply_markup=markup)
            elif pressed.buttons is not None:
                await self._settled()
                await query.edit_message_reply_markup(reply_markup=markup)
                if isinstance(query.message, Message):
                    self._pressed.record(query.message.chat_id, query.message.message_id, markup)

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
                    _("Sorry, something went wrong on my side; please try again in a moment.")
                )


_NOT_EDITED = ("not modified", "message to edit not found", "can't be edited")


@contextlib.asynccontextmanager
async def _edit_of_pressed() -> AsyncIterator[None]:
    """Editing the message a button was pressed on, after the press was answered: a message
    that did not change (a second press) or is gone is nothing to tell the presser about."""
    try:
        yield
    except BadRequest as exc:
        reason = exc.message.casefold()
        if not any(words in reason for words in _NOT_EDITED):
            raise
        log.info("the pressed message was not edited: %s", exc.message)


def _place(update: Update) -> Place:
    """The chat an update comes from, and its forum topic when it comes from one."""
    chat = update.effective_chat
    message = update.effective_message
    assert chat is not None
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    return chat.id, thread


def _placed(update: Update) -> tuple[Place, str]:
    """Where a command comes from, and its arguments."""
    assert update.effective_message is not None
    return _place(update), _arguments(update.effective_message)


def _is_group(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type != "private"


def _menu(language: str, commands: Sequence[tuple[str, str]]) -> list[BotCommand]:
    with speaking(language):
        return [BotCommand(name, _(text)) for name, text in commands]


async def publish_command_menu(
    bot: object, default: str = DEFAULT_LANGUAGE, commands: Sequence[tuple[str, str]] = BOT_COMMANDS
) -> None:
    """Show the command menu in Telegram clients: in the default language, and in each of
    ours that Telegram can name for its users (a two-letter code: ``ar``, ``en``; Sorani has
    none, so its chats get the menu per chat). A server without the method only costs a
    warning."""
    try:
        await bot.set_my_commands(_menu(default, commands))  # type: ignore[attr-defined]
        for language in LANGUAGES:
            if len(language) == 2:
                await bot.set_my_commands(_menu(language, commands), language_code=language)  # type: ignore[attr-defined]
    except TelegramError as exc:
        log.warning("could not publish the command menu (setMyCommands): %s", exc.message)


async def publish_chat_menu(
    bot: object, chat_id: int, language: str, commands: Sequence[tuple[str, str]] = BOT_COMMANDS
) -> None:
    """The command menu of one chat, in the language it chose."""
    try:
        await bot.set_my_commands(_menu(language, commands), scope=BotCommandScopeChat(chat_id))  # type: ignore[attr-defined]
    except TelegramError as exc:
        log.warning("could not publish chat %d's command menu: %s", chat_id, exc.message)

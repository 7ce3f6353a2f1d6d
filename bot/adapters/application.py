"""The PTB Application: how it is built (HTML by default, the one rate limiter, the Bot
API's requests) and how it stops on a signal (see :mod:`bot.adapters.telegram` for its
handlers)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot.adapters.bot_api_http import bot_api_request
from bot.adapters.ratelimit import TelegramRateLimiter
from bot.adapters.updates import ChatLanes
from bot.core.pacing import ChatBuckets, Rate

__all__ = ["build_application", "stop_on_signals"]


def build_application(
    *,
    token: str,
    base_url: str,
    chat_buckets: ChatBuckets[int | str],
    command_budget: Rate,
    flood_notice: Callable[[int], str],
    overall_per_second: float = 30,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
) -> Application:  # type: ignore[type-arg]
    """The PTB Application: HTML by default, link previews off, every request paced under
    Telegram's limits by the one rate limiter (each chat's allowance in *chat_buckets*, which
    the delivery loop reads to pick chats with room), updates from different chats handled
    at once, each chat within *command_budget* (told ``flood_notice(chat_id)`` once when it
    goes over). A 429 holds every request; a reply is sent again after it, the delivery
    loop's messages are sent again by the loop."""
    limiter = TelegramRateLimiter(overall_per_second=overall_per_second, chats=chat_buckets)
    # Every message and edit goes out with these; a call states an option only where it
    # differs (plain text, a chat's previews, a silent alert: see sending.py).
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        do_quote=False,  # a reply answers the chat; it does not quote the command
    )

    async def notify(chat_id: int) -> None:
        await application.bot.send_message(chat_id, flood_notice(chat_id))

    lanes = ChatLanes(budget=command_budget, notify=notify)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .defaults(defaults)
        .rate_limiter(limiter)
        .concurrent_updates(lanes)
    )
    # Messages, edits and replies go through httpcore directly (see bot_api_http.py).
    # getUpdates, one long poll at a time, keeps PTB's request: PTB's one connection for it
    # can still be held by the long poll it cancels when the bot stops, and the last
    # getUpdates (which confirms what was read) then fails with a PoolTimeout: a second
    # connection lets it through.
    builder = builder.request(request or bot_api_request(base_url)).get_updates_request(
        updates_request or HTTPXRequest(connection_pool_size=2)
    )
    application = builder.build()
    return application


def stop_on_signals(
    application: Application,  # type: ignore[type-arg]
    first: Callable[[], None] = lambda: None,
) -> None:
    """Stop the bot on SIGINT, SIGTERM and SIGABRT (PTB's stop signals), after *first*,
    telling requests that wait for Telegram's limits (a chat's allowance, a 429), and updates
    that wait for their chat's turn, to give up: PTB would otherwise wait for each of them
    before it stops. For ``run_polling(stop_signals=None)``."""

    def stop() -> None:
        first()
        for part in (application.update_processor, application.bot.rate_limiter):
            if isinstance(part, ChatLanes | TelegramRateLimiter):
                part.abandon_waits()
        _stop_once_started(application)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, not POSIX
            loop.add_signal_handler(signum, stop)


STARTING_CHECK_SECONDS = 0.05


def _stop_once_started(application: Application) -> None:  # type: ignore[type-arg]
    """``application.stop_running()`` at a moment it takes effect. PTB looks for a stop asked
    while it starts only once, right after post_init: one asked while its updater starts
    (deleteWebhook before polling; setWebhook and the webhook server) would be lost, and the
    bot would run on. Such a stop waits until the application runs."""
    updater = application.updater
    if application.running or updater is None or not updater.running:
        application.stop_running()
        return
    loop = asyncio.get_running_loop()

    def when_running() -> None:
        if application.running:
            # On the next turn of the loop: this one may be the last of PTB's
            # run_until_complete(start()), which would swallow a stop of the loop.
            loop.call_soon(application.stop_running)
        elif updater.running:
            loop.call_later(STARTING_CHECK_SECONDS, when_running)
        # else the updater failed to start: PTB is stopping already.

    loop.call_later(STARTING_CHECK_SECONDS, when_running)

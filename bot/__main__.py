"""The composition root: settings -> logging -> services -> Application -> run.

``python -m bot`` runs the Telegram bot; ``python -m bot console`` runs the same bot with the
terminal standing in for Telegram. This is the one place that reads the environment and
wires the parts together.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import shutil
import sys
import textwrap
import time
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from telegram.error import NetworkError, TelegramError
from telegram.ext import Application, ContextTypes
from telegram.request import BaseRequest

from bot import __version__
from bot.adapters.application import build_application, stop_on_signals
from bot.adapters.batch import run_match
from bot.adapters.bot_api_check import Answer, probe, token_problem
from bot.adapters.console import (
    CONSOLE_CHAT_ID,
    CONSOLE_USER_ID,
    console_banner,
    open_terminal,
    sample_feed,
)
from bot.adapters.feeds import HttpFeedFetcher, user_agent
from bot.adapters.sending import PressedButtons, TelegramMembership, TelegramSender
from bot.adapters.storage.database import Database
from bot.adapters.storage.durable_files import StoreError
from bot.adapters.telegram import TelegramHandlers, publish_command_menu
from bot.adapters.webhook import Webhook, limit_request_bodies, start_up_problem, webhook_problem
from bot.core.language import _, speaking
from bot.core.pace import FloodGuard
from bot.core.pacing import ChatBuckets, Pacing, Rate
from bot.core.schedule import PollBounds
from bot.core.sources import FeedSource
from bot.logs import configure_logging, redact
from bot.service.assembly import Services, assemble
from bot.service.commands import SLOW_DOWN
from bot.service.polling import FeedPolicy, PollLimits
from bot.settings import (
    BUNDLED,
    SAMPLE_FEED,
    SETTINGS,
    SETTINGS_FILE_ENV,
    Settings,
    SettingsError,
    load_feeds,
    load_settings,
)

log = logging.getLogger("bot")

DATABASE = "newsbot.json"
CONSOLE_DATABASE = "newsbot-console.json"
TICK_SECONDS = 1.0  # how often the scheduler looks for feeds that are due
CONSOLE_TOKEN = "0:console"  # never sent anywhere: the terminal answers every request

NO_TOKEN = """\
newsbot: no Telegram bot token is set. To run the bot on Telegram, create a bot by \
messaging @BotFather in Telegram (send /newbot and follow the steps), copy the token it \
gives you, and start the bot with it: TELEGRAM_BOT_TOKEN=123456:ABC... python -m bot. \
To try newsbot without Telegram or a token, run it in the terminal instead: python -m bot console"""

WRONG_TOKEN = """\
newsbot: Telegram refused the bot token (TELEGRAM_BOT_TOKEN). Check that you copied the whole \
token from @BotFather, or ask @BotFather for a new one with /token. The token is not shown here \
on purpose."""

MALFORMED_TOKEN = """\
newsbot: TELEGRAM_BOT_TOKEN is not a Telegram bot token: {problem}. A token from @BotFather is \
a number, a colon and 35 letters, digits, '-' or '_' (123456789:AAF...). Copy the whole token, \
or ask @BotFather for a new one with /token. The token is not shown here on purpose."""

NO_POSTGRES_DRIVER = """\
newsbot: PostgreSQL support is not installed ({missing} is missing): pip install 'newsbot[postgres]'"""

NOT_BOT_API = """\
newsbot: TELEGRAM_API_URL ({url}) does not answer like the Telegram Bot API: {detail}. \
Check the address: the bot adds its token and the method to it, so it ends in /bot, as the \
default https://api.telegram.org/bot does. Leave TELEGRAM_API_URL unset to use Telegram's."""


@dataclass(slots=True)
class Bot:
    """A wired bot: the Application and the services behind it."""

    application: Application  # type: ignore[type-arg]
    store: Database
    fetcher: HttpFeedFetcher
    services: Services
    delivering: asyncio.Task[None] | None = None
    role: Role | None = None  # the leader role, on a database shared with a standby


class Role(Protocol):
    @property
    def lost(self) -> asyncio.Event: ...
    async def release(self) -> None: ...


def wire(
    settings: Settings,
    *,
    database: str,
    token: str,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    extra_admins: Collection[int] = (),
    clock: Callable[[], float] = time.time,
    sources: Sequence[FeedSource] | None = None,
    store: Database | None = None,
) -> Bot:
    """Build every part from *settings* and connect them; nothing runs yet. *clock* is the
    wall clock the services read (tests of schedules pass one they can move); *sources*
    replace the feeds file's feeds; *store* is the database opened already (PostgreSQL),
    else the TinyDB file *database* in the data directory."""
    sources = list(sources) if sources is not None else load_feeds(Path(settings.feeds_file))
    store = store or Database.open(Path(settings.data_dir), database)
    try:
        pacing = Pacing(
            private_per_second=settings.rate_private_per_second,
            private_burst=settings.rate_private_burst,
            group_per_minute=settings.rate_group_per_minute,
        )
        # One allowance per chat, read by the delivery loop and kept by the rate limiter.
        chat_buckets: ChatBuckets[int | str] = ChatBuckets(pacing.rate_of)
        pressed = PressedButtons()  # what presses left under messages, for later edits of them

        def slow_down(chat_id: int) -> str:
            with speaking(services.languages.of(chat_id)):
                return _(SLOW_DOWN)

        application = build_application(
            token=token,
            base_url=settings.telegram_api_url,
            chat_buckets=chat_buckets,
            command_budget=Rate(settings.commands_per_minute / 60, settings.command_burst),
            flood_notice=slow_down,
            overall_per_second=settings.rate_per_second,
            request=request,
            updates_request=updates_request,
        )
        fetcher = HttpFeedFetcher(
            timeout=settings.fetch_timeout_seconds,
            max_bytes=settings.max_feed_bytes,
            user_agent=user_agent(settings.bot_url),
            concurrency=settings.fetch_concurrency,
            per_host=settings.fetch_per_host,
            allow_private=settings.allow_private_feeds,
            parse_processes=max(1, (os.cpu_count() or 2) - 1),
            parse_timeout=settings.parse_timeout_seconds,
        )
        services = assemble(
            storage=store,
            fetcher=fetcher,
            sender=TelegramSender(application.bot, pressed),
            sources=sources,
            admins=set(settings.admins) | set(extra_admins),
            tz=settings.tz,
            max_subscriptions_per_chat=settings.max_subscriptions_per_chat,
            seen_retention_seconds=settings.seen_retention_days * 24 * 3600,
            chat_buckets=chat_buckets,
            feed_policy=FeedPolicy(
                bounds=PollBounds.of(
                    usual=settings.poll_seconds,
                    shortest=settings.poll_min_seconds,
                    longest=settings.poll_max_seconds,
                ),
                backoff_cap=settings.feed_backoff_max_minutes * 60,
                notify_after=settings.feed_failure_notice_minutes * 60,
            ),
            poll_limits=PollLimits(
                new_items_per_feed=settings.max_new_items_per_feed_poll,
                alerts_per_chat=settings.max_alerts_per_chat_poll,
                max_story_age=settings.max_story_age_days * 24 * 3600,
            ),
            flood=FloodGuard(
                alerts=settings.flood_alerts_per_hour, window=settings.flood_window_minutes * 60
            ),
            membership=TelegramMembership(application.bot),
            default_timezone=settings.timezone,
            default_language=settings.language,
            clock=clock,
        )
    except BaseException:
        store.close()
        raise
    TelegramHandlers(services, pressed).register(application)
    bot = Bot(application=application, store=store, fetcher=fetcher, services=services)
    _schedule_polling(bot)
    # What was loaded (the documents, the matcher index) lives as long as the bot: left to
    # the collector, a full collection would walk all of it (about a second at 50,000 chats),
    # holding the event loop.
    gc.freeze()
    application.post_init = _start_hook(bot)
    application.post_stop = _stop_hook(bot)
    application.post_shutdown = _shutdown_hook(bot)
    return bot


def _schedule_polling(bot: Bot) -> None:
    async def tick(context: ContextTypes.DEFAULT_TYPE) -> None:
        bot.services.scheduler.tick()  # starts the feeds that are due, without waiting for them
        if bot.services.pace.release_due():  # digests whose time has come
            bot.services.delivery.wake()

    job_queue = bot.application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"
    job_queue.run_repeating(
        tick,
        interval=TICK_SECONDS,
        first=0,
        name="start due polls",
        # A late tick still runs (PTB's default grace of 1 s would skip it silently).
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )


Hook = Callable[[Application], Coroutine[Any, Any, None]]  # type: ignore[type-arg]


def _start_hook(bot: Bot) -> Hook:
    async def start(application: Application) -> None:  # type: ignore[type-arg]
        # On a stop signal, the feeds' parses end first (after a moment's grace): PTB waits
        # for running polls to finish, which would wait for a stuck parse until its deadline.
        stop_on_signals(application, first=bot.fetcher.stop_parsing)
        await publish_command_menu(application.bot, bot.services.languages.default)
        log.info("newsbot %s started as @%s", __version__, application.bot.username)
        # Not application.create_task: PTB waits for those to end before it stops.
        bot.delivering = asyncio.create_task(bot.services.delivery.run(), name="delivery")

    return start


def _stop_hook(bot: Bot) -> Hook:
    async def stop(application: Application) -> None:  # type: ignore[type-arg]
        await bot.services.scheduler.stop()  # polls cut short are simply polled again next time
        if bot.delivering is not None:
            bot.services.delivery.stop()
            await bot.delivering  # the message in flight is finished; the rest stays pending

    return stop


def _shutdown_hook(bot: Bot) -> Hook:
    async def shutdown(application: Application) -> None:  # type: ignore[type-arg]
        await bot.fetcher.close()
        await bot.store.aclose()
        if bot.role is not None:
            await bot.role.release()  # the standby takes over at once

    return shutdown


def _start_up_problem(settings: Settings) -> tuple[str, int] | None:
    """What stops the bot before it starts, as (message, exit code): a token that cannot be
    one (said without the network), a Bot API that refuses it, an address that is not the
    Bot API or cannot be reached. Checked first, so each is one clear sentence, not PTB's
    traceback; none shows the token."""
    problem = token_problem(settings.telegram_bot_token)
    if problem is not None:
        return MALFORMED_TOKEN.format(problem=problem), 2
    url = redact(settings.telegram_api_url, settings.secrets)
    try:
        answer = asyncio.run(probe(settings.telegram_api_url, settings.telegram_bot_token))
    except NetworkError as exc:  # TimedOut too
        reason = redact(exc.message, settings.secrets)
        return f"newsbot: cannot reach the Telegram Bot API at {url}: {reason}", 1
    except Exception as exc:  # httpx's InvalidURL, say: its text could quote the token
        return (
            f"newsbot: TELEGRAM_API_URL ({url}) is not an address the bot can use ({type(exc).__name__})",
            2,
        )
    detail = redact(answer.detail, settings.secrets)
    match answer.kind:
        case Answer.KNOWN:
            return None
        case Answer.REFUSED:
            return WRONG_TOKEN, 2
        case Answer.NOT_BOT_API:
            return NOT_BOT_API.format(url=url, detail=detail), 2
        case Answer.ERROR:
            return f"newsbot: the Telegram Bot API at {url} answered with an error: {detail}", 1


def run_telegram(settings: Settings) -> int:
    if not settings.telegram_bot_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    webhook = _webhook(settings)  # None: long polling
    # What can be judged here is said before the Bot API is asked (offline too): the feeds
    # file (SettingsError), an address Telegram could not send the updates to.
    sources = load_feeds(Path(settings.feeds_file))
    if webhook is not None:
        problem = webhook_problem(
            webhook.url, token=settings.telegram_bot_token, api_url=settings.telegram_api_url
        )
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2
    stopped = _start_up_problem(settings)
    if stopped is not None:
        print(stopped[0], file=sys.stderr)
        return stopped[1]
    store, role, running = None, None, list[Bot]()
    if settings.database_url:
        asyncio.set_event_loop(loop := asyncio.new_event_loop())  # the one PTB runs on
        try:
            from bot.adapters.storage.shared_database import lead  # needs newsbot[postgres]
        except ImportError as exc:
            print(NO_POSTGRES_DRIVER.format(missing=exc.name or "psycopg"), file=sys.stderr)
            return 2
        # A standby waits here, before it sets a webhook (it would take the leader's updates).
        store, role = loop.run_until_complete(lead(settings.database_url, on_lost=lambda: _lost(running)))
    if webhook is not None:
        stopped = start_up_problem(
            webhook, token=settings.telegram_bot_token, api_url=settings.telegram_api_url
        )
        if stopped is not None:
            if store is not None:
                store.close()
            print(stopped[0], file=sys.stderr)
            return stopped[1]
    bot = wire(settings, database=DATABASE, token=settings.telegram_bot_token, store=store, sources=sources)
    bot.role = role
    running.append(bot)
    try:
        if webhook is not None:
            _run_webhook(bot, webhook)
        else:
            bot.application.run_polling(drop_pending_updates=False, stop_signals=None)  # see stop_on_signals
    finally:
        bot.store.close()
    if role is not None and role.lost.is_set():
        log.error("this process lost the leader role and stopped; start it again to wait as a standby")
        return 1
    return 0


def _lost(running: list[Bot]) -> None:
    """The leader role was lost: stop at once (nothing more is polled, sent or written)."""
    for bot in running:
        bot.application.stop_running()


def _webhook(settings: Settings) -> Webhook | None:
    """How updates come by webhook (NEWSBOT_WEBHOOK_URL), or None for long polling."""
    if not settings.webhook_url:
        return None
    webhook = Webhook.of(
        settings.webhook_url,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        secret=settings.webhook_secret,
    )
    # A secret made at this start is kept out of the logs too (PTB logs setWebhook's
    # parameters at DEBUG).
    configure_logging(settings.log_level, secrets=(*settings.secrets, webhook.secret))
    return webhook


def _run_webhook(bot: Bot, webhook: Webhook) -> None:
    """Take updates by webhook instead of long polling (see bot/adapters/webhook.py): PTB sets
    the webhook with its secret again, then serves the address's path on PORT."""
    limit_request_bodies()
    log.info(
        "updates come by webhook to %s (listening on %s, port %d)", webhook.url, webhook.listen, webhook.port
    )
    bot.application.run_webhook(
        listen=webhook.listen,
        port=webhook.port,
        url_path=webhook.path,
        webhook_url=webhook.url,
        secret_token=webhook.secret,
        drop_pending_updates=False,
        stop_signals=None,  # see stop_on_signals, as for polling
    )


def console_feeds(settings: Settings, *, feeds_file: bool) -> list[FeedSource]:
    """What the console watches: its sample feed, and with *feeds_file* the feeds file's
    feeds too (a feed of that file named like the sample gives way to it)."""
    sample = sample_feed(SAMPLE_FEED, Path(settings.data_dir))
    if not feeds_file:
        return [sample]
    others = load_feeds(Path(settings.feeds_file))
    return [sample, *(s for s in others if s.name.casefold() != sample.name.casefold())]


def run_console(settings: Settings, *, feeds_file: bool = False) -> int:
    sources = console_feeds(settings, feeds_file=feeds_file)
    with open_terminal(Path(settings.data_dir)) as terminal:
        # Again, inside the terminal: log lines then appear above the prompt, not across it.
        configure_logging(settings.log_level, secrets=settings.secrets, console=True)
        bot = wire(
            settings,
            database=CONSOLE_DATABASE,
            token=CONSOLE_TOKEN,
            request=terminal,
            updates_request=terminal,
            extra_admins={CONSOLE_USER_ID},
            sources=sources,
        )

        def leave() -> None:
            bot.fetcher.stop_parsing()  # as on a stop signal (see _start_hook)
            bot.application.stop_running()

        terminal.on_quit = leave
        terminal.ready = bot.services.scheduler.first_polls  # so /subscribe previews what they found
        terminal.language = lambda: bot.services.languages.of(CONSOLE_CHAT_ID)
        with speaking(terminal.language()):
            banner = console_banner(
                feeds=len(bot.services.poller.sources),
                poll_seconds=settings.poll_seconds,
                database=str(Path(settings.data_dir) / CONSOLE_DATABASE),
            )
        print(banner, file=sys.stdout, flush=True)
        try:
            bot.application.run_polling(timeout=1, drop_pending_updates=False, stop_signals=None)
        finally:
            bot.store.close()
    return 0


def _shown(default: object) -> str:
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, tuple):
        return "none" if not default else ",".join(map(str, default))
    return "not set" if default == "" else str(default)


HELP_WIDTH = 100  # the widest --help gets, however wide the terminal
MIN_TEXT_COLUMN = 30  # narrower than this beside the names, texts go below them


def environment_help(width: int) -> str:
    """Each environment variable and its meaning, in two columns that fit *width*: the
    texts wrapped in their column, or below the names when the terminal is too narrow."""
    rows = [(s.env, f"{s.help} Default: {_shown(s.default)}.") for s in SETTINGS]
    rows.append(
        (
            SETTINGS_FILE_ENV,
            "Path of the settings file. Default: config/settings.toml, where the bot starts, if "
            f"it is there. Every setting, with its default: {BUNDLED / 'settings.toml'}",
        )
    )
    names = max(len(name) for name, _ in rows)
    column = 2 + names + 2
    below = width - column < MIN_TEXT_COLUMN
    if below:
        column = 6
    lines = []
    for name, text in rows:
        wrapped = textwrap.wrap(
            text, max(width - column, MIN_TEXT_COLUMN), break_on_hyphens=False, break_long_words=False
        )
        if below:
            lines.append(f"  {name}")
        else:
            lines.append(f"  {name:<{names}}  {wrapped.pop(0)}")
        lines.extend(" " * column + line for line in wrapped)
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    width = min(shutil.get_terminal_size().columns - 2, HELP_WIDTH)
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="newsbot: keyword news alerts on Telegram.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            textwrap.fill(
                "chat commands: /start /help /subscribe /unsubscribe /list /settings /digest /quiet "
                "/timezone /previews /language /feeds; admins: /broadcast /stats /addfeed /removefeed",
                width,
                subsequent_indent="  ",
            )
            + "\n\n"
            + textwrap.fill("environment variables (each overrides its setting in the settings file):", width)
            + "\n"
            + environment_help(width)
        ),
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    commands.add_parser("run", help="run the Telegram bot, the default (needs TELEGRAM_BOT_TOKEN)")
    console = commands.add_parser(
        "console",
        help="run the same bot in this terminal, on a sample feed: no token, no network needed",
        description="Run the bot in this terminal, with you as its one user (and an admin). It "
        "watches a sample feed only, unless --feeds is given.",
    )
    console.add_argument(
        "--feeds",
        action="store_true",
        help="also watch the feeds of the feeds file (NEWSBOT_FEEDS): real news, over the network",
    )
    match = commands.add_parser(
        "match",
        help="match a JSON-lines file of items against a file of queries (python -m bot match -h)",
        description="Match items against queries, as the bot would. Prints one JSON line per item: "
        '{"item": <line>, "matches": [<query lines>]}; counts, timing and skipped lines go to stderr. '
        "Lines are counted from 0, in the output and in the errors; blank lines are skipped.",
    )
    match.add_argument("queries", type=Path, help="a text file with one query per line; - reads stdin")
    match.add_argument(
        "items",
        type=Path,
        help="a JSON-lines file: title, summary, optional content, feed (null: empty); - reads stdin",
    )
    migrate = commands.add_parser(
        "migrate-store",
        help="copy the bot's data between its TinyDB file and a PostgreSQL database, either way",
        description="Copy every document of the bot from one database to another, e.g. "
        "--from tinydb --to postgresql. Stop the bot first. A target that holds data is refused "
        "unless --force. Each place is tinydb:PATH (a database file), tinydb (the bot's file in "
        "data_dir), a postgresql:// URL, or postgresql (the database NEWSBOT_DATABASE_URL names).",
    )
    migrate.add_argument("--from", dest="source", required=True, metavar="PLACE", help="where to copy from")
    migrate.add_argument("--to", dest="target", required=True, metavar="PLACE", help="where to copy to")
    migrate.add_argument("--force", action="store_true", help="replace the documents the target holds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # PTB's retry_after (a 429's wait) as a timedelta, as its next major version gives it:
    # read as a number it warns that it will change (the bot reads either).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    arguments = _parser().parse_args(argv)
    if arguments.command == "match":
        return run_match(
            arguments.queries, arguments.items, out=sys.stdout, errors=sys.stderr, stdin=sys.stdin.buffer
        )
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    console = arguments.command == "console"
    configure_logging(settings.log_level, secrets=settings.secrets, console=console)
    if arguments.command == "migrate-store":
        try:
            from bot.adapters.storage.store_migration import run_migrate_store  # needs newsbot[postgres]
        except ImportError as exc:
            print(NO_POSTGRES_DRIVER.format(missing=exc.name or "psycopg"), file=sys.stderr)
            return 2
        return run_migrate_store(
            arguments.source,
            arguments.target,
            force=arguments.force,
            bot_file=Path(settings.data_dir) / DATABASE,
            database_url=settings.database_url,
            out=sys.stdout,
            errors=sys.stderr,
        )
    try:
        return run_console(settings, feeds_file=arguments.feeds) if console else run_telegram(settings)
    except (SettingsError, StoreError) as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except TelegramError as exc:  # anything else from Telegram at start-up, without a traceback
        print(f"newsbot: Telegram error: {redact(exc.message, settings.secrets)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

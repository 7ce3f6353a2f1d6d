"""Settings from ``config/settings.toml`` and the environment, and the feeds file.

Every setting has a default, a key in the settings file and an environment variable that
overrides both. This module is the only reader of the environment: the composition root
passes ``os.environ`` in, tests pass a plain dict.

The bot ships its defaults as package data in ``bot/config/`` (:data:`BUNDLED`): the
settings template, the feeds list and the console's sample feed, so that an installed bot
works from any directory. An operator's ``config/`` in the directory the bot starts from
takes precedence.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.language import LANGUAGES
from bot.core.sources import FeedSource

__all__ = [
    "BUNDLED",
    "SAMPLE_FEED",
    "SETTINGS",
    "Settings",
    "SettingsError",
    "load_feeds",
    "load_settings",
]

BUNDLED = Path(__file__).resolve().parent / "config"
BUNDLED_FEEDS_FILE = BUNDLED / "feeds.toml"
SAMPLE_FEED = BUNDLED / "sample-feed.xml"
DEFAULT_SETTINGS_FILE = Path("config/settings.toml")
DEFAULT_FEEDS_FILE = "config/feeds.toml"
SETTINGS_FILE_ENV = "NEWSBOT_SETTINGS"
MAX_FEED_NAME_CHARS = 64


class SettingsError(Exception):
    """A setting or the feeds file is wrong; the message says which and how to fix it."""


def _parse_int(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("expected a whole number")
        try:
            number = value if isinstance(value, int) else int(str(value).strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {value!r}") from None
        if number < minimum:
            raise ValueError(f"must be at least {minimum}")
        return number

    return parse


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _parse_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value.strip()


def _parse_admins(value: Any) -> tuple[int, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Sequence):
        raise ValueError("expected a list of numeric Telegram user ids")
    admins = []
    for raw in items:
        text = str(raw).strip()
        if not text:
            continue
        if not text.lstrip("-").isdecimal() or isinstance(raw, bool):
            raise ValueError(f"{text!r} is not a numeric Telegram user id (usernames are not accepted)")
        admins.append(int(text))
    return tuple(admins)


def _parse_language(value: Any) -> str:
    code = _parse_str(value).strip().lower()
    if code not in LANGUAGES:
        raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
    return code


def _parse_timezone(value: Any) -> str:
    name = _parse_str(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use a name such as UTC or Asia/Baghdad)") from exc
    return name


def _parse_bot_api_url(value: Any) -> str:
    """An http(s) address ending in /bot: PTB adds the token right after it, so an address
    without it would make the token a port or a host name (and show it in an error)."""
    url = _parse_str(value)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or not parts.path.endswith("/bot")
        or parts.query
        or parts.fragment
    ):
        # The value is not repeated: it may hold a password, or the token pasted by mistake.
        raise ValueError(
            "expected an http(s) address ending in /bot, like the default https://api.telegram.org/bot "
            "(the token is added right after it; the value is not shown)"
        )
    return url


DATABASE_SCHEMES = ("postgresql", "postgres")


def _parse_database_url(value: Any) -> str:
    url = _parse_str(value)
    if not url:
        return ""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in DATABASE_SCHEMES:
        # The value is not repeated: it may hold a password.
        raise ValueError(
            "expected a PostgreSQL URL such as postgresql://newsbot:PASSWORD@db.example.org:5432/newsbot "
            "(the value is not shown: it may hold a password)"
        )
    return url


def database_password(url: str) -> tuple[str, ...]:
    """The password in a PostgreSQL URL, as written and decoded (none: empty)."""
    try:
        parts = urlsplit(url)
        found = [parts.password or "", *parse_qs(parts.query).get("password", [])]
    except ValueError:
        return ()
    return tuple({form for password in found if password for form in (password, unquote(password))})


def _parse_log_level(value: Any) -> str:
    level = _parse_str(value).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("use DEBUG, INFO, WARNING or ERROR")
    return level


WEBHOOK_PATH = re.compile(r"[A-Za-z0-9/._~-]*")  # no %-escapes: PTB matches the path as written
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a secret_token


def _parse_webhook_url(value: Any) -> str:
    """The address Telegram sends updates to, or "" (long polling). The reasons never quote
    the address: an operator may have put the bot token in it."""
    url = _parse_str(value)
    if not url:
        return ""
    example = "(such as https://newsbot.example.org/telegram)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number from 0 to 65535)
    except ValueError:
        raise ValueError(f"not a web address {example}") from None
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise ValueError(f"expected the https address Telegram should send updates to {example}")
    if any(character.isspace() for character in url):
        raise ValueError("the address contains a space or a line break")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the address carries a user name or password (Telegram sends a secret instead)")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError("the address has a ?query or #fragment; give a path only")
    if not WEBHOOK_PATH.fullmatch(parts.path):
        raise ValueError("the address's path may only have letters, digits and / . _ ~ -")
    return url


def _parse_webhook_secret(value: Any) -> str:
    secret = _parse_str(value)
    if secret and not WEBHOOK_SECRET.fullmatch(secret):
        # The secret is not quoted: it is one.
        raise ValueError("expected 1 to 256 letters, digits, '_' or '-' (Telegram accepts no other)")
    return secret


def _parse_port(value: Any) -> int:
    port = _parse_int(1)(value)
    if port > 65535:
        raise ValueError("must be at most 65535")
    return port


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its key in settings.toml, its environment variable and its default."""

    key: str
    env: str
    default: Any
    parse: Callable[[Any], Any]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("telegram_bot_token", "TELEGRAM_BOT_TOKEN", "", _parse_str,
            "The bot's token from @BotFather. Prefer the environment variable to the file."),
    Setting("telegram_api_url", "TELEGRAM_API_URL", "https://api.telegram.org/bot", _parse_bot_api_url,
            "Bot API base URL up to and including /bot (for a self-hosted Bot API server)."),
    Setting("admins", "NEWSBOT_ADMINS", (), _parse_admins,
            "Numeric Telegram user ids of the admins (comma-separated in the environment)."),
    Setting("data_dir", "NEWSBOT_DATA_DIR", "./data", _parse_str,
            "Directory of the database file."),
    Setting("database_url", "NEWSBOT_DATABASE_URL", "", _parse_database_url,
            "URL of a PostgreSQL database to keep the data in, instead of the database file "
            "in data_dir."),
    Setting("feeds_file", "NEWSBOT_FEEDS", DEFAULT_FEEDS_FILE, _parse_str,
            "Path of the feeds file (without config/feeds.toml, the list that ships with the bot)."),
    Setting("poll_seconds", "NEWSBOT_POLL_SECONDS", 300, _parse_int(1),
            "Seconds between two polls of the feeds (at least 1)."),
    Setting("poll_min_seconds", "NEWSBOT_POLL_MIN_SECONDS", 60, _parse_int(1),
            "Shortest wait between two polls of a feed that publishes often."),
    Setting("poll_max_seconds", "NEWSBOT_POLL_MAX_SECONDS", 1800, _parse_int(1),
            "Longest wait between two polls of a feed that rarely publishes, or asks to be left alone."),
    Setting("max_story_age_days", "NEWSBOT_MAX_STORY_AGE_DAYS", 7, _parse_int(0),
            "A new story dated more than this many days ago is recorded as seen, not sent (0: any age)."),
    Setting("fetch_timeout_seconds", "NEWSBOT_FETCH_TIMEOUT_SECONDS", 30, _parse_int(1),
            "Longest time one feed may take to download, connecting included."),
    Setting("max_feed_bytes", "NEWSBOT_MAX_FEED_BYTES", 5_000_000, _parse_int(1024),
            "Largest feed body accepted; a bigger feed is skipped."),
    Setting("parse_timeout_seconds", "NEWSBOT_PARSE_TIMEOUT_SECONDS", 20, _parse_int(1),
            "Longest time parsing one feed may take; a slower parse is stopped and the feed skipped."),
    Setting("fetch_concurrency", "NEWSBOT_FETCH_CONCURRENCY", 8, _parse_int(1),
            "How many feeds are downloaded at the same time."),
    Setting("fetch_per_host", "NEWSBOT_FETCH_PER_HOST", 2, _parse_int(1),
            "How many feeds of one host are downloaded at the same time."),
    Setting("feed_backoff_max_minutes", "NEWSBOT_FEED_BACKOFF_MAX_MINUTES", 360, _parse_int(1),
            "Longest wait between two tries of a failing feed."),
    Setting("feed_failure_notice_minutes", "NEWSBOT_FEED_FAILURE_NOTICE_MINUTES", 360, _parse_int(1),
            "How long a feed fails without a break before the admins are told."),
    Setting("allow_private_feeds", "NEWSBOT_ALLOW_PRIVATE_FEEDS", False, _parse_bool,
            "Let /addfeed add feeds on loopback, private or link-local addresses."),
    Setting("rate_per_second", "NEWSBOT_RATE_PER_SECOND", 30, _parse_int(1),
            "Most messages sent per second, all chats together (Telegram's limit is about 30)."),
    Setting("rate_private_per_second", "NEWSBOT_RATE_PRIVATE_PER_SECOND", 1, _parse_int(1),
            "Most messages per second to one private chat, after a short burst."),
    Setting("rate_private_burst", "NEWSBOT_RATE_PRIVATE_BURST", 3, _parse_int(1),
            "How many messages a private chat may receive at once before that pace applies."),
    Setting("rate_group_per_minute", "NEWSBOT_RATE_GROUP_PER_MINUTE", 20, _parse_int(1),
            "Most messages per minute to one group (Telegram's limit is 20)."),
    Setting("commands_per_minute", "NEWSBOT_COMMANDS_PER_MINUTE", 20, _parse_int(1),
            "Most commands (and button presses) one chat may send a minute, after a burst."),
    Setting("command_burst", "NEWSBOT_COMMAND_BURST", 10, _parse_int(1),
            "Commands a chat may send at once before that pace applies; the excess is dropped."),
    Setting("flood_alerts_per_hour", "NEWSBOT_FLOOD_ALERTS_PER_HOUR", 10, _parse_int(0),
            "Alerts a chat gets at once in a flood window; more are held for one digest (0: no guard)."),
    Setting("flood_window_minutes", "NEWSBOT_FLOOD_WINDOW_MINUTES", 60, _parse_int(1),
            "The flood guard's window, in minutes: it opens with a chat's first alert."),
    Setting("max_subscriptions_per_chat", "NEWSBOT_MAX_SUBSCRIPTIONS", 50, _parse_int(1),
            "Most subscriptions one chat may have."),
    Setting("max_new_items_per_feed_poll", "NEWSBOT_MAX_NEW_ITEMS_PER_FEED_POLL", 50, _parse_int(1),
            "Most new items taken from one feed in one poll (the newest); the rest count as seen."),
    Setting("max_alerts_per_chat_poll", "NEWSBOT_MAX_ALERTS_PER_CHAT_POLL", 10, _parse_int(1),
            "Most alerts one chat gets from the feeds polled at one time; the rest come as one summary."),
    Setting("seen_retention_days", "NEWSBOT_SEEN_RETENTION_DAYS", 30, _parse_int(1),
            "Days an item is remembered as seen after it left its feed."),
    Setting("timezone", "NEWSBOT_TIMEZONE", "UTC", _parse_timezone,
            "Time zone of the times shown in messages (an IANA name such as Asia/Baghdad)."),
    Setting("language", "NEWSBOT_LANGUAGE", "en", _parse_language,
            "Language of a chat that has not chosen one: en, ckb (Sorani Kurdish) or ar (Arabic)."),
    Setting("bot_url", "NEWSBOT_URL", "", _parse_str,
            "A URL about this bot, named in the User-Agent sent to feed servers."),
    Setting("log_level", "NEWSBOT_LOG_LEVEL", "INFO", _parse_log_level,
            "Logging level: DEBUG, INFO, WARNING or ERROR."),
    Setting("webhook_url", "NEWSBOT_WEBHOOK_URL", "", _parse_webhook_url,
            "Public https address Telegram sends updates to; set, a webhook replaces long polling."),
    Setting("webhook_listen", "NEWSBOT_WEBHOOK_LISTEN", "0.0.0.0", _parse_str,
            "Address the webhook server listens on (0.0.0.0: every IPv4 interface)."),
    Setting("webhook_port", "PORT", 8080, _parse_port,
            "Port the webhook server listens on; Procfile platforms set PORT themselves."),
    Setting("webhook_secret", "NEWSBOT_WEBHOOK_SECRET", "", _parse_webhook_secret,
            "Secret Telegram sends with each update (1-256 of A-Z a-z 0-9 _ -); unset: new at each start."),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Settings:
    """The bot's settings, validated. Build with :func:`load_settings` (defaults: :data:`SETTINGS`)."""

    telegram_bot_token: str = field(repr=False)  # a secret: kept out of reprs and logs
    telegram_api_url: str
    admins: tuple[int, ...]
    data_dir: str
    database_url: str = field(repr=False)  # may hold a password
    feeds_file: str
    poll_seconds: int
    poll_min_seconds: int
    poll_max_seconds: int
    max_story_age_days: int
    fetch_timeout_seconds: int
    max_feed_bytes: int
    parse_timeout_seconds: int
    fetch_concurrency: int
    fetch_per_host: int
    feed_backoff_max_minutes: int
    feed_failure_notice_minutes: int
    allow_private_feeds: bool
    rate_per_second: int
    rate_private_per_second: int
    rate_private_burst: int
    rate_group_per_minute: int
    commands_per_minute: int
    command_burst: int
    flood_alerts_per_hour: int
    flood_window_minutes: int
    max_subscriptions_per_chat: int
    max_new_items_per_feed_poll: int
    max_alerts_per_chat_poll: int
    seen_retention_days: int
    timezone: str
    language: str
    bot_url: str
    log_level: str
    webhook_url: str
    webhook_listen: str
    webhook_port: int
    webhook_secret: str = field(repr=False)  # a secret, like the token
    source: str = field(default="defaults", compare=False)

    @classmethod
    def with_defaults(cls, **overrides: Any) -> Settings:
        """Settings with every default, then *overrides* (already-parsed values)."""
        values = {setting.key: setting.default for setting in SETTINGS}
        unknown = set(overrides) - set(values) - {"source"}
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**(values | overrides))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs or error messages."""
        given = tuple(secret for secret in (self.telegram_bot_token, self.webhook_secret) if secret)
        return given + database_password(self.database_url)


def load_settings(environ: Mapping[str, str], settings_file: Path | None = None) -> Settings:
    """Read settings: defaults, then the settings file, then the environment.

    The settings file is ``$NEWSBOT_SETTINGS`` or ``config/settings.toml``; the default one
    may be missing (defaults apply), a named one may not. The default feeds file,
    ``config/feeds.toml``, may be missing too: the bundled list is used instead.
    """
    named = settings_file or (Path(environ[SETTINGS_FILE_ENV]) if environ.get(SETTINGS_FILE_ENV) else None)
    path = named or DEFAULT_SETTINGS_FILE
    from_file: dict[str, Any] = {}
    if path.is_file():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read the settings file {path}: {exc}") from exc
    elif named:
        raise SettingsError(f"the settings file {path} does not exist (named by {SETTINGS_FILE_ENV})")

    known = {setting.key for setting in SETTINGS}
    unknown = sorted(set(from_file) - known)
    if unknown:
        raise SettingsError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )

    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw, origin = setting.default, "default"
        if setting.key in from_file:
            raw, origin = from_file[setting.key], f"{path}: {setting.key}"
        if environ.get(setting.env, "").strip():
            raw, origin = environ[setting.env], f"environment variable {setting.env}"
        try:
            values[setting.key] = setting.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{origin}: {exc}") from None
    if values["feeds_file"] == DEFAULT_FEEDS_FILE and not Path(DEFAULT_FEEDS_FILE).is_file():
        values["feeds_file"] = str(BUNDLED_FEEDS_FILE)
    return Settings(**values, source=str(path) if path.is_file() else "defaults")


def load_feeds(path: Path) -> list[FeedSource]:
    """Read the feeds file: ``[[feeds]]`` tables with a ``name`` and a ``url``.

    A ``url`` may be an http(s) URL or a local file path, relative to the feeds file's folder.
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(
            f"the feeds file {path} does not exist (set NEWSBOT_FEEDS or feeds_file)"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read the feeds file {path}: {exc}") from exc

    tables = document.get("feeds", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise SettingsError(f"{path}: feeds must be written as [[feeds]] tables")
    sources: list[FeedSource] = []
    names: set[str] = set()
    for number, table in enumerate(tables, start=1):
        where = f"{path}: feed #{number}"
        unknown = sorted(set(table) - {"name", "url"})
        if unknown:
            raise SettingsError(f"{where}: unknown key(s) {', '.join(unknown)}; a feed has a name and a url")
        name, url = table.get("name"), table.get("url")
        if not isinstance(name, str) or not name.strip():
            raise SettingsError(f'{where}: missing name (example: name = "Rudaw English")')
        name = " ".join(name.split())
        if len(name) > MAX_FEED_NAME_CHARS:
            raise SettingsError(f"{where}: the name {name!r} is longer than {MAX_FEED_NAME_CHARS} characters")
        if name.casefold() in names:
            raise SettingsError(f"{where}: the name {name!r} is used twice; feed names must be unique")
        if not isinstance(url, str) or not url.strip():
            raise SettingsError(f'{where} ({name}): missing url (example: url = "https://example.org/rss")')
        sources.append(FeedSource(name=name, url=_resolve_feed_url(url.strip(), path.parent, where)))
        names.add(name.casefold())
    return sources


def _resolve_feed_url(url: str, base: Path, where: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return url
    if scheme == "file":
        return url
    if scheme and len(scheme) > 1:  # a one-letter scheme is a Windows drive letter
        raise SettingsError(f"{where}: {url!r} is neither an http(s) URL nor a file path")
    return str((base / url).resolve())

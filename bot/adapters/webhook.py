"""Receiving updates by webhook: Telegram POSTs each update to a public https address, and
PTB's web server (tornado, under ``Application.run_webhook``) takes them instead of long
polling.

The address is the operator's (``NEWSBOT_WEBHOOK_URL``); the server serves that address's
path, so the two always agree. The path is not a secret and must not be one: paths end up in
proxies' logs and platforms' dashboards, which is why the bot token must never be in it.
What proves a request comes from Telegram is the secret token Telegram sends in the
``X-Telegram-Bot-Api-Secret-Token`` header, set with ``setWebhook`` at every start: PTB
answers 403 to a request without it, or with another, and nothing reaches the bot.
"""

from __future__ import annotations

import asyncio
import errno
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import BadRequest, TelegramError
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.logs import redact

__all__ = [
    "MAX_UPDATE_BYTES",
    "Webhook",
    "limit_request_bodies",
    "listen_problem",
    "register",
    "start_up_problem",
    "webhook_problem",
]

# The largest request body the server reads. An update is a few kilobytes (a message of
# 4,096 characters, its entities, the message it replies to); tornado's default, 100 MB,
# would be read in full before the secret is even looked at.
MAX_UPDATE_BYTES = 1024 * 1024
TELEGRAM_PORTS = (443, 80, 88, 8443)  # the only ports Telegram sends webhooks to
TELEGRAM_API_HOST = "api.telegram.org"


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where Telegram sends updates (*url*), where the server listens, and the secret."""

    url: str
    listen: str
    port: int
    secret: str = field(repr=False)

    @classmethod
    def of(cls, url: str, *, listen: str, port: int, secret: str = "") -> Webhook:
        """Without a *secret*, a new one: setWebhook is called at each start, so a secret
        that changes at each start is as good as a configured one, and never written down."""
        return cls(url=url, listen=listen, port=port, secret=secret or secrets.token_urlsafe(32))

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


def start_up_problem(webhook: Webhook, *, token: str, api_url: str) -> tuple[str, int] | None:
    """What stops the bot from taking its updates at *webhook*, checked after the token and
    before anything starts, as (one sentence, exit code): an address with the token in it or
    that Telegram refuses (2), a port the bot cannot listen on (see :func:`listen_problem`),
    a Bot API that cannot be asked (1). The sentence shows neither the token nor the secret."""
    problem = webhook_problem(webhook.url, token=token, api_url=api_url)
    if problem is not None:
        return problem, 2
    stopped = listen_problem(webhook.listen, webhook.port)
    if stopped is not None:
        return stopped
    hidden = (token, webhook.secret)
    try:
        refused = asyncio.run(register(webhook, token=token, base_url=api_url))
    except TelegramError as exc:
        return f"newsbot: could not set the webhook (setWebhook): {redact(exc.message, hidden)}", 1
    if refused is not None:
        return f"newsbot: Telegram refused NEWSBOT_WEBHOOK_URL ({webhook.url}): {redact(refused, hidden)}", 2
    return None


def webhook_problem(url: str, *, token: str, api_url: str) -> str | None:
    """Why the bot cannot take its updates at *url* (a well-formed address, see
    bot/settings.py), as a sentence that never quotes the token, or None."""
    secret_part = token.partition(":")[2]
    if token in url or (secret_part and secret_part in url):
        return (
            "newsbot: NEWSBOT_WEBHOOK_URL contains the bot token. Addresses end up in proxies' "
            "logs and platforms' dashboards, and whoever reads the token controls the bot: use an "
            "address without it (such as https://newsbot.example.org/telegram). Telegram proves "
            "its requests with a secret (NEWSBOT_WEBHOOK_SECRET) instead; the token is not shown "
            "here on purpose."
        )
    try:
        api_host = urlsplit(api_url).hostname
    except ValueError:
        api_host = None
    if api_host != TELEGRAM_API_HOST:
        return None  # a self-hosted Bot API server also sends to http and to any port
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    if parts.scheme.lower() != "https" or port not in TELEGRAM_PORTS:
        return (
            f"newsbot: NEWSBOT_WEBHOOK_URL ({url}) cannot receive updates: Telegram sends them only "
            "to https addresses on port 443, 80, 88 or 8443. Put the bot behind a server or platform "
            "that answers https on one of these and forwards to the bot's PORT."
        )
    return None


def listen_problem(listen: str, port: int) -> tuple[str, int] | None:
    """Why the webhook server cannot listen on *listen*:*port*, as (sentence, exit code), or
    None. Tried with tornado's own binding, before anything starts: a busy port (worth
    retrying, 1) or an address or port the bot may not take (a setting to fix, 2)."""
    try:
        sockets = bind_sockets(port, listen or None)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        where = f"[{listen}]:{port}" if ":" in listen else f"{listen}:{port}"
        code = 1 if exc.errno == errno.EADDRINUSE else 2
        return (
            f"newsbot: cannot listen for Telegram's updates on {where} (NEWSBOT_WEBHOOK_LISTEN, "
            f"PORT): {reason}",
            code,
        )
    for sock in sockets:
        sock.close()
    return None


async def register(webhook: Webhook, *, token: str, base_url: str) -> str | None:
    """Call setWebhook once, before anything starts, so that an address Telegram refuses (a
    host it cannot resolve, a private address, http) is one sentence, not PTB's traceback from
    inside run_webhook (which then sets it again, as it always does). Returns Telegram's
    reason for refusing, or None. Raises ``telegram.error.TelegramError`` for anything else
    (``NetworkError`` when nothing answers)."""
    bot = Bot(token, base_url=base_url)  # no getMe: the start-up checks just asked it
    try:
        await bot.set_webhook(webhook.url, secret_token=webhook.secret)
    except BadRequest as exc:
        return exc.message
    finally:
        await bot.shutdown()
    return None


def limit_request_bodies(max_bytes: int = MAX_UPDATE_BYTES) -> None:
    """Make tornado refuse request bodies over *max_bytes* before reading them (it closes the
    connection). PTB builds its HTTPServer itself; tornado's ``configure`` sets the default
    arguments of every HTTPServer the process builds, and the webhook's is the only one."""
    HTTPServer.configure(None, max_body_size=max_bytes)

"""Logging set-up: one line per event on standard error, secrets masked everywhere."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable
from types import TracebackType

__all__ = ["RedactingFormatter", "configure_logging", "redact"]

MASK = "[redacted]"

# Libraries whose INFO lines are noise for an operator (httpx would log every request URL,
# and the Bot API's URLs contain the bot token).
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "telegram.ext.Application", "telegram.ext.Updater")
# psycopg's pool warns at every failed reconnection; the PostgreSQL adapters log an outage
# once, with its reason, and once more when it ends.
SILENT_LOGGERS = ("psycopg.pool",)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter that masks secrets in the whole line, tracebacks included."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt, datefmt="%Y-%m-%d %H:%M:%S")
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


def configure_logging(level: str, *, secrets: Iterable[str] = (), console: bool = False) -> None:
    """Log to standard error at *level*; the console uses a shorter format."""
    fmt = (
        "%(levelname)s %(name)s: %(message)s"
        if console
        else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(fmt, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in SILENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # An error nothing caught is logged like every other line, secrets masked, instead of
    # Python printing its traceback as it is (a library's message may quote the token).
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda hook: _log_uncaught(hook.exc_type, hook.exc_value, hook.exc_traceback)


def _log_uncaught(
    kind: type[BaseException], value: BaseException | None, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value or kind(), trace)
        return
    logging.getLogger("bot").critical("unexpected error", exc_info=(kind, value or kind(), trace))

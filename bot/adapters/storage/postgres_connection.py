"""Connecting to PostgreSQL: the options every connection of the bot uses, and how a
database is named in logs and errors without its password.

A connection string (``postgresql://user:password@host:5432/dbname``) holds a password;
:func:`describe` names the database as ``host:port/dbname`` and :func:`redact` masks the
password in any text (libpq's messages do not contain it, but an error about a malformed
string may quote the string).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlsplit

from psycopg import Error as PsycopgError
from psycopg.conninfo import conninfo_to_dict

from bot.service.ports import StorageFailure

__all__ = ["CONNECT_TIMEOUT", "PostgresError", "connection_options", "describe", "reason", "redact"]

CONNECT_TIMEOUT = 5  # seconds to establish a connection before it counts as failed
MASK = "[redacted]"


class PostgresError(StorageFailure):
    """PostgreSQL cannot be used as asked; the message names the database (never the
    password) and the reason."""


# Asked of the server for each session: notice a client that vanished without closing its
# connection (a cut network) in seconds, so that its locks and its open transaction go.
SERVER_OPTIONS = (
    "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 "
    "-c idle_in_transaction_session_timeout=60000"
)


def connection_options(url: str, application_name: str) -> dict[str, Any]:
    """libpq options for a connection to *url* that notices a dead server or network in
    seconds, not after the system's TCP timeouts (hours); the server does the same."""
    options = " ".join(part for part in (_parts(url).get("options", ""), SERVER_OPTIONS) if part)
    return {
        "application_name": application_name,
        "options": options,
        "connect_timeout": CONNECT_TIMEOUT,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 30_000,  # ms: data unacknowledged this long breaks the connection
    }


def _parts(url: str) -> dict[str, str]:
    try:
        return {key: str(value) for key, value in conninfo_to_dict(url).items()}
    except PsycopgError:
        return {}


def _secrets(url: str) -> set[str]:
    found = set()
    password = _parts(url).get("password")
    if password:
        found.add(password)
    try:
        raw = urlsplit(url).password  # also when the string is malformed for libpq
    except ValueError:
        raw = None
    if raw:
        found.add(raw)
    for secret in list(found):
        found.update({quote(secret, safe=""), unquote(secret)})
    return {secret for secret in found if secret}


def redact(text: str, url: str) -> str:
    """*text* with the password of *url* masked."""
    for secret in sorted(_secrets(url), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def describe(url: str) -> str:
    """The database of *url* as ``host:port/dbname``, for logs and errors."""
    parts = _parts(url)
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    port = parts.get("port") or "5432"
    database = parts.get("dbname") or parts.get("user") or "(default database)"
    return redact(f"{host}:{port}/{database}", url)


def reason(exc: BaseException, url: str) -> str:
    """What went wrong, in one line and without the password."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact(text, url)

"""Start-up checks of the bot token and the Bot API's address, before anything else runs.

A token that cannot be a Bot API token is refused without the network. Then one ``getMe``
tells the three cases apart that PTB reports alike (it turns every 401 and 404 into
``InvalidToken``): the Bot API refusing the token, an address that answers something else
(an HTML page, an empty 404, some other JSON), and the bot being known. The operator's
message never contains the token, nor anything the server answered, only what kind of
answer it was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from telegram import Bot
from telegram.request import HTTPXRequest

__all__ = ["Answer", "BotApiAnswer", "probe", "read_answer", "token_problem"]

TOKEN_SECRET_LENGTH = 35  # the part after the colon, as @BotFather gives it
_SECRET_CHARACTERS = re.compile(r"[A-Za-z0-9_-]*")
_CLOSER_LOOK = 200  # bytes of an answer looked at to say what it is


def token_problem(token: str) -> str | None:
    """Why *token* cannot be a Bot API token (a number, a colon, then 35 letters, digits,
    ``-`` or ``_``), or None if it can. The reason never quotes the token."""
    if any(character.isspace() for character in token):
        return "it contains a space or a line break"
    if any(character in token for character in "\"'"):
        return "it contains a quote mark"
    bot_id, colon, secret = token.partition(":")
    if not colon:
        return "it has no ':'"
    if not (bot_id.isascii() and bot_id.isdecimal()):
        return "the part before ':' is not a number"
    if not _SECRET_CHARACTERS.fullmatch(secret):
        return "the part after ':' has characters other than letters, digits, '-' and '_'"
    if len(secret) != TOKEN_SECRET_LENGTH:
        return f"the part after ':' is {len(secret)} characters long, not {TOKEN_SECRET_LENGTH}"
    return None


class Answer(Enum):
    """What a ``getMe`` answer means."""

    KNOWN = "known"  # the Bot API knows the bot
    REFUSED = "refused"  # the Bot API refused the token (401, or 404 as for a malformed one)
    ERROR = "error"  # the Bot API answered another error (429, 500...): try again later
    NOT_BOT_API = "not the Bot API"  # something else answered


@dataclass(frozen=True, slots=True)
class BotApiAnswer:
    kind: Answer
    detail: str = ""  # what was answered, in words: the error's description, or the kind of page


def read_answer(status: int, body: bytes) -> BotApiAnswer:
    """Read the answer to ``getMe``: the Bot API answers JSON ``{"ok": true, "result": <a bot
    user>}`` or ``{"ok": false, "error_code": ..., "description": ...}``."""
    try:
        answer: Any = json.loads(body)
    except ValueError:  # (UnicodeDecodeError is one)
        return BotApiAnswer(Answer.NOT_BOT_API, f"HTTP {status} with {_kind_of(body)}")
    if isinstance(answer, dict) and answer.get("ok") is True:
        result = answer.get("result")
        if isinstance(result, dict) and result.get("is_bot") is True and isinstance(result.get("id"), int):
            return BotApiAnswer(Answer.KNOWN)
    elif isinstance(answer, dict) and answer.get("ok") is False and isinstance(answer.get("error_code"), int):
        description = answer.get("description")
        detail = description if isinstance(description, str) else f"error {answer['error_code']}"
        if answer["error_code"] in (401, 404):
            return BotApiAnswer(Answer.REFUSED, detail)
        return BotApiAnswer(Answer.ERROR, detail)
    return BotApiAnswer(Answer.NOT_BOT_API, f"HTTP {status} with JSON that is not the Bot API's")


def _kind_of(body: bytes) -> str:
    start = body[:_CLOSER_LOOK].lstrip().lower()
    if not start:
        return "an empty body"
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start or b"<head" in start:
        return "an HTML page"
    if start.startswith(b"<"):
        return "an XML or HTML document"
    return "a body that is not JSON"


async def probe(base_url: str, token: str) -> BotApiAnswer:
    """Ask for ``getMe`` at the address PTB makes of *base_url* and *token*, through PTB's own
    HTTP client (so proxies and timeouts are as the bot's). Raises
    ``telegram.error.NetworkError`` (``TimedOut`` too) when nothing answers."""
    url = f"{Bot(token, base_url=base_url).base_url}/getMe"  # (building a Bot sends nothing)
    request = HTTPXRequest()
    await request.initialize()
    try:
        status, body = await request.do_request(url, "POST")
    finally:
        await request.shutdown()
    return read_answer(status, body)

"""The small pieces of Telegram HTML that answers are put together from.

A service composes its answer from translated sentences, whose tags the translators place;
what it puts into them (a feed's name, a keyword as typed, Telegram's reason for a refusal)
comes from outside and goes in through these helpers, escaped, and set apart in its own
direction in a right-to-left message. Whole messages (alerts, digests, lists) are laid out
in :mod:`bot.core.formatting`, with the same helpers.
"""

from __future__ import annotations

import html

from bot.core.language import embed

__all__ = ["code", "escape", "in_bold", "in_code", "in_italics", "inline"]


def escape(text: str) -> str:
    """Escape text for Telegram HTML (``&``, ``<``, ``>`` and quotes)."""
    return html.escape(text, quote=True)


def inline(text: str) -> str:
    """Text from outside (a name, a web site, a reason) within a sentence: escaped, and
    isolated in a right-to-left message."""
    return embed(escape(text))


def code(text: str) -> str:
    """Text from outside as code within a sentence (a keyword, a command or an address
    as typed): escaped, and isolated with its code in a right-to-left message."""
    return embed(in_code(escape(text)))


def in_code(markup: str) -> str:
    """HTML set as code (monospace, copied with a tap)."""
    return f"<code>{markup}</code>"


def in_bold(markup: str) -> str:
    return f"<b>{markup}</b>"


def in_italics(markup: str) -> str:
    return f"<i>{markup}</i>"

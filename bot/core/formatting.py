"""Telegram HTML for alerts, previews and announcements.

Everything that comes from a feed or a user is escaped here and nowhere else; the tags
used are the few Telegram accepts (b, i, code, a). Every message stays under Telegram's
limit of 4096 characters of visible text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

from bot.core.items import Item
from bot.core.text import truncate

__all__ = [
    "MESSAGE_LIMIT",
    "escape",
    "format_alert",
    "format_announcement",
    "format_item_line",
    "format_time",
    "safe_link",
    "to_plain_text",
    "visible_length",
]

MESSAGE_LIMIT = 4096
ALERT_TITLE_CHARS = 250
ALERT_SUMMARY_CHARS = 300
FEED_NAME_CHARS = 64
SHOWN_QUERIES = 5
PREVIEW_TITLE_CHARS = 120

_TAG = re.compile(r"<[^>]*>")


def escape(text: str) -> str:
    """Escape text for Telegram HTML (``&``, ``<``, ``>`` and quotes)."""
    return html.escape(text, quote=True)


def visible_length(message: str) -> int:
    """Length of a Telegram HTML message as Telegram counts it: UTF-16 units of its text."""
    return len(to_plain_text(message).encode("utf-16-le")) // 2


def to_plain_text(message: str) -> str:
    """The text a reader sees of a Telegram HTML message (tags dropped, entities decoded)."""
    return html.unescape(_TAG.sub("", message))


def safe_link(url: str) -> str | None:
    """Return *url* when it is an absolute http(s) URL fit for an ``href``, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    return url


def format_time(moment: datetime, tz: tzinfo) -> str:
    """``25 Nov 2026, 14:05 UTC``: a moment in the reader's configured time zone."""
    local = moment.astimezone(tz)
    return f"{local:%d %b %Y, %H:%M} {local.tzname() or ''}".rstrip()


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def format_alert(item: Item, matched: Sequence[str], *, tz: tzinfo) -> str:
    """The alert a chat receives for *item*, naming the subscriptions it *matched*."""
    lines = [f"<b>{escape(truncate(item.title, ALERT_TITLE_CHARS))}</b>"]
    if item.summary:
        lines.append(escape(truncate(item.summary, ALERT_SUMMARY_CHARS)))
    source = escape(truncate(item.feed, FEED_NAME_CHARS))
    when = f" · {format_time(item.published, tz)}" if item.published else ""
    lines.append("")
    lines.append(f"<i>{source}{when}</i>")
    link = safe_link(item.link)
    if link:
        lines.append(f'<a href="{escape(link)}">Read on {escape(_host(link))}</a>')
    shown = ", ".join(f"<code>{escape(query)}</code>" for query in matched[:SHOWN_QUERIES])
    more = f" and {len(matched) - SHOWN_QUERIES} more" if len(matched) > SHOWN_QUERIES else ""
    label = "Matched" if len(matched) == 1 else "Matched your keywords"
    lines.append(f"{label}: {shown}{more}")
    return "\n".join(lines)


def format_item_line(item: Item, *, tz: tzinfo) -> str:
    """One line about an item, for lists such as the /subscribe preview."""
    title = escape(truncate(item.title, PREVIEW_TITLE_CHARS))
    link = safe_link(item.link)
    headline = f'<a href="{escape(link)}">{title}</a>' if link else title
    when = f", {format_time(item.published, tz)}" if item.published else ""
    return f"• {headline} <i>({escape(truncate(item.feed, FEED_NAME_CHARS))}{when})</i>"


ANNOUNCEMENT_HEADER = "📢 <b>Announcement</b>\n\n"
ANNOUNCEMENT_TEXT_LIMIT = MESSAGE_LIMIT - visible_length(ANNOUNCEMENT_HEADER)


def format_announcement(text: str) -> str:
    """An admin's announcement, escaped; the caller keeps text within ANNOUNCEMENT_TEXT_LIMIT."""
    return ANNOUNCEMENT_HEADER + escape(text)

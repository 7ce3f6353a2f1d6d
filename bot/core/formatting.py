"""Telegram HTML for alerts, previews and announcements.

Everything that comes from a feed or a user is escaped here and nowhere else; the tags
used are the few Telegram accepts (b, i, code, a). Every message stays under Telegram's
limit of 4096 characters of visible text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

from bot.core.clitics import bare_forms, splits
from bot.core.items import Item
from bot.core.query import Query, Term
from bot.core.text import truncate
from bot.core.words import Written, token_spans

__all__ = [
    "MESSAGE_LIMIT",
    "escape",
    "format_alert",
    "format_announcement",
    "format_duration",
    "format_feed_back",
    "format_feed_down",
    "format_item_line",
    "format_time",
    "highlight",
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
_JOINER = re.compile(r"[\s\-‐-―]*")


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


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.5 h``, ``2.0 days``: a rough length of time."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h" if minutes < 48 * 60 else f"{minutes / 1440:.1f} days"


def format_feed_down(feed: str, error: str, failing_for: float) -> str:
    """The admins' notice that a feed has been failing for a while."""
    return (
        f"⚠️ The feed <b>{escape(truncate(feed, FEED_NAME_CHARS))}</b> has been failing for "
        f"{format_duration(failing_for)}: {escape(truncate(error, 300))}\n"
        "I keep trying it, less and less often. /feeds shows every feed's state."
    )


def format_feed_back(feed: str, failed_for: float) -> str:
    """The admins' notice that a feed they were told about works again."""
    return (
        f"✅ The feed <b>{escape(truncate(feed, FEED_NAME_CHARS))}</b> works again, "
        f"after failing for {format_duration(failed_for)}."
    )


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


# Arabic-script letters that never join the letter after them (joining type R or U in
# Unicode's ArabicShaping.txt: alef, dal, reh, waw, Sorani ە and ۆ...). A tag may stand
# right after one of them; after any other letter of the script it would split two joined
# letters and change how both are drawn.
_NON_JOINING = frozenset(
    "\u0621\u0622\u0623\u0624\u0625\u0627\u0629\u062f\u0630\u0631\u0632\u0648\u0671\u0672\u0673"
    "\u0674\u0675\u0676\u0677\u06c0\u06cd\u06cf\u06d2\u06d3\u06d5\u06ee\u06ef\u0759\u075a\u075b"
    "\u076b\u076c\u0771\u0773\u0774\u0778\u0779\u08aa\u08ab\u08ac\u08ae\u08b1\u08b2\u08b9\u200c"
    + "".join(map(chr, range(0x0688, 0x069A)))  # dal and reh with dots, rings, ڕ and ژ
    + "".join(map(chr, range(0x06C3, 0x06CC)))  # ۃ and the waw forms (ۆ)
)
_JOINING_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u0860-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def _forms(word: str) -> tuple[str, ...]:
    return (word,) if word.isascii() else (word, *bare_forms(word))


def _fits(written: str, word: str, *, prefix: bool) -> bool:
    """Whether a written (folded) word stands for a word of a term, clitics aside."""
    if prefix:
        return any(form.startswith(word) for form in _forms(written))
    return word in _forms(written)


def _may_cut(text: str, position: int) -> bool:
    """Whether a tag may stand at *position* inside a word without splitting joined letters."""
    before = position - 1
    while before > 0 and unicodedata.category(text[before])[0] == "M":
        before -= 1  # a letter's diacritics go with it
    letter = text[before]
    return letter in _NON_JOINING or not _JOINING_SCRIPT.match(letter)


def _bold(text: str, written: Written, word: str, *, prefix: bool) -> tuple[int, int]:
    """Where to put in bold a written word that stands for *word*: the part that is the
    word when the word carries clitics and the letters around that part do not join it
    ("و<b>الموصل</b>", "<b>هەولێر</b>ەوە"), else the whole written word ("<b>کەرکووکدا</b>")."""
    token = written.word
    if token == word or (prefix and token.startswith(word)):
        return written.start, written.end
    for start, end, form in splits(token)[1:]:
        if not (form.startswith(word) if prefix else form == word) or form != token[start:end]:
            continue  # (a form with its elided article put back starts inside لل: never cut)
        end = len(token) if prefix else end
        begin = written.starts[start] if start else written.start
        finish = written.ends[end - 1] if end < len(token) else written.end
        if (not start or _may_cut(text, begin)) and (end == len(token) or _may_cut(text, finish)):
            return begin, finish
    return written.start, written.end


def highlight(text: str, terms: Iterable[Term]) -> str:
    """*text* escaped for Telegram HTML, with every occurrence of *terms* in bold.

    Words are compared folded (so "Makhmūr" is found for ``makhmur``), with their clitics
    ("والموصل" for ``الموصل``), and Chinese and Japanese keywords inside longer runs; they
    are shown as written.
    """
    written = token_spans(text)
    found: list[tuple[int, int]] = []
    for term in terms:
        size, last = len(term.words), len(term.words) - 1
        for start in range(len(written) - size + 1):
            if all(
                _fits(written[start + n].word, word, prefix=term.prefix and n == last)
                for n, word in enumerate(term.words)
            ):
                found += (
                    _bold(text, written[start + n], word, prefix=term.prefix and n == last)
                    for n, word in enumerate(term.words)
                )
    if not found:
        return escape(text)
    # Overlapping parts (the character pairs of a Chinese keyword) and neighbours joined by
    # spaces or hyphens (a phrase) become one bold run.
    runs: list[list[int]] = []
    for begin, end in sorted(found):
        if runs and (begin <= runs[-1][1] or _JOINER.fullmatch(text[runs[-1][1] : begin])):
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([begin, end])
    parts: list[str] = []
    position = 0
    for begin, end in runs:
        parts.append(escape(text[position:begin]))
        parts.append(f"<b>{escape(text[begin:end])}</b>")
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts)


def format_alert(item: Item, matched: Sequence[Query], *, tz: tzinfo) -> str:
    """The alert a chat receives for *item*, naming the queries it *matched*, the matched
    words in bold in the summary."""
    lines = [f"<b>{escape(truncate(item.title, ALERT_TITLE_CHARS))}</b>"]
    if item.summary:
        terms = [term for query in matched for term in query.positive_terms]
        lines.append(highlight(truncate(item.summary, ALERT_SUMMARY_CHARS), terms))
    source = escape(truncate(item.feed, FEED_NAME_CHARS))
    when = f" · {format_time(item.published, tz)}" if item.published else ""
    lines.append("")
    lines.append(f"<i>{source}{when}</i>")
    link = safe_link(item.link)
    if link:
        lines.append(f'<a href="{escape(link)}">Read on {escape(_host(link))}</a>')
    shown = ", ".join(f"<code>{escape(query.text)}</code>" for query in matched[:SHOWN_QUERIES])
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

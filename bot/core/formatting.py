"""Telegram HTML for alerts, previews and announcements.

Everything that comes from a feed or a user is escaped here, or by the helpers of
:mod:`bot.core.markup` (which the services use for the values they put into translated
sentences), and nowhere else; the tags used are the few Telegram accepts (b, i, code, a).
Every message stays under Telegram's limit of 4096 characters of visible text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

from babel.numbers import format_decimal

from bot.core.clitics import bare_forms, splits
from bot.core.excerpt import choose_excerpt
from bot.core.items import DateShown, Item
from bot.core.language import (
    CLDR_LOCALES,
    N_,
    _,
    current,
    direction_mark,
    embed,
    format_date,
    format_number,
    ngettext,
    pgettext,
)
from bot.core.language import format_time as format_day_and_time
from bot.core.markup import code, escape, inline
from bot.core.query import Query, Term
from bot.core.text import strip_bidi_controls, strip_controls, truncate
from bot.core.words import Written, token_spans

__all__ = [
    "MESSAGE_LIMIT",
    "DigestStory",
    "digest_header",
    "format_alert",
    "format_also",
    "format_announcement",
    "format_digest",
    "format_duration",
    "format_feed_back",
    "format_feed_down",
    "format_item_line",
    "format_matched",
    "format_overflow",
    "format_published",
    "format_subscription_list",
    "format_time",
    "format_topic_paused",
    "highlight",
    "join_list",
    "safe_link",
    "split_message",
    "to_plain_text",
    "utf16_length",
    "visible_length",
    "with_also",
]

MESSAGE_LIMIT = 4096
ALERT_TITLE_CHARS = 250
ALERT_SUMMARY_CHARS = 300
FEED_NAME_CHARS = 64
SHOWN_QUERIES = 5
KEYWORD_CHARS = 100  # of a keyword named in an alert or a digest
SHOWN_ALSO = 5  # other sources of a story named under its alert
PREVIEW_TITLE_CHARS = 120

_TAG = re.compile(r"<[^>]*>")
_JOINER = re.compile(r"[\s\-‐-―]*")


def visible_length(message: str) -> int:
    """Length of a Telegram HTML message as Telegram counts it: UTF-16 units of its text."""
    return utf16_length(to_plain_text(message))


_ATOM = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);|[^<&]|[<&]", re.DOTALL)


_Tags = list[tuple[str, str]]  # open tags, outermost first: (name, opening tag)


def utf16_length(text: str) -> int:
    """Length of plain text as Telegram counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def split_message(message: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """*message* (Telegram HTML) as one or more messages of at most *limit* UTF-16 units of
    visible text each, as Telegram counts them.

    Each cut falls at the last line break that fits, else the last space, else anywhere;
    tags open at a cut are closed before it and opened again after it, so every part is
    valid HTML on its own. Parts with nothing visible are dropped.
    """
    if visible_length(message) <= limit:
        return [message]
    atoms = _ATOM.findall(message)
    parts: list[str] = []
    opened: _Tags = []  # the tags open where the part starts
    start = 0
    while start < len(atoms):
        end, opened_after = _fill(atoms, start, opened, limit)
        body = "".join(atoms[start:end])
        closing = "".join(f"</{name}>" for name, _tag in reversed(opened_after))
        part = "".join(tag for _name, tag in opened) + body + closing
        if to_plain_text(part).strip():
            parts.append(part)
        start, opened = end, opened_after
        while start < len(atoms) and atoms[start] == "\n":
            start += 1  # the line break the cut fell on
    return parts


def _fill(atoms: list[str], start: int, opened: _Tags, limit: int) -> tuple[int, _Tags]:
    """Where the part beginning at *start* ends (an atom index), and the tags open there."""
    stack = list(opened)
    size = 0
    line_break: tuple[int, _Tags] | None = None
    space: tuple[int, _Tags] | None = None
    index = start
    while index < len(atoms):
        atom = atoms[index]
        if atom.startswith("<") and atom.endswith(">") and len(atom) > 2:
            name = atom[1:-1].split(maxsplit=1)[0].lower() if atom[1:-1].strip() else ""
            if name.startswith("/"):
                if stack and stack[-1][0] == name[1:]:
                    stack.pop()
            elif name and not atom.endswith("/>"):
                stack.append((name, atom))
            index += 1
            continue
        units = utf16_length(html.unescape(atom))
        if size + units > limit and index > start:
            cut = line_break or space
            if cut is not None and cut[0] > start:
                return cut
            return index, stack
        size += units
        index += 1
        if atom == "\n":
            line_break = (index - 1, list(stack))
        elif atom == " ":
            space = (index, list(stack))
    return index, stack


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
    if any(ch.isspace() or ch != strip_controls(ch) for ch in url):
        return None
    return url


def join_list(items: Iterable[str]) -> str:
    """Items (keywords, feeds) one after another: ``census, oil prices``."""
    # Translators: what separates the items of a list, as in "census, oil prices"
    # (Arabic and Sorani write "، ").
    return pgettext("list", ", ").join(items)


def format_time(moment: datetime, tz: tzinfo) -> str:
    """``25 Nov 2026, 14:05 UTC``: a moment in the reader's configured time zone, the
    month named in the reader's language."""
    local = moment.astimezone(tz)
    zone = local.tzname() or ""
    shown = format_day_and_time(local)
    return f"{shown} {embed(zone)}" if zone else shown


def format_published(item: Item, tz: tzinfo) -> str:
    """An item's date as its feed meant it: a moment in the reader's time zone, a time the
    feed gave without a zone as written (``10 Jan 2020, 14:33``), a day as that day."""
    if item.published is None:
        return ""
    if item.date_shown is DateShown.DAY:
        return format_date(item.published)
    if item.date_shown is DateShown.LOCAL:
        return format_day_and_time(item.published)
    return format_time(item.published, tz)


def _tenths(value: float) -> str:
    """*value* with one decimal (``3.5``, ``2.0``) in the current language's digits."""
    return format_decimal(value, format="#,##0.0", locale=CLDR_LOCALES[current()])


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.5 h``, ``2.0 days``: a rough length of time."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        # Translators: a length of time in seconds, abbreviated ("45 s").
        return ngettext("{n} s", "{n} s", seconds).format(n=format_number(seconds))
    minutes = round(seconds / 60)
    if minutes < 90:
        # Translators: a length of time in minutes, abbreviated ("12 min").
        return ngettext("{n} min", "{n} min", minutes).format(n=format_number(minutes))
    if minutes < 48 * 60:
        hours = minutes / 60
        # Translators: a length of time in hours with one decimal, abbreviated ("3.5 h").
        return ngettext("{n} h", "{n} h", round(hours)).format(n=_tenths(hours))
    days = minutes / 1440
    # Translators: a length of time in days with one decimal ("2.0 days").
    return ngettext("{n} day", "{n} days", round(days)).format(n=_tenths(days))


def format_feed_down(feed: str, error: str, failing_for: float) -> str:
    """The admins' notice that a feed has been failing for a while."""
    # Translators: to the bot's admins. {feed} is a feed's name, {duration} how long it has
    # failed ("3.5 h"), {error} the error in English as the feed's server or the bot gave it.
    return _(
        "⚠️ The feed <b>{feed}</b> has been failing for {duration}: {error}\n"
        "I keep trying it, less and less often. /feeds shows every feed's state."
    ).format(
        feed=inline(truncate(feed, FEED_NAME_CHARS)),
        duration=format_duration(failing_for),
        error=inline(truncate(error, 300)),
    )


def format_feed_back(feed: str, failed_for: float) -> str:
    """The admins' notice that a feed they were told about works again."""
    # Translators: to the bot's admins. {feed} is a feed's name, {duration} how long it
    # failed ("3.5 h").
    return _("✅ The feed <b>{feed}</b> works again, after failing for {duration}.").format(
        feed=inline(truncate(feed, FEED_NAME_CHARS)), duration=format_duration(failed_for)
    )


def _host(url: str) -> str:
    """The host of a link as a reader should see it: each label in Unicode when it is
    written in one script, else the whole host in punycode (``xn--...``), so that a Cyrillic
    "а" inside a Latin name cannot pass for the Latin one."""
    try:
        parts = urlsplit(url)
        host = strip_controls(strip_bidi_controls(parts.hostname or parts.netloc))
    except ValueError:
        return ""
    labels = [_unicode_label(label) for label in host.split(".")]
    if all(label is not None and _one_script(label) for label in labels):
        shown = ".".join(label for label in labels if label is not None)
    else:
        shown = ".".join(_ascii_label(label) for label in host.split("."))
    return shown.removeprefix("www.")


# Scripts written together in one name (Japanese, Korean, Chinese with bopomofo).
_SCRIPTS_USED_TOGETHER = (
    frozenset({"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"}),
    frozenset({"CJK", "HANGUL"}),
    frozenset({"CJK", "BOPOMOFO"}),
)
_NAME_PREFIXES = frozenset({"FULLWIDTH", "HALFWIDTH", "SMALL", "MODIFIER", "MATHEMATICAL", "OLD"})


def _one_script(label: str) -> bool:
    """Whether a label's letters are of one script, told by their Unicode names (digits,
    hyphens and marks belong to every script); a label with anything else in it (an
    invisible format character, a symbol) does not count as one script."""
    if label.isascii():
        return True
    found: set[str] = set()
    for char in label:
        category = unicodedata.category(char)
        if category[0] in "MN" or char == "-":
            continue
        if category[0] != "L":
            return False
        words = unicodedata.name(char, "UNKNOWN").split()
        found.add(words[1] if words[0] in _NAME_PREFIXES and len(words) > 2 else words[0])
    return len(found) <= 1 or any(found <= together for together in _SCRIPTS_USED_TOGETHER)


def _unicode_label(label: str) -> str | None:
    """A label as Unicode (decoding punycode); None when it cannot be decoded."""
    if not label.startswith("xn--"):
        return label
    try:
        return label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return None


def _ascii_label(label: str) -> str:
    """A label as ASCII (punycode for anything else)."""
    try:
        return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
    except UnicodeError:
        return label.encode("ascii", "replace").decode("ascii")


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


def highlight(text: str, terms: Iterable[Term], *, tag: str = "b") -> str:
    """*text* escaped for Telegram HTML, with every occurrence of *terms* in bold (or in
    another *tag*: ``u`` underlines them in a title that is bold already).

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
        parts.append(f"<{tag}>{escape(text[begin:end])}</{tag}>")
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts)


def format_alert(item: Item, matched: Sequence[Query], *, tz: tzinfo) -> str:
    """The alert a chat receives for *item*, naming the queries it *matched*: the title in
    bold, then the excerpt that shows why it matched (:mod:`bot.core.excerpt`), the matched
    words marked in both (underlined in the bold title, bold in the excerpt)."""
    terms = [term for query in matched for term in query.positive_terms]
    title = highlight(truncate(strip_bidi_controls(item.title), ALERT_TITLE_CHARS), terms, tag="u")
    lines = [f"<b>{title}</b>"]
    excerpt = choose_excerpt(
        item.title,
        item.summary,
        item.content,
        limit=ALERT_SUMMARY_CHARS,
        contains=lambda text: "<b>" in highlight(text, terms),
    )
    if excerpt:
        lines.append(highlight(excerpt, terms))
    source = inline(truncate(item.feed, FEED_NAME_CHARS))
    when = f" · {format_published(item, tz)}" if item.published else ""
    lines.append("")
    lines.append(f"<i>{direction_mark()}{source}{when}</i>")
    link = safe_link(item.link)
    if link:
        # Translators: a link under an alert to the story's page; {site} is its web site ("bbc.com").
        read_on = _("Read on {site}").format(site=inline(_host(link)))
        lines.append(f'<a href="{escape(link)}">{read_on}</a>')
    lines.append(format_matched([query.text for query in matched]))
    return "\n".join(lines)


def format_matched(keywords: Sequence[str]) -> str:
    """The line naming the keywords a story matched, the same under an alert and over a
    group of stories in a digest: ``Matched: census, oil prices`` (the first SHOWN_QUERIES,
    then how many more)."""
    shown = join_list(code(truncate(keyword, KEYWORD_CHARS)) for keyword in keywords[:SHOWN_QUERIES])
    more = len(keywords) - SHOWN_QUERIES
    if more > 0:
        # Translators: under an alert or over stories in a digest: the keywords (subscriptions)
        # the stories matched, the first five of them in {keywords}, and how many others.
        return ngettext("Matched: {keywords} and {n} more", "Matched: {keywords} and {n} more", more).format(
            keywords=shown, n=format_number(more)
        )
    # Translators: under an alert or over stories in a digest: the keyword (or keywords) the
    # stories matched ("Matched: census, oil prices").
    return ngettext("Matched: {keywords}", "Matched: {keywords}", len(keywords)).format(keywords=shown)


def _sources(sources: Sequence[str]) -> tuple[str, int]:
    """The first SHOWN_ALSO feeds' names as a list, and how many more there are."""
    shown = join_list(inline(truncate(source, FEED_NAME_CHARS)) for source in sources[:SHOWN_ALSO])
    return shown, max(0, len(sources) - SHOWN_ALSO)


def format_also(sources: Sequence[str]) -> str:
    """The line under an alert naming the other feeds that carried its story."""
    if not sources:
        return ""
    shown, more = _sources(sources)
    if more:
        # Translators: under an alert: other feeds that carried the story, the first five in
        # {feeds}, and how many others.
        line = ngettext("Also: {feeds} and {n} more", "Also: {feeds} and {n} more", more)
        return f"<i>{line.format(feeds=shown, n=format_number(more))}</i>"
    # Translators: under an alert: other feeds that carried the story ("Also: BBC, Reuters").
    line = _("Also: {feeds}")
    return f"<i>{line.format(feeds=shown)}</i>"


def with_also(html: str, sources: Sequence[str]) -> str:
    """An alert's text with the line naming the story's other sources, if any."""
    return f"{html}\n{format_also(sources)}" if sources else html


def format_item_line(item: Item, *, tz: tzinfo, also: Sequence[str] = ()) -> str:
    """One line about an item, for lists such as the /subscribe preview and digests; *also*:
    the other feeds that carried the story."""
    title = escape(truncate(item.title, PREVIEW_TITLE_CHARS))
    link = safe_link(item.link)
    headline = f'<a href="{escape(link)}">{title}</a>' if link else title
    details = inline(truncate(item.feed, FEED_NAME_CHARS))
    if item.published:
        # Translators: in a list of stories, after a story's title: its feed and when it was
        # published ("BBC, 01 Dec 2026, 08:05").
        details = _("{feed}, {date}").format(feed=details, date=format_published(item, tz))
    if also:
        shown, more = _sources(also)
        if more:
            # Translators: in a list of stories: a story's feed (and date) in {source}, the
            # first five other feeds that carried it in {feeds}, and how many others.
            details = ngettext(
                "{source}; also {feeds} and {n} more", "{source}; also {feeds} and {n} more", more
            ).format(source=details, feeds=shown, n=format_number(more))
        else:
            # Translators: in a list of stories: a story's feed (and date) in {source}, the other
            # feeds that carried it in {feeds} ("BBC, 01 Dec 2026; also Reuters").
            details = _("{source}; also {feeds}").format(source=details, feeds=shown)
    return f"{direction_mark()}• {embed(headline)} <i>({details})</i>"


SUMMARY_ITEMS = 10
SUMMARY_VISIBLE_LIMIT = 3500  # well under MESSAGE_LIMIT, whatever the titles hold


def format_overflow(items: Sequence[Item], count: int, *, tz: tzinfo) -> str:
    """The one message that stands for the *count* stories a chat matched in one poll over
    its cap of alerts: the first SUMMARY_ITEMS of *items* as links with their source in
    italics, then how many more. It stays under SUMMARY_VISIBLE_LIMIT characters as
    Telegram counts them (emoji count twice), listing fewer titles if it must."""
    # Translators: heads a list of stories sent as one message because a chat's keywords
    # matched more stories in one check of the feeds than it gets alerts for at once.
    lines = [
        ngettext(
            "…and {n} more story matched your keywords in this poll:",
            "…and {n} more stories matched your keywords in this poll:",
            count,
        ).format(n=format_number(count))
    ]
    size = visible_length(lines[0])
    shown = 0
    for item in items[:SUMMARY_ITEMS]:
        line = format_item_line(item, tz=tz)
        size += visible_length(line) + 1
        if size > SUMMARY_VISIBLE_LIMIT:
            break
        lines.append(line)
        shown += 1
    if count > shown:
        # Translators: the last line of a list of stories: how many are not listed.
        lines.append(
            ngettext("and {n} more", "and {n} more", count - shown).format(n=format_number(count - shown))
        )
    return "\n".join(lines)


def format_subscription_list(
    queries: Sequence[str], *, limit: int, numbers: Sequence[int] | None = None
) -> str:
    """/list: a chat's subscriptions with their *numbers* (default: 1, 2, 3…), and how to
    remove one."""
    numbers = numbers if numbers is not None else range(1, len(queries) + 1)
    lines = [
        # Translators: heads /list; {count} is how many subscriptions the chat has, {limit}
        # how many it may have.
        _("<b>Your subscriptions</b> ({count} of {limit}):").format(
            count=format_number(len(queries)), limit=format_number(limit)
        )
    ]
    lines += [
        f"{direction_mark()}{format_number(number)}. {code(text)}"
        for number, text in zip(numbers, queries, strict=True)
    ]
    lines.append("")
    # Translators: under /list; {number} is the number of the first subscription listed.
    remove = _(
        "Remove one with its ✖ button, or <code>/unsubscribe {number}</code> (its number) or its text."
    )
    lines.append(remove.format(number=embed(format_number(numbers[0] if numbers else 1))))
    return "\n".join(lines)


def format_topic_paused(keywords: Sequence[str]) -> str:
    """The group's notice that a forum topic it followed keywords in is gone."""
    shown = join_list(code(truncate(k, 100)) for k in keywords[:10])
    more = len(keywords) - 10
    if more > 0:
        # Translators: to a group whose forum topic is gone; {keywords} are the first ten
        # keywords it followed there, {n} how many others.
        return ngettext(
            "A topic where this group follows {keywords} and {n} more was closed or deleted, so those "
            "keywords are paused. Send any command in that topic to resume them, or "
            "/subscribe them again in another topic.",
            "A topic where this group follows {keywords} and {n} more was closed or deleted, so those "
            "keywords are paused. Send any command in that topic to resume them, or "
            "/subscribe them again in another topic.",
            more,
        ).format(keywords=shown, n=format_number(more))
    # Translators: to a group whose forum topic is gone; {keywords} are the keywords it
    # followed there.
    return ngettext(
        "A topic where this group follows {keywords} was closed or deleted, so those "
        "keywords are paused. Send any command in that topic to resume them, or "
        "/subscribe them again in another topic.",
        "A topic where this group follows {keywords} was closed or deleted, so those "
        "keywords are paused. Send any command in that topic to resume them, or "
        "/subscribe them again in another topic.",
        len(keywords),
    ).format(keywords=shown)


def digest_header(count: int, *, reason: str, detail: str = "") -> str:
    """The first line of a digest of *count* stories, saying why they come together:
    *reason* ``hourly`` or ``daily`` (the chat's digest), ``quiet`` (its quiet hours,
    *detail* ``23:00–07:00``) or ``flood`` (the flood guard, *detail* how many alerts)."""
    n = format_number(count)
    if reason == "quiet":
        # Translators: heads a digest of the stories held during quiet hours; {hours} is
        # when they are ("23:00–07:00"), {n} how many stories.
        return ngettext(
            "🌙 <b>While your quiet hours ({hours}) were on</b>: {n} story",
            "🌙 <b>While your quiet hours ({hours}) were on</b>: {n} stories",
            count,
        ).format(hours=inline(detail), n=n)
    if reason == "flood":
        # Translators: heads a digest of the stories that came after a chat's first {limit}
        # alerts in an hour; {n} is how many stories. Keep /list and /digest hourly as they are.
        return ngettext(
            "⏸ <b>{n} story more</b> came after your first {limit} alerts of the hour, so they "
            "come together instead of one notification each. For fewer, narrow your keywords (/list) "
            "or have them all come once an hour: /digest hourly",
            "⏸ <b>{n} stories more</b> came after your first {limit} alerts of the hour, so they "
            "come together instead of one notification each. For fewer, narrow your keywords (/list) "
            "or have them all come once an hour: /digest hourly",
            count,
        ).format(n=n, limit=inline(detail))
    if reason == "hourly":
        # Translators: heads the hourly digest; {n} is how many stories it holds.
        return ngettext(
            "🗞 <b>Your hourly digest</b>: {n} story", "🗞 <b>Your hourly digest</b>: {n} stories", count
        ).format(n=n)
    # Translators: heads the daily digest; {n} is how many stories it holds.
    return ngettext(
        "🗞 <b>Your daily digest</b>: {n} story", "🗞 <b>Your daily digest</b>: {n} stories", count
    ).format(n=n)


@dataclass(frozen=True, slots=True)
class DigestStory:
    """A story in a digest: the item, the keywords it matched, and the other feeds that
    carried it."""

    item: Item
    keywords: Sequence[str]
    also: Sequence[str] = ()


def format_digest(stories: Sequence[DigestStory], *, header: str, tz: tzinfo) -> str:
    """A digest: *header*, then the stories grouped by the keywords they matched (each group
    headed by the line an alert ends with, :func:`format_matched`), the newest first in each
    group and the group with the newest story first; each story's title a link, with its
    source and time (and its other sources). It may be long: send it with
    :func:`split_message`."""
    groups: dict[tuple[str, ...], list[DigestStory]] = {}
    for story in stories:
        groups.setdefault(tuple(story.keywords), []).append(story)

    def newest(story: DigestStory) -> float:
        return story.item.published.timestamp() if story.item.published else 0.0

    lines = [header]
    ordered = sorted(groups.items(), key=lambda group: max(map(newest, group[1])), reverse=True)
    for keywords, group in ordered:
        lines.append("")
        if keywords:
            lines.append(f"{direction_mark()}{format_matched(keywords)}")
        lines += [
            format_item_line(story.item, tz=tz, also=story.also)
            for story in sorted(group, key=newest, reverse=True)
        ]
    return "\n".join(lines)


# Translators: heads an announcement the bot's admins send to every chat.
ANNOUNCEMENT_TITLE = N_("📢 <b>Announcement</b>")
# Room left in the author's preview and progress messages, which show the announcement below
# a few lines of their own and must fit one message as well.
ANNOUNCEMENT_ROOM = 300
# In UTF-16 code units, as Telegram counts: an emoji counts two.
# (The room covers a title longer in another language than in English.)
ANNOUNCEMENT_TEXT_LIMIT = MESSAGE_LIMIT - visible_length(ANNOUNCEMENT_TITLE + "\n\n") - ANNOUNCEMENT_ROOM


def format_announcement(html: str) -> str:
    """An admin's announcement under its title: *html* is their text as Telegram HTML made
    safe by :func:`bot.core.authored_html.clean_authored_html`, and the caller keeps its
    visible text within ANNOUNCEMENT_TEXT_LIMIT (see :func:`visible_length`)."""
    return f"{_(ANNOUNCEMENT_TITLE)}\n\n{html}"

"""The reader's language: which language text is written in, its catalogue, its plural
forms, its dates and numbers, and how right-to-left text embeds other runs.

Every text a user reads is written in English in the code and marked for translation:
``_("Subscribed to {keywords}.")``, ``ngettext(...)`` for counts, ``N_()`` for a constant
translated where it is used. The catalogues are gettext ``.po`` files in ``bot/locales``
(Babel extracts, updates and reads them); they are compiled in memory on first use, so an
installed bot needs nothing built.

Which language is spoken is a context variable, set where the reader is known (an update
from a chat, an alert for a chat), as aiogram's and Django's translation do: a message is
built in one language from start to end, and concurrent chats do not mix. English is the
default and needs no catalogue.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo
from functools import cache
from importlib import resources

from babel import Locale
from babel.dates import format_date as cldr_date
from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "_",
    "current",
    "direction_mark",
    "embed",
    "format_date",
    "format_number",
    "format_time",
    "in_direction",
    "is_rtl",
    "language_for_user",
    "ngettext",
    "pgettext",
    "speaking",
    "use",
]

DOMAIN = "newsbot"
DEFAULT_LANGUAGE = "en"
# Our languages, each named in itself (as the /language buttons show them).
LANGUAGES: dict[str, str] = {"en": "English", "ckb": "کوردی (سۆرانی)", "ar": "العربية"}
RTL_LANGUAGES = frozenset({"ckb", "ar"})
# The CLDR data a language's dates and numbers follow: the readers of this bot's Sorani and
# Arabic live mostly in Iraq, where the months are the Syriac ones (كانون الثاني), not
# those of Egypt (يناير) that plain "ar" gives.
CLDR_LOCALES = {"en": "en", "ckb": "ckb_IQ", "ar": "ar_IQ"}
# A Telegram user's language (an IETF tag) that is not one of ours, and the one they read
# best of ours: Persian is written in the same script as Sorani and shares much of its
# vocabulary; Kurdish in Arabic script ("ku-Arab", or Iraq's and Iran's "ku-IQ", "ku-IR") is
# Sorani. Kurmanji ("ku", "kmr"), written in Latin letters, gets the default.
FALLBACKS = {"fa": "ckb", "ku-arab": "ckb", "ku-iq": "ckb", "ku-ir": "ckb", "sdh": "ckb"}

_speaking: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)

FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"


def language_for_user(tag: str | None) -> str | None:
    """Our language for a Telegram ``language_code`` (``ar``, ``ckb``, ``ar-IQ``, ``fa``), or
    None when we have none close to it."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-").lower()
    if tag in FALLBACKS:
        return FALLBACKS[tag]
    base = tag.split("-", 1)[0]
    if base in LANGUAGES:
        return base
    if base == "ku" and "-arab" in tag:
        return "ckb"
    return FALLBACKS.get(base) if base != "ku" else None


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    po = resources.files("bot.locales").joinpath(language, "LC_MESSAGES", f"{DOMAIN}.po")
    with po.open("rb") as file:
        catalog = read_po(file, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # (fuzzy entries left out: they are not yet translations)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def current() -> str:
    """The language being written in."""
    return _speaking.get()


def is_rtl(language: str | None = None) -> bool:
    return (language or current()) in RTL_LANGUAGES


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Write in *language* (ours, else the default) within the block."""
    token = _speaking.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)  # type: ignore[arg-type]
    try:
        yield
    finally:
        _speaking.reset(token)


def use(language: str | None) -> None:
    """Write in *language* (ours, else the default) from now on in this context: for an
    update's handlers, each run in the context of its update."""
    _speaking.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)  # type: ignore[arg-type]


def _(message: str) -> str:
    """*message* in the current language."""
    return _catalogue(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count *n*, by the current language's plural rules."""
    return _catalogue(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """*message* in the current language, where the same English means different things."""
    return _catalogue(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark *message* for the catalogue; it is translated where it is used, with ``_()``."""
    return message


def embed(text: str) -> str:
    """*text* (a keyword, a feed's name, a number, a web address) set apart in a message of
    the current language: in a right-to-left message it is isolated (FSI … PDI), so that it
    keeps its own direction and does not reorder the words around it."""
    return f"{FSI}{text}{PDI}" if text and is_rtl() else text


def direction_mark() -> str:
    """A mark that starts a line in the message's own direction when the line opens with an
    embedded run (RLM in a right-to-left message), else nothing."""
    return RLM if is_rtl() else ""


_TAG = re.compile(r"<[^>]*>")


def _opens_left_to_right(line: str) -> bool:
    """Whether a line's first strong letter, outside isolated runs and HTML tags, is written
    left to right: the bidi algorithm (rule P2) would then lay the line out left to right."""
    depth = 0
    for char in _TAG.sub("", line):
        if char == FSI:
            depth += 1
        elif char == PDI:
            depth = max(0, depth - 1)
        elif char == RLM:
            return False
        elif depth == 0 and char.isalpha():
            return not _RIGHT_TO_LEFT_LETTER.match(char)
    return False


_RIGHT_TO_LEFT_LETTER = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def in_direction(message: str) -> str:
    """A reply in the current language, each of its lines laid out in the language's
    direction: in a right-to-left message, a line that opens with a command or another
    left-to-right word (``/digest — …``) starts with a right-to-left mark."""
    if not is_rtl():
        return message
    return "\n".join(RLM + line if _opens_left_to_right(line) else line for line in message.split("\n"))


def format_number(number: float) -> str:
    """*number* with the current language's digits grouping (``12,345``)."""
    return format_decimal(number, locale=CLDR_LOCALES[current()])


# English keeps the day first and the month short (``01 Dec 2026``), as alerts always had.
_DATE_PATTERN = {"en": "dd MMM y"}


# CLDR's Sorani writes December "کانونی یەکەم" but January "کانوونی دووەم"; Sorani spells
# both with وو, as Kurdish media and the other month do.
_SPELLING = {"ckb": lambda text: text.replace("کانونی", "کانوونی")}


def format_date(moment: datetime) -> str:
    """A day, with the month's name in the current language: ``01 Dec 2026``, ``1 كانون الأول 2026``."""
    language = current()
    locale = Locale.parse(CLDR_LOCALES[language])
    pattern = _DATE_PATTERN.get(language)
    if pattern is not None:
        return cldr_date(moment, pattern, locale=locale)
    written = format_skeleton("yMMMd", moment, locale=locale)
    return _SPELLING.get(language, lambda text: text)(written)


def format_time(moment: datetime, tz: tzinfo | None = None) -> str:
    """A day and time: ``01 Dec 2026, 08:05`` (in *tz* when given, else as written)."""
    local = moment.astimezone(tz) if tz is not None else moment
    # Translators: a date and a time of day, as in "1 Dec 2026, 08:05"; {date} and {time}
    # are filled in already written in your language.
    return _("{date}, {time}").format(date=format_date(local), time=f"{local:%H:%M}")

"""Unicode folding and word splitting: the one definition of "a word" used for matching.

Both news items and subscription queries go through :func:`fold` and :func:`words`, so
whatever the folding merges (case, compatibility forms, diacritics, Arabic-script letter
variants) matches in both directions. Messages always show the original text.

A word is a run of letters, digits and spacing marks (the vowel signs of Devanagari and
similar scripts); the underscore and all punctuation separate words. Invisible characters
that writers put inside words (zero-width joiners, bidi marks, the soft hyphen, tatweel)
do not separate them.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterator

__all__ = ["WORD_CHARS", "fold", "word_spans", "words"]


def _mark_ranges() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The nonspacing (Mn, Me) and spacing (Mc) marks, as inclusive code point ranges."""
    nonspacing: list[tuple[int, int]] = []
    spacing: list[tuple[int, int]] = []
    for cp in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(cp))
        if category[0] != "M":
            continue
        ranges = spacing if category == "Mc" else nonspacing
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return nonspacing, spacing


def _class(ranges: list[tuple[int, int]], *, bmp: bool) -> str:
    """A character-class body for *ranges*, limited to the BMP or beyond it.

    Python's regex engine tests a class confined to the BMP with one table lookup, but
    walks a class with supplementary code points range by range: keeping the two apart
    makes the common case several times faster.
    """
    parts = []
    for a, b in ranges:
        a, b = (a, min(b, 0xFFFF)) if bmp else (max(a, 0x10000), b)
        if a <= b:
            parts.append(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}")
    return "".join(parts)


_NONSPACING, _SPACING = _mark_ranges()

_INVISIBLE_CHARS = (
    "\u200b\u200c\u200d\u2060\u00ad\ufeff"  # zero-width space, (non-)joiner, word joiner, soft hyphen, BOM
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi marks
    "\u0640"  # Arabic tatweel, a stretching stroke inside words
)
# What folding deletes: nonspacing marks (once NFD has split them from their letters) and
# the invisible characters.
_MARKS = re.compile(f"[{_class(_NONSPACING, bmp=True)}{re.escape(_INVISIBLE_CHARS)}]+")
_SUPPLEMENTARY_MARKS = re.compile(f"[{_class(_NONSPACING, bmp=False)}]+")

# Arabic-script letters that writers of Arabic, Sorani Kurdish and Persian use
# interchangeably, each with the one it is matched as. NFKC does not merge them; the
# alef forms with hamza or madda lose their mark with the other diacritics.
_ARABIC_VARIANTS = (
    ("\u0671", "\u0627"),  # alef wasla -> alef
    ("\u064a", "\u06cc"),  # arabic yeh -> farsi yeh
    ("\u0649", "\u06cc"),  # alef maksura -> farsi yeh
    ("\u0643", "\u06a9"),  # arabic kaf -> keheh
    ("\u0629", "\u0647"),  # teh marbuta -> heh
    ("\u06d5", "\u0647"),  # kurdish ae -> heh
)

# Letters, digits and spacing marks (underscores are spaces by then), as a class body.
WORD_CHARS = rf"\w{_class(_SPACING, bmp=True)}{_class(_SPACING, bmp=False)}"
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

# For ASCII text as bytes: upper-case letters to lower case, and every character that is
# not a letter or digit to a space (it separates words).
_ASCII_WORD_BYTES = bytes(
    ord(chr(c).lower()) if c < 128 and chr(c).isalnum() else ord(" ") for c in range(256)
)
_WORD = re.compile(rf"[\w{_class(_SPACING, bmp=True)}]+")
_ANY_WORD = re.compile(f"[{WORD_CHARS}]+")

# A span of the original text that folds to words: word characters, any marks, invisibles.
_SPAN = re.compile(
    rf"[\w{_class(_SPACING, bmp=True)}{_class(_NONSPACING, bmp=True)}{re.escape(_INVISIBLE_CHARS)}]+"
)


def fold(text: str) -> str:
    """Return *text* in the form used for matching.

    Compatibility forms become plain letters (NFKC), case is folded, text is decomposed
    (NFD) and combining marks removed (``Makhmūr`` -> ``makhmur``, ``أربيل`` -> ``اربیل``),
    invisible joiners and tatweel are dropped and Arabic-script letter variants are merged.
    Underscores become spaces.
    """
    if text.isascii():
        return text.lower().replace("_", " ")
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    text = _MARKS.sub("", text)
    if _beyond_bmp(text):
        text = _SUPPLEMENTARY_MARKS.sub("", text)
    for variant, letter in _ARABIC_VARIANTS:
        text = text.replace(variant, letter)
    # Left decomposed on purpose: items and queries are folded alike, so recomposing
    # (Hangul syllables, two-part Indic vowels) would change nothing but the cost.
    return text.replace("_", " ")


def _beyond_bmp(text: str) -> bool:
    return max(text, default="\0") > "\uffff"


def words(text: str) -> list[str]:
    """Split *text* into folded words, in order (``"Census, 2026!"`` -> ``["census", "2026"]``)."""
    if text.isascii():
        return _ascii_words(text)
    if len(text.encode()) - len(text) > len(text) // 8:
        return _unicode_words(text)
    # Mostly ASCII (English with a few names like "Makhmūr"): fold only the whitespace-
    # separated tokens that hold other characters. Folding never joins characters across
    # whitespace, so the words are the same as folding it all.
    found: list[str] = []
    done = 0
    for run in _NON_ASCII.finditer(text):
        start, end = max(run.start(), done), run.end()
        if end <= done:
            continue  # part of a token already folded
        # (a run can start inside the token before and go on past the whitespace that ends
        # it, as in "Â" + no-break space: the rest of it starts a token of its own)
        while start > done and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        found += _ascii_words(text[done:start])
        found += _unicode_words(text[start:end])
        done = end
    found += _ascii_words(text[done:])
    return found


def _ascii_words(text: str) -> list[str]:
    # bytes.translate is one table lookup per byte, faster than str.lower and str.translate
    return text.encode("ascii").translate(_ASCII_WORD_BYTES).decode("ascii").split()


def _unicode_words(text: str) -> list[str]:
    folded = fold(text)
    if folded.isascii():
        return _ascii_words(folded)
    return (_ANY_WORD if _beyond_bmp(folded) else _WORD).findall(folded)


def word_spans(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Yield ``(start, end, folded words)`` for each run of *text* that holds words.

    Used to find where matched words stand in the original text (for highlighting).
    """
    for match in _SPAN.finditer(text):
        found = words(match.group())
        if found:
            yield match.start(), match.end(), found

"""Unicode folding and word splitting: the one definition of "a word" used for matching.

Both news items and subscription queries go through :func:`fold` and :func:`words`, so
whatever the folding merges (case, compatibility forms, diacritics, Arabic-script letter
variants) matches in both directions. Messages always show the original text.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "words"]

# Characters that carry no letter and must not split or break a word: zero-width space,
# non-joiner and joiner, word joiner, soft hyphen, BOM, the bidi marks and embeddings, and
# the Arabic tatweel (a stretching stroke that writers add inside words).
_NONSPACING = frozenset({"Mn", "Me"})

_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u2060\u00ad\ufeff"
        "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        "\u0640",
    )
)

# Arabic-script letters that writers of Arabic, Sorani Kurdish and Persian use
# interchangeably; each maps to one representative. NFKC does not merge these.
_ARABIC_VARIANTS = str.maketrans(
    {
        "\u0623": "\u0627",  # alef with hamza above -> alef
        "\u0625": "\u0627",  # alef with hamza below -> alef
        "\u0622": "\u0627",  # alef with madda -> alef
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u064a": "\u06cc",  # arabic yeh -> farsi yeh
        "\u0649": "\u06cc",  # alef maksura -> farsi yeh
        "\u0643": "\u06a9",  # arabic kaf -> keheh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06d5": "\u0647",  # kurdish ae -> heh
    }
)


def _spacing_marks() -> str:
    """Return a character class body of the spacing combining marks (category Mc).

    Python's ``\\w`` leaves them out, which would cut Devanagari or Bengali words at every
    vowel sign; nonspacing marks never reach the pattern because :func:`fold` removes them.
    """
    marks = [chr(cp) for cp in range(0x20000) if unicodedata.category(chr(cp)) == "Mc"]
    return "".join(re.escape(mark) for mark in marks)


# A word is a run of letters, digits and spacing marks; the underscore is a separator.
_WORD = re.compile(rf"(?:[^\W_]|[{_spacing_marks()}])+")


def fold(text: str) -> str:
    """Return *text* in the form used for matching.

    Compatibility forms become plain letters (NFKC), case is folded, combining marks are
    removed (``Makhmūr`` -> ``makhmur``), invisible joiners and tatweel are dropped and
    Arabic-script letter variants are merged.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text.translate(_INVISIBLE))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) not in _NONSPACING)
    return unicodedata.normalize("NFC", stripped).translate(_ARABIC_VARIANTS)


def words(text: str) -> list[str]:
    """Split *text* into folded words, in order (``"Census, 2026!"`` -> ``["census", "2026"]``)."""
    return _WORD.findall(fold(text))

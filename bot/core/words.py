"""Unicode folding and word splitting: the one definition of "a word" used for matching.

Both news items and subscription queries go through :func:`fold` and :func:`words`, so
whatever the folding merges (case, compatibility forms, optional diacritics, Arabic-script
letter variants) matches in both directions. Messages always show the original text.

Folding removes only what writers treat as optional:

* accents in Latin, Greek and Cyrillic (``Makhmūr`` = ``Makhmur``, ``ещё`` = ``еще``), but
  not the marks that make a letter of a Cyrillic alphabet: ``й`` (``мой`` is not ``мои``),
  ``ў``, ``ї`` (Ukrainian writes ``Київ`` and never ``Киів``: the dots are part of the
  letter, unlike Russian ``ё``), ``ѓ``, ``ќ`` and the like;
* Arabic harakat, the hamza and madda that alef, waw, yeh and heh carry (``أربيل`` =
  ``اربیل``), tatweel; Hebrew points;
* the nukta that Hindi writers often leave off the consonants of loanwords (``ज़्यादा`` =
  ``ज्यादा``), but not the one of ड़ and ढ़, which are letters of their own.

Every other mark stays, because it is a letter: Indic vowel signs and virama (``कैसे`` is
not ``कस``), the kana voicing marks (``バス`` is not ``パス``), Thai vowels and tones.

A word is a run of letters, digits and marks; the underscore and all punctuation separate
words. Invisible characters that writers put inside words (zero-width joiners, bidi marks,
the soft hyphen, tatweel) do not separate them. Chinese and Japanese are written without
spaces: a run of Han and kana characters becomes its overlapping pairs of characters
(``特斯拉汽车`` -> ``特斯 斯拉 拉汽 汽车``, the way Lucene's CJK analyzer indexes them), so a
keyword of two or more characters is found inside a longer run as the phrase of its pairs;
a run of one character is that character. Hangul is written with spaces and stays whole
words; so does Thai, whose runs are the stretches between spaces.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import add

__all__ = ["CJK_CHARS", "WORD_CHARS", "Written", "fold", "is_cjk", "token_spans", "words"]


def _ranges(code_points: Iterable[int], categories: str) -> list[tuple[int, int]]:
    """The code points whose general category starts with one of *categories*, as
    inclusive ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in code_points:
        if unicodedata.category(chr(cp))[0] not in categories:
            continue
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


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


_MARK_RANGES = _ranges(range(sys.maxunicode + 1), "M")  # Mn, Mc, Me
_MARKS_BMP = _class(_MARK_RANGES, bmp=True)

# The blocks whose combining marks are optional diacritics: the accents shared by Latin,
# Greek and Cyrillic (and their extensions), Cyrillic titlo, Hebrew points, Arabic and
# Syriac vowel signs. Marks of other blocks (Indic, Thai, kana...) are letters and stay.
_OPTIONAL_MARK_BLOCKS = (
    (0x0300, 0x036F), (0x0483, 0x0489), (0x0591, 0x05C7), (0x0610, 0x061A), (0x064B, 0x065F),
    (0x0670, 0x0670), (0x06D6, 0x06ED), (0x0711, 0x0711), (0x0730, 0x074A), (0x0898, 0x08FF),
    (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFB1E, 0xFB1E), (0xFE20, 0xFE2F),
)  # fmt: skip
_OPTIONAL_MARKS = [
    (max(a, low), min(b, high))
    for low, high in _OPTIONAL_MARK_BLOCKS
    for a, b in _MARK_RANGES
    if a <= high and b >= low
]

_INVISIBLE_CHARS = (
    "\u200b\u200c\u200d\u2060\u00ad\ufeff"  # zero-width space, (non-)joiner, word joiner, soft hyphen, BOM
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi marks
    "\u0640"  # Arabic tatweel, a stretching stroke inside words
)
# What folding deletes: optional marks that no letter was composed with, and the invisibles.
_DELETED = re.compile(f"[{_class(_OPTIONAL_MARKS, bmp=True)}{re.escape(_INVISIBLE_CHARS)}]+")

# Cyrillic letters written with a mark that belongs to the letter (й ў ї ѓ ќ, and those of
# Chuvash, Udmurt, Mari, Tajik...) keep it. Only ё, ѐ and ѝ (whose marks Russian,
# Bulgarian and Macedonian writers leave out) and the Church Slavonic ѷ lose theirs.
_CYRILLIC_LETTERS_WITH_MARKS = frozenset(
    chr(cp)
    for cp in range(0x0400, 0x0530)
    if len(unicodedata.normalize("NFD", chr(cp))) > 1 and chr(cp) not in "ѐёѝѷЀЁЍѶ"
)


def _without_optional_marks() -> dict[str, str]:
    """Each precomposed character that carries an optional mark (é, ё, أ, ۀ...), with
    what it is without: NFKC composes what it can, so marks are taken off these."""
    optional = {chr(cp) for a, b in _OPTIONAL_MARKS for cp in range(a, b + 1)}
    table = {}
    for cp in range(0x80, 0x10000):
        char = chr(cp)
        parts = unicodedata.normalize("NFD", char)
        if char not in _CYRILLIC_LETTERS_WITH_MARKS and not optional.isdisjoint(parts[1:]):
            table[char] = unicodedata.normalize("NFC", "".join(c for c in parts if c not in optional))
    return table


_STRIPPED = _without_optional_marks()
_MARKED_LETTER = re.compile(f"[{''.join(map(re.escape, sorted(_STRIPPED)))}]")
# The nukta on the consonants of loanwords (क़ ख़ ग़ ज़ फ़), which Hindi writers often omit
# (NFKC leaves these letters decomposed).
_LOAN_NUKTA = re.compile("(?<=[कखगजफ])\u093c")

# Arabic-script letters that writers of Arabic, Sorani Kurdish, Persian and Urdu use
# interchangeably, each with the one it is matched as. NFKC does not merge them; the
# forms with hamza or madda lose their mark with the other diacritics.
#
# Every heh is one: Arabic ه and ة, Sorani ە, Urdu ہ (gol heh) and ۃ, and ھ (do-chashmi
# heh). In Urdu, ھ marks aspiration in digraphs (بھارت, Bharat); in Sorani it is how many
# writers type h (ھەولێر beside the standard هەولێر); Arabic and Persian keyboards have
# only ه. A reader searching across the four languages types ه, so every form folds to it:
# `امریکه` typed on a Persian keyboard finds Urdu امریکہ, `بهارت` finds بھارت, `هەولێر`
# finds ھەولێر. The cost is a few Urdu pairs that differ only by aspiration (بہار
# "spring", بھار "load"), which now match each other. ۀ and ۂ (heh with a hamza) fold to
# heh through their hamza.
_ARABIC_VARIANTS = (
    ("\u0671", "\u0627"),  # alef wasla -> alef
    ("\u064a", "\u06cc"),  # arabic yeh -> farsi yeh
    ("\u0649", "\u06cc"),  # alef maksura -> farsi yeh
    ("\u0643", "\u06a9"),  # arabic kaf -> keheh
    ("\u0629", "\u0647"),  # teh marbuta -> heh
    ("\u06d5", "\u0647"),  # kurdish ae -> heh
    ("\u06c1", "\u0647"),  # heh goal (Urdu) -> heh
    ("\u06c3", "\u0647"),  # teh marbuta goal (Urdu) -> heh
    ("\u06be", "\u0647"),  # heh doachashmee (Urdu aspiration, Sorani h) -> heh
)

# Letters, digits and marks (underscores are spaces by then), as a class body.
WORD_CHARS = rf"\w{_MARKS_BMP}{_class(_MARK_RANGES, bmp=False)}"
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

# For ASCII text as bytes: upper-case letters to lower case, and every character that is
# not a letter or digit to a space (it separates words).
_ASCII_WORD_BYTES = bytes(
    ord(chr(c).lower()) if c < 128 and chr(c).isalnum() else ord(" ") for c in range(256)
)
_WORD = re.compile(rf"[\w{_MARKS_BMP}]+")
_ANY_WORD = re.compile(f"[{WORD_CHARS}]+")

# Han (with its iteration and numeral marks) and kana, including the prolonged sound mark
# and the voicing marks: the letters of Chinese and Japanese runs (unassigned code points
# of these blocks left out: they are not word characters).
_CJK_BLOCKS = (
    (0x3005, 0x3007), (0x3021, 0x3029), (0x3031, 0x3035), (0x303B, 0x303B), (0x3041, 0x3096),
    (0x3099, 0x309A), (0x309D, 0x309F), (0x30A1, 0x30FA), (0x30FC, 0x30FF), (0x31F0, 0x31FF),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F),
)  # fmt: skip
_CJK_RANGES = _ranges((cp for a, b in _CJK_BLOCKS for cp in range(a, b + 1)), "LNM")
_CJK_BMP = _class(_CJK_RANGES, bmp=True)
CJK_CHARS = _CJK_BMP + _class(_CJK_RANGES, bmp=False)
_CJK = re.compile(f"[{_CJK_BMP}]")
_ANY_CJK = re.compile(f"[{CJK_CHARS}]")
_CJK_RUNS = re.compile(f"([{_CJK_BMP}]+)")  # (split keeps the runs, between what is not)
_ANY_CJK_RUNS = re.compile(f"([{CJK_CHARS}]+)")
_CJK_PIECES = re.compile(f"([{CJK_CHARS}]+)|[^{CJK_CHARS}]+")

_CHUNK = re.compile(r"\S+")
# A character with the marks that follow it (half-width voicing marks too: ｶﾞ is ガ).
_CLUSTER = re.compile(rf".[{_MARKS_BMP}\uff9e\uff9f]*", re.DOTALL)


def fold(text: str) -> str:
    """Return *text* in the form used for matching.

    Compatibility forms become plain letters (NFKC), case is folded, optional diacritics
    are removed (``Makhmūr`` -> ``makhmur``, ``أربيل`` -> ``اربیل``, see the module's
    docstring), invisible joiners and tatweel are dropped and Arabic-script letter
    variants are merged. Underscores become spaces. Letters stay composed (``й``, ``バ``).
    """
    if text.isascii():
        return text.lower().replace("_", " ")
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _MARKED_LETTER.sub(_stripped_letter, text)
    text = _DELETED.sub("", text)
    if "\u093c" in text:
        text = _LOAN_NUKTA.sub("", text)
    for variant, letter in _ARABIC_VARIANTS:
        text = text.replace(variant, letter)
    return text.replace("_", " ")


def _stripped_letter(match: re.Match[str]) -> str:
    return _STRIPPED[match.group()]


def _beyond_bmp(text: str) -> bool:
    return max(text, default="\0") > "\uffff"


def is_cjk(word: str) -> bool:
    """Whether *word* comes from a Chinese or Japanese run (a pair of characters or one)."""
    return bool(word) and _ANY_CJK.match(word) is not None


def words(text: str) -> list[str]:
    """Split *text* into folded words, in order (``"Census, 2026!"`` -> ``["census", "2026"]``;
    ``"特斯拉"`` -> ``["特斯", "斯拉"]``)."""
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
    beyond = _beyond_bmp(folded)
    word = _ANY_WORD if beyond else _WORD
    if (_ANY_CJK if beyond else _CJK).search(folded) is None:
        return word.findall(folded)
    # Runs of Chinese and Japanese at odd places, what stands between them at even ones.
    parts = (_ANY_CJK_RUNS if beyond else _CJK_RUNS).split(folded)
    found = word.findall(parts[0])
    for n in range(1, len(parts), 2):
        run = parts[n]
        if len(run) == 1:
            found.append(run)
        else:
            found += map(add, run, run[1:])  # its overlapping pairs
        if parts[n + 1]:
            found += word.findall(parts[n + 1])
    return found


@dataclass(frozen=True, slots=True)
class Written:
    """A word of :func:`words` where it stands in the original text: ``text[start:end]``.

    ``starts[i]`` and ``ends[i]`` are where the original characters that folded to
    ``word[i]`` begin and end (where folding cannot be traced character by character,
    as when it joins two of them, each word spans the whole of its whitespace-free chunk).
    """

    word: str
    start: int
    end: int
    starts: tuple[int, ...]
    ends: tuple[int, ...]


def token_spans(text: str) -> list[Written]:
    """The words of *text* (as :func:`words` gives them) with where each stands in it.

    Used to put matched words in bold where they are written.
    """
    found: list[Written] = []
    for chunk in _CHUNK.finditer(text):  # folding never joins characters across whitespace
        offset, written = chunk.start(), chunk.group()
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for cluster in _CLUSTER.finditer(written):
            part = fold(cluster.group())
            parts.append(part)
            starts += [offset + cluster.start()] * len(part)
            ends += [offset + cluster.end()] * len(part)
        folded = "".join(parts)
        if folded == fold(written):
            found += (
                Written(
                    word, starts[first], ends[last - 1], tuple(starts[first:last]), tuple(ends[first:last])
                )
                for word, first, last in _positioned(folded)
            )
        else:  # folding joined characters across clusters: no finer trace
            start, end = chunk.span()
            found += (
                Written(word, start, end, (start,) * len(word), (end,) * len(word)) for word in words(written)
            )
    return found


def _positioned(folded: str) -> Iterator[tuple[str, int, int]]:
    """The words of folded text with their start and end in it."""
    for match in _ANY_WORD.finditer(folded):
        word, base = match.group(), match.start()
        if word.isascii() or _ANY_CJK.search(word) is None:
            yield word, base, match.end()
            continue
        for piece in _CJK_PIECES.finditer(word):
            run, start = piece.group(1), base + piece.start()
            if run is None or len(run) == 1:
                yield piece.group(), start, base + piece.end()
            else:
                for n in range(len(run) - 1):
                    yield run[n : n + 2], start + n, start + n + 2

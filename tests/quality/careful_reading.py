"""Whether a story contains a keyword, as a careful reader of its language would say.

This is the yardstick for the bot's matching, written apart from ``bot.core.words`` on
purpose: it must not share the bot's mistakes. It reads the way a person does:

- case, compatibility forms and the accents of Latin and Greek letters do not matter
  (``Erdogan`` is ``Erdoğan``), nor do Arabic vowel marks, tatweel or invisible joiners;
- letters that are one letter to a reader are one: the alef forms, the yeh forms, kaf and
  keheh, and the forms of heh that Arabic, Persian, Urdu and Kurdish write (ه ة ہ ۀ ە ھ),
  so the Persian keyword ``امریکه`` is in the Urdu ``امریکہ``;
- letters that are different letters stay different: й is not и, ї is not і, and the vowel
  signs of Devanagari are part of the word (``बैठक`` is not ``बठक``);
- an Arabic-script word may carry the clitics written onto it (و ف ب ل ک, the article ال,
  and ``لل``), so ``الموصل`` is in ``والموصل`` and ``موصل`` in ``بالموصل``;
- and it may carry what follows a name: the ی of a place's adjective or of Sorani's ezafe
  (``پاکستانی`` rupees are Pakistan's; ``هەولێری`` is Erbil's) and Sorani's postpositions
  and determiners (``کەرکووکدا``, in Kirkuk; ``هەولێرەوە``, from Erbil);
- Chinese and Japanese are written without spaces, so a keyword in those scripts is found
  anywhere inside a run of text (``特斯拉`` in ``特斯拉当日市值``).

A keyword is a word, several words (each must be there), a phrase in quotes (its words
together, in order), or a word ending in ``*`` (a word starting with it). Only plain
keywords are read here, not the bot's query language (OR, ``-``, ``source:``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["reader_finds", "reader_fold", "reader_words"]

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u00ad\ufeff\u200e\u200f\u061c\u0640"), None)

# Letters a reader of Arabic script takes for one another (after NFD has split off hamza
# and madda, which go with the vowel marks).
_ARABIC_LETTERS = str.maketrans(
    {
        "\u0671": "\u0627",  # alef wasla
        "\u064a": "\u06cc",  # arabic yeh
        "\u0649": "\u06cc",  # alef maksura
        "\u0643": "\u06a9",  # arabic kaf -> keheh
        "\u0629": "\u0647",  # teh marbuta
        "\u06c1": "\u0647",  # urdu heh goal
        "\u06c0": "\u0647",  # heh with yeh above
        "\u06d5": "\u0647",  # kurdish ae
        "\u06be": "\u0647",  # heh doachashmee
    }
)

# Arabic vowel marks, shadda, sukun, hamza and madda above/below, superscript alef.
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670]")

_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_WORD = re.compile(r"[^\W_][\w\u0900-\u0dff\u0300-\u036f\u064b-\u065f\u0670]*|[\u0900-\u0dff]+")
_ARABIC_WORD = re.compile("[\u0600-\u06ff]")

# Clitics written onto an Arabic-script word: conjunctions and prepositions, then maybe
# the article. "لل" is "ل" + "ال" contracted.
_CLITICS = ("", "و", "ف", "ب", "ل", "ک", "وب", "ول", "فب", "فل", "وک")


def _strip_marks(text: str) -> str:
    """Drop accents on Latin and Greek letters and diaeresis on Cyrillic е (ё is written
    е); keep every other mark (й, ї, Devanagari vowel signs)."""
    out: list[str] = []
    base = ""
    for char in text:
        if unicodedata.combining(char):
            if base in ("Latin", "Greek") or (base == "ie" and char == "\u0308"):
                continue
            out.append(char)
            continue
        name = unicodedata.name(char, "")
        base = (
            "Latin"
            if name.startswith("LATIN")
            else "Greek"
            if name.startswith("GREEK")
            else "ie"
            if char in "еЕ"
            else ""
        )
        out.append(char)
    return "".join(out)


def reader_fold(text: str) -> str:
    """*text* in the form a careful reader compares words in (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_INVISIBLE)
    text = unicodedata.normalize("NFD", text)
    text = _strip_marks(text)
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    return unicodedata.normalize("NFC", text)


def reader_words(text: str) -> list[str]:
    """The words of *text*, folded as a reader compares them."""
    return _WORD.findall(reader_fold(text))


# What may follow a name in Arabic script (folded as reader_fold folds them): the ی of an
# adjective or of the ezafe, and the Sorani postpositions -da, -ewe and the determiners.
_NAME_ENDINGS = tuple(
    reader_fold(ending) for ending in ("ی", "ي", "دا", "ەوە", "ەکە", "ەکان", "یش", "ە", "ێک")
)


def _same_word(found: str, wanted: str, *, prefix: bool) -> bool:
    if found == wanted or (prefix and found.startswith(wanted)):
        return True
    if not _ARABIC_WORD.search(wanted):
        return False
    for clitic in _CLITICS:
        if wanted.startswith("ال"):
            forms = [clitic + wanted] + (["لل" + wanted[2:], clitic + "لل" + wanted[2:]] if clitic else [])
        else:
            forms = [clitic + wanted, clitic + "ال" + wanted]
        for form in forms:
            if found == form or (prefix and found.startswith(form)):
                return True
            if any(found == form + ending for ending in _NAME_ENDINGS):
                return True
    return False


def reader_finds(keyword: str, text: str) -> bool:
    """Whether a careful reader finds *keyword* in *text* (see the module docstring).

    Words in quotes are a phrase; unquoted words must each be there, in any order.
    """
    keyword = keyword.strip()
    if not (keyword.startswith('"') and keyword.endswith('"')) and len(keyword.split()) > 1:
        return all(reader_finds(word, text) for word in keyword.split())
    keyword = keyword.strip('"')
    prefix = keyword.endswith("*")
    folded = reader_fold(keyword.rstrip("*"))
    if _CJK.search(folded):
        return re.sub(r"\s+", "", folded) in re.sub(r"\s+", "", reader_fold(text))
    wanted = _WORD.findall(folded)
    if not wanted:
        return False
    # A Latin or Cyrillic word set inside Chinese or Japanese text ("增产iPhone") is still a word.
    found = reader_words(_CJK.sub(" ", text))
    last = len(wanted) - 1
    for start in range(len(found) - last):
        if _same_word(found[start], wanted[0], prefix=prefix and last == 0) and all(
            found[start + i] == wanted[i] or (prefix and i == last and found[start + i].startswith(wanted[i]))
            for i in range(1, last + 1)
        ):
            return True
    return False

"""Arabic-script clitics: the bare forms a written word also counts as when matching.

Arabic writes the conjunctions و (and) and ف (so), the prepositions ب (in, by), ل (for,
to) and ك (as, like) and the article ال as one word with what follows: "والموصل" is "and
Mosul", "بالموصل" "in Mosul", "للموصل" "for Mosul" (ل + ال, whose alef is dropped in
writing). Sorani Kurdish writes its determiners, the ezafe, "also" and the postpositions
that close a circumposition after the noun: "لە کەرکووکدا" is "in Kirkuk" (لە ... دا),
"لە هەولێرەوە" is "from Erbil" (لە ... ەوە). Its prepositions (لە، بە، بۆ) stand apart.

A keyword therefore matches a written word that is the keyword with proclitics before it
and Sorani suffixes after it, as long as the keyword has at least :data:`MIN_STEM`
letters (shorter keywords match whole words only): ``موصل`` and ``الموصل`` match
"والموصل", "بالموصل" and "للموصل"; ``کەرکووک`` matches "کەرکووکدا"; ``مال`` does not match
"شمال" (ش is not a proclitic), though it does match "كمال" (ك + مال), which a keyword
cannot tell from the name Kamal.

The index works on the item's side: each written word also counts as each of its bare
forms (:func:`bare_forms`), the word with a proclitic sequence taken off its start and
a suffix sequence off its end, leaving at least MIN_STEM letters; a word whose
proclitics end in the elided article (لل) also counts as its stem with ال put back
("للموصل" -> "الموصل"). Keywords stay as typed, so a query is filed once, and
exclusions, prefixes and phrases see the same forms.

The rules, in folded letters (ك is ک, ە is ه after folding):

* proclitics: an optional conjunction (و ف), then an optional preposition (ب ل ک), then
  an optional article ال, with ل + ال written لل (after Larkey, Ballesteros and Connell,
  "Light Stemming for Arabic Information Retrieval", 2007, whose light10 stemmer strips
  ال وال بال كال فال لل و; here the single prepositions too, for names without the
  article: "بكركوك", "لأربيل");
* Sorani suffixes, in the order they follow a noun, each optional (from W. M. Thackston,
  "Sorani Kurdish: A Reference Grammar with Selected Readings", and the morpheme lists of
  the Kurdish Language Processing Toolkit and of Lucene's Sorani stemmer):
  the adjective-making ی ("کەرکووکی", of Kirkuk); a determiner: definite ەکە / کە / یەکە
  (after a consonant, after a / e / o, after î / û), definite plural ەکان / کان / یەکان,
  indefinite ێک / یەک; the ezafe or "his, her" ی, or "their" یان; "also" یش / ش; a
  postposition or the copula: دا (in), ەوە / وە / یەوە (from), ە / یە (is).

Left out on purpose: the plural ان (it would make ``ایر`` match "ایران" and many Persian
and Arabic words end in it), the possessives م ت مان تان (single letters that end
countless words), and ێ, a verb ending (دەچێ).
"""

from __future__ import annotations

import re
from itertools import product

from bot.core.words import fold

__all__ = ["ARTICLE", "MIN_STEM", "PROCLITICS", "SUFFIXES", "bare_forms", "may_have_clitics", "splits"]

MIN_STEM = 3

ARTICLE = fold("ال")
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS_AND_ARTICLE = ("", "ب", "ل", "ك", "ال", "بال", "كال", "لل")
# Every proclitic sequence, folded; and those that end in the article with its alef elided.
PROCLITICS = frozenset(fold(c + p) for c, p in product(_CONJUNCTIONS, _PREPOSITIONS_AND_ARTICLE)) - {""}
_ELIDED_ARTICLE = frozenset(fold(c + "لل") for c in _CONJUNCTIONS)

# Sorani suffixes, layer by layer in the order they follow a noun (each layer optional).
# Each is (suffix, the sounds it follows, the sound it ends in): C a consonant, V the
# vowels a, e, o, I the vowels î, û. The first suffix may follow any stem (a stem's last
# sound cannot be told from its folded letters); the next one must fit the one before, so
# "ی" + "کە" or "ەکە" + "یش" are not readings ("سلێمانییەکە", "شارەکەش" are).
_ANY = "CVI"
_LAYERS = (
    (("ی", _ANY, "I"),),  # adjective: کەرکووکی, of Kirkuk
    (  # determiners: definite, definite plural, indefinite
        ("ەکە", "C", "V"), ("کە", "V", "V"), ("یەکە", "I", "V"),
        ("ەکان", "C", "C"), ("کان", "V", "C"), ("یەکان", "I", "C"),
        ("ێک", "C", "C"), ("یەک", "VI", "C"),
    ),
    (("ی", _ANY, "I"), ("یان", _ANY, "C")),  # ezafe or his, her; their
    (("یش", "C", "C"), ("ش", "VI", "C")),  # also
    (  # postpositions and the copula: in; from; is
        ("دا", _ANY, "V"), ("ەوە", "C", "V"), ("وە", "V", "V"), ("یەوە", "I", "V"),
        ("ە", "C", "V"), ("یە", "VI", "V"),
    ),
)  # fmt: skip


def _chains(layer: int, after: str) -> list[str]:
    """The suffix sequences that can follow a sound (*after*, or any for "") from *layer* on."""
    if layer == len(_LAYERS):
        return [""]
    found = _chains(layer + 1, after)  # this layer left out
    for suffix, follows, ends in _LAYERS[layer]:
        if not after or after in follows:
            found += [suffix + rest for rest in _chains(layer + 1, ends)]
    return found


SUFFIXES = frozenset(fold(chain) for chain in _chains(0, "")) - {""}

_LONGEST_PROCLITIC = max(map(len, PROCLITICS))
_LONGEST_SUFFIX = max(map(len, SUFFIXES))
_FIRST_LETTERS = frozenset(p[0] for p in PROCLITICS)
_LAST_LETTERS = frozenset(s[-1] for s in SUFFIXES)

# Arabic-script letters, and what folds to them (presentation forms, mathematical letters).
_ARABIC_SCRIPT = re.compile(
    "[\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufefc\U0001ee00-\U0001eeff]"
)


def may_have_clitics(text: str) -> bool:
    """Whether some word of *text* may have bare forms: only Arabic-script words have."""
    return not text.isascii() and _ARABIC_SCRIPT.search(text) is not None


# word -> its bare forms. News repeats its words; bounded, since it keeps bringing new ones.
_known: dict[str, tuple[str, ...]] = {}
_KNOWN_LIMIT = 200_000


def bare_forms(word: str) -> tuple[str, ...]:
    """The forms a folded written *word* also counts as, besides itself (none for most)."""
    if not word or (word[0] not in _FIRST_LETTERS and word[-1] not in _LAST_LETTERS):
        return ()  # (most words, and Chinese and Japanese pairs: not worth keeping)
    forms = _known.get(word)
    if forms is None:
        if len(_known) >= _KNOWN_LIMIT:
            _known.clear()
        forms = _known[word] = tuple(dict.fromkeys(form for _, _, form in splits(word) if form != word))
    return forms


def splits(word: str) -> list[tuple[int, int, str]]:
    """Each way to read *word* as proclitics + stem + suffixes, as ``(start, end, form)``:
    the stem is ``word[start:end]`` and the form is the stem, or ال + the stem after an
    elided article. Reading it whole, ``(0, len(word), word)``, comes first."""
    size = len(word)
    found = [(0, size, word)]
    if size <= MIN_STEM or (word[0] not in _FIRST_LETTERS and word[-1] not in _LAST_LETTERS):
        return found
    starts = [0] + [
        n for n in range(1, min(_LONGEST_PROCLITIC, size - MIN_STEM) + 1) if word[:n] in PROCLITICS
    ]
    ends = [size] + [
        n for n in range(size - 1, max(MIN_STEM, size - _LONGEST_SUFFIX) - 1, -1) if word[n:] in SUFFIXES
    ]
    for start in starts:
        elided = word[:start] in _ELIDED_ARTICLE
        for end in ends:
            if end - start < MIN_STEM or (start == 0 and end == size):
                continue
            found.append((start, end, word[start:end]))
            if elided:
                found.append((start, end, ARTICLE + word[start:end]))
    return found

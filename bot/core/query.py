"""The alert query language: what a user types after /subscribe, parsed and validated.

    oil prices                      both words, in any order
    "Qarachogh mountains"           the exact phrase
    Makhmour OR Makhmur OR Mexmûr   any of them; OR binds tighter than the implicit AND,
    Makhmour census OR camp         so this is Makhmour AND (census OR camp)
    census -football                not when "football" is there too (also: census NOT football)
    census AND Makhmour             AND is the implicit and: census Makhmour
    (oil prices) OR Sinjar          parentheses group: both oil and prices, or Sinjar
    kurd*                           words starting with "kurd": Kurd, Kurdish, Kurdistan
    source:rudaw census             only from feeds whose name or host contains "rudaw"

AND, OR and NOT are operators in any letter case (``census or camp``), outside quotes only:
``"rock and roll"`` and ``census "not"`` look for the words themselves.

Words are matched whole, case, accents and letter variants aside (see :mod:`bot.core.words`),
Arabic-script words with their clitics (see :mod:`bot.core.clitics`), Chinese and Japanese
keywords inside longer runs (as the phrase of their character pairs); punctuation inside a
word joins its parts into a phrase (``al-Sudani`` is ``"al sudani"``). Nothing is a regular
expression. Several queries can be given at once, separated by commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bot.core.language import N_, _, embed
from bot.core.words import is_cjk, words

__all__ = [
    "MAX_DEPTH",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "MIN_PREFIX_CHARS",
    "OPERATORS",
    "QUOTES",
    "AllOf",
    "AnyOf",
    "Part",
    "Query",
    "QueryError",
    "Term",
    "Without",
    "anchored",
    "conjunction",
    "disjunction",
    "negation",
    "operator_word",
    "source_label",
    "source_matches",
    "unique",
]

T = TypeVar("T")

MAX_QUERY_CHARS = 100
MAX_TERMS = 20
MAX_DEPTH = 3  # parentheses inside parentheses inside parentheses
MIN_PREFIX_CHARS = 3

# Translators: an example of a keyword query, shown after /subscribe. Keep OR and the minus
# (they are the query language); the words may be ones your readers follow.
EXAMPLE = N_("Makhmour census OR camp -football")

# Phones turn straight quotes into curly ones and "-" into dashes; all of them are meant alike.
QUOTES = str.maketrans(dict.fromkeys("“”„‟«»＂", '"'))
# Words that are operators outside quotes, in any letter case.
OPERATORS = frozenset({"and", "or", "not"})
# The same outside quotes: Arabic and Sorani "and" (و) and "or" (أو, Sorani یان), written
# between keywords as a reader of those languages writes them. Left as words, they would
# have to stand alone in a story (where و is joined to the next word), and "Makhmour أو
# Sinjar" would want both places. Keys folded as words are (أو is او; Arabic ي is Sorani
# ی); the parser takes یان as "or" only as a Sorani keyboard writes it (يان, with the
# Arabic letter, is a name: Ján Kubiš, Yan).
CONJUNCTIONS = {"و": "and", "او": "or", "یان": "or"}


def operator_word(word: str) -> str | None:
    """The operator (``and``, ``or``, ``not``) that *word*, standing alone outside quotes,
    is: AND, OR or NOT in any letter case, or an Arabic or Sorani conjunction."""
    if word.casefold() in OPERATORS:
        return word.casefold()
    if word.isascii() or len(word) > 6:  # (no conjunction: spared the folding, per word parsed)
        return None
    folded = words(word)
    if len(folded) != 1 or word.startswith("آ"):  # آو (water) folds to او too
        return None
    if folded[0] == "یان" and "ی" not in word:  # يان with the Arabic letter: a name
        return None
    return CONJUNCTIONS.get(folded[0])


class QueryError(ValueError):
    """A query that cannot be used; the message says why, for the user (in the language
    being written when it was raised)."""


@dataclass(frozen=True, slots=True)
class Term:
    """Folded words that must stand together, in order; with ``prefix``, the last word is
    only the start of a word (``kurd*``)."""

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    @property
    def spelled(self) -> list[str]:
        """The words as a reader writes them: the character pairs of a Chinese or Japanese
        run joined back into it (``特斯 斯拉`` -> ``特斯拉``)."""
        spelled: list[str] = []
        previous = ""
        for word in self.words:
            if (
                len(word) == 2 == len(previous)
                and previous[1] == word[0]
                and is_cjk(word)
                and is_cjk(previous)
            ):
                spelled[-1] += word[1]
            else:
                spelled.append(word)
            previous = word
        return spelled

    def __str__(self) -> str:
        return self.written({})

    def written(self, spelling: dict[str, str]) -> str:
        """The term in the query language, each word as *spelling* has it (else folded)."""
        spelled = [spelling.get(word, word) for word in self.spelled]
        text = " ".join(spelled) + ("*" if self.prefix else "")
        # (a word that is an operator too is quoted, so that it reads back as the word)
        return f'"{text}"' if len(spelled) > 1 or operator_word(text) is not None else text


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Parts any of which will do: ``(oil prices) OR Sinjar``."""

    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Parts that must all be there: the ``oil prices`` of ``(oil prices) OR Sinjar``."""

    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Without:
    """A part that must not be there: ``-(world cup)``, ``NOT (a b)``."""

    part: Part


# A piece of a query: a term, or parts put together with AND, OR and NOT.
Part = Term | AnyOf | AllOf | Without


def conjunction(parts: Iterable[Part]) -> Part:
    """The parts together (nested AND flattened, repeats dropped; one part is itself)."""
    flat = unique([p for part in parts for p in (part.parts if isinstance(part, AllOf) else (part,))])
    return flat[0] if len(flat) == 1 else AllOf(flat)


def disjunction(parts: Iterable[Part]) -> Part:
    """Any of the parts (nested OR flattened, repeats dropped; one part is itself)."""
    flat = unique([p for part in parts for p in (part.parts if isinstance(part, AnyOf) else (part,))])
    return flat[0] if len(flat) == 1 else AnyOf(flat)


def negation(part: Part) -> Part:
    """NOT part: ``NOT NOT a`` is ``a``, ``NOT (a OR b)`` is ``-a -b``."""
    if isinstance(part, Without):
        return part.part
    if isinstance(part, AnyOf):
        return conjunction(map(negation, part.parts))
    return Without(part)


def anchored(part: Part) -> bool:
    """Whether every story the part matches has one of its (positive) terms."""
    if isinstance(part, Term):
        return True
    if isinstance(part, AllOf):
        return any(map(anchored, part.parts))
    if isinstance(part, AnyOf):
        return all(map(anchored, part.parts))
    return False


def _canonical(part: Part) -> str:
    """The part in the query language, its pieces in a fixed order: equal for parts that
    differ only in the order they were written."""
    if isinstance(part, Term):
        return str(part)
    if isinstance(part, Without):
        return f"-{_canonical(part.part)}"
    joiner = " OR " if isinstance(part, AnyOf) else " "
    return "(" + joiner.join(sorted(map(_canonical, part.parts))) + ")"


def _positive(part: Part) -> Iterable[Term]:
    """The terms of a part that a match holds (not those under a NOT)."""
    if isinstance(part, Term):
        yield part
    elif not isinstance(part, Without):
        for piece in part.parts:
            yield from _positive(piece)


_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def _spelling(typed: str) -> dict[str, str]:
    """The words of an Arabic-script query as the reader typed them, by their folded form:
    folding writes Sorani's ە as ه (so both match), which shown back reads as a misspelling.
    (Latin words are shown folded, which tells the reader that case and accents do not
    matter.)"""
    spelling: dict[str, str] = {}
    for token in re.split(r"[\s\"()]+", typed):
        token = token.strip("-*,،")
        if _ARABIC_SCRIPT.search(token) and not token.casefold().startswith("source:"):
            folded = words(token)
            if len(folded) == 1:
                spelling[folded[0]] = token
    return spelling


def _source_text(value: str) -> str:
    return f'source:"{value}"' if " " in value else f"source:{value}"


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every group must match (each by any of its terms), no excluded term
    may, every ``nested`` part must hold, and the item's source must contain one of
    ``sources`` (when there are any) and none of ``excluded_sources``. ``text`` is the query
    as typed.

    The parts that make up the query are ANDed together. A part that is a term, an OR of
    terms or an excluded term is kept in ``groups`` and ``excluded`` (the shapes the index
    files directly, and the only ones a query without parentheses has); ``nested`` holds
    the others, such as ``(oil prices) OR Sinjar`` or ``-(world cup)``."""

    text: str
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()
    sources: tuple[str, ...] = ()
    excluded_sources: tuple[str, ...] = ()
    nested: tuple[AnyOf | Without, ...] = ()
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Equal for queries that match the same items however they were written; computed
        # once, because the index asks for it often.
        if self.is_simple:
            key = str(self.groups[0][0])  # most queries: one word
        else:
            groups = sorted(" OR ".join(sorted(map(str, group))) for group in self.groups)
            parts = [
                " ".join(groups),
                " ".join(sorted(map(str, self.excluded))),
                " ".join(sorted(self.sources)),
                " ".join(sorted(self.excluded_sources)),
            ]
            if self.nested:  # (a fifth line: no query without one has the same key)
                parts.append(" ".join(sorted(map(_canonical, self.nested))))
            key = "\n".join(parts)
        object.__setattr__(self, "key", key)

    @property
    def quotable(self) -> str:
        """The query as typed, to be shown between quotation marks: one that is a single
        quoted phrase without its own quotes ("Qarachogh mountains" shows as “Qarachogh
        mountains”, not “"Qarachogh mountains"”)."""
        straight = self.text.translate(QUOTES)
        if len(straight) > 2 and straight[0] == straight[-1] == '"' and straight.count('"') == 2:
            return self.text[1:-1]
        return self.text

    @property
    def normalized(self) -> str:
        """The query as the bot reads it, in the query language (``a b OR c -d``)."""
        spelling = _spelling(self.text)
        several = len(self.groups) + len(self.nested) + len(self.excluded) > 1
        parts = [" OR ".join(term.written(spelling) for term in group) for group in self.groups]
        parts += [
            _written(part, spelling, alone=not several) for part in self.nested if isinstance(part, AnyOf)
        ]
        parts += [f"-{term.written(spelling)}" for term in self.excluded]
        parts += [_written(part, spelling) for part in self.nested if isinstance(part, Without)]
        parts += [_source_text(value) for value in self.sources]
        parts += [f"-{_source_text(value)}" for value in self.excluded_sources]
        return " ".join(parts)

    @property
    def is_simple(self) -> bool:
        """A single word, phrase or prefix and nothing else: it reads as it is written."""
        return (
            len(self.groups) == 1
            and len(self.groups[0]) == 1
            and not (self.excluded or self.sources or self.excluded_sources or self.nested)
        )

    def written(self, term: Term) -> str:
        """A term of the query in the query language, Arabic-script words as typed."""
        return term.written(_spelling(self.text))

    def describe(self) -> str:
        """The query in plain words: ``makhmour and (census or camp), but not football``."""
        spelling = _spelling(self.text)

        def reading(part: Part) -> str:
            return _part_reading(part, spelling)

        wanted: list[Part] = [group[0] if len(group) == 1 else AnyOf(group) for group in self.groups]
        wanted += [part for part in self.nested if isinstance(part, AnyOf)]
        unwanted: list[Part] = list(self.excluded)
        unwanted += [part.part for part in self.nested if isinstance(part, Without)]
        if len(wanted) == 1:  # nothing else to tell it apart from: no parentheses
            text = _part_reading(wanted[0], spelling, inner=False)
        else:
            text = _all_of(map(reading, wanted))
        if unwanted:
            # Translators: how the bot reads a keyword query. {query} is the reading so far
            # ("census and oil"), {excluded} the words that must not be there ("football").
            text = _("{query}, but not {excluded}").format(
                query=text, excluded=_any_of(map(reading, unwanted))
            )
        if self.sources:
            # Translators: how the bot reads a keyword query. {query} is the reading so far,
            # {sources} the parts of feeds' names asked for ("“rudaw”").
            text = _("{query}, only from sources matching {sources}").format(
                query=text, sources=_any_of(map(_quoted, self.sources))
            )
        if self.excluded_sources:
            # Translators: how the bot reads a keyword query. {query} is the reading so far,
            # {sources} the parts of feeds' names left out ("“bbc”").
            text = _("{query}, not from sources matching {sources}").format(
                query=text, sources=_any_of(map(_quoted, self.excluded_sources))
            )
        return text

    @property
    def positive_terms(self) -> tuple[Term, ...]:
        """The terms a match holds (to show them in bold): not the excluded ones."""
        terms = [term for group in self.groups for term in group]
        terms += [term for part in self.nested for term in _positive(part)]
        return unique(terms)


def _written(part: Part, spelling: dict[str, str], *, alone: bool = False) -> str:
    """A part in the query language; *alone*: the whole query, so no parentheses around it.
    Each part reads back as itself: a group of several parts is in parentheses (OR binds
    tighter than the implicit AND, but a reader need not know that), and so is an excluded
    part that is not one term, since OR may not stand beside a NOT."""
    if isinstance(part, Term):
        return part.written(spelling)
    if isinstance(part, Without):
        inner = part.part
        return "-" + (
            inner.written(spelling)
            if isinstance(inner, Term)
            else f"({_written(inner, spelling, alone=True)})"
        )
    if isinstance(part, AnyOf):
        text = " OR ".join(
            _written(p, spelling) if isinstance(p, Term) else f"({_written(p, spelling, alone=True)})"
            for p in part.parts
        )
    else:
        text = " ".join(_written(p, spelling) for p in part.parts)
    return text if alone else f"({text})"


def _part_reading(part: Part, spelling: dict[str, str], *, inner: bool = True) -> str:
    """A part in plain words; *inner*: within a longer reading, so a group of several parts
    is in parentheses."""
    if isinstance(part, Term):
        return _term_reading(part, spelling)
    if isinstance(part, Without):
        # Translators: a part of a keyword's reading that must not be in a story ("not football").
        return _("not {part}").format(part=_part_reading(part.part, spelling))
    if isinstance(part, AnyOf):  # ("(not a) or b": "not a or b" could be "not (a or b)")
        text = _any_of(
            f"({_part_reading(p, spelling)})" if isinstance(p, Without) else _part_reading(p, spelling)
            for p in part.parts
        )
    else:
        text = _all_of(_part_reading(p, spelling) for p in part.parts)
    return f"({text})" if inner else text


def _quoted(text: str) -> str:
    # Translators: a phrase or part of a feed's name the reader typed, quoted in a reading
    # of their keyword ("“oil prices”"); use your language's quotation marks.
    return _("“{phrase}”").format(phrase=embed(text))


def _term_reading(term: Term, spelling: dict[str, str]) -> str:
    spelled = [spelling.get(word, word) for word in term.spelled]
    if not term.prefix:
        # (a phrase, or a word that is an operator too, in quotation marks: "census and
        # “and”", «مخمور و«أو» وسنجار», not a bare word that reads as the operator)
        quote = len(spelled) > 1 or operator_word(spelled[0]) is not None
        return _quoted(" ".join(spelled)) if quote else embed(spelled[0])
    if len(spelled) > 1:
        # Translators: a phrase whose last word may go on ("“oil pri…”" finds "oil prices").
        return _("“{phrase}…”").format(phrase=embed(" ".join(spelled)))
    # Translators: how the bot reads "kurd*": the words starting with "kurd".
    return _("words starting with “{start}”").format(start=embed(spelled[0]))


def _all_of(parts: Iterable[str]) -> str:
    """Parts of a reading that must all be there: ``a and b and c``."""
    text = ""
    for part in parts:
        # Translators: two parts of a keyword's reading that must both be in a story
        # ("makhmour and census"); {first} may itself be such a pair.
        text = _("{first} and {second}").format(first=text, second=part) if text else part
    return text


def _any_of(parts: Iterable[str]) -> str:
    """Parts of a reading any of which will do: ``a or b or c``."""
    text = ""
    for part in parts:
        # Translators: two parts of a keyword's reading either of which will do
        # ("census or camp"); {first} may itself be such a pair.
        text = _("{first} or {second}").format(first=text, second=part) if text else part
    return text


def unique(values: Sequence[T]) -> tuple[T, ...]:
    """*values* without repeats, in order."""
    return tuple(values) if len(values) < 2 else tuple(dict.fromkeys(values))


def source_label(name: str, host: str = "") -> str:
    """What ``source:`` looks in: a feed's name and host, folded into words."""
    return " ".join(words(f"{name} {host}"))


def source_matches(value: str, label: str) -> bool:
    """Whether a ``source:`` value names the feed with this label: each of its words is
    part of the label (``source:rudaw``, ``source:bbc.co.uk`` for feeds.bbci.co.uk)."""
    return all(word in label for word in value.split())

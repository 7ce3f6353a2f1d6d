"""The alert query language: what a user types after /subscribe, parsed and validated.

    oil prices                      both words, in any order
    "Qarachogh mountains"           the exact phrase
    Makhmour OR Makhmur OR Mexmûr   any of them; OR binds tighter than the implicit AND,
    Makhmour census OR camp         so this is Makhmour AND (census OR camp)
    census -football                not when "football" is there too
    kurd*                           words starting with "kurd": Kurd, Kurdish, Kurdistan
    source:rudaw census             only from feeds whose name or host contains "rudaw"

Words are matched whole, case, accents and letter variants aside (see :mod:`bot.core.words`),
Arabic-script words with their clitics (see :mod:`bot.core.clitics`), Chinese and Japanese
keywords inside longer runs (as the phrase of their character pairs); punctuation inside a
word joins its parts into a phrase (``al-Sudani`` is ``"al sudani"``). Nothing is a regular
expression. Several queries can be given at once, separated by commas.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bot.core.language import N_, _, embed, format_number, ngettext
from bot.core.text import collapse_whitespace, strip_controls
from bot.core.words import is_cjk, words

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "MIN_PREFIX_CHARS",
    "Query",
    "QueryError",
    "Term",
    "parse_query",
    "source_label",
    "source_matches",
    "split_queries",
]

T = TypeVar("T")

MAX_QUERY_CHARS = 100
MAX_TERMS = 20
MIN_PREFIX_CHARS = 3

# Translators: an example of a keyword query, shown after /subscribe. Keep OR and the minus
# (they are the query language); the words may be ones your readers follow.
EXAMPLE = N_("Makhmour census OR camp -football")

# Phones turn straight quotes into curly ones and "-" into dashes; all of them are meant alike.
_QUOTES = str.maketrans(dict.fromkeys("“”„‟«»＂", '"'))


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
        return f'"{text}"' if len(spelled) > 1 else text


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
    may, and the item's source must contain one of ``sources`` (when there are any) and
    none of ``excluded_sources``. ``text`` is the query as typed."""

    text: str
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()
    sources: tuple[str, ...] = ()
    excluded_sources: tuple[str, ...] = ()
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Equal for queries that match the same items however they were written; computed
        # once, because the index asks for it often.
        if (
            len(self.groups) == 1
            and len(self.groups[0]) == 1
            and not (self.excluded or self.sources or self.excluded_sources)
        ):
            key = str(self.groups[0][0])  # most queries: one word
        else:
            groups = sorted(" OR ".join(sorted(map(str, group))) for group in self.groups)
            key = "\n".join([
                " ".join(groups),
                " ".join(sorted(map(str, self.excluded))),
                " ".join(sorted(self.sources)),
                " ".join(sorted(self.excluded_sources)),
            ])  # fmt: skip
        object.__setattr__(self, "key", key)

    @property
    def normalized(self) -> str:
        """The query as the bot reads it, in the query language (``a b OR c -d``)."""
        spelling = _spelling(self.text)
        parts = [" OR ".join(term.written(spelling) for term in group) for group in self.groups]
        parts += [f"-{term.written(spelling)}" for term in self.excluded]
        parts += [_source_text(value) for value in self.sources]
        parts += [f"-{_source_text(value)}" for value in self.excluded_sources]
        return " ".join(parts)

    @property
    def is_simple(self) -> bool:
        """A single word, phrase or prefix and nothing else: it reads as it is written."""
        return (
            len(self.groups) == 1
            and len(self.groups[0]) == 1
            and not (self.excluded or self.sources or self.excluded_sources)
        )

    def describe(self) -> str:
        """The query in plain words: ``makhmour and (census or camp), but not football``."""
        spelling = _spelling(self.text)

        def reading(term: Term) -> str:
            return _term_reading(term, spelling)

        groups = [
            reading(group[0]) if len(group) == 1 else f"({_any_of(map(reading, group))})"
            for group in self.groups
        ]
        text = _all_of(groups)
        if self.excluded:
            # Translators: how the bot reads a keyword query. {query} is the reading so far
            # ("census and oil"), {excluded} the words that must not be there ("football").
            text = _("{query}, but not {excluded}").format(
                query=text, excluded=_any_of(map(reading, self.excluded))
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
        return tuple(term for group in self.groups for term in group)


def _quoted(text: str) -> str:
    # Translators: a phrase or part of a feed's name the reader typed, quoted in a reading
    # of their keyword ("“oil prices”"); use your language's quotation marks.
    return _("“{phrase}”").format(phrase=embed(text))


def _term_reading(term: Term, spelling: dict[str, str]) -> str:
    spelled = [spelling.get(word, word) for word in term.spelled]
    if not term.prefix:
        return _quoted(" ".join(spelled)) if len(spelled) > 1 else embed(spelled[0])
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


def split_queries(text: str) -> list[str]:
    """Split comma-separated queries (the Latin comma or the Arabic "،" that Sorani and Arabic
    keyboards type), dropping empty ones; commas inside quotes stay."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text.translate(_QUOTES):
        if char == '"':
            quoted = not quoted
        if char in ",،" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in (collapse_whitespace(p) for p in parts) if part]


# --- parsing --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "term", "or", "source"
    negated: bool = False
    term: Term | None = None
    source: str = ""


def _term(raw: str, *, quoted: bool) -> Term | None:
    """The term a piece of text stands for, or None when it holds no letters or digits."""
    stripped = raw.rstrip()
    prefix = stripped.endswith("*")
    found = tuple(map(sys.intern, words(stripped.rstrip("*"))))
    if not found:
        if quoted:
            raise QueryError(
                # Translators: {phrase} is what the reader put between quotes, with no word in it.
                _('the phrase "{phrase}" is empty; put words between the quotes, e.g. "oil prices"').format(
                    phrase=embed(raw)
                )
            )
        return None
    if prefix and is_cjk(found[-1]):
        prefix = False  # Chinese and Japanese keywords already match inside longer runs
    if prefix and len(found[-1]) < MIN_PREFIX_CHARS:
        raise QueryError(
            # Translators: {word} is what the reader typed before the * ("ku*").
            ngettext(
                "{word} is too short to use with *: give at least {n} letter, e.g. kurd*",
                "{word} is too short to use with *: give at least {n} letters, e.g. kurd*",
                MIN_PREFIX_CHARS,
            ).format(word=embed(raw), n=format_number(MIN_PREFIX_CHARS))
        )
    return Term(words=found, prefix=prefix)


# One token of a query: an optional minus that touches what follows, then a source: scope,
# a quoted phrase (an unclosed quote runs to the end) or a bare run of other characters.
_TOKEN = re.compile(
    r"""
    (?P<minus>[-−–—](?=\S))?
    (?:
        (?P<source>(?i:source:)) (?: "(?P<source_phrase>[^"]*)"? | (?P<source_word>[^\s"]*) )
      | "(?P<phrase>[^"]*)(?P<close>"?)
      | (?P<word>[^\s"]+)
    )
    """,
    re.VERBOSE,
)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        negated = match["minus"] is not None
        if match["source"] is not None:
            raw = match["source_phrase"] if match["source_phrase"] is not None else match["source_word"]
            value = " ".join(words(raw))
            if not value:
                raise QueryError(
                    _("source: needs part of a feed's name or address, e.g. source:rudaw census")
                )
            tokens.append(_Token("source", negated=negated, source=value))
        elif match["phrase"] is not None:
            if not match["close"]:
                raise QueryError(
                    _('a quote is not closed; put phrases between two quotes, e.g. "oil prices"')
                )
            term = _term(match["phrase"], quoted=True)
            if term is not None:
                tokens.append(_Token("term", negated=negated, term=term))
        elif match["word"] == "OR" and not negated:
            tokens.append(_Token("or"))
        else:
            term = _term(match["word"], quoted=False)
            if term is not None:
                tokens.append(_Token("term", negated=negated, term=term))
    return tokens


def _or_error() -> QueryError:
    return QueryError(_("OR must stand between two words or phrases, e.g. Makhmour OR Makhmur"))


def parse_query(text: str) -> Query:
    """Parse one query, raising :class:`QueryError` with a reason a user can act on.

    Control characters (a NUL or an ESC pasted along) are removed; the rest is kept."""
    text = collapse_whitespace(strip_controls(text))
    if not text:
        raise QueryError(_("the keyword is empty"))
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            # Translators: {count} is the number of characters the reader's keyword has.
            ngettext(
                "a keyword can have at most {n} character, this one has {count}",
                "a keyword can have at most {n} characters, this one has {count}",
                MAX_QUERY_CHARS,
            ).format(n=format_number(MAX_QUERY_CHARS), count=format_number(len(text)))
        )
    tokens = _tokens(text.translate(_QUOTES))
    if not tokens:
        raise QueryError(_("the keyword has no letters or digits to look for"))

    groups: list[list[Term]] = []
    excluded: list[Term] = []
    sources: list[str] = []
    excluded_sources: list[str] = []
    joining = False  # the previous token was OR
    for index, token in enumerate(tokens):
        if token.kind == "or":
            if joining or index == 0 or tokens[index - 1].kind != "term" or tokens[index - 1].negated:
                raise _or_error()
            joining = True
            continue
        if joining and (token.kind != "term" or token.negated):
            raise _or_error()
        if token.kind == "source":
            (excluded_sources if token.negated else sources).append(token.source)
        elif token.negated:
            assert token.term is not None
            excluded.append(token.term)
        elif joining:
            assert token.term is not None
            groups[-1].append(token.term)
        else:
            assert token.term is not None
            groups.append([token.term])
        joining = False
    if joining:
        raise _or_error()

    if not groups:
        raise QueryError(
            # Translators: {example} is a keyword query (see "Makhmour census OR camp -football").
            _(
                "a keyword needs at least one word to look for, not only exclusions or sources; "
                "for example {example}"
            ).format(example=embed(_(EXAMPLE)))
        )
    terms = sum(len(group) for group in groups) + len(excluded)
    if terms > MAX_TERMS:
        raise QueryError(
            # Translators: {count} is the number of words and phrases the reader's keyword has.
            ngettext(
                "a keyword can have at most {n} word or phrase, this one has {count}",
                "a keyword can have at most {n} words or phrases, this one has {count}",
                MAX_TERMS,
            ).format(n=format_number(MAX_TERMS), count=format_number(terms))
        )
    return Query(
        text=text,
        groups=_unique(tuple(_unique(group) for group in groups)),
        excluded=_unique(excluded),
        sources=_unique(sources),
        excluded_sources=_unique(excluded_sources),
    )


def _unique(values: Sequence[T]) -> tuple[T, ...]:
    """*values* without repeats, in order."""
    return tuple(values) if len(values) < 2 else tuple(dict.fromkeys(values))


def source_label(name: str, host: str = "") -> str:
    """What ``source:`` looks in: a feed's name and host, folded into words."""
    return " ".join(words(f"{name} {host}"))


def source_matches(value: str, label: str) -> bool:
    """Whether a ``source:`` value names the feed with this label: each of its words is
    part of the label (``source:rudaw``, ``source:bbc.co.uk`` for feeds.bbci.co.uk)."""
    return all(word in label for word in value.split())

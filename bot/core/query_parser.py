"""Parsing what a user types after /subscribe into a :class:`~bot.core.query.Query`: commas
between keywords, quotes, AND, OR and NOT in any letter case, parentheses, ``-``, ``*`` and
``source:``, each refused with the reason and a correct example when it cannot be read (the
language itself is described in :mod:`bot.core.query`)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from bot.core.language import _, embed, format_number, ngettext
from bot.core.query import (
    EXAMPLE,
    MAX_DEPTH,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    MIN_PREFIX_CHARS,
    OPERATORS,
    QUOTES,
    AllOf,
    AnyOf,
    Part,
    Query,
    QueryError,
    Term,
    Without,
    anchored,
    conjunction,
    disjunction,
    negation,
    operator_word,
    unique,
)
from bot.core.text import collapse_whitespace, strip_controls
from bot.core.words import is_cjk, words

__all__ = ["parse_query", "split_queries", "without_operators"]


def split_queries(text: str) -> list[str]:
    """Split comma-separated queries (the Latin comma or the Arabic "،" that Sorani and Arabic
    keyboards type), dropping empty ones; commas inside quotes stay."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text.translate(QUOTES):
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
    kind: str  # "term", "source", "or", "and", "not", "open" (a parenthesis), "close"
    negated: bool = False  # a minus touches it
    term: Term | None = None
    source: str = ""
    typed: str = ""  # an operator as written (و, أو, or)


@dataclass(frozen=True, slots=True)
class _Scope:
    """A ``source:`` part: it applies to the whole query, so it may not stand in a group."""

    value: str
    negated: bool


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
# a quoted phrase (an unclosed quote runs to the end), a parenthesis or a bare run of other
# characters (AND, OR and NOT among them).
_TOKEN = re.compile(
    r"""
    (?P<minus>[-−–—](?=\S))?
    (?:
        (?P<source>(?i:source:)) (?: "(?P<source_phrase>[^"]*)"? | (?P<source_word>[^\s"()]*) )
      | "(?P<phrase>[^"]*)(?P<close>"?)
      | (?P<open>\()
      | (?P<shut>\))
      | (?P<word>[^\s"()]+)
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
        elif match["open"] is not None:
            tokens.append(_Token("open", negated=negated))
        elif match["shut"] is not None:
            tokens.append(_Token("close"))
        elif not negated and (operator := operator_word(match["word"])) is not None:
            tokens.append(_Token(operator, typed=match["word"]))
        else:
            term = _term(match["word"], quoted=False)
            if term is not None:
                tokens.append(_Token("term", negated=negated, term=term))
    return tokens


def _or_error(token: _Token | None = None) -> QueryError:
    if token is not None and _is_conjunction(token):
        return _conjunction_error(token.typed)
    return QueryError(_("OR must stand between two words or phrases, e.g. Makhmour OR Makhmur"))


def _is_conjunction(token: _Token) -> bool:
    """Whether an operator was written as an Arabic or Sorani word (و, أو, یان)."""
    return token.typed.casefold() not in OPERATORS


def _conjunction_error(typed: str) -> QueryError:
    return QueryError(
        # Translators: {word} is the Arabic or Sorani "and" or "or" the reader wrote (و, أو,
        # یان), read as AND or OR; keep the three {word} and the quotes around the last one.
        _(
            "{word} must stand between two words, phrases or groups, e.g. Makhmour {word} Sinjar; "
            'to look for the word itself, put it in quotes: "{word}"'
        ).format(word=embed(typed))
    )


def _and_error(token: _Token | None = None) -> QueryError:
    if token is not None and _is_conjunction(token):
        return _conjunction_error(token.typed)
    return QueryError(
        _(
            "AND must stand between two words, phrases or groups, e.g. census AND Makhmour; "
            'to look for the word itself, put it in quotes: "and"'
        )
    )


def _not_error() -> QueryError:
    return QueryError(
        _(
            "NOT must stand before a word, phrase or group, e.g. census NOT football; "
            'to look for the word itself, put it in quotes: "not"'
        )
    )


def _group_error() -> QueryError:
    return QueryError(
        _("a parenthesis is not closed; put a group between two, e.g. Makhmour (census OR camp)")
    )


# Where a token may not follow NOT, AND or OR: it needs something to work on.
_ENDS = frozenset({"and", "or", "close"})


class _Parser:
    """Reads the tokens of a query, by the grammar

        query   := all
        all     := any ([AND] any)*          (AND, or nothing, between parts: both)
        any     := unary (OR unary)*         (OR binds tighter, as in web search)
        unary   := NOT unary | [-] atom
        atom    := term | source | [-] "(" all ")"

    into parts (see :class:`Part`), flattened as they are built; ``source:`` scopes are
    gathered apart, for the whole query."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.sources: list[str] = []
        self.excluded_sources: list[str] = []

    def _next(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def parse(self) -> list[Part]:
        parts = self._all(depth=0)
        if self._next() is not None:  # a closing parenthesis that nothing opened
            raise QueryError(
                _(
                    "a parenthesis is closed that was not opened; "
                    "open it first, e.g. Makhmour (census OR camp)"
                )
            )
        return parts

    def _all(self, depth: int) -> list[Part]:
        parts: list[Part] = []
        after_part = False
        while (token := self._next()) is not None and token.kind != "close":
            if token.kind == "and":
                self.at += 1
                following = self._next()
                if not after_part or following is None or following.kind in _ENDS:
                    raise _and_error(token)
                after_part = False
                continue
            part = self._any(depth)
            if isinstance(part, _Scope):
                if depth:
                    raise QueryError(
                        _(
                            "source: applies to the whole keyword: put it outside parentheses, "
                            "e.g. source:rudaw (census OR camp)"
                        )
                    )
                (self.excluded_sources if part.negated else self.sources).append(part.value)
            else:
                parts.append(part)
            after_part = True
        return parts

    def _any(self, depth: int) -> Part | _Scope:
        first, negated = self._unary(depth)
        alternatives = [first]
        while (token := self._next()) is not None and token.kind == "or":
            self.at += 1
            following = self._next()
            if negated or isinstance(first, _Scope) or following is None or following.kind in _ENDS:
                raise _or_error(token)
            part, negated = self._unary(depth)
            if negated or isinstance(part, _Scope):
                raise _or_error(token)
            alternatives.append(part)
        if len(alternatives) == 1:
            return first
        return disjunction(alternatives)  # type: ignore[arg-type]  # (no _Scope: checked above)

    def _unary(self, depth: int) -> tuple[Part | _Scope, bool]:
        """A part, and whether a NOT or a minus stood before it."""
        token = self._next()
        assert token is not None
        if token.kind == "not":
            self.at += 1
            following = self._next()
            if following is None or following.kind in _ENDS:
                raise _not_error()
            part, _negated = self._unary(depth)
            if isinstance(part, _Scope):
                return _Scope(part.value, not part.negated), True
            return negation(part), True
        if token.kind == "or":
            raise _or_error(token)
        self.at += 1
        if token.kind == "source":
            return _Scope(token.source, token.negated), token.negated
        if token.kind == "term":
            assert token.term is not None
            return (negation(token.term) if token.negated else token.term), token.negated
        # token.kind == "open" ("close" and "and" never start a part: _all and _any see to it)
        if depth >= MAX_DEPTH:
            raise QueryError(
                ngettext(
                    "parentheses can go at most {n} level deep, e.g. Makhmour (census OR camp)",
                    "parentheses can go at most {n} levels deep, e.g. Makhmour (census OR (camp -football))",
                    MAX_DEPTH,
                ).format(n=format_number(MAX_DEPTH))
            )
        inside = self._all(depth + 1)
        if self._next() is None:
            raise _group_error()
        self.at += 1  # the closing parenthesis
        if not inside:
            raise QueryError(
                _(
                    "the parentheses hold no word to look for; "
                    "put words between them, e.g. Makhmour (census OR camp)"
                )
            )
        group = conjunction(inside)
        return (negation(group) if token.negated else group), token.negated


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
    tokens = _tokens(text.translate(QUOTES))
    if not any(token.kind in ("term", "source") for token in tokens):
        if any(token.kind in OPERATORS for token in tokens):
            first = tokens[0]
            raise (
                _not_error()
                if first.kind == "not"
                else {"or": _or_error, "and": _and_error}[first.kind](first)
            )
        raise QueryError(_("the keyword has no letters or digits to look for"))
    terms = sum(token.kind == "term" for token in tokens)
    if terms > MAX_TERMS:
        raise QueryError(
            # Translators: {count} is the number of words and phrases the reader's keyword has.
            ngettext(
                "a keyword can have at most {n} word or phrase, this one has {count}",
                "a keyword can have at most {n} words or phrases, this one has {count}",
                MAX_TERMS,
            ).format(n=format_number(MAX_TERMS), count=format_number(terms))
        )
    parser = _Parser(tokens)
    parts = parser.parse()

    groups: list[tuple[Term, ...]] = []
    excluded: list[Term] = []
    nested: list[AnyOf | Without] = []
    if parts:
        whole = conjunction(parts)
        for part in whole.parts if isinstance(whole, AllOf) else (whole,):
            if isinstance(part, Term):
                groups.append((part,))
            elif isinstance(part, AnyOf) and all(isinstance(p, Term) for p in part.parts):
                groups.append(part.parts)  # type: ignore[arg-type]  # (all terms: checked)
            elif isinstance(part, Without) and isinstance(part.part, Term):
                excluded.append(part.part)
            else:
                assert isinstance(part, AnyOf | Without)  # (an AllOf was flattened into whole)
                nested.append(part)
    if not groups and not any(map(anchored, nested)):
        raise QueryError(
            # Translators: {example} is a keyword query (see "Makhmour census OR camp -football").
            _(
                "a keyword needs at least one word to look for, not only exclusions or sources; "
                "for example {example}"
            ).format(example=embed(_(EXAMPLE)))
        )
    return Query(
        text=text,
        groups=tuple(groups),
        excluded=tuple(excluded),
        sources=unique(parser.sources),
        excluded_sources=unique(parser.excluded_sources),
        nested=tuple(nested),
    )


def without_operators(text: str) -> str:
    """*text* as versions before AND, OR and NOT in any case, Arabic and Sorani "and" and
    "or", and parentheses read it: those words (in lower or mixed case) quoted, so they are
    words to look for, and parentheses left out. For keywords stored then that no longer
    parse (``census or``, ``census و``), so that they keep working as they did."""
    pieces = re.split(r'("[^"]*"?)', text.translate(QUOTES))
    for index in range(0, len(pieces), 2):  # (the odd ones are quoted already)
        plain = re.sub(r"[()]", " ", pieces[index])
        pieces[index] = re.sub(
            r"(?<![^\s])(and|or|not|و|أو|او|إو|یان|يان)(?![^\s])",
            lambda word: word[0] if word[0] == "OR" else f'"{word[0]}"',
            plain,
            flags=re.IGNORECASE,
        )
    return "".join(pieces)

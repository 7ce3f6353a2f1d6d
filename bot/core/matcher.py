"""Matching items against many subscription queries at once.

:class:`Matcher` files every query in an inverted index under the terms of one of its
groups (a query can only match an item that contains one of them), choosing the group
whose terms are rarest in the news it has seen, and confirms each candidate with set
operations compiled from the query. The cost of matching an item therefore grows with the
item's words and with the candidates they reach, not with the number of subscriptions;
adding or removing a query touches only its own entries.

:class:`bot.core.reference.ReferenceMatcher` is the plain way, every query tested against
every item: the specification the index must agree with (a property-based test checks it)
and the baseline the benchmark measures against.
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Generic, TypeVar

from bot.core.clitics import bare_forms, may_have_clitics
from bot.core.items import Item
from bot.core.query import MIN_PREFIX_CHARS, AllOf, AnyOf, Part, Query, Term, Without, source_matches
from bot.core.words import words

__all__ = ["Document", "Matcher", "collector_paused", "matches"]

SubscriptionId = TypeVar("SubscriptionId", bound=Hashable)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building something large and lasting.

    Every object created by a bulk load survives it, yet the collector would traverse them
    again and again as they pile up: pausing it makes loading 100,000 queries a third faster.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Put between the fields of an item (title, summary, content) so no phrase spans two fields.
_FIELD_BREAK = ""
_NO_FORMS: frozenset[str] = frozenset()


class Document:
    """The searchable form of an item: its folded words in order, and its source label.

    ``words`` holds the words and the bare forms of Arabic-script words with clitics
    (:func:`~bot.core.clitics.bare_forms`: "والموصل" is also "الموصل" and "موصل"), which
    ``bare_forms`` holds alone (empty for most items: ``affixed`` tells). Built once per
    item; what prefix and phrase terms need is computed on first use.
    """

    __slots__ = ("_joined", "_positions", "_sorted", "affixed", "bare_forms", "source", "tokens", "words")

    def __init__(self, tokens: list[str], source: str = "", *, clitics: bool = True) -> None:
        # Not interned: looking every word up in the interpreter's intern table costs more
        # per item than the identity comparisons it would save on index hits.
        self.tokens = tokens
        # A set, not a frozenset: `dict.keys() & words` then walks whichever side is smaller.
        self.words = set(tokens)
        self.bare_forms: frozenset[str] = _NO_FORMS
        if clitics:  # (False when the text has no Arabic script: most items skip this)
            forms = [form for word in self.words if not word.isascii() for form in bare_forms(word)]
            if forms:
                self.bare_forms = frozenset(forms)
                self.words.update(forms)
        self.affixed = bool(self.bare_forms)
        self.source = source
        self._joined: str | None = None
        self._sorted: list[str] | None = None
        self._positions: dict[str, list[int]] | None = None

    @classmethod
    def from_text(cls, *texts: str, source: str = "") -> Document:
        tokens: list[str] = []
        for text in texts:
            if text:
                if tokens:
                    tokens.append(_FIELD_BREAK)
                tokens.extend(words(text))
        return cls(tokens, source, clitics=any(map(may_have_clitics, texts)))

    @classmethod
    def from_item(cls, item: Item, source: str = "") -> Document:
        return cls.from_text(item.title, item.summary, item.content, source=source)

    def has_prefix(self, prefix: str) -> bool:
        """Whether some word of the document starts with *prefix*."""
        if self._sorted is None:
            self._sorted = sorted(self.words)
        position = bisect_left(self._sorted, prefix)
        return position < len(self._sorted) and self._sorted[position].startswith(prefix)

    def joined(self) -> str:
        """The words with single spaces around each: a phrase is a substring of it (the
        break between fields is an empty word, which makes a double space)."""
        if self._joined is None:
            self._joined = f" {' '.join(self.tokens)} "
        return self._joined

    def has(self, term: Term) -> bool:
        """Whether the term stands in the document (a word, a prefix or a phrase)."""
        if len(term.words) == 1:
            return self.has_prefix(term.words[0]) if term.prefix else term.words[0] in self.words
        return _needle(term) in self.joined() or (self.affixed and self._has_phrase(term))

    def _has_phrase(self, phrase: Term) -> bool:
        """A phrase where words may carry clitics: each of its words at consecutive places,
        as the word written there or one of its bare forms."""
        whole = phrase.words[:-1] if phrase.prefix else phrase.words
        if self.bare_forms.isdisjoint(whole) and not (
            phrase.prefix and any(form.startswith(phrase.words[-1]) for form in self.bare_forms)
        ):
            return False  # none of its words stands there as a bare form: joined() decided
        if self._positions is None:
            self._positions = {}
            for position, token in enumerate(self.tokens):
                for form in (token, *bare_forms(token)) if not token.isascii() else (token,):
                    self._positions.setdefault(form, []).append(position)
        tokens, last = self.tokens, len(phrase.words) - 1
        for start in self._positions.get(phrase.words[0], ()):
            if start + last >= len(tokens):
                break
            for offset in range(1, last + 1):
                token, word = tokens[start + offset], phrase.words[offset]
                forms = (token, *bare_forms(token)) if not token.isascii() else (token,)
                if phrase.prefix and offset == last:
                    if not any(form.startswith(word) for form in forms):
                        break
                elif word not in forms:
                    break
            else:
                return True
        return False


def _needle(phrase: Term) -> str:
    """What a phrase is in :meth:`Document.joined`: its words with spaces, and a space after
    the last unless it is a prefix."""
    return f" {' '.join(phrase.words)}{'' if phrase.prefix else ' '}"


def matches(query: Query, document: Document) -> bool:
    """Whether *document* satisfies *query* (see :class:`~bot.core.query.Query`)."""
    if query.sources and not any(source_matches(s, document.source) for s in query.sources):
        return False
    if any(source_matches(s, document.source) for s in query.excluded_sources):
        return False
    if not all(any(document.has(term) for term in group) for group in query.groups):
        return False
    if any(document.has(term) for term in query.excluded):
        return False
    return all(_holds(part, document) for part in query.nested)


def _holds(part: Part, document: Document) -> bool:
    """Whether a part of a query (see :data:`~bot.core.query.Part`) holds for *document*."""
    if isinstance(part, Term):
        return document.has(part)
    if isinstance(part, Without):
        return not _holds(part.part, document)
    if isinstance(part, AnyOf):
        return any(_holds(piece, document) for piece in part.parts)
    return all(_holds(piece, document) for piece in part.parts)


# --- the index --------------------------------------------------------------------------

# An index key: ("w", word) for a whole word, ("p", start) for the start of a word.
Key = tuple[str, str]

# Documents to count before word counts, rather than word lengths, choose anchors. After
# FULL_COUNT documents only one in SAMPLE_EVERY is counted: the shares of documents with
# each word stay representative at a fraction of the cost.
MIN_COUNTED = 50
FULL_COUNT = 1_000
SAMPLE_EVERY = 16

# Prefixes of the shortest length are filed by themselves; longer ones under their first
# _STEM letters, which few prefixes share, so few are tried against each word.
_STEM = MIN_PREFIX_CHARS + 1
# The most words whose reach is cached: news keeps bringing new words (names, numbers), so
# past this the cache starts again.
_REACH_CACHE_LIMIT = 200_000


def _length_cost(key: Key) -> float:
    # Before any news has been counted: longer words are rarer; a prefix reaches many words.
    return (3.0 if key[0] == "p" else 1.0) / len(key[1])


def _is_word(term: Term) -> bool:
    return not term.is_phrase and not term.prefix


# A query that needs testing, compiled for the key it is filed under. A match contains the
# `necessary` words (beside the key's own word) and the phrase `needles` (see _needle), none
# of the `banned` words, comes from a source that one of `sources` names (when there are
# any) and none of `banned_sources` names; `rest` is what these tests leave to `matches`
# (None when they decide alone). A phrase whose words carry clitics in the item is not
# among its joined words: Document.has reads their bare forms.
_Test = tuple[
    frozenset[str], frozenset[str], tuple[str, ...], frozenset[str], frozenset[str], Query | None, "_Indexed"
]


def _compile(query: Query, entry: _Indexed, key: Key) -> _Test:
    plain = [g for g in query.groups if len(g) == 1 and (_is_word(g[0]) or g[0].is_phrase)]
    necessary = frozenset(
        word for (term,) in plain for word in (term.words[:-1] if term.prefix else term.words)
    )
    if key[0] == "w":
        necessary -= {key[1]}  # a document reaches these postings only when it has the word
    needles = tuple(_needle(term) for (term,) in plain if term.is_phrase)
    banned = frozenset(term.words[0] for term in query.excluded if _is_word(term))
    rest = Query(
        text=query.text,
        groups=tuple(g for g in query.groups if not any(g is p for p in plain)),
        excluded=tuple(t for t in query.excluded if not _is_word(t)),
        nested=query.nested,
    )
    sources, banned_sources = frozenset(query.sources), frozenset(query.excluded_sources)
    undecided = rest if rest.groups or rest.excluded or rest.nested else None
    return necessary, banned, needles, sources, banned_sources, undecided, entry


class _Indexed:
    """One distinct query in the index, with everyone subscribed to it.

    Hashed by identity: sets of these never touch the objects themselves, which matters
    when an item matches hundreds of queries of an index too large for the CPU caches.
    """

    __slots__ = ("anchors", "flat", "phrase_words", "phrases", "query", "subscribers")

    def __init__(self, query: Query) -> None:
        self.query = query
        # The phrases that make up groups of their own (their needles are in its tests),
        # and their words: an item can hold such a phrase with clitics only when one of
        # these is among its bare forms (None: a prefix, which any bare form may start).
        self.phrases = tuple(group[0] for group in query.groups if len(group) == 1 and group[0].is_phrase)
        self.phrase_words: frozenset[str] | None = _NO_FORMS  # (shared: most queries have none)
        if self.phrases:
            words = frozenset(chain.from_iterable(term.words for term in self.phrases))
            self.phrase_words = None if any(term.prefix for term in self.phrases) else words
        # For a query that each of its keys proves (a word, a prefix, "a OR b"): the
        # postings of its keys, which list its subscribers directly (see _Postings).
        self.flat: tuple[_Postings, ...] = ()
        # A tuple, not a set: subscribers are only ever read whole (one query per
        # subscription, so the subscribers of different queries never overlap).
        self.subscribers: tuple[Hashable, ...] = ()
        # Where the query is filed: the keys, each with the term it stands for.
        self.anchors: tuple[tuple[Key, Term], ...] = ()

    def has_phrases_in(self, document: Document) -> bool:
        """Whether the phrases of the query stand in an item whose words carry clitics,
        once its needles were not all found among the item's joined words."""
        if self.phrase_words is not None and self.phrase_words.isdisjoint(document.bare_forms):
            return False
        return all(map(document.has, self.phrases))


_SURE: tuple[str, frozenset[str]] = ("sure", frozenset())


def _remainder(query: Query, anchor: Term) -> tuple[str, frozenset[str]] | None:
    """How a query filed under *anchor* is decided once the anchor is found, when set algebra
    alone can decide it: ``("sure", {})``, ``("any", words)`` (one of these words must be
    there too) or ``("none", words)`` (none of these words may be there). None otherwise."""
    if anchor.is_phrase or query.sources or query.excluded_sources or query.nested:
        # a phrase needs its words in order; a source needs the document's label; a nested
        # part (parentheses) needs its own test
        return None
    others = [group for group in query.groups if not any(term is anchor for term in group)]
    if len(others) == len(query.groups):  # cannot happen: the anchor comes from a group
        return None
    if not others and not query.excluded:
        return "sure", frozenset()
    if len(others) == 1 and not query.excluded and all(_is_word(term) for term in others[0]):
        return "any", frozenset(term.words[0] for term in others[0])
    if not others and all(_is_word(term) for term in query.excluded):
        return "none", frozenset(term.words[0] for term in query.excluded)
    return None


class _Postings:
    """The queries filed under one key, by what confirming them takes once the key is in a
    document: nothing (``subscribers`` of the queries that each of their keys proves, listed
    flat; a query with several keys, ``a OR b``, is listed under each, and a document's
    matches drop the duplicates; ``sure``: queries that only some of their keys prove, as
    when a phrase is one of the alternatives); one more word (``any_of``: word -> queries);
    that none of some words is there (``unless``: all such queries, ``unless_word``: word ->
    queries); or their compiled ``tests``. Most postings hold subscribers only:
    ``complex`` tells the others apart."""

    __slots__ = ("any_of", "complex", "subscribers", "sure", "tests", "unless", "unless_word")

    def __init__(self) -> None:
        self.subscribers: list[Hashable] = []
        # Most postings only ever list subscribers: the rest is made when first needed (a
        # word's postings cost a few hundred bytes less, at 100,000 subscriptions ~30 MB).
        self.sure: set[_Indexed] = _NO_ENTRIES
        self.any_of: dict[str, set[_Indexed]] = _NO_WORDS
        self.unless: set[_Indexed] = _NO_ENTRIES
        self.unless_word: dict[str, set[_Indexed]] = _NO_WORDS
        self.tests: list[_Test] = _NO_TESTS
        self.complex = False

    def is_empty(self) -> bool:
        return not (self.subscribers or self.complex)

    def file(self, entry: _Indexed, key: Key, anchor: Term) -> None:
        # Each container is made when first needed: most complex postings use one or two.
        shape = _remainder(entry.query, anchor)
        if shape is None:
            if self.tests is _NO_TESTS:
                self.tests = []
            self.tests.append(_compile(entry.query, entry, key))
        elif shape[0] == "sure":
            if self.sure is _NO_ENTRIES:
                self.sure = set()
            self.sure.add(entry)
        else:
            if shape[0] == "none":
                if self.unless is _NO_ENTRIES:
                    self.unless, self.unless_word = set(), {}
                self.unless.add(entry)
                index = self.unless_word
            else:
                if self.any_of is _NO_WORDS:
                    self.any_of = {}
                index = self.any_of
            for word in shape[1]:
                index.setdefault(word, set()).add(entry)
        self.complex = bool(self.sure or self.any_of or self.unless or self.tests)

    def unfile(self, entry: _Indexed, anchor: Term) -> None:
        if not self.complex:
            return  # nothing was filed here but subscribers
        shape = _remainder(entry.query, anchor)
        if shape is None:
            self.tests = [test for test in self.tests if test[-1] is not entry]
        elif shape[0] == "sure":
            self.sure.discard(entry)
        else:
            self.unless.discard(entry)
            index = self.any_of if shape[0] == "any" else self.unless_word
            for word in shape[1]:
                filed = index[word]
                filed.discard(entry)
                if not filed:
                    del index[word]
        self.complex = bool(self.sure or self.any_of or self.unless or self.tests)


# Shared by every posting that has none (never added to: a posting makes its own first;
# discarding from them changes nothing).
_NO_ENTRIES: set[_Indexed] = set()
_NO_WORDS: dict[str, set[_Indexed]] = {}
_NO_TESTS: list[_Test] = []

_subscribers = attrgetter("subscribers")  # of an _Indexed

# What a document with a word reaches (see Matcher._reach): the subscribers listed flat in
# the postings of the word and of the prefixes it starts with, and those of these postings
# that need looking into.
_Reach = tuple[tuple[Hashable, ...], tuple[_Postings, ...]]
_NOTHING: _Reach = ((), ())
_flat = itemgetter(0)
_to_look_into = itemgetter(1)


class Matcher(Generic[SubscriptionId]):
    """An index of subscription queries that finds the ones an item matches.

    Subscriptions with the same query (by :attr:`~bot.core.query.Query.key`: many chats
    follow the same keyword) share one entry in the index, so the work per item follows the
    distinct queries it matches; their subscribers are gathered at the end.
    """

    def __init__(self) -> None:
        self._key_of: dict[SubscriptionId, str] = {}  # subscription -> query key
        self._entries: dict[str, _Indexed] = {}  # query key -> its entry in the index
        self._by_word: dict[str, _Postings] = {}
        self._by_short_prefix: dict[str, _Postings] = {}
        self._by_stem: dict[str, dict[str, _Postings]] = {}
        # word -> what a document with the word reaches. News repeats its words: most are
        # found here. What is filed under a key makes the words it reaches be found anew.
        self._reach: dict[str, _Reach] = {}
        # The source: values of the queries filed (with how many use each), and for each
        # source label seen, the values that name it.
        self._source_values: Counter[str] = Counter()
        self._named_by: dict[str, frozenset[str]] = {}
        # How many of the documents counted so far contain each word: anchors go to rare words.
        self._document_frequency: Counter[str] = Counter()
        self._counted = 0
        self._seen = 0

    def __len__(self) -> int:
        return len(self._key_of)

    # --- filing -------------------------------------------------------------------------

    def add(self, subscription: SubscriptionId, query: Query) -> None:
        """File *query* under *subscription*, replacing any query filed there before."""
        self.remove(subscription)
        key = query.key
        self._key_of[subscription] = key
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Indexed(query)
            entry.anchors = self._anchors_of(query)
            flat = all(_remainder(query, term) == _SURE for _, term in entry.anchors)
            for index_key, term in entry.anchors:
                postings = self._postings(index_key, create=True)
                if flat:
                    entry.flat += (postings,)  # its subscribers are listed there as they come
                else:
                    postings.file(entry, index_key, term)
                    self._forget(index_key)
            self._count_sources(query, +1)
        entry.subscribers += (subscription,)
        if entry.flat:
            for postings in entry.flat:
                postings.subscribers.append(subscription)
            for index_key, _ in entry.anchors:
                self._forget(index_key)

    def add_all(self, subscriptions: Iterable[tuple[SubscriptionId, Query]]) -> None:
        """File many queries (parsed lazily, if *subscriptions* is a generator)."""
        with collector_paused():
            for subscription, query in subscriptions:
                self.add(subscription, query)

    def remove(self, subscription: SubscriptionId) -> None:
        """Forget *subscription*; unknown ids are ignored."""
        key = self._key_of.pop(subscription, None)
        if key is None:
            return
        entry = self._entries[key]
        entry.subscribers = tuple(s for s in entry.subscribers if s != subscription)
        if entry.flat:
            for postings in entry.flat:
                postings.subscribers.remove(subscription)
            for index_key, _ in entry.anchors:
                self._forget(index_key)
        if entry.subscribers:
            return
        del self._entries[key]
        for index_key, term in entry.anchors:
            postings = self._postings(index_key, create=False)
            if not entry.flat:  # (a flat query's words were forgotten with its last subscriber)
                postings.unfile(entry, term)
                self._forget(index_key)
            if postings.is_empty():
                self._drop(index_key)
        self._count_sources(entry.query, -1)

    def _count_sources(self, query: Query, change: int) -> None:
        for value in (*query.sources, *query.excluded_sources):
            self._source_values[value] += change
            if not self._source_values[value]:
                del self._source_values[value]
            self._named_by.clear()

    def _postings(self, key: Key, *, create: bool) -> _Postings:
        kind, value = key
        if kind == "w":
            if create and value not in self._by_word:
                self._by_word[value] = _Postings()
            return self._by_word[value]
        if len(value) < _STEM:
            return (
                self._by_short_prefix.setdefault(value, _Postings())
                if create
                else self._by_short_prefix[value]
            )
        if create:
            return self._by_stem.setdefault(value[:_STEM], {}).setdefault(value, _Postings())
        return self._by_stem[value[:_STEM]][value]

    def _forget(self, key: Key) -> None:
        """Forget what the words that *key* stands for reach: what is filed there changed."""
        kind, value = key
        if kind == "w":
            self._reach.pop(value, None)
        else:  # every word that starts with the prefix: rare, and a walk over known words
            for word in [word for word in self._reach if word.startswith(value)]:
                del self._reach[word]

    def _drop(self, key: Key) -> None:
        """Remove an empty posting list from its index."""
        kind, value = key
        if kind == "w":
            del self._by_word[value]
            return
        if len(value) < _STEM:
            del self._by_short_prefix[value]
        else:
            stem = self._by_stem[value[:_STEM]]
            del stem[value]
            if not stem:
                del self._by_stem[value[:_STEM]]

    # --- choosing where to file a query -------------------------------------------------

    def observe(self, document: Document) -> None:
        """Count the words of *document*, so queries added later are filed under rare words.

        :meth:`match` observes every document; call this to teach the index before queries
        are added (with recently seen items, at start).
        """
        self._seen += 1
        if self._counted < FULL_COUNT or self._seen % SAMPLE_EVERY == 0:
            self._document_frequency.update(document.words)
            self._counted += 1

    def _cost(self, key: Key) -> float:
        """How often a key is expected in a document: the share of documents with it."""
        if self._counted < MIN_COUNTED:
            return _length_cost(key)
        kind, value = key
        # A prefix is taken to be as common as a tenth of all documents, at least.
        seen = self._document_frequency.get(value, 0) if kind == "w" else self._counted // 10
        return (seen + 1) / (self._counted + 1)

    def _anchors_of(self, query: Query) -> tuple[tuple[Key, Term], ...]:
        """Where to file *query*: the terms of the group a match is least often expected
        from, each with its key (every match contains one of them). A term is keyed by its
        rarest whole word, else by its prefix. A nested part offers the terms one of which
        every match of it contains (see :meth:`_anchor_terms`)."""
        options = [self._keyed(group) for group in query.groups]
        for part in query.nested:
            terms = self._anchor_terms(part)
            if terms is not None:
                options.append(self._keyed(terms))
        best = options[0] if len(options) == 1 else min(options, key=lambda a: sum(map(self._cost, a)))
        return tuple(best.items())

    def _keyed(self, terms: Iterable[Term]) -> dict[Key, Term]:
        anchors: dict[Key, Term] = {}
        for term in terms:
            whole = term.words[:-1] if term.prefix else term.words
            choices: list[Key] = [("w", word) for word in whole] or [("p", term.words[-1])]
            anchors.setdefault(min(choices, key=self._cost), term)
        return anchors

    def _anchor_terms(self, part: Part) -> list[Term] | None:
        """Terms one of which every document that *part* holds for contains (the rarest
        such choice), or None when there are none (a NOT, or an OR with a NOT in it)."""
        if isinstance(part, Term):
            return [part]
        if isinstance(part, Without):
            return None
        found = [self._anchor_terms(piece) for piece in part.parts]
        if isinstance(part, AnyOf):
            return None if None in found else [term for terms in found if terms for term in terms]
        assert isinstance(part, AllOf)
        options = [terms for terms in found if terms is not None]
        if not options:
            return None
        return min(options, key=lambda terms: sum(map(self._cost, self._keyed(terms))))

    # --- matching -----------------------------------------------------------------------

    def _reach_of(self, word: str) -> _Reach:
        reached = []
        own = self._by_word.get(word)
        if own is not None:
            reached.append(own)
        short = self._by_short_prefix.get(word[:MIN_PREFIX_CHARS])
        if short is not None:
            reached.append(short)
        bucket = self._by_stem.get(word[:_STEM])
        if bucket:
            reached += [postings for prefix, postings in bucket.items() if word.startswith(prefix)]
        if not reached:
            return _NOTHING
        flat = tuple(chain.from_iterable(postings.subscribers for postings in reached))
        return flat, tuple(postings for postings in reached if postings.complex)

    def _reached(self, words: set[str]) -> Sequence[_Reach]:
        """What each of *words* reaches; KeyError if one is not cached."""
        if len(words) > 1:
            # One C call for all the words: a third faster than map(self._reach.__getitem__)
            return itemgetter(*words)(self._reach)  # type: ignore[no-any-return]
        return [self._reach[word] for word in words]

    def _learn(self, words: set[str]) -> None:
        """Find and keep what each of *words* reaches."""
        reach = self._reach
        if len(reach) > _REACH_CACHE_LIMIT:
            reach.clear()
        for word in words.difference(reach):
            reach[word] = self._reach_of(word)

    def _named_sources(self, label: str) -> frozenset[str]:
        """The source: values in use that name the feed with this label."""
        named = self._named_by.get(label)
        if named is None:
            named = frozenset(value for value in self._source_values if source_matches(value, label))
            self._named_by[label] = named
        return named

    def match(self, document: Document) -> list[SubscriptionId]:
        """Return the subscriptions whose query *document* matches, each once (and count the
        document's words)."""
        self.observe(document)
        words = document.words
        try:
            reached = self._reached(words)
        except KeyError:  # words not met before (or since the cache was last cleared)
            self._learn(words)
            reached = self._reached(words)
        # Sets: words that start with the same prefix reach what is filed there each time.
        matched: list[SubscriptionId] = list(set(chain.from_iterable(map(_flat, reached))))
        hits = set(chain.from_iterable(map(_to_look_into, reached)))
        found: set[_Indexed] = set()
        undecided: list[tuple[_Indexed, Query]] = []
        joined: str | None = None
        named: frozenset[str] | None = None
        for postings in hits:  # the hot path: kept in one place, without calls
            if postings.sure:
                found |= postings.sure
            if postings.any_of:
                for word, entries in postings.any_of.items():
                    if word in words:
                        found |= entries
            if postings.unless:
                allowed = postings.unless
                for word, entries in postings.unless_word.items():
                    if word in words:
                        allowed = allowed - entries
                found |= allowed
            for necessary, banned, needles, sources, banned_sources, rest, entry in postings.tests:
                if not necessary <= words or not banned.isdisjoint(words):
                    continue
                if needles:
                    if joined is None:
                        joined = document.joined()
                    if not all(map(joined.__contains__, needles)) and not (
                        document.affixed and entry.has_phrases_in(document)
                    ):
                        continue
                if sources or banned_sources:
                    if named is None:
                        named = self._named_sources(document.source)
                    if (sources and sources.isdisjoint(named)) or not banned_sources.isdisjoint(named):
                        continue
                if rest is None:
                    found.add(entry)
                else:
                    undecided.append((entry, rest))
        if undecided:
            found.update(entry for entry, rest in undecided if entry not in found and matches(rest, document))
        matched += chain.from_iterable(map(_subscribers, found))
        return matched

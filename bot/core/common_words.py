"""Words too common to follow: a keyword made only of them would bring nearly every story.

Short lists of the most frequent function words (articles, conjunctions, prepositions,
pronouns, forms of "to be") of the languages the bot's readers and feeds write in: English,
Arabic, Sorani Kurdish, Persian, Urdu, and the others of the feed corpus (German, French,
Portuguese, Slovak, Hungarian, Greek, Russian, Ukrainian, Hindi). Chinese and Japanese are
left out: their keywords match as pairs of characters, and a single character only where it
stands alone.

A word is listed only when it means nothing else a reader might follow: "who" (the WHO),
"us", "may", "will" and "it" (IT) are not in the English list, nor German "war", "will",
"die" and "mit" (MIT), nor Hungarian "van", which are English words too. Words are folded as
keywords are (case, accents and letter variants aside), so "Für" is "fur" and "لە" is "له".
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.language import embed, ngettext, pgettext
from bot.core.query import AllOf, AnyOf, Part, Query, QueryError, Term, Without
from bot.core.words import words

__all__ = ["COMMON_WORDS", "check_not_too_common", "common_terms"]

_LISTS = {
    "en": """the a an and or not of to in on at for with by from as is are was were be been being
        this that these those he she they we you i his her their our its but if so than then
        there has have had do does did no into about also which what""",
    "ar": """في من على إلى الى عن و أن ان إن مع هذا هذه ذلك التي الذي الذين ما لا لم لن قد كان
        كانت بين بعد قبل أو او ثم هو هي هم كل عند حتى""",
    "ckb": """لە و بە بۆ کە ئەم ئەو ئەوە لەگەڵ یان لەسەر لەلایەن هەروەها دوای بوو هەیە نییە
        تا لەناو ئێمە ئەوان""",
    "fa": """در به از که این را با است برای آن یک تا هم بر می شد شده خود""",
    "ur": """کا کے کی ہے میں اور سے کو پر نے یہ وہ ہیں بھی ایک تھا تھی""",
    "hi": """का के की है में और से को पर ने यह वह हैं भी एक था थी""",
    "de": """der das und den dem des ein eine einer einen im ist nicht von zu auf für sich es
        auch sie er bei dass wie oder um nach""",
    "fr": """le la les de des du et un une en au aux dans pour par sur qui que ne pas est sont
        il elle ils se ce avec""",
    "pt": """o os as de da do das dos e em no na nos um uma para com por que se ao foi é""",
    "sk": """a v na je sa z so do to aj že ako by pre od o k s za si ale""",
    "hu": """a az és hogy nem is egy de ez volt csak már mint""",
    "el": """και το η ο της του να σε με για τα την των από οι στο στην""",
    "ru": """и в во не что он на я с со как а то все она так его но да к у же за бы по от из о
        для это""",
    "uk": """і й та в у на з із що не до за від як це а але про для по його""",
}

COMMON_WORDS: frozenset[str] = frozenset(
    folded for wordlist in _LISTS.values() for typed in wordlist.split() for folded in words(typed)
)


def _is_common(term: Term) -> bool:
    """A single word (or the start of one) that nearly every story in its language has. A
    phrase is not: even "of the" is a deliberate choice, and rarer than its words."""
    return len(term.words) == 1 and term.words[0] in COMMON_WORDS


def _narrows(part: Part) -> bool:
    """Whether every story the part matches has a word that is not a common one."""
    if isinstance(part, Term):
        return not _is_common(part)
    if isinstance(part, AllOf):
        return any(map(_narrows, part.parts))
    if isinstance(part, AnyOf):
        return all(map(_narrows, part.parts))
    return False


def _wanted(query: Query) -> Iterable[Part]:
    for group in query.groups:
        yield group[0] if len(group) == 1 else AnyOf(group)
    yield from (part for part in query.nested if not isinstance(part, Without))


def common_terms(query: Query) -> list[Term]:
    """The common words a query would match stories by when nothing else in it narrows them
    (``the``, ``the -football``, ``census OR the``: a story with "the" is enough), in the
    order written; empty when every match must have some other word (``the census``)."""
    if any(map(_narrows, _wanted(query))):
        return []
    found = [term for term in query.positive_terms if _is_common(term)]
    return list(dict.fromkeys(found))


def check_not_too_common(query: Query) -> None:
    """Raise :class:`QueryError` saying why, for a query made only of common words."""
    common = common_terms(query)
    if not common:
        return
    # Translators: what separates the keywords of a list ("census, oil prices").
    separator = pgettext("list", ", ")
    raise QueryError(
        # Translators: {words} lists very common words the reader's keyword is made of ("the, of").
        ngettext(
            "{words} is in nearly every story, so it would bring them all; "
            "add a word that says what you are after, e.g. Makhmour census",
            "{words} are in nearly every story, so they would bring them all; "
            "add a word that says what you are after, e.g. Makhmour census",
            len(common),
        ).format(words=separator.join(embed(query.written(term)) for term in common))
    )

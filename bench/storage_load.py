"""The chats and keywords bench/storage.py fills its databases with, and the work it asks for.

Keywords are what this bot's readers follow: English topic words drawn from real word
frequencies (wordfreq; a rank log-uniform between 500 and 60,000, as in bench/matching.py's
popular load), Arabic words from wordfreq's Arabic list (ranks 300 to 30,000), Sorani
words, and regional names in Latin script (with diacritics) and in Arabic script. A chat's
keyword is a single word (about 54%), two words of one script, a phrase in quotes, a word with an
-exclusion, two words joined by OR, a prefix (``elect*``), or a regional name with a
Sorani word. Each keyword is read by the bot's own parser and would be accepted by
/subscribe (none is made only of common words).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.common_words import check_not_too_common
from bot.core.query import QueryError
from bot.core.query_parser import parse_query

LATIN_RANKS = (500, 60_000)
ARABIC_RANKS = (300, 30_000)
SORANI = [
    "نەوت", "بودجە", "مووچە", "هەڵبژاردن", "کارەبا", "ئاو", "پێشمەرگە", "هەولێر", "سلێمانی",
    "کەرکووک", "دهۆک", "هەڵەبجە", "زاخۆ", "مەخموور", "قەرەچووغ", "خوێندکاران", "مامۆستایان",
    "نەخۆشخانە", "بازرگانی", "گومرگ", "بەنزین", "باران", "لافاو", "بوومەلەرزە", "سنوور",
    "پەرلەمان", "حکومەت", "دادگا", "ڕۆژنامەنووس", "کۆچبەران", "ئاوارە", "کشتوکاڵ", "گەنم",
]  # fmt: skip
REGIONAL = [
    "Makhmour", "Makhmūr", "Mexmûr", "Erbil", "Hewlêr", "Duhok", "Sulaimani", "Silêmanî", "Kirkuk",
    "Mosul", "Sinjar", "Qarachogh", "Peshmerga", "Kurdistan", "Baghdad", "Basra", "Halabja", "Zakho",
    "أربيل", "كوردستان", "الموصل", "مخمور", "السليمانية", "کەرکووک",
]  # fmt: skip
NAMES = [
    "Aram", "Shilan", "Karwan", "Rezan", "Dilan", "Hana", "Omar", "Layla", "Ahmed", "Sara", "John",
    "ئاراس", "شیلان", "کاروان", "هێمن", "ڕێزان", "دیلان", "أحمد", "ليلى", "عمر", "سارا",
]  # fmt: skip
GROUPS = ["News", "Newsroom", "هەواڵ", "أخبار", "Reporters", "Students", "کۆمەڵە"]
# Telegram's language codes of people who start the bot (None: not told).
USER_LANGUAGES = ["en", "en", "ar", "ar", "fa", "de", "tr", None]


@dataclass(frozen=True, slots=True)
class Chat:
    chat_id: int
    kind: str  # private, group or supergroup
    title: str
    language: str | None  # the language the chat chose (None: the bot's default)
    queries: tuple[str, ...]  # as the bot stores them


@dataclass(frozen=True, slots=True)
class Load:
    chats: list[Chat]  # in the database, the first *size* of them for each size
    subscribe: list[str]  # keywords added one at a time to chats of the database
    newcomers: list[tuple[Chat, str | None]]  # private chats that arrive, with their Telegram language


class Keywords:
    """Random keywords as the module docstring describes."""

    def __init__(self, rng: random.Random) -> None:
        try:  # (here: the measuring processes import this module for Chat alone)
            import wordfreq
        except ImportError:  # pragma: no cover
            raise SystemExit("this benchmark needs wordfreq: pip install -e '.[bench]'") from None
        self._rng = rng
        latin = [w for w in wordfreq.top_n_list("en", 80_000) if re.fullmatch(r"[a-z]+", w)]
        arabic = [w for w in wordfreq.top_n_list("ar", 40_000) if re.fullmatch(r"[\u0621-\u064a]{3,}", w)]
        self._latin, self._arabic = latin, arabic
        self._latin_weights = [wordfreq.word_frequency(w, "en") for w in latin[:5000]]

    def _ranked(self, words: list[str], ranks: tuple[int, int]) -> str:
        low, high = math.log(ranks[0]), math.log(min(ranks[1], len(words) - 1))
        return words[int(math.exp(self._rng.uniform(low, high)))]

    def latin(self) -> str:
        return self._ranked(self._latin, LATIN_RANKS)

    def arabic(self) -> str:
        return self._ranked(self._arabic, ARABIC_RANKS)

    def script(self) -> Callable[[], str]:
        """Where the words of one keyword come from: English, Arabic or Sorani."""
        roll = self._rng.random()
        if roll < 0.6:
            return self.latin
        if roll < 0.85:
            return self.arabic
        return lambda: self._rng.choice(SORANI)

    def _shape(self) -> str:
        rng, roll = self._rng, self._rng.random()
        if roll < 0.32:
            return self.latin()
        if roll < 0.46:
            return self.arabic()
        if roll < 0.54:
            return rng.choice(SORANI + REGIONAL)
        word = self.script()
        if roll < 0.66:
            return f"{word()} {word()}"
        if roll < 0.74:  # a topic and a common word that may follow it, or two Arabic words
            if rng.random() < 0.6:
                follower = rng.choices(self._latin[:5000], weights=self._latin_weights)[0]
                return f'"{self.latin()} {follower}"'
            return f'"{self.arabic()} {self.arabic()}"'
        if roll < 0.84:
            return f"{word()} -{word()}"
        if roll < 0.90:
            return f"{word()} OR {word()}"
        if roll < 0.94:
            stem = self.latin()
            return stem[: max(4, len(stem) - 3)] + "*"
        return f"{rng.choice(REGIONAL)} {rng.choice(SORANI)}"

    def keyword(self) -> str:
        """A keyword /subscribe accepts, as the bot stores it."""
        while True:
            try:
                query = parse_query(self._shape())
                check_not_too_common(query)
            except QueryError:
                continue
            return query.text


def make_load(chats: int, seed: int, *, subscribe: int, newcomers: int) -> Load:
    """*chats* chats of two keywords each, *subscribe* keywords to add to them, and
    *newcomers* chats that arrive with one or two keywords."""
    rng = random.Random(seed)
    keywords = Keywords(rng)
    used: set[int] = set()

    def new_chat(queries: int, language: Callable[[], str | None], groups: float = 0.15) -> Chat:
        kind = "private" if rng.random() >= groups else rng.choice(["group", "supergroup", "supergroup"])
        while True:  # ids as Telegram gives them: people positive, groups -100…
            chat_id = rng.randrange(10**8, 8 * 10**9)
            chat_id = chat_id if kind == "private" else -(10**12 + chat_id)
            if chat_id not in used:
                used.add(chat_id)
                break
        if kind == "private":
            title = f"{rng.choice(NAMES)} {rng.choice(NAMES)}"
        else:
            title = f"{rng.choice(GROUPS)} {rng.choice(REGIONAL)} {rng.randrange(1, 100)}"
        chosen: list[str] = []
        while len(chosen) < queries:
            text = keywords.keyword()
            if text not in chosen:
                chosen.append(text)
        return Chat(chat_id, kind, title, language(), tuple(chosen))

    def chosen_language() -> str | None:
        roll = rng.random()
        return "ckb" if roll < 0.4 else "ar" if roll < 0.6 else "en" if roll < 0.7 else None

    in_database = [new_chat(2, chosen_language) for _ in range(chats)]
    arriving = [  # people who start the bot in a private chat
        (new_chat(rng.randint(1, 2), lambda: None, groups=0), rng.choice(USER_LANGUAGES))
        for _ in range(newcomers)
    ]
    return Load(in_database, [keywords.keyword() for _ in range(subscribe)], arriving)

"""The careful reader's yardstick: keywords found as a reader of each script would find them."""

from __future__ import annotations

import pytest

from tests.quality.careful_reading import reader_finds


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("census", "The Census, at last."),
        ("Erdoğan", "President Recep Tayyip Erdogan said"),
        ("Erdogan", "ERDOĞAN"),
        ("Makhmur", "in Makhmūr camp"),
        ("الموصل", "معارك والموصل"),  # the conjunction written onto the word
        ("موصل", "في بالموصل"),  # a preposition and the article
        ("الموصل", "للموصل"),  # li + al contracted
        ("أربيل", "اربيل"),  # alef with and without hamza
        ("امریکه", "امریکہ کے ساتھ"),  # Persian heh, Urdu heh goal
        ("كركوك", "کرکوک"),  # Arabic kaf, keheh
        ("特斯拉", "特斯拉当日市值"),  # Chinese inside a run
        ("東京", "勤務地: 東京（赤坂）"),
        ("iPhone", "苹果增产iPhone，明年"),  # a Latin word set in Chinese
        ("ёлка", "елка"),  # ё is written е
        ("оренбург*", "ЧОПовцы в Оренбурге"),
        ("Ελλάδα", "ΕΛΛΑΔΑ"),
        ("καραντίνα*", "της καραντίνας"),
        ("बैठक", "के साथ बैठक करेंगे."),
        ("oil prices", "Prices of oil fell"),  # words in any order
        ('"oil prices"', "oil prices fell"),
    ],
)
def test_the_reader_finds_the_keyword(keyword: str, text: str) -> None:
    assert reader_finds(keyword, text)


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("Kurd", "Kurdistan"),  # whole words
        ("ISIS", "a crisis"),
        ("мой", "мои"),  # й is not и
        ("Київ", "на Киів"),  # ї is not і
        ("बैठक", "बठक"),  # vowel signs are part of the word
        ("trump", "Trumps"),
        ('"oil prices"', "prices of oil"),
        ("特斯拉", "特斯"),
        ("موصل", "موصلات"),  # a longer word, not a clitic
        ("", "anything"),
    ],
)
def test_the_reader_does_not_find_another_word(keyword: str, text: str) -> None:
    assert not reader_finds(keyword, text)

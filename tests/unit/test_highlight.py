"""Matched words in bold where they stand: clitics, Chinese and Japanese runs, joined letters."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.formatting import highlight, to_plain_text
from bot.core.query_parser import parse_query


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # as before: folded words, phrases joined by spaces or hyphens, prefixes
        ('Makhmur "oil prices" cens*', "The Makhmūr camp & <census> on oil-prices",
         "The <b>Makhmūr</b> camp &amp; &lt;<b>census</b>&gt; on <b>oil-prices</b>"),
        ('"oil prices" kurd*', "oil rose; prices fell; oil prices; Kurdish",
         "oil rose; prices fell; <b>oil prices</b>; <b>Kurdish</b>"),
        # a Chinese or Japanese keyword inside a longer run: just the keyword
        ("特斯拉", "特斯拉汽车发布新车，特斯拉", "<b>特斯拉</b>汽车发布新车，<b>特斯拉</b>"),
        ("東京", "今日の東京都は晴れ", "今日の<b>東京</b>都は晴れ"),
        ("バス", "ﾊﾞｽ停で", "<b>ﾊﾞｽ</b>停で"),
        ("iPhone 发布会", "苹果iPhone发布会", "苹果<b>iPhone发布会</b>"),
        # the stem of an Arabic-script word when the letter before the cut does not join
        # the next one (و, ر...), else the whole written word
        ("الموصل", "معارك والموصل اليوم", "معارك و<b>الموصل</b> اليوم"),
        ("الموصل", "معارك بالموصل اليوم", "معارك <b>بالموصل</b> اليوم"),
        ("الموصل", "معارك للموصل اليوم", "معارك <b>للموصل</b> اليوم"),
        ("موصل", "معارك والموصل اليوم", "معارك <b>والموصل</b> اليوم"),
        ("هەولێر", "لە هەولێرەوە بۆ", "لە <b>هەولێر</b>ەوە بۆ"),
        ("کەرکووک", "لە کەرکووکدا", "لە <b>کەرکووکدا</b>"),
        ("هەڵەبجە", "لە هەڵەبجەدا", "لە <b>هەڵەبجە</b>دا"),  # ە does not join what follows
        ("مَخْمُور", "في ومَخْمُورِ", "في و<b>مَخْمُورِ</b>"),  # the harakat go with their letters
        ("موص*", "والموصلية", "<b>والموصلية</b>"),
        ("مال", "شمال", "شمال"),
    ],
)  # fmt: skip
def test_highlight(query: str, text: str, expected: str):
    assert highlight(text, parse_query(query).positive_terms) == expected


# A tag between two Arabic-script letters that join each other: a letter that joins the
# next one (not one of the right-joining letters), then a tag, then a letter.
_SPLIT_JOIN = re.compile(
    "[\u0626\u0628\u062a-\u062e\u0633-\u0647\u0649\u064a\u067e\u0686\u06a9\u06af\u06b5\u06cc\u06ce]"
    "[\u064b-\u065f]*</?b>[\u0600-\u06ff]"
)
ARABIC_SCRIPT = ["والموصل", "بالموصل", "للموصل", "کەرکووکدا", "هەولێرەوە", "کەرکووکیش", "لأربيل", "بكركوك",
                 "وكركوك", "شارەکەدا", "هێرشەکانیشدا", "ومَخْمُورِ", "ھەولێری"]  # fmt: skip
KEYWORDS = ["الموصل", "موصل", "کەرکووک", "هەولێر", "أربيل", "كركوك", "شار", "هێرش", "مخمور", "موص*", "کەرک*"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ARABIC_SCRIPT), min_size=1, max_size=6), st.sampled_from(KEYWORDS))
def test_tags_never_split_joined_letters_and_the_text_stays_whole(written: list[str], keyword: str):
    text = " ".join(written)
    html = highlight(text, parse_query(keyword).positive_terms)
    assert to_plain_text(html) == text
    assert not _SPLIT_JOIN.search(html)

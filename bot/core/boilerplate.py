"""Boilerplate that feeds add around a story's text, and how it is removed.

A reader's alert should show the story, not "Continue reading...", "Read full article >>",
"The post … appeared first on …", Reddit's "submitted by /u/… [link] [comments]", a
Hacker News summary that is only "Comments", or a photo credit. These are removed from the
head and tail of summaries and full texts, by the documented lists below (each was met in
real feeds, or is the same phrase in another language the bot's readers read). Text in the
middle of a story is never touched, so a story *about* a photo credit keeps its words.
"""

from __future__ import annotations

import re

__all__ = ["strip_boilerplate"]

# "Read more" links at the end, in the languages of the bot's readers and feeds.
_READ_MORE = (
    r"continue reading|keep reading|read (?:the )?(?:full|whole|rest of the) (?:article|story|post)"
    r"|read (?:the )?full article|read more|read on|learn more|more|full story"
    r"|weiterlesen|mehr lesen|lire la suite|lire l'article|leia mais|leer más|sigue leyendo"
    r"|continua a leggere|читать далее|подробнее|читати далі|докладніше"
    r"|اقرأ المزيد|اقرأ أيضا|تابع القراءة|ادامه مطلب|بیشتر بخوانید|مزید پڑھیں"
    r"|زیاتر بخوێنەوە|درێژەی هەواڵ|阅读全文|阅读更多|続きを読む|आगे पढ़ें|और पढ़ें"
)
# A tail stands alone after the story's last sentence: "…contempt. Continue reading...",
# never inside one: "Visit the site to learn more." keeps its words.
_AFTER_SENTENCE = r"(?:(?<=[.!?…»\"”)\]。！？؟])|^)\s*(?:[|:–—-]\s*)?"
_TAILS = (
    # "Continue reading...", "Read full article >>", "Learn more", "Leia mais (09/24/2018 - 19h22)"
    re.compile(
        rf"{_AFTER_SENTENCE}(?:{_READ_MORE})\s*(?:[.…»>→›]+\s*)*(?:\([^()]{{0,40}}\))?\s*$",
        re.IGNORECASE,
    ),
    # WordPress: "The post <title> appeared first on <site>."
    re.compile(r"\s*The post .{1,400}? appeared first on .{1,200}?\.?\s*$", re.IGNORECASE | re.DOTALL),
    # Reddit: "submitted by /u/name to r/sub [link] [comments]"
    re.compile(r"\s*submitted by\s+/?u/\S+(?:\s+to\s+/?r/\S+)?\s*\[link\]\s*\[comments\]\s*$", re.IGNORECASE),
    # Hacker News: "Article URL: … Comments URL: … Points: 12 # Comments: 3", or just "Comments".
    re.compile(
        r"\s*(?:Article URL:\s*\S+\s*)?Comments URL:\s*\S+(?:\s*Points:\s*\d+)?(?:\s*# Comments:\s*\d+)?\s*$"
    ),
    re.compile(r"^\s*Comments\s*$"),
    # Photo credits: "Image credits: …", "Photo: Reuters", "图片来源：视觉中国", "题图来源：…"
    re.compile(
        _AFTER_SENTENCE + r"(?:image credits?|photo(?:graph)? credits?|photos?|pictures?|credits?"
        r"|bildquelle|foto)\s*:\s*[^.!?\n]{1,80}$",
        re.IGNORECASE,
    ),
    re.compile(r"[\s|]*(?:题图|图片|图|封面)(?:来源|来自)\s*[:：]\s*[^。!?\n]{1,40}$"),
    # A cut marker left by the feed: "[…]", "[...]", "(…)", "[?]"
    re.compile(r"\s*[\[(](?:…|\.\.\.|\?)[\])]\s*$"),
    # Podcast hosts: "See omnystudio.com/listener for privacy information."
    re.compile(r"\s*See \S+ for privacy information\.?\s*$", re.IGNORECASE),
)
# Chinese outlets' closing line: "本文由极客公园 GeekPark 原创发布，转载请…"
_REPRINT = re.compile(r"\s*本文由.{1,40}?(?:原创|首发|发布).{0,80}$")
_HEADS = (
    # A caption or credit ahead of the story: "| 视觉中国 …", "Photo: Reuters."
    re.compile(r"^\s*\|\s*[^|.。!?]{1,40}?(?=\s)"),
)


def strip_boilerplate(text: str) -> str:
    """*text* without the boilerplate listed above at its head or tail (repeatedly, as a
    tail may hide another: "… Learn more. Image credits: …")."""
    previous = None
    while previous != text:
        previous = text
        for pattern in (*_TAILS, _REPRINT):
            text = pattern.sub("", text)
        for pattern in _HEADS:
            text = pattern.sub("", text)
        text = text.strip()
    return text

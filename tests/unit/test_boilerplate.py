"""Boilerplate around a story's text goes; the story's own words stay."""

from __future__ import annotations

import pytest

from bot.core.boilerplate import strip_boilerplate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trump has promised a wall. Continue reading...", "Trump has promised a wall."),
        ("Trump has promised a wall. Continue reading…", "Trump has promised a wall."),
        ("Free. Registration required. Read full article >>", "Free. Registration required."),
        ("Supporting more than 280... Learn more", "Supporting more than 280..."),
        (
            "além de senadores por São Paulo. Leia mais (09/24/2018 - 19h22)",
            "além de senadores por São Paulo.",
        ),
        ("A new release is out. The post Slack 4.0 appeared first on Example News.", "A new release is out."),
        ("submitted by /u/homelabber to r/homelab [link] [comments]", ""),
        ("My rack, finally. submitted by /u/someone [link] [comments]", "My rack, finally."),
        ("Comments", ""),
        (
            "Article URL: https://x.org/a Comments URL: https://news.ycombinator.com/item?id=1"
            " Points: 12 # Comments: 3",
            "",
        ),
        (
            "The robots shown in Tokyo. Image credits: top Google; second Brian Shih",
            "The robots shown in Tokyo.",
        ),
        ("特斯拉发布新车。编辑：靖宇 题图来源：视觉中国", "特斯拉发布新车。编辑：靖宇"),
        (
            "特斯拉发布新车。本文由极客公园 GeekPark 原创发布，转载请添加极客君微信 geekparker。",
            "特斯拉发布新车。",
        ),
        ("Um texto cortado aqui [...]", "Um texto cortado aqui"),
        ("بدأ التعداد في مخمور. اقرأ المزيد", "بدأ التعداد في مخمور."),
        ("سەرژمێری لە مەخموور دەستی پێکرد. زیاتر بخوێنەوە", "سەرژمێری لە مەخموور دەستی پێکرد."),
    ],
)
def test_boilerplate_is_removed(text: str, expected: str):
    assert strip_boilerplate(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Visit the site to learn more.",
        "Prices rose, and more.",
        "Officials read more than 300 letters.",
        "In the photos: the mayor and the governor",
        "The comments section was closed after the census.",
        "Continue reading the census forms, officials told residents in Makhmour.",
    ],
)
def test_the_story_keeps_its_words(text: str):
    assert strip_boilerplate(text) == text

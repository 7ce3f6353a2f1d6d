"""Long Telegram HTML split into messages Telegram accepts, cut where a reader expects."""

from __future__ import annotations

import re

import pytest

from bot.core.formatting import split_message, to_plain_text, visible_length


def balanced(html: str) -> bool:
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z-]+)[^>]*>", html):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_a_message_that_fits_is_left_alone():
    assert split_message("<b>short</b>\nline") == ["<b>short</b>\nline"]


def test_a_long_list_is_cut_at_line_breaks_and_loses_nothing():
    lines = [f"{n}. <code>{'keyword ' * 8}{n}</code>" for n in range(1, 151)]
    message = "<b>Your subscriptions</b>\n" + "\n".join(lines)
    parts = split_message(message, limit=1000)
    assert len(parts) > 1
    assert all(visible_length(part) <= 1000 for part in parts)
    assert all(balanced(part) for part in parts)
    shown = "\n".join(to_plain_text(part) for part in parts)
    for n in range(1, 151):
        assert f"\n{n}. keyword" in "\n" + shown, n
    assert all(part.split("\n")[-1].endswith("</code>") for part in parts), "no line is cut in two"


def test_tags_open_at_a_cut_are_closed_and_opened_again():
    message = '<a href="https://example.org/x?a=1&amp;b=2"><b>' + "word " * 500 + "</b></a>"
    parts = split_message(message, limit=600)
    assert len(parts) >= 4
    for part in parts:
        assert balanced(part)
        assert part.startswith('<a href="https://example.org/x?a=1&amp;b=2"><b>')
        assert part.endswith("</b></a>")
        assert visible_length(part) <= 600
    assert "".join(to_plain_text(p) for p in parts).split() == ["word"] * 500


@pytest.mark.parametrize("text", ["😀" * 3000, "ک" * 9000, "x" * 10_000])
def test_length_is_counted_as_telegram_counts_it(text: str):
    parts = split_message(text)
    assert all(visible_length(part) <= 4096 for part in parts)
    assert "".join(parts) == text
    assert len(parts) == -(-len(text.encode("utf-16-le")) // 2 // 4096)


def test_entities_count_as_the_character_they_stand_for():
    message = "&lt;" * 5000
    parts = split_message(message)
    assert [visible_length(p) for p in parts] == [4096, 904]
    assert all("&l" not in p.replace("&lt;", "") for p in parts), "no entity is cut in two"

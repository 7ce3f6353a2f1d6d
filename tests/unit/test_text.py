"""Plain text from markup, and cutting at word boundaries."""

from __future__ import annotations

import pytest

from bot.core.text import html_to_text, truncate


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("<p>One</p><p>Two</p>", "One Two"),
        ("Line<br>break", "Line break"),
        ("Tom &amp; Jerry &lt;3 &#8220;quoted&#8221; &eacute;", "Tom & Jerry <3 “quoted” é"),
        ("<script>alert(1)</script>Visible<style>p{}</style>", "Visible"),
        ("  lots \n\n of\t space  ", "lots of space"),
        ("<img src=x onerror=alert(1)>caption", "caption"),
        ("<div>unclosed <b>tags", "unclosed tags"),
        ("a < b and c > d", "a < b and c > d"),
        ("", ""),
    ],
)
def test_html_to_text(markup: str, expected: str):
    assert html_to_text(markup) == expected


def test_truncate_keeps_short_text():
    assert truncate("short", 10) == "short"


def test_truncate_cuts_at_a_word_boundary_with_an_ellipsis():
    text = "The census of the camp began on Sunday and will take two weeks"
    cut = truncate(text, 30)
    assert len(cut) <= 30
    assert cut.endswith("…")
    assert text.startswith(cut[:-1])
    assert cut[:-1].split()[-1] in text.split()


def test_truncate_prefers_a_sentence_end():
    text = "First sentence is here. Second sentence goes on and on and on."
    assert truncate(text, 30) == "First sentence is here."
    assert truncate(text, 60).endswith("…"), "an early sentence end is not worth losing most of the room"


def test_truncate_cuts_a_single_long_word_hard():
    assert truncate("x" * 50, 10) == "x" * 9 + "…"

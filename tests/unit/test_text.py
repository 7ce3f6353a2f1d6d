"""Plain text from markup, and cutting at word boundaries."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import (
    MAX_MARKUP_CHARS,
    _TextExtractor,
    collapse_whitespace,
    html_to_text,
    join_paragraphs,
    plain_to_text,
    truncate,
)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("<p>One</p><p>Two</p>", "One. Two"),  # a paragraph ends a sentence
        ("<p>One.</p><p>Two</p>", "One. Two"),
        ("<p>He said:</p><p>no</p>", "He said: no"),
        ("<p>“Go,” she said”</p><p>Then</p>", "“Go,” she said” Then"),
        (
            "<p>thinly disguised contempt</p>\n<p>Donald Trump has promised</p>",
            "thinly disguised contempt. Donald Trump has promised",
        ),
        ("<li>PERC H730</li><li>2x Intel</li>", "PERC H730. 2x Intel"),
        ("<p>勤務地: 東京</p><p>職種: エンジニア</p>", "勤務地: 東京。職種: エンジニア"),
        ("<p>بدأ التعداد في مخمور</p><p>وقال المسؤولون</p>", "بدأ التعداد في مخمور. وقال المسؤولون"),
        ("Line<br>break", "Line. break"),
        ("<figure><img src=x><figcaption>| 视觉中国</figcaption></figure><p>特斯拉</p>", "特斯拉"),
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


def test_plain_text_paragraphs_are_blank_lines():
    assert (
        plain_to_text("One line\nwrapped here\n\n  Second paragraph")
        == "One line wrapped here. Second paragraph"
    )


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


# --- hostile markup ---------------------------------------------------------------------

# Each repeated with no ">" after it: html.parser (Python 3.11.7) scanned to the end of the
# input again for every one of them when closing, so 36 KB of "<a " took 17 s and 1 MB would
# have taken hours. Nothing in them can end, so all of it is text.
UNENDED = ["<a ", "</a ", "<!--", "<![CDATA[", "<?", "<!x", "<a x=", "<a/", "<a b='", "<a\t", "<<a"]


@pytest.mark.parametrize("size", [36_000, 1_000_000])
@pytest.mark.parametrize("piece", UNENDED)
def test_markup_that_never_ends_is_read_once_as_text(piece: str, size: int):
    markup = "Lead " + piece * (size // len(piece))
    assert html_to_text(markup) == collapse_whitespace(markup[:MAX_MARKUP_CHARS])


def test_only_the_first_part_of_huge_markup_is_read():
    text = html_to_text("<p>" + "word " * 100_000 + "</p>")
    assert len(text) < MAX_MARKUP_CHARS and text.startswith("word word")


def test_an_unended_construct_is_text_and_what_follows_it_is_parsed():
    assert html_to_text("Start <!-- never closed <b>bold</b> <script>x()</script>end") == (
        "Start <!-- never closed <b>bold end"
    )
    # a summary cut inside its last tag, as some feeds send them
    assert html_to_text('<p>One</p> two <a href="https://exa') == 'One. two <a href="https://exa'


def _close_as_python_does(markup: str) -> str:
    """The reference: html.parser's own close(), quadratic on hostile input, fine on short."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return join_paragraphs("".join(extractor.parts))


PIECES = [
    "<a ", "<b>", "</b>", "<p>", "</p>", "<br/>", "<script>", "</script>", "<style>", "</SCRIPT >",
    "<iframe>", "</iframe>", "<!--", "-->", "-- >", "<!", "<?", "<!DOCTYPE", "<![CDATA[", "]]>",
    "<![if x]>", ">", "<", "</", "</ p>", "</a x>", "=", "x", " ", "\n", "/", "&amp;", "&", "&lt;",
    "&#", "&#60;", "<A HREF=x>",
]  # fmt: skip


@pytest.mark.skipif(
    sys.version_info[:3] != (3, 11, 7),
    reason="compares with html.parser's end-of-input handling as Python 3.11.7 has it",
)
@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join))
def test_the_linear_reading_gives_what_html_parser_gives(markup: str):
    """Without quoted attribute values (where a tag now ends at the first ">"), the text is
    the one Python's html.parser gives when it closes the input itself."""
    assert html_to_text(markup) == _close_as_python_does(markup)

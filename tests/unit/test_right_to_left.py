"""Right-to-left messages that embed Latin keywords, feed names, numbers and addresses: the
structure of the text Telegram lays out (not pixels). In a Sorani or Arabic message, every
embedded run is isolated (FSI … PDI), each line the bot writes reads right to left from its
start, and the story's own title and excerpt are left as the feed wrote them."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pytest

from bot.core.formatting import DigestStory, digest_header, format_alert, format_digest, with_also
from bot.core.items import Item
from bot.core.language import RTL_LANGUAGES, in_direction, speaking
from bot.core.query_parser import parse_query

FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"
ITEM = Item(
    feed="Rudaw English",
    key="k1",
    title="Census teams reach Makhmour camp",
    link="https://www.rudaw.net/english/census-2026?x=1",
    summary="Counting began in Makhmour camp on Sunday, 12 days after the census started.",
    published=datetime(2026, 1, 5, 8, 30, tzinfo=UTC),
)


def outside_isolates(line: str) -> str:
    """The line without its isolated runs and HTML tags: what the line itself says."""
    line = re.sub(f"{FSI}[^{PDI}]*{PDI}", "", line)
    return re.sub(r"<[^>]+>", "", line)


def first_strong(text: str) -> str | None:
    """The bidi class of the first strong letter (L, R or AL), skipping isolated runs, as the
    Unicode bidi algorithm finds a paragraph's direction (rule P2)."""
    depth = 0
    for char in text:
        if char == FSI:
            depth += 1
        elif char == PDI:
            depth = max(0, depth - 1)
        elif depth == 0 and unicodedata.bidirectional(char) in ("L", "R", "AL"):
            return unicodedata.bidirectional(char)
    return None


def bot_lines(html: str) -> list[str]:
    """The lines the bot wrote itself (not the story's title or excerpt)."""
    story_text = {ITEM.title, ITEM.summary}
    lines = []
    for line in html.split("\n"):
        plain = re.sub(r"<[^>]+>", "", line)
        if plain.strip() and plain not in story_text:
            lines.append(line)
    return lines


@pytest.mark.parametrize("language", sorted(RTL_LANGUAGES))
def test_an_alert_in_a_right_to_left_language(language: str):
    queries = [parse_query("Makhmour"), parse_query("census -football")]
    with speaking(language):
        html = with_also(format_alert(ITEM, queries, tz=UTC), ["Kurdistan24", "Shafaq News"])
    lines = html.split("\n")
    assert re.sub(r"<[^>]+>", "", lines[0]) == ITEM.title, "the title keeps its own words and direction"
    assert FSI not in lines[0]
    for line in bot_lines(html):
        assert not re.search(r"[A-Za-z]", outside_isolates(line)), f"an embedded run not isolated: {line!r}"
        plain = re.sub(r"<[^>]+>", "", line)
        assert plain.startswith(RLM) or first_strong(plain) in ("R", "AL"), f"reads left to right: {line!r}"
    assert f"{FSI}Rudaw English{PDI}" in html
    assert f"{FSI}<code>Makhmour</code>{PDI}" in html


@pytest.mark.parametrize("language", sorted(RTL_LANGUAGES))
def test_a_digest_in_a_right_to_left_language(language: str):
    with speaking(language):
        header = digest_header(2, reason="daily")
        html = format_digest(
            [DigestStory(ITEM, ("census",), ()), DigestStory(ITEM, ("Makhmour",), ("Kurdistan24",))],
            header=header,
            tz=UTC,
        )
    for line in html.split("\n"):
        plain = re.sub(r"<[^>]+>", "", line)
        if not plain.strip():
            continue
        assert not re.search(r"[A-Za-z]", outside_isolates(line)), f"an embedded run not isolated: {line!r}"
        rtl = plain.startswith(RLM) or first_strong(plain) in ("R", "AL", None)
        assert rtl, f"reads left to right: {line!r}"


def test_english_has_no_marks():
    with speaking("en"):
        html = format_alert(ITEM, [parse_query("Makhmour")], tz=UTC)
    assert not {FSI, PDI, RLM} & set(html)


@pytest.mark.parametrize("language", sorted(RTL_LANGUAGES))
def test_a_reply_line_that_opens_with_a_command_is_laid_out_right_to_left(language: str):
    reply = "/digest — <code>/digest daily 08:00</code> ملخص\n⁨census⁩ مطابقة\n<b>Census</b> ملخص\nملخص census"
    with speaking(language):
        lines = in_direction(reply).split("\n")
    assert [line.startswith(RLM) for line in lines] == [True, False, True, False]
    with speaking("en"):
        assert in_direction(reply) == reply

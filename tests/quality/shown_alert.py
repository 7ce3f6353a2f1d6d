"""An alert as Telegram shows it: its parts, read back from the HTML the bot sent.

The bot's alert is, line by line: the title; the excerpt (the summary, matched words in
bold); an empty line; ``<i>source · date</i>``; a link ``Read on host``; ``Matched: …``
with each keyword in ``<code>``. The reading here leans on that shape as little as it can
(the first line is the title, the lines up to the empty one are the excerpt, the italic
line is the source and date, the first ``href`` is the link, the ``<code>`` parts of the
line that starts with "Matched" are the keywords), so a reworded alert still reads.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["ShownAlert", "Span", "read_alert", "spans"]

_TAG = re.compile(r"<[^>]*>")
_HREF = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.S)
_CODE = re.compile(r"<code>(.*?)</code>", re.S)
_ITALIC_LINE = re.compile(r"^\s*<i>(.*)</i>\s*$", re.S)


def _text(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment))


@dataclass(frozen=True, slots=True)
class Span:
    """A run of an alert line's text and the tags around it (``("b",)`` for bold)."""

    text: str
    tags: tuple[str, ...]


class _Spans(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.found: list[Span] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        self.found.append(Span(data, tuple(self.open)))


def spans(fragment: str) -> list[Span]:
    """The text of a Telegram HTML fragment in runs, each with its enclosing tags."""
    parser = _Spans()
    parser.feed(fragment)
    parser.close()
    return parser.found


@dataclass(frozen=True, slots=True)
class ShownAlert:
    """What a reader sees of one alert message (texts decoded, tags dropped), plus the
    HTML of the title and excerpt (to see what is bold)."""

    chat_id: int
    html: str
    title: str
    title_html: str
    excerpt: str
    excerpt_html: str
    source: str
    shown_date: str  # as written in the message, "" when there is none
    link: str
    link_label: str
    matched: tuple[str, ...]

    @property
    def visible_text(self) -> str:
        return f"{self.title}\n{self.excerpt}"


def read_alert(chat_id: int, message: str) -> ShownAlert:
    """Read the parts of one alert message (see the module docstring)."""
    lines = message.split("\n")
    title_html = lines[0] if lines else ""
    body: list[str] = []
    rest_at = len(lines)
    for index, line in enumerate(lines[1:], start=1):
        if not line.strip():
            rest_at = index + 1
            break
        body.append(line)
    rest = lines[rest_at:]
    source, shown_date = "", ""
    for line in rest:
        italic = _ITALIC_LINE.match(line)
        if italic:
            source, _, shown_date = _text(italic.group(1)).partition(" · ")
            break
    link, label = "", ""
    found = _HREF.search("\n".join(rest))
    if found:
        link, label = html.unescape(found.group(1)), _text(found.group(2))
    matched: tuple[str, ...] = ()
    for line in rest:
        if line.startswith("Matched"):
            matched = tuple(html.unescape(code) for code in _CODE.findall(line))
    excerpt_html = "\n".join(body)
    return ShownAlert(
        chat_id=chat_id,
        html=message,
        title=_text(title_html),
        title_html=title_html,
        excerpt=_text(excerpt_html),
        excerpt_html=excerpt_html,
        source=source.strip(),
        shown_date=shown_date.strip(),
        link=link,
        link_label=label,
        matched=matched,
    )

"""Plain text from feed markup, and cutting text to a length without breaking words."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["collapse_whitespace", "html_to_text", "truncate"]

_WHITESPACE = re.compile(r"\s+")

# Elements whose content is never text a reader should see.
_HIDDEN = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "head"})

# Elements that end a line of text: a space keeps their words apart once tags are gone.
_BREAKING = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th",
        "tr", "ul",
    }
)  # fmt: skip


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML fragment (entities decoded by the parser)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden_depth += 1
        elif tag in _BREAKING:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKING:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BREAKING:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def collapse_whitespace(text: str) -> str:
    """Replace every run of whitespace with one space and trim the ends."""
    return _WHITESPACE.sub(" ", text).strip()


def html_to_text(markup: str) -> str:
    """Return the visible text of an HTML fragment as one line.

    Tags, scripts and styles are dropped, entities decoded and whitespace collapsed.
    Never raises: markup too broken to parse yields its entity-decoded characters.
    """
    if "<" not in markup and "&" not in markup:
        return collapse_whitespace(markup)
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.close()
    except Exception:  # html.parser is lenient, but a text must never stop an item
        return collapse_whitespace(html.unescape(re.sub(r"<[^>]*>", " ", markup)))
    return collapse_whitespace("".join(extractor.parts))


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut *text* to at most *limit* characters at a word boundary, marking the cut.

    A cut prefers the end of a sentence when one falls in the last third of the
    allowed length, else the last space; a single word longer than the limit is cut hard.
    """
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[:limit]
    head = text[: room + 1]
    sentence_end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if sentence_end >= room * 2 // 3:
        return head[: sentence_end + 1]
    space = head.rfind(" ")
    if space > room // 2:
        return head[:space].rstrip(" ,;:-–—") + ellipsis
    return head[:room] + ellipsis

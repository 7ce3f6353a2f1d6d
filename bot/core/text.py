"""Plain text from feed markup, and cutting text to a length without breaking words."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = [
    "MAX_MARKUP_CHARS",
    "PARAGRAPH",
    "collapse_whitespace",
    "html_to_text",
    "join_paragraphs",
    "plain_to_text",
    "strip_bidi_controls",
    "strip_controls",
    "truncate",
]

_WHITESPACE = re.compile(r"\s+")

# Markup read per text: far more than the longest text kept (an item's full text is cut to
# 20,000 characters), even for articles with ten times more markup than text.
MAX_MARKUP_CHARS = 200_000

# Elements whose content is never text a reader should see; a photo's caption and credit
# ("| 视觉中国") are not the story either, and must not make it match.
_HIDDEN = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "svg", "head", "figcaption"}
)

# Elements that end a paragraph or line: their text ends a sentence once tags are gone.
_BREAKING = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th",
        "tr", "ul",
    }
)  # fmt: skip

# Where a paragraph ends, while the text is put together (see join_paragraphs).
PARAGRAPH = "\u2029"
# Text that already ends a sentence, so the next paragraph follows after a space.
_SENTENCE_END = tuple('.!?…:;。！？؟»"”’)]')
_CJK_END = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]$")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


# Reading what html.parser left (see _TextExtractor.finish), as html.parser reads it.
_TAG_NAME = re.compile(r"[a-zA-Z][^\t\n\r\f />\x00]*")
_END_TAG_NAME = re.compile(r"\s*([a-zA-Z][-.a-zA-Z0-9:_]*)\s*")
_COMMENT_END = re.compile(r"--\s*>")
_SECTION_END = re.compile(r"]\s*]\s*>")  # <![CDATA[ ... ]]>
_MS_SECTION_END = re.compile(r"]\s*>")  # <![if ...]>, as Microsoft Word writes them
_SECTION_NAME = re.compile(r"[a-zA-Z][-_.a-zA-Z0-9]*")
_ANY_TAG = re.compile(r"<[^<>]*>")  # never scans past the next "<": linear
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


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
            self.parts.append(PARAGRAPH)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKING:
            self.parts.append(PARAGRAPH)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BREAKING:
            self.parts.append(PARAGRAPH)

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)

    def finish(self) -> None:
        """Handle what :meth:`feed` left unparsed, in time linear in its length.

        ``feed`` stops at the first construct it cannot complete (a tag, comment or
        declaration with no end) and keeps the rest. ``close()`` (Python 3.11.7) then passes
        that construct on as text up to the next ``>`` (or, with none, the next ``<``) and
        parses again from there; but finding out that a construct has no end scans to the
        end of the input (a start tag's attribute names may hold ``<``; comments and
        sections search for their end), and each ``<`` of the rest is scanned again, so
        ``"<a " * 12000`` cost 17 s. This reads the rest as ``close()`` would, except that
        a tag ends at the next ``>`` even inside a quoted attribute value, and it finds each
        ``>`` and each end of a comment or section once.
        """
        rest, self.rawdata = self.rawdata, ""
        if not rest or self.cdata_elem:  # inside an unclosed script or style: not text
            return
        last_end = {
            pattern: max((m.start() for m in pattern.finditer(rest)), default=-1)
            for pattern in (_COMMENT_END, _SECTION_END, _MS_SECTION_END)
        }
        position, close, first = 0, -1, True
        while True:
            start = rest.find("<", position)
            if start < 0:
                self._text(rest[position:])
                return
            self._text(rest[position:start])
            if close <= start:
                close = rest.find(">", start + 1)
            if close < 0:  # nothing from here on can end: all of it is text
                self._text(rest[start:])
                return
            following = rest[start + 1]
            end: re.Pattern[str] | None = None  # what ends a comment or section starting here
            if rest.startswith("<!--", start):
                end, after = _COMMENT_END, start + 4
            elif rest.startswith("<![", start):
                name = _SECTION_NAME.match(rest, start + 3)
                ms = name is not None and name[0].lower() in ("if", "else", "endif")
                end, after = (_MS_SECTION_END if ms else _SECTION_END), start + 3
            if first or (end is not None and last_end[end] < after):
                self._text(rest[start : close + 1])  # a construct without its end
                position = close + 1
            elif end is not None:
                position = end.search(rest, after).end()  # type: ignore[union-attr]
            elif following in _LETTERS or following == "/":
                position = self._tag(rest, start, close)
            elif following in "!?":  # a declaration or processing instruction
                position = close + 1
            else:  # "a < b": a lone "<" is text
                self._text("<")
                position = start + 1
            first = False

    def _text(self, raw: str) -> None:
        if raw:
            self.handle_data(html.unescape(raw))

    def _tag(self, rest: str, start: int, close: int) -> int:
        """Handle the tag rest[start:close + 1]; return where reading goes on."""
        if rest[start + 1] == "/":
            found = _END_TAG_NAME.fullmatch(rest, start + 2, close) or _TAG_NAME.match(rest, start + 2, close)
            if found is not None:
                self.handle_endtag(found[found.lastindex or 0].lower())
            return close + 1
        found = _TAG_NAME.match(rest, start + 1, close)
        assert found is not None  # rest[start + 1] is a letter
        tag = found[0].lower()
        if rest[start + 1 : close].rstrip().endswith("/"):
            self.handle_startendtag(tag, [])
            return close + 1
        self.handle_starttag(tag, [])
        if tag not in self.CDATA_CONTENT_ELEMENTS:
            return close + 1
        # script, style: raw text up to their end tag, or to the end of the input
        end = re.compile(rf"</\s*{re.escape(tag)}\s*>", re.IGNORECASE).search(rest, close + 1)
        if end is None:
            return len(rest)
        self.handle_endtag(tag)
        return end.end()


# C0 controls but tab and newline, DEL and C1 controls: never text to show (a NUL, or an ESC
# that starts a terminal escape sequence). Those that are whitespace become a space.
_CONTROLS = {
    code: " " if chr(code).isspace() else None
    for code in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0))
}
# Bidi embeddings, overrides and isolates, which reorder the text around them (an override
# in a title can make "exe.pdf" read "fdp.exe"); the marks LRM, RLM and ALM stay.
_BIDI_CONTROLS = dict.fromkeys((*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def strip_controls(text: str) -> str:
    """*text* without control characters (see _CONTROLS); tab and newline are kept."""
    return text.translate(_CONTROLS)


def strip_bidi_controls(text: str) -> str:
    """*text* without bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)."""
    return text.translate(_BIDI_CONTROLS)


def collapse_whitespace(text: str) -> str:
    """Replace every run of whitespace with one space and trim the ends."""
    return _WHITESPACE.sub(" ", text).strip()


def join_paragraphs(text: str) -> str:
    """*text*, whose paragraphs end with :data:`PARAGRAPH`, as one line in which each
    paragraph ends a sentence: "…disguised contempt. Donald Trump has…" rather than
    "…disguised contempt Donald Trump has…". A paragraph that ends with punctuation keeps
    it; Chinese and Japanese ones end with "。"."""
    joined = ""
    for paragraph in text.split(PARAGRAPH):
        paragraph = collapse_whitespace(paragraph)
        if not paragraph:
            continue
        if not joined:
            joined = paragraph
        elif joined.endswith(_SENTENCE_END):
            joined += " " + paragraph
        elif _CJK_END.search(joined):
            joined += "。" + paragraph
        else:
            joined += ". " + paragraph
    return joined


def plain_to_text(text: str) -> str:
    """Plain text (a feed's ``text/plain`` field) as one line: a blank line ends a
    paragraph (and a sentence), any other whitespace is a space."""
    return join_paragraphs(_BLANK_LINE.sub(PARAGRAPH, text[:MAX_MARKUP_CHARS]))


def html_to_text(markup: str) -> str:
    """Return the visible text of an HTML fragment as one line.

    Tags, scripts, styles and figure captions are dropped, entities decoded, each paragraph
    made a sentence (see :func:`join_paragraphs`) and whitespace collapsed. Only the first
    :data:`MAX_MARKUP_CHARS` characters are read, in time linear in their length. Never
    raises: markup too broken to parse yields its entity-decoded characters.
    """
    markup = markup[:MAX_MARKUP_CHARS]
    if "<" not in markup and "&" not in markup:
        return collapse_whitespace(markup)
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.finish()
    except Exception:  # html.parser is lenient, but a text must never stop an item
        return collapse_whitespace(html.unescape(_ANY_TAG.sub(" ", markup)))
    return join_paragraphs("".join(extractor.parts))


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

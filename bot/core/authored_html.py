"""Telegram HTML that a person wrote (an admin's announcement, as PTB renders the entities
of their message), made into HTML that Telegram accepts and that shows what they meant.

The input is not trusted to be well formed: PTB writes a link's address into ``href``
unescaped, and a service caller may pass anything. What comes out keeps only the tags
Telegram accepts (bold, italic, underline, strikethrough, spoiler, links, code, pre,
blockquote), nested as Telegram allows, every attribute and every piece of text escaped;
any other tag is dropped with its text kept, and a ``<`` or ``&`` that starts no tag or
entity is shown as written. Reading is linear in the input, which is cut at a bound first.
"""

from __future__ import annotations

import html
import re

from bot.core.text import strip_controls

__all__ = ["MAX_AUTHORED_CHARS", "clean_authored_html"]

# Far above anything a Telegram message (4,096 characters and its entities) renders to.
MAX_AUTHORED_CHARS = 200_000

# The names Telegram's HTML knows for each kept tag.
_SYNONYMS = {"strong": "b", "em": "i", "ins": "u", "strike": "s", "del": "s"}
_FORMATTING = frozenset({"b", "i", "u", "s", "tg-spoiler"})
_SIMPLE = _FORMATTING | {"code", "pre", "blockquote"}
_LINK_SCHEMES = ("http://", "https://", "tg://", "mailto:")

_TOKEN = re.compile(
    # PTB writes a link as <a href="{url}"> with the URL unescaped: read it up to its '">'.
    r"""<a\s+href="(?P<href>[^<>]*?)">"""
    r"""|<(?P<end>/?)(?P<name>[A-Za-z][\w-]*)"""
    r"""(?P<attributes>(?:\s+[\w-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*/?>"""
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?P<text>[^<&]+|[<&])"
)
_ATTRIBUTE = re.compile(r"""([\w-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def _attributes(raw: str) -> dict[str, str]:
    """A tag's attributes, names in lower case, values unquoted and unescaped."""
    found: dict[str, str] = {}
    for name, value in _ATTRIBUTE.findall(raw):
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        found.setdefault(name.lower(), html.unescape(value))
    return found


def _opening(name: str, attributes: dict[str, str]) -> tuple[str, str] | None:
    """The tag Telegram gets for an opening tag (its name and its text), or None to drop it."""
    name = _SYNONYMS.get(name, name)
    if name == "span":
        return ("tg-spoiler", "<tg-spoiler>") if attributes.get("class") == "tg-spoiler" else None
    if name == "a":
        href = attributes.get("href", "").strip()
        if not href.lower().startswith(_LINK_SCHEMES) or href != strip_controls(href):
            return None
        if any(char.isspace() for char in href):
            return None
        return "a", f'<a href="{html.escape(href, quote=True)}">'
    if name == "blockquote" and "expandable" in attributes:
        return "blockquote", "<blockquote expandable>"
    if name in _SIMPLE:
        return name, f"<{name}>"
    return None


def _allowed_inside(name: str, kept: list[str]) -> bool:
    """Whether Telegram accepts *name* where the tags *kept* are open: bold, italic,
    underline, strikethrough and spoilers go anywhere but in code; nothing goes in code or
    pre (but code right inside pre, for its language); a link, code or a quote goes in no
    link, and a quote in no quote."""
    if kept and kept[-1] in ("code", "pre"):
        return name == "code" and kept[-1] == "pre"
    if "code" in kept or "pre" in kept:
        return False
    if name in _FORMATTING:
        return True
    return "a" not in kept and not (name == "blockquote" and "blockquote" in kept)


def clean_authored_html(markup: str) -> str:
    """*markup* as Telegram HTML that Telegram accepts (see the module docstring)."""
    out: list[str] = []
    # The open tags, outermost first: the name written, and the tag kept for it (None: dropped).
    stack: list[tuple[str, str | None]] = []
    for match in _TOKEN.finditer(markup[:MAX_AUTHORED_CHARS]):
        if match.group("href") is not None:
            tag = _opening("a", {"href": html.unescape(match.group("href"))})
            open_tags = [kept for _written, kept in stack if kept is not None]
            allowed = tag is not None and _allowed_inside(tag[0], open_tags)
            stack.append(("a", "a" if allowed else None))
            if tag is not None and allowed:
                out.append(tag[1])
        elif match.group("name"):
            name = match.group("name").lower()
            if match.group("end"):
                if any(written == name for written, _kept in stack):
                    while stack:  # (tags left open inside it close with it)
                        written, kept = stack.pop()
                        if kept is not None:
                            out.append(f"</{kept}>")
                        if written == name:
                            break
                continue
            tag = _opening(name, _attributes(match.group("attributes")))
            open_tags = [kept for _written, kept in stack if kept is not None]
            if tag is not None and _allowed_inside(tag[0], open_tags):
                stack.append((name, tag[0]))
                out.append(tag[1])
            elif name != "br":
                stack.append((name, None))
            else:
                out.append("\n")
        elif match.group("entity"):
            out.append(html.escape(strip_controls(html.unescape(match.group("entity"))), quote=False))
        else:
            out.append(html.escape(strip_controls(match.group("text")), quote=False))
    out.extend(f"</{kept}>" for _written, kept in reversed(stack) if kept is not None)
    return "".join(out)

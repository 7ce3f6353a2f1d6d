"""Deciding which items of a poll are new, and which seen-item records can be forgotten.

Seen items are remembered per feed as compact tokens with the time they were last present
in the feed: one token of the item's key (its guid) and, when it has a link, one of its
normalized link and title. An item is new only when none of its tokens is known, so a feed
that changes its guids without changing its stories does not alert them again. On a feed's
first poll nothing is new, so subscribers are not flooded with the feed's back catalogue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from bot.core.items import Item

__all__ = ["item_tokens", "new_items", "normalize_link", "prune_seen", "seen_token"]


def seen_token(key: str) -> str:
    """Return the fixed-size token under which an item key is remembered."""
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def normalize_link(link: str) -> str:
    """The form of a link used to recognise the same story: scheme and host lowercased,
    fragment dropped. Returns "" for anything that is not an http(s) URL."""
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def item_tokens(item: Item) -> tuple[str, ...]:
    """The tokens under which an item is remembered as seen: its key's, and its link's and
    title's together when it has a link (see the module docstring)."""
    link = normalize_link(item.link)
    if not link:
        return (seen_token(item.key),)
    return seen_token(item.key), seen_token(f"link\n{link}\n{' '.join(item.title.casefold().split())}")


def new_items(items: Sequence[Item], seen: Container[str], *, first_poll: bool) -> list[Item]:
    """Return the items of one poll that were never seen, in feed order, each story once."""
    if first_poll:
        return []
    fresh: list[Item] = []
    taken: set[str] = set()
    for item in items:
        tokens = item_tokens(item)
        if any(token in seen or token in taken for token in tokens):
            taken.update(tokens)
            continue
        taken.update(tokens)
        fresh.append(item)
    return fresh


def prune_seen(
    seen: Mapping[str, float], present: Iterable[str], *, now: float, retention_seconds: float
) -> dict[str, float]:
    """Return the seen records to keep after a poll at *now*.

    Tokens of items present in the feed are refreshed to *now*; others are kept until
    they have been absent for *retention_seconds*, so an item that drops out of a feed and
    comes back within that time is not alerted twice.
    """
    kept = {token: last for token, last in seen.items() if now - last < retention_seconds}
    kept.update(dict.fromkeys(present, now))
    return kept

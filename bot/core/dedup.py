"""Deciding which items of a poll are new, and which seen-item records can be forgotten.

Seen items are remembered per feed as a compact token of their key with the time they
were last present in the feed. An item is new when its token is unknown; on a feed's
first poll nothing is new, so subscribers are not flooded with the feed's back catalogue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from bot.core.items import Item

__all__ = ["delivery_token", "new_items", "normalize_link", "prune_seen", "seen_token"]


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


def delivery_token(item: Item) -> str:
    """The token that identifies an item for delivery to a chat.

    It is the item's link when it has one, so the same story published in two feeds (or
    under a changed guid) reaches a chat once; otherwise the item's key within its feed.
    """
    link = normalize_link(item.link)
    return seen_token(link if link else f"{item.feed}\n{item.key}")


def new_items(items: Sequence[Item], seen: Container[str], *, first_poll: bool) -> list[Item]:
    """Return the items of one poll that were never seen, in feed order, each key once."""
    if first_poll:
        return []
    fresh: list[Item] = []
    taken: set[str] = set()
    for item in items:
        token = seen_token(item.key)
        if token in seen or token in taken:
            continue
        taken.add(token)
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

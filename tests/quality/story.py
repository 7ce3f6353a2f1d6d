"""The feed entry an alert came from, as the reader's audit sees it."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Story", "plain_text"]


@dataclass(frozen=True, slots=True)
class Story:
    """The feed entry an alert came from.

    ``entry`` is feedparser's entry from the feed file (read with its own declared
    encoding), ``element`` its ``<item>``/``<entry>`` as written, ``reader_text`` its title,
    summary and full text as the outlet meant them (tags dropped, mojibake repaired), and
    ``feed_time`` when the captured feed was current (its newest entry's date), if known.
    """

    feed: str
    entry: Mapping[str, Any]
    element: str
    reader_text: str
    feed_time: datetime | None = None

    @property
    def written_date(self) -> str:
        for field in ("published", "updated", "created"):
            value = self.entry.get(field)
            if isinstance(value, str) and value.strip():
                return value
        return ""

    def element_text(self, tag: str) -> str:
        """The text of the first ``<tag>`` of the element (CDATA unwrapped, markup dropped)."""
        found = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", self.element, re.S)
        if not found:
            return ""
        value = re.sub(r"<!\[CDATA\[(.*?)\]\]>", r"\1", found.group(1), flags=re.S)
        return plain_text(html.unescape(value))


def plain_text(markup: str) -> str:
    """The text of a fragment of markup: tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", " ", markup))).strip()

"""Feed sources: the feeds the bot polls, as the operator configured them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

__all__ = ["FeedSource"]


@dataclass(frozen=True, slots=True)
class FeedSource:
    """One feed to poll. ``url`` is an http(s) URL or, for feeds from the operator's
    feeds file only, a local file path (as ``file_path``). Feeds added from a chat are not
    ``trusted``: they may not point to local or private network addresses."""

    name: str
    url: str
    trusted: bool = True

    @property
    def is_remote(self) -> bool:
        parts = _split(self.url)
        return parts is not None and parts.scheme.lower() in ("http", "https")

    @property
    def file_path(self) -> Path:
        """The local file this source reads; only meaningful when not :attr:`is_remote`."""
        parts = _split(self.url)
        return Path(parts.path) if parts is not None and parts.scheme == "file" else Path(self.url)

    @property
    def host(self) -> str:
        """The host a remote feed lives on, or ``local file`` for a file."""
        if not self.is_remote:
            return "local file"
        parts = _split(self.url)
        return (parts.hostname or "") if parts is not None else ""


def _split(url: str) -> SplitResult | None:
    """The URL's parts, or None when it cannot be split (an unclosed "[" in its host)."""
    try:
        return urlsplit(url)
    except ValueError:
        return None

"""Feed sources: the feeds the bot polls, as the operator configured them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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
        return urlsplit(self.url).scheme.lower() in ("http", "https")

    @property
    def file_path(self) -> Path:
        """The local file this source reads; only meaningful when not :attr:`is_remote`."""
        parts = urlsplit(self.url)
        return Path(parts.path) if parts.scheme == "file" else Path(self.url)

    @property
    def host(self) -> str:
        """The host a remote feed lives on, or ``local file`` for a file."""
        return (urlsplit(self.url).hostname or "") if self.is_remote else "local file"

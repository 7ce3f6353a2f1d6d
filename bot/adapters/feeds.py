"""Fetching feeds with httpx and parsing them with feedparser.

Downloads have a total deadline, a body size cap (counted after decompression), at most
five redirects and conditional-GET validators. Parsing runs in a worker thread so a big
feed does not stall the bot's replies. Every failure becomes a :class:`FetchResult` with a
short reason; nothing here raises to the caller.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import feedparser
import httpx

from bot import __version__
from bot.core.items import Item, normalize_entry
from bot.core.sources import FeedSource
from bot.service.ports import FeedState, FetchOutcome, FetchResult

__all__ = ["FeedError", "HttpFeedFetcher", "parse_feed", "user_agent"]

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
CONNECT_TIMEOUT_SECONDS = 10.0


class FeedError(Exception):
    """A feed could not be fetched or is not a feed; the message is the reason, for logs."""


def user_agent(bot_url: str = "") -> str:
    """The User-Agent sent to feed servers: the bot's name and version, and its URL if set."""
    return f"newsbot/{__version__} (+{bot_url})" if bot_url else f"newsbot/{__version__}"


@dataclass(frozen=True, slots=True)
class _Download:
    body: bytes
    url: str
    content_type: str
    etag: str
    last_modified: str


def parse_feed(body: bytes, source_name: str, *, url: str = "", content_type: str = "") -> list[Item]:
    """Parse feed bytes into items; raises :class:`FeedError` when *body* is not a feed.

    The body is always given to feedparser as a stream: a string could be taken for a path.
    The feed's URL is not given to feedparser, which would resolve guids against it (so every
    key would change when a feed moves); relative links are resolved by the normalizer instead.
    """
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    entries = parsed.get("entries", [])
    if not parsed.get("version") and not entries:
        raise FeedError("not a feed (no RSS or Atom content; an HTML page?)")
    if not entries and parsed.get("bozo"):
        raise FeedError(f"malformed feed: {parsed.get('bozo_exception')}")
    return [normalize_entry(entry, source_name, base_url=url) for entry in entries]


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


class HttpFeedFetcher:
    """Fetches http(s) feeds and local feed files (see the module docstring)."""

    def __init__(self, *, timeout: float, max_bytes: int, user_agent: str, max_connections: int = 20) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._client = httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout)),
            limits=httpx.Limits(max_connections=max_connections),
            headers={
                "User-Agent": user_agent,
                "Accept": "application/rss+xml, application/atom+xml, "
                "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            },
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def fetch(self, source: FeedSource, state: FeedState | None) -> FetchResult:
        try:
            if source.is_remote:
                download = await self._download(source.url, state)
                if download is None:
                    return FetchResult(
                        FetchOutcome.NOT_MODIFIED,
                        etag=state.etag if state else "",
                        last_modified=state.last_modified if state else "",
                        body_hash=state.body_hash if state else "",
                    )
            else:
                download = await asyncio.to_thread(self._read_file, source.file_path)
            body_hash = _body_hash(download.body)
            if state is not None and state.body_hash == body_hash:
                return FetchResult(
                    FetchOutcome.NOT_MODIFIED,
                    etag=download.etag,
                    last_modified=download.last_modified,
                    body_hash=body_hash,
                )
            items = await asyncio.to_thread(
                parse_feed, download.body, source.name, url=download.url, content_type=download.content_type
            )
        except FeedError as exc:
            return FetchResult(FetchOutcome.FAILED, error=str(exc))
        except Exception as exc:  # feedparser and the normalizer are meant never to raise
            log.exception("feed %s: unexpected error while parsing", source.name)
            return FetchResult(FetchOutcome.FAILED, error=f"unexpected error: {exc!r}")
        return FetchResult(
            FetchOutcome.FETCHED,
            items=items,
            etag=download.etag,
            last_modified=download.last_modified,
            body_hash=body_hash,
        )

    async def _download(self, url: str, state: FeedState | None) -> _Download | None:
        """GET *url*; None when the server says it has not changed (304)."""
        headers = {}
        if state is not None and state.etag:
            headers["If-None-Match"] = state.etag
        if state is not None and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        try:
            async with asyncio.timeout(self._timeout):
                async with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 304:
                        return None
                    if response.status_code >= 400:
                        raise FeedError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > self._max_bytes:
                        raise FeedError(f"too large: {int(declared)} bytes, the limit is {self._max_bytes}")
                    body = await self._read_capped(response)
                    return _Download(
                        body=body,
                        url=str(response.url),
                        content_type=response.headers.get("content-type", ""),
                        etag=response.headers.get("etag", ""),
                        last_modified=response.headers.get("last-modified", ""),
                    )
        except TimeoutError:
            raise FeedError(f"timed out after {self._timeout:g} s") from None
        except httpx.TooManyRedirects:
            raise FeedError(f"more than {MAX_REDIRECTS} redirects") from None
        except httpx.TimeoutException:
            raise FeedError(f"timed out after {self._timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise FeedError(f"network error: {type(exc).__name__}: {exc}".rstrip(": ")) from None

    async def _read_capped(self, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise FeedError(f"too large: more than {self._max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _read_file(self, path: Path) -> _Download:
        try:
            size = path.stat().st_size
            if size > self._max_bytes:
                raise FeedError(f"too large: {size} bytes, the limit is {self._max_bytes}")
            body = path.read_bytes()
        except FileNotFoundError:
            raise FeedError(f"file not found: {path}") from None
        except OSError as exc:
            raise FeedError(f"cannot read {path}: {exc.strerror}") from None
        return _Download(body=body, url="", content_type="", etag="", last_modified="")

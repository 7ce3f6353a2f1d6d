"""Fetching feeds with httpx; parsing them in worker processes (see :mod:`bot.adapters.parsing`).

Downloads have a total deadline, a body size cap (counted after decompression, which is
done here step by step: see :mod:`bot.adapters.decoding`), at most
five redirects (a chain of permanent ones is reported, so the stored URL can follow), a
limit of concurrent requests per host, conditional-GET validators, and honour a server's
Retry-After. Feeds added from a chat (not trusted) are refused when any hop of the way
resolves to a loopback, private or link-local address (see :mod:`bot.adapters.addresses`).
Parsing runs in worker processes, each parse within a deadline (see
:mod:`bot.adapters.workers`), so a big or hostile feed does not stall the bot's replies or
the other feeds. Every failure becomes
a :class:`FetchResult` with a short reason; nothing here raises to the caller.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from bot import __version__
from bot.adapters.addresses import is_public
from bot.adapters.decoding import ACCEPT_ENCODING, DecodingError, decoder_for
from bot.adapters.parsing import FeedError, Parsed, describe_problems, parse_job
from bot.adapters.workers import JobFailed, JobTimedOut, PoolStopped, WorkerDied, WorkerPool
from bot.core.feed_health import LONGEST_RETRY_AFTER
from bot.core.sources import FeedSource
from bot.service.ports import FeedState, FetchOutcome, FetchResult

__all__ = [
    "FeedError",
    "HttpFeedFetcher",
    "cache_seconds",
    "check_public_address",
    "retry_after",
    "user_agent",
]

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
CONNECT_TIMEOUT_SECONDS = 10.0
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
STOP_GRACE_SECONDS = 1.0  # how long parses under way may go on once the bot is stopping


def retry_after(value: str, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), at most a day."""
    value = value.strip()
    if not value:
        return None
    if value.isdecimal():
        seconds = float(value)
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), LONGEST_RETRY_AFTER)


async def check_public_address(url: str) -> None:
    """Raise :class:`FeedError` unless *url* is http(s) and every address its host resolves
    to is a public one (not loopback, private, link-local, reserved or multicast)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FeedError("the address is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FeedError("only http:// and https:// URLs can be added")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise FeedError("the URL's port is not a number") from None
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FeedError(f"the host {parts.hostname} cannot be found") from None
    for *_, sockaddr in infos:
        if not is_public(str(sockaddr[0])):
            raise FeedError(
                f"{parts.hostname} is on a local or private network; feeds added from a chat must be public"
            )


def _redirect_target(url: str, location: str) -> str:
    try:
        return urljoin(url, location)
    except ValueError:  # an unclosed "[" in an IPv6 host, say
        raise FeedError(f"redirected to an address that is not a valid URL: {location[:200]}") from None


def user_agent(bot_url: str = "") -> str:
    """The User-Agent sent to feed servers: the bot's name and version, and its URL if set."""
    return f"newsbot/{__version__} (+{bot_url})" if bot_url else f"newsbot/{__version__}"


@dataclass(frozen=True, slots=True)
class _Download:
    body: bytes | None  # None: not modified (304)
    url: str
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    moved_to: str = ""  # where a chain of permanent redirects led
    cache_seconds: float | None = None  # how long the server says the body stays fresh


def cache_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """How long a response stays fresh by its ``Cache-Control: max-age`` (or ``s-maxage``),
    else its ``Expires`` against its ``Date``; None when it says nothing (or no-cache)."""
    control = headers.get("cache-control", "").lower()
    if "no-cache" in control or "no-store" in control:
        return None
    for directive in control.split(","):
        name, _, value = directive.strip().partition("=")
        if name in ("max-age", "s-maxage") and value.strip().isdecimal():
            return float(value.strip())
    expires = headers.get("expires", "")
    if not expires:
        return None
    try:
        until = parsedate_to_datetime(expires)
        sent = parsedate_to_datetime(headers["date"]) if headers.get("date") else (now or datetime.now(UTC))
    except (TypeError, ValueError, IndexError):
        return None
    if until.tzinfo is None or sent.tzinfo is None:
        return None
    return max(0.0, (until - sent).total_seconds())


def _job(download: _Download, source_name: str) -> tuple[bytes, str, str, str]:
    """What a parse job needs of a download."""
    assert download.body is not None
    return download.body, source_name, download.url, download.content_type


def _longest(*waits: float | None) -> float | None:
    known = [wait for wait in waits if wait is not None]
    return max(known) if known else None


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


class HttpFeedFetcher:
    """Fetches http(s) feeds and local feed files (see the module docstring).

    *allow_private* lets feeds added from a chat live on local and private addresses (for a
    bot that watches an intranet); feeds of the operator's feeds file are always trusted.
    """

    def __init__(
        self,
        *,
        timeout: float,
        max_bytes: int,
        user_agent: str,
        concurrency: int = 8,
        per_host: int = 2,
        allow_private: bool = False,
        parse_processes: int = 0,
        parse_timeout: float = 20.0,
    ) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._allow_private = allow_private
        # Parsing is CPU work under the GIL: in a worker thread it still slows the event loop
        # (replies) and the downloads. Worker processes run it on the other cores instead,
        # each parse within a deadline (see bot.adapters.workers).
        self._parse_timeout = parse_timeout
        self._pool = WorkerPool(parse_processes, deadline=parse_timeout) if parse_processes else None
        self._stopping: asyncio.Task[None] | None = None
        # A host's slot is taken before a general one: a feed waiting for its busy host
        # must not hold a general slot that a feed of another host could use.
        self._slots = asyncio.Semaphore(concurrency)
        self._host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host)
        )
        self._client = httpx.AsyncClient(
            follow_redirects=False,  # followed one hop at a time: see _download
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout)),
            limits=httpx.Limits(max_connections=concurrency * 2),
            headers={
                "User-Agent": user_agent,
                "Accept": "application/rss+xml, application/atom+xml, "
                "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
                # Only what _read_capped can decompress with a bound (not httpx's zstd, say).
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )

    async def close(self) -> None:
        await self._client.aclose()
        if self._pool is not None:
            self._pool.stop()

    def stop_parsing(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """The bot is stopping: give the parses under way *grace* seconds to finish, then
        stop them, a stuck one included (those feeds fail with "the bot is stopping")."""
        if self._pool is not None and self._stopping is None:
            self._stopping = asyncio.get_running_loop().create_task(self._pool.stop_after(grace))

    async def _parse(self, download: _Download, source_name: str) -> Parsed:
        took_too_long = FeedError(f"parsing took longer than {self._parse_timeout:g} s")
        if self._pool is None:  # in a thread (tests, tools): the deadline cannot stop it, only stop the wait
            try:
                parsed = await asyncio.wait_for(
                    asyncio.to_thread(parse_job, *_job(download, source_name)), self._parse_timeout
                )
            except TimeoutError:
                raise took_too_long from None
        else:
            try:
                parsed = await self._pool.run(parse_job, *_job(download, source_name))
            except JobTimedOut:
                raise took_too_long from None
            except WorkerDied:
                raise FeedError(
                    "the parser process stopped while parsing this feed (out of memory?)"
                ) from None
            except PoolStopped:
                raise FeedError("not parsed: the bot is stopping") from None
            except JobFailed as exc:  # parse_feed and the normalizer are meant never to raise
                log.error("feed %s: unexpected error while parsing:\n%s", source_name, exc)
                raise FeedError("unexpected error while parsing (see the log)") from None
        if parsed.error:
            raise FeedError(parsed.error)
        if parsed.problems:
            log.warning("feed %s: left out: %s", source_name, describe_problems(parsed.problems))
        return parsed

    async def fetch(self, source: FeedSource, state: FeedState | None) -> FetchResult:
        try:
            if source.is_remote:
                async with self._host_slots[source.host], self._slots:
                    download = await self._download(source, state)
            else:
                download = await asyncio.to_thread(self._read_file, source.file_path)
            unchanged = download.body is None
            body_hash = _body_hash(download.body) if download.body is not None else ""
            if state is not None and (unchanged or state.body_hash == body_hash):
                return FetchResult(
                    FetchOutcome.NOT_MODIFIED,
                    etag=download.etag or state.etag,
                    last_modified=download.last_modified or state.last_modified,
                    body_hash=state.body_hash,
                    moved_to=download.moved_to,
                    not_before=download.cache_seconds,
                )
            if download.body is None:  # a 304 to a request without validators
                raise FeedError("HTTP 304 to an unconditional request")
            parsed = await self._parse(download, source.name)
        except FeedError as exc:
            return FetchResult(FetchOutcome.FAILED, error=str(exc), retry_after=exc.retry_after)
        except Exception as exc:  # feedparser and the normalizer are meant never to raise
            log.exception("feed %s: unexpected error while parsing", source.name)
            return FetchResult(FetchOutcome.FAILED, error=f"unexpected error: {exc!r}")
        return FetchResult(
            FetchOutcome.FETCHED,
            items=parsed.items,
            etag=download.etag,
            last_modified=download.last_modified,
            body_hash=body_hash,
            moved_to=download.moved_to,
            parse_seconds=parsed.seconds,
            not_before=_longest(download.cache_seconds, parsed.not_before),
        )

    async def _download(self, source: FeedSource, state: FeedState | None) -> _Download:
        headers = {}
        if state is not None and state.etag:
            headers["If-None-Match"] = state.etag
        if state is not None and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        url = source.url
        permanent = True  # so far, every redirect was a permanent one
        moved_to = ""
        try:
            async with asyncio.timeout(self._timeout):
                for _ in range(MAX_REDIRECTS + 1):
                    if not (source.trusted or self._allow_private):
                        await check_public_address(url)
                    async with self._client.stream("GET", url, headers=headers) as response:
                        location = response.headers.get("location", "")
                        if response.status_code in REDIRECTS and location:
                            url = _redirect_target(url, location)
                            permanent = permanent and response.status_code in PERMANENT_REDIRECTS
                            moved_to = url if permanent else moved_to
                            continue
                        return await self._read_response(response, moved_to)
                raise FeedError(f"more than {MAX_REDIRECTS} redirects")
        except (TimeoutError, httpx.TimeoutException):
            raise FeedError(f"timed out after {self._timeout:g} s") from None
        except httpx.InvalidURL as exc:
            raise FeedError(f"invalid URL: {exc}") from None
        except httpx.HTTPError as exc:
            raise FeedError(f"network error: {type(exc).__name__}: {exc}".rstrip(": ")) from None

    async def _read_response(self, response: httpx.Response, moved_to: str) -> _Download:
        if response.status_code == 304:
            return _Download(
                body=None,
                url=str(response.url),
                moved_to=moved_to,
                cache_seconds=cache_seconds(response.headers),
            )
        if response.status_code >= 400:
            wait = None
            if response.status_code in (429, 503):
                wait = retry_after(response.headers.get("retry-after", ""))
            reason = f"HTTP {response.status_code} {response.reason_phrase}".strip()
            if wait is not None:
                reason += f" (retry after {wait:.0f} s)"
            raise FeedError(reason, retry_after=wait)
        if response.status_code >= 300:
            raise FeedError(f"HTTP {response.status_code} without a usable Location")
        declared = response.headers.get("content-length", "")
        if declared.isdecimal() and int(declared) > self._max_bytes:
            raise FeedError(f"too large: {int(declared)} bytes, the limit is {self._max_bytes}")
        return _Download(
            body=await self._read_capped(response),
            url=str(response.url),
            content_type=response.headers.get("content-type", ""),
            etag=response.headers.get("etag", ""),
            last_modified=response.headers.get("last-modified", ""),
            moved_to=moved_to,
            cache_seconds=cache_seconds(response.headers),
        )

    async def _read_capped(self, response: httpx.Response) -> bytes:
        """The body, decompressed here step by step (never by httpx, which would expand a
        whole chunk at once), failing as soon as it passes the size cap either way."""
        try:
            decoder = decoder_for(response.headers.get("content-encoding", ""))
        except DecodingError as exc:
            raise FeedError(str(exc)) from None
        chunks: list[bytes] = []
        size = raw_size = 0

        def keep(pieces: Iterable[bytes]) -> None:
            nonlocal size
            for piece in pieces:
                size += len(piece)
                if size > self._max_bytes:
                    raise FeedError(f"too large: more than {self._max_bytes} bytes")
                chunks.append(piece)

        try:
            async for raw in response.aiter_raw():
                raw_size += len(raw)
                if raw_size > self._max_bytes:
                    raise FeedError(f"too large: more than {self._max_bytes} bytes")
                keep(decoder.feed(raw))
            keep(decoder.finish())
        except DecodingError as exc:
            raise FeedError(str(exc)) from None
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

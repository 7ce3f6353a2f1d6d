"""The HTTP requests to the Bot API: PTB's request interface on httpcore directly.

PTB's own ``HTTPXRequest`` sends each request through httpx's client, whose layer above
the connection (URL merging, a cookie jar read and written on every answer, auth and
redirect flows) costs more CPU per message than everything else the delivery loop does: a
third of a message's cost in bench/broadcast.py, where sending is bound by the bot's CPU.
The Bot API needs none of it. :class:`HttpcoreRequest` hands a request without files
straight to httpcore, the connection pool under httpx (same maintainers, same timeouts and
TLS), and leaves requests with files to ``HTTPXRequest`` (multipart bodies). Everything
PTB does around a request (JSON answers, Telegram's errors, the rate limiter) is unchanged.

A proxy named in the environment (``HTTPS_PROXY``, ``ALL_PROXY``...), which httpx honours
and httpcore would not, makes :func:`bot_api_request` choose ``HTTPXRequest`` instead.
"""

from __future__ import annotations

import logging
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

__all__ = ["HttpcoreRequest", "bot_api_request"]

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 5.0  # how long an idle connection is kept (httpx's default)
CONNECTIONS = 256  # PTB's default pool for requests other than getUpdates
# PTB's words, so that a pool timeout reads the same whichever request met it.
POOL_TIMEOUT = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent "
    "to Telegram. Consider adjusting the connection pool size or the pool timeout."
)
_TIMEOUTS = ("connect", "read", "write", "pool")


class HttpcoreRequest(HTTPXRequest):
    """See the module docstring. Timeouts as ``HTTPXRequest``'s (5 s; a pool timeout of 1 s)."""

    # Only the pool's size and the timeouts: HTTPXRequest's other options (a proxy, socket
    # options, HTTP/2, httpx's own) would apply to requests with files alone.
    def __init__(
        self,
        connection_pool_size: int = CONNECTIONS,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        super().__init__(
            connection_pool_size=connection_pool_size,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            media_write_timeout=media_write_timeout,
        )
        self._pool_size = connection_pool_size
        self._pool: httpcore.AsyncConnectionPool | None = self._build_pool()
        self._timeouts = {"connect": connect_timeout, "read": read_timeout,
                          "write": write_timeout, "pool": pool_timeout}  # fmt: skip
        self._headers: dict[str, list[tuple[bytes, bytes]]] = {}  # by the URL's origin

    def _build_pool(self) -> httpcore.AsyncConnectionPool:
        return httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),  # certifi, or SSL_CERT_FILE/SSL_CERT_DIR
            max_connections=self._pool_size,
            keepalive_expiry=KEEPALIVE_SECONDS,
        )

    async def initialize(self) -> None:
        await super().initialize()
        if self._pool is None:
            self._pool = self._build_pool()

    async def shutdown(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.aclose()
        await super().shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        if request_data is not None and request_data.contains_files:
            return await super().do_request(url, method, request_data, *timeouts)
        if self._pool is None:
            raise RuntimeError("This HttpcoreRequest is not initialized!")
        body = request_data.url_encoded_parameters().encode() if request_data is not None else b""
        timeout = self._timeouts_of(read_timeout, write_timeout, connect_timeout, pool_timeout)
        try:
            response = await self._pool.request(
                method, url, headers=self._headers_for(url), content=body, extensions={"timeout": timeout}
            )
        except httpcore.PoolTimeout as exc:
            raise TimedOut(POOL_TIMEOUT) from exc
        except httpcore.TimeoutException as exc:
            raise TimedOut from exc
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError,
                httpcore.UnsupportedProtocol) as exc:  # fmt: skip
            raise NetworkError(f"httpcore.{type(exc).__name__}: {exc}") from exc
        for name, value in response.headers:
            if name.lower() == b"content-encoding" and value.lower() not in (b"", b"identity"):
                # None was asked for (httpx would have decoded it; PTB could not read it).
                encoding = value.decode("latin-1")  # (as HTTP headers are)
                raise NetworkError(f"the Bot API answered in an encoding not asked for: {encoding!r}")
        return response.status, response.content

    def _headers_for(self, url: str) -> list[tuple[bytes, bytes]]:
        """The headers of a request to *url*, made once per origin."""
        origin = url[: url.find("/", url.find("//") + 2)]
        headers = self._headers.get(origin)
        if headers is None:
            headers = [
                (b"User-Agent", self.USER_AGENT.encode()),
                (b"Content-Type", b"application/x-www-form-urlencoded"),
            ]
            netloc = urlsplit(url).netloc.rpartition("@")[2]
            if netloc.startswith("["):  # httpcore would write an IPv6 address without its brackets
                headers.append((b"Host", netloc.encode()))
            self._headers[origin] = headers
        return headers

    def _timeouts_of(self, read: object, write: object, connect: object, pool: object) -> dict[str, Any]:
        """The timeouts of one request: those it names, else this request's own."""
        given = (connect, read, write, pool)
        if all(isinstance(value, DefaultValue) for value in given):
            return self._timeouts
        return {
            name: self._timeouts[name] if isinstance(value, DefaultValue) else value
            for name, value in zip(_TIMEOUTS, given, strict=True)
        }


def bot_api_request(base_url: str, connection_pool_size: int = CONNECTIONS) -> BaseRequest:
    """The request for the Bot API at *base_url*: :class:`HttpcoreRequest`, or PTB's
    ``HTTPXRequest`` where the environment names a proxy for it (httpx honours it)."""
    if _proxied(base_url):
        log.info("requests to the Bot API go through the proxy named in the environment")
        return HTTPXRequest(connection_pool_size=connection_pool_size)
    return HttpcoreRequest(connection_pool_size)


def _proxied(url: str) -> bool:
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")

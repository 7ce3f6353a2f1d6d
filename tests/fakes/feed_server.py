"""A local HTTP server for feeds: real HTTP on 127.0.0.1, with answers a test controls."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Answer:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "application/rss+xml"})
    delay: float = 0.0


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a body over its size limit) is not an error here."""


class FeedServer:
    """Serves :class:`Answer` objects by path and counts requests; records request headers
    and when each request arrived (``request_times``, on time.monotonic(), in step with
    ``requests``).

    *host* may be any loopback address (127.0.0.2, ...), to play feeds on several hosts."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._answers: dict[str, Answer] = {}
        self._hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.request_times: list[float] = []
        self.in_flight = 0
        self.most_in_flight = 0  # the most requests answered at the same time
        self._changed = threading.Condition()
        self._server = _QuietServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def serve(self, path: str, answer: Answer | bytes) -> None:
        with self._changed:
            self._answers[path] = answer if isinstance(answer, Answer) else Answer(answer)

    def hits(self, path: str) -> int:
        with self._changed:
            return self._hits[path]

    def requests_since(self, since: float) -> list[tuple[float, str, dict[str, str]]]:
        """(arrival, path, headers) of each request that arrived after *since*, oldest first."""
        with self._changed:
            logged = zip(self.request_times, self.requests, strict=True)
            return [(at, path, headers) for at, (path, headers) in logged if at > since]

    def wait_for_hits(self, path: str, count: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._hits[path] < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{path} was fetched {self._hits[path]} times, expected {count}")
                self._changed.wait(left)

    def _answer(self, path: str, headers: dict[str, str]) -> Answer:
        with self._changed:
            self._hits[path] += 1
            self.requests.append((path, headers))
            self.request_times.append(time.monotonic())
            self._changed.notify_all()
            answer = self._answers.get(path, Answer(b"not found", status=404, headers={}))
        etag = answer.headers.get("ETag")
        if etag and answer.status == 200 and headers.get("if-none-match") == etag:
            # As a server honouring validators does: a 304 repeats the caching headers (RFC 9110).
            kept = {
                k: v for k, v in answer.headers.items() if k.lower() in ("etag", "cache-control", "expires")
            }
            return Answer(status=304, headers=kept)
        return answer

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                answer = server._answer(path, {k.lower(): v for k, v in self.headers.items()})
                with server._changed:
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                try:
                    if answer.delay:
                        time.sleep(answer.delay)  # a slow feed, on purpose
                    self._send(answer)
                finally:
                    with server._changed:
                        server.in_flight -= 1

            def do_POST(self) -> None:  # answered as GET (a Bot API client posts)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

            def _send(self, answer: Answer) -> None:
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    if "Content-Length" not in answer.headers:
                        self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


def rss(items: Iterable[Mapping[str, str]], *, title: str = "Test feed") -> bytes:
    """An RSS 2.0 document; each item mapping may have title, link, guid, description, pubDate."""
    parts = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{escape(title)}</title>'
        "<link>https://example.org/</link><description>test</description>"
    ]
    for item in items:
        parts.append("<item>")
        for tag in ("title", "link", "guid", "description", "pubDate"):
            if tag in item:
                parts.append(f"<{tag}>{escape(item[tag])}</{tag}>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()

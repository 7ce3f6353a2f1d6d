"""Compressed bodies: decoded correctly, and a decompression bomb costs a few megabytes."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Callable

import brotli
import pytest

from bot.adapters.decoding import STEP_BYTES, DecodingError, decoder_for
from bot.adapters.feeds import HttpFeedFetcher, user_agent
from bot.core.sources import FeedSource
from bot.service.ports import FetchOutcome, FetchResult
from tests.e2e.harness import REPO
from tests.fakes.feed_server import Answer, FeedServer, rss

MB = 1 << 20
GIB = 1 << 30
FEED = rss([{"title": "Census begins", "link": "https://example.org/1", "guid": "g1"}])


def _stream(compress: Callable[[bytes], bytes], flush: Callable[[], bytes], size: int) -> bytes:
    """*size* zero bytes compressed a megabyte at a time (never all in memory at once)."""
    zeros = bytes(MB)
    return b"".join([*(compress(zeros) for _ in range(size // MB)), flush()])


def brotli_bomb(size: int = GIB) -> bytes:
    compressor = brotli.Compressor(quality=5)
    return _stream(compressor.process, compressor.finish, size)


def zlib_bomb(size: int, wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return _stream(compressor.compress, compressor.flush, size)


@pytest.fixture(scope="module")
def bombs() -> dict[str, tuple[bytes, str]]:
    """Bodies that expand a thousandfold or more, with their Content-Encoding."""
    inner = zlib_bomb(256 * MB, 31)
    return {
        "br": (brotli_bomb(), "br"),  # 1.6 KB -> 1 GiB
        "gzip, gzip": (gzip.compress(inner), "gzip, gzip"),  # 1.8 KB -> 1 MB -> 256 MiB
        "gzip": (inner, "gzip"),
        "deflate": (zlib_bomb(256 * MB, 15), "deflate"),
        "raw deflate": (zlib_bomb(256 * MB, -15), "deflate"),
    }


def decode_all(encoding: str, body: bytes, chunk: int = 1000) -> tuple[bytes, int]:
    """The decoded body fed in small raw chunks, and the largest piece any step gave."""
    decoder = decoder_for(encoding)
    pieces = [p for start in range(0, len(body), chunk) for p in decoder.feed(body[start : start + chunk])]
    pieces += list(decoder.finish())
    return b"".join(pieces), max((len(p) for p in pieces), default=0)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
        ("br", brotli.compress),
        ("", lambda data: data),
        ("identity", lambda data: data),
        ("utf-8", lambda data: data),  # a misconfigured server's header: ignored, as browsers do
        ("GZIP, identity", gzip.compress),
    ],
)
def test_each_accepted_encoding_decodes_the_body(encoding: str, compress: Callable[[bytes], bytes]):
    body = FEED * 300
    assert decode_all(encoding, compress(body))[0] == body


@pytest.mark.parametrize("name", ["br", "gzip", "deflate", "raw deflate"])
def test_a_bomb_comes_out_in_small_steps(bombs: dict[str, tuple[bytes, str]], name: str):
    body, encoding = bombs[name]
    decoder = decoder_for(encoding)
    produced = largest = 0
    for piece in decoder.feed(body):  # the whole bomb in one raw chunk, as httpx might read it
        produced += len(piece)
        largest = max(largest, len(piece))
        if produced > 20 * MB:
            break
    assert produced > 20 * MB
    assert largest <= 2 * STEP_BYTES


@pytest.mark.parametrize(
    ("encoding", "reason"),
    [
        ("gzip, gzip", "compressed 2 times"),
        ("br, gzip", "compressed 2 times"),
        ("zstd", "compressed with zstd, which is not accepted"),
    ],
)
def test_stacked_or_unoffered_compression_is_refused(encoding: str, reason: str):
    with pytest.raises(DecodingError, match=reason):
        decoder_for(encoding)


def test_a_corrupt_body_is_reported():
    with pytest.raises(DecodingError, match="gzip compressed body is corrupt"):
        decode_all("gzip", b"\x1f\x8b" + b"garbage" * 10)
    with pytest.raises(DecodingError, match="br compressed body is corrupt"):
        decode_all("br", b"\xff" * 100)


@pytest.fixture
def server():
    with FeedServer() as feeds:
        yield feeds


def fetch(url: str, max_bytes: int = 5_000_000) -> FetchResult:
    async def run() -> FetchResult:
        fetcher = HttpFeedFetcher(timeout=20, max_bytes=max_bytes, user_agent=user_agent())
        try:
            return await fetcher.fetch(FeedSource("Bomb", url), None)
        finally:
            await fetcher.close()

    return asyncio.run(run())


@pytest.mark.parametrize("name", ["br", "gzip", "deflate", "raw deflate"])
def test_a_bomb_is_refused_as_too_large(server: FeedServer, bombs: dict[str, tuple[bytes, str]], name: str):
    body, encoding = bombs[name]
    server.serve("/bomb", Answer(body, headers={"Content-Encoding": encoding, "Content-Type": "text/xml"}))
    result = fetch(server.url("/bomb"))
    assert result.outcome is FetchOutcome.FAILED
    assert result.error == "too large: more than 5000000 bytes"


def test_a_body_compressed_twice_is_refused_with_the_reason(
    server: FeedServer, bombs: dict[str, tuple[bytes, str]]
):
    body, encoding = bombs["gzip, gzip"]
    server.serve("/bomb", Answer(body, headers={"Content-Encoding": encoding, "Content-Type": "text/xml"}))
    result = fetch(server.url("/bomb"))
    assert result.outcome is FetchOutcome.FAILED
    assert "compressed 2 times (Content-Encoding: gzip, gzip)" in result.error


def test_only_encodings_that_can_be_bounded_are_offered(server: FeedServer):
    server.serve("/f", Answer(gzip.compress(FEED), headers={"Content-Encoding": "gzip"}))
    assert fetch(server.url("/f")).outcome is FetchOutcome.FETCHED
    offered = {part.strip() for part in server.requests[0][1]["accept-encoding"].split(",")}
    assert offered == {"gzip", "deflate", "br"}


PEAK_MEMORY_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, resource, sys
    from bot.adapters.feeds import HttpFeedFetcher, user_agent
    from bot.core.sources import FeedSource

    async def run():
        fetcher = HttpFeedFetcher(timeout=60, max_bytes=5_000_000, user_agent=user_agent())
        try:
            return await fetcher.fetch(FeedSource("Bomb", sys.argv[1]), None)
        finally:
            await fetcher.close()

    result = asyncio.run(run())
    # VmHWM is this process's own peak. ru_maxrss is not: on Linux it keeps the peak of the
    # process that started this one (subprocess uses vfork), here pytest's after many tests.
    try:
        with open("/proc/self/status") as status:
            peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"error": result.error, "peak_mb": peak_kb / 1024}))
    """
)


def test_a_one_gigabyte_brotli_bomb_costs_a_few_megabytes(
    server: FeedServer, bombs: dict[str, tuple[bytes, str]]
):
    """In a process of its own, so its peak memory is the fetch's (httpx alone reached 1 GiB)."""
    body, encoding = bombs["br"]
    server.serve("/bomb", Answer(body, headers={"Content-Encoding": encoding, "Content-Type": "text/xml"}))
    run = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_SCRIPT, server.url("/bomb")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    measured = json.loads(run.stdout)
    assert measured["error"] == "too large: more than 5000000 bytes"
    # An interpreter with httpx and feedparser loaded takes about 50 MB; the bomb is 1,024 MB.
    assert measured["peak_mb"] < 150, measured

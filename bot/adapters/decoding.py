"""Decompressing an HTTP body with a bound on what each step may produce.

httpx decompresses every chunk it reads in one call, with no limit on the output: a body of
1.6 KB in brotli, or gzip applied twice, expands to a gigabyte before any size cap counted
after it can act. Here the raw bytes are decompressed in steps of at most :data:`STEP_BYTES`
of output, so the caller can stop as soon as the total passes its limit, having held little
more than that limit.

Only the encodings that can be bounded this way are offered (:data:`ACCEPT_ENCODING`), and
only one at a time: a body compressed twice (``Content-Encoding: gzip, gzip``) is refused,
as no ordinary server does that.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli

__all__ = ["ACCEPT_ENCODING", "STEP_BYTES", "BodyDecoder", "DecodingError", "decoder_for"]

ACCEPT_ENCODING = "gzip, deflate, br"
STEP_BYTES = 64 * 1024  # most output one step produces (brotli may overshoot it by a block)

_ALIASES = {"x-gzip": "gzip"}
# Compressions a server might use although they were not offered. Any other name (servers
# have been seen to send "utf-8" there) is ignored, as httpx and browsers do.
_REFUSED = frozenset({"zstd", "compress", "x-compress", "dcb", "dcz", "pack200-gzip", "aes128gcm", "exi"})
_KNOWN = frozenset({"gzip", "deflate", "br"}) | _REFUSED


class DecodingError(Exception):
    """The body cannot be decoded; the message is the reason, for logs and admins."""


class BodyDecoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of *data* (each at most about :data:`STEP_BYTES`), in order."""
        ...

    def finish(self) -> Iterator[bytes]:
        """What is left once the raw body has ended."""
        ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _Zlib:
    """gzip, or deflate (zlib-wrapped as the standard says, or raw as some servers send it)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._gzip = name == "gzip"
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._inflate.eof:  # what follows the end of the stream is ignored
            try:
                piece = self._inflate.decompress(data, STEP_BYTES)
            except zlib.error as exc:
                if self._gzip or self._started:
                    raise DecodingError(f"the {self._name} compressed body is corrupt ({exc})") from None
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate
                self._started = True
                continue
            self._started = True
            if piece:
                yield piece
            data = self._inflate.unconsumed_tail

    def finish(self) -> Iterator[bytes]:
        if not self._inflate.eof:
            try:
                piece = self._inflate.flush(STEP_BYTES)
            except zlib.error as exc:
                raise DecodingError(f"the {self._name} compressed body is corrupt ({exc})") from None
            if piece:
                yield piece


class _Brotli:
    """brotli, through ``Decompressor.process(..., output_buffer_limit=...)`` (brotli 1.2)."""

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data or self._decompressor.is_finished():
            return
        try:
            yield self._decompressor.process(data, output_buffer_limit=STEP_BYTES)
            # Output held back by the limit comes out with empty input, one step at a time.
            while not self._decompressor.can_accept_more_data():
                yield self._decompressor.process(b"", output_buffer_limit=STEP_BYTES)
        except brotli.error as exc:
            raise DecodingError(f"the br compressed body is corrupt ({exc})") from None

    def finish(self) -> Iterator[bytes]:
        return iter(())


def decoder_for(content_encoding: str) -> BodyDecoder:
    """The decoder for a Content-Encoding header's value; :class:`DecodingError` when it names
    more than one compression, or one that is not in :data:`ACCEPT_ENCODING`."""
    codings = [_ALIASES.get(c, c) for c in (part.strip().lower() for part in content_encoding.split(","))]
    codings = [c for c in codings if c in _KNOWN]
    if len(codings) > 1:
        raise DecodingError(
            f"the body is compressed {len(codings)} times (Content-Encoding: {content_encoding.strip()}); "
            "only one compression is accepted"
        )
    if not codings:
        return _Identity()
    if codings[0] in ("gzip", "deflate"):
        return _Zlib(codings[0])
    if codings[0] == "br":
        return _Brotli()
    raise DecodingError(
        f"the body is compressed with {codings[0]}, which is not accepted (only {ACCEPT_ENCODING})"
    )

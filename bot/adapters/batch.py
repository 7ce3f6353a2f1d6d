"""``python -m bot match QUERIES ITEMS``: the matcher in batch, for testing queries and benchmarks.

QUERIES is a text file with one query per line; ITEMS a JSON-lines file with ``title``,
``summary``, optional ``content`` and optional ``feed`` per line (a missing or ``null``
field is empty). Either may be ``-``, standard input. For each item, one JSON line goes to
standard output: ``{"item": <line>, "matches": [<query lines>]}``. Lines are counted from
0 everywhere, in the output and in the errors; blank lines are skipped but counted, so a
number is always the line's place in its file. Malformed lines are reported on standard
error with their number and skipped; the counts and the time spent matching (loading
excluded) go to standard error at the end.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bot.core.matcher import Document, Matcher
from bot.core.query import QueryError, source_label
from bot.core.query_parser import parse_query

__all__ = ["STANDARD_INPUT", "run_match"]

STANDARD_INPUT = Path("-")
FIELDS = ("title", "summary", "content", "feed")
_COUNTED = "(lines counted from 0, as in the output)"
_NOT_UTF8 = "not UTF-8 text"
Lines = Iterator[tuple[int, str | None]]  # (0-based number, text or None if not UTF-8)
_JSON_TYPES = {
    bool: "true or false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object",
    type(None): "null",
}  # fmt: skip


class _Unreadable(Exception):
    """A file that cannot be read at all."""


@contextlib.contextmanager
def _numbered_lines(path: Path, stdin: BinaryIO) -> Iterator[tuple[str, Lines]]:
    """The file's name for messages, and its lines (see :func:`_lines`)."""
    if path == STANDARD_INPUT:
        yield "standard input", _lines(stdin)
        return
    try:
        source = path.open("rb")
    except OSError as exc:
        raise _Unreadable(f"cannot read {path}: {exc.strerror}") from None
    with source:
        yield str(path), _lines(source)


def _lines(source: BinaryIO) -> Lines:
    """The non-blank lines with their 0-based numbers; None for a line that is not UTF-8
    (only that line is lost)."""
    for number, raw in enumerate(source):
        try:
            # A byte-order mark (some editors write one) is not part of the first line.
            line = raw.decode("utf-8-sig" if number == 0 else "utf-8")
        except UnicodeDecodeError:
            yield number, None
            continue
        if line.strip():
            yield number, line


def _load_queries(name: str, lines: Lines, errors: TextIO) -> Matcher[int]:
    matcher: Matcher[int] = Matcher()
    for number, line in lines:
        try:
            if line is None:
                raise QueryError(_NOT_UTF8)
            matcher.add(number, parse_query(line))
        except QueryError as exc:
            print(f"{name}: query on line {number} skipped {_COUNTED}: {exc}", file=errors)
    return matcher


def _document(line: str | None) -> Document:
    """The item on *line*; raises ValueError with the reason it is not one."""
    if line is None:
        raise ValueError(_NOT_UTF8)
    try:
        item: Any = json.loads(line.rstrip("\r\n"))  # (a position past the end would count them)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} after {exc.pos} characters") from None
    if not isinstance(item, dict):
        raise ValueError(f"not a JSON object but {_JSON_TYPES[type(item)]}")
    values = {key: item.get(key) for key in FIELDS}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{key} must be text or null, not {_JSON_TYPES[type(value)]}")
    text = {key: value or "" for key, value in values.items()}
    return Document.from_text(
        text["title"], text["summary"], text["content"], source=source_label(text["feed"])
    )


def _load_items(name: str, lines: Lines, errors: TextIO) -> list[tuple[int, Document]]:
    documents = []
    for number, line in lines:
        try:
            documents.append((number, _document(line)))
        except ValueError as exc:
            print(f"{name}: item on line {number} skipped {_COUNTED}: {exc}", file=errors)
    return documents


def run_match(queries: Path, items: Path, *, out: TextIO, errors: TextIO, stdin: BinaryIO) -> int:
    """Match every item of *items* against every query of *queries*; see the module
    docstring. A path of ``-`` reads *stdin* (bytes)."""
    if queries == STANDARD_INPUT and items == STANDARD_INPUT:
        print("newsbot match: only one of QUERIES and ITEMS can be - (standard input)", file=errors)
        return 2
    try:
        started = time.perf_counter()
        with _numbered_lines(queries, stdin) as (name, lines):
            matcher = _load_queries(name, lines, errors)
        indexed = time.perf_counter() - started
        with _numbered_lines(items, stdin) as (name, lines):
            documents = _load_items(name, lines, errors)
    except _Unreadable as exc:
        print(f"newsbot match: {exc}", file=errors)
        return 2
    results = []
    started = time.perf_counter()
    for number, document in documents:
        results.append((number, matcher.match(document)))
    elapsed = time.perf_counter() - started
    total = 0
    for number, found in results:
        total += len(found)
        out.write(json.dumps({"item": number, "matches": sorted(found)}) + "\n")
    rate = len(results) / elapsed if elapsed else float("inf")
    print(
        f"{len(matcher)} queries (indexed in {indexed:.3f} s), {len(results)} items, {total} matches; "
        f"matching took {elapsed:.3f} s ({rate:,.0f} items/s)",
        file=errors,
    )
    return 0

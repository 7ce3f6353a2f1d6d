"""``python -m bot match QUERIES ITEMS``: the matcher in batch, for testing queries and benchmarks.

QUERIES is a text file with one query per line; ITEMS a JSON-lines file with ``title``,
``summary``, optional ``content`` and optional ``feed`` per line. For each item, one JSON
line goes to standard output: ``{"item": <0-based line>, "matches": [<0-based query lines>]}``.
Malformed lines are reported on standard error with their line number and skipped; the
counts and the time spent matching (loading excluded) go to standard error at the end.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TextIO

from bot.core.matcher import Document, Matcher
from bot.core.query import QueryError, parse_query, source_label

__all__ = ["run_match"]


def _load_queries(path: Path, errors: TextIO) -> Matcher[int]:
    matcher: Matcher[int] = Matcher()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            try:
                matcher.add(number, parse_query(line))
            except QueryError as exc:
                print(f"{path}:{number + 1}: query skipped: {exc}", file=errors)
    return matcher


def _load_items(path: Path, errors: TextIO) -> list[tuple[int, Document]]:
    documents = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            try:
                item: Any = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("not a JSON object")
                fields = [item.get(key, "") for key in ("title", "summary", "content")]
                feed = item.get("feed", "")
                if not all(isinstance(value, str) for value in [*fields, feed]):
                    raise ValueError("title, summary, content and feed must be strings")
            except ValueError as exc:
                print(f"{path}:{number + 1}: item skipped: {exc}", file=errors)
                continue
            documents.append((number, Document.from_text(*fields, source=source_label(feed))))
    return documents


def run_match(queries: Path, items: Path, *, out: TextIO, errors: TextIO) -> int:
    """Match every item of *items* against every query of *queries*; see the module docstring."""
    try:
        started = time.perf_counter()
        matcher = _load_queries(queries, errors)
        indexed = time.perf_counter() - started
        documents = _load_items(items, errors)
    except OSError as exc:
        print(f"newsbot match: cannot read {exc.filename}: {exc.strerror}", file=errors)
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

"""python -m bot match: the matcher over files, as operators use it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_match(tmp_path: Path, queries: str, items: list[object] | str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "queries.txt").write_text(queries, encoding="utf-8")
    lines = items if isinstance(items, str) else "\n".join(json.dumps(i, ensure_ascii=False) for i in items)
    (tmp_path / "items.jsonl").write_text(lines + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "match", str(tmp_path / "queries.txt"), str(tmp_path / "items.jsonl")],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_each_item_gets_a_line_with_the_queries_it_matches(tmp_path: Path):
    queries = 'census\n"oil prices" -football\n-football\nkurd*\nsource:rudaw census\nMakhmur\n'
    items = [
        {"title": "Census in Erbil", "summary": "Oil prices rose.", "feed": "Rudaw English"},
        {"title": "Kurdish football", "summary": "oil prices", "content": "A long story about Makhmūr."},
        {"title": "Nothing here"},
    ]
    result = run_match(tmp_path, queries, items)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [
        {"item": 0, "matches": [0, 1, 4]},
        {"item": 1, "matches": [3, 5]},
        {"item": 2, "matches": []},
    ]
    assert "queries.txt:3: query skipped" in result.stderr and "at least one word" in result.stderr
    assert "5 queries" in result.stderr and "3 items" in result.stderr and "matching took" in result.stderr


def test_malformed_item_lines_are_reported_with_their_number(tmp_path: Path):
    result = run_match(tmp_path, "census\n", '{"title": "census"}\nnot json\n[1, 2]\n{"title": 5}')
    assert result.returncode == 0
    assert [json.loads(line)["item"] for line in result.stdout.splitlines()] == [0]
    for number in (2, 3, 4):
        assert f"items.jsonl:{number}: item skipped" in result.stderr


def test_a_missing_file_is_a_clear_error(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "match", str(tmp_path / "none.txt"), str(tmp_path / "none.jsonl")],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr

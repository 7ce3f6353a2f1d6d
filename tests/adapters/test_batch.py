"""python -m bot match: the matcher over files, as operators use it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.batch import run_match as match_files

REPO = Path(__file__).resolve().parents[2]
COUNTED = "(lines counted from 0, as in the output)"


def run_match(tmp_path: Path, queries: str, items: list[object] | str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "queries.txt").write_text(queries, encoding="utf-8")
    lines = items if isinstance(items, str) else "\n".join(json.dumps(i, ensure_ascii=False) for i in items)
    (tmp_path / "items.jsonl").write_text(lines + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "match", str(tmp_path / "queries.txt"), str(tmp_path / "items.jsonl")],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


Output = list[dict[str, object]]


def match_in_process(tmp_path: Path, queries: bytes, items: bytes) -> tuple[int, Output, str]:
    """Run the batch on these file contents: (exit code, output lines, standard error)."""
    (tmp_path / "queries.txt").write_bytes(queries)
    (tmp_path / "items.jsonl").write_bytes(items)
    out, errors = io.StringIO(), io.StringIO()
    code = match_files(
        tmp_path / "queries.txt", tmp_path / "items.jsonl", out=out, errors=errors, stdin=io.BytesIO()
    )
    return code, [json.loads(line) for line in out.getvalue().splitlines()], errors.getvalue()


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
    assert f"queries.txt: query on line 2 skipped {COUNTED}: " in result.stderr
    assert "5 queries" in result.stderr and "3 items" in result.stderr and "matching took" in result.stderr


ITEM_LINES = [
    # (an item line, what the output or standard error says of it)
    ('{"title": "census"}', [0]),
    ('{"title": null, "summary": "census", "content": null, "feed": null}', [0]),
    ('{"title": "census", "summary": null}', [0]),
    ('{"title": "Makhmour", "feed": null}', [1]),
    ('{"title": "nothing"}', []),
    ("{}", []),
    ("not json", "not JSON: Expecting value after 0 characters"),
    ('{"title": "census"', "not JSON: Expecting ',' delimiter after 18 characters"),
    ("[1, 2]", "not a JSON object but a list"),
    ('"census"', "not a JSON object but text"),
    ("null", "not a JSON object but null"),
    ('{"title": 5}', "title must be text or null, not a number"),
    ('{"title": "census", "feed": ["Rudaw"]}', "feed must be text or null, not a list"),
    ('{"summary": true}', "summary must be text or null, not true or false"),
]


@pytest.mark.parametrize(("line", "said"), ITEM_LINES)
@pytest.mark.parametrize("blank_lines_before", [0, 2])
def test_an_item_line(tmp_path: Path, line: str, said: list[int] | str, blank_lines_before: int):
    """Each item line alone (after blank lines, which are skipped but counted): the output's
    item number and the error's line number are the line's 0-based place in the file."""
    items = "\n" * blank_lines_before + line + "\n"
    code, output, errors = match_in_process(tmp_path, b"census\n\n  \nMakhmour\n", items.encode())
    assert code == 0
    number = blank_lines_before
    if isinstance(said, list):
        assert output == [{"item": number, "matches": [3 * q for q in said]}], errors
        assert "skipped" not in errors
    else:
        assert output == []
        assert f"items.jsonl: item on line {number} skipped {COUNTED}: {said}\n" in errors, errors
    assert errors.endswith("2 queries (indexed in " + errors.split("(indexed in ", 1)[1])
    assert "\n\n" not in errors and "line 1 column" not in errors


QUERY_LINES = [
    # (a query line, whether it is kept, or what standard error says of it)
    ("census", True),
    ("  census  ", True),
    ("", "blank: skipped, silently"),
    ("   \t ", "blank: skipped, silently"),
    ("-football", "a keyword needs at least one word"),
]


@pytest.mark.parametrize(("line", "said"), QUERY_LINES)
def test_a_query_line(tmp_path: Path, line: str, said: bool | str):
    queries = f"Makhmour\n\n{line}\n".encode()
    code, output, errors = match_in_process(tmp_path, queries, b'{"title": "Makhmour census"}\n')
    assert code == 0
    if said is True:
        assert output == [{"item": 0, "matches": [0, 2]}] and "skipped" not in errors
    elif said.startswith("blank"):
        assert output == [{"item": 0, "matches": [0]}] and "skipped" not in errors
        assert errors.startswith("1 queries")
    else:
        assert output == [{"item": 0, "matches": [0]}]
        assert f"queries.txt: query on line 2 skipped {COUNTED}: {said}" in errors


def test_a_line_that_is_not_utf8_is_skipped_alone(tmp_path: Path):
    items = b'{"title": "census"}\n{"title": "caf\xe9 census"}\n{"title": "census"}\n'
    code, output, errors = match_in_process(tmp_path, b"census\n\xff\n", items)
    assert code == 0
    assert output == [{"item": 0, "matches": [0]}, {"item": 2, "matches": [0]}]
    assert f"queries.txt: query on line 1 skipped {COUNTED}: not UTF-8 text" in errors
    assert f"items.jsonl: item on line 1 skipped {COUNTED}: not UTF-8 text" in errors


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path: Path):
    code, output, errors = match_in_process(
        tmp_path, "\ufeffcensus\n".encode(), '\ufeff{"title": "census"}\n'.encode()
    )
    assert code == 0 and output == [{"item": 0, "matches": [0]}] and "skipped" not in errors


def match_stdin(tmp_path: Path, queries: str, items: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "match", queries, items],
        cwd=tmp_path, env={"PYTHONPATH": str(REPO)}, input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_dash_reads_the_items_from_standard_input(tmp_path: Path):
    (tmp_path / "queries.txt").write_text("census\nMakhmour\n", encoding="utf-8")
    stdin = '{"title": "census"}\n\n{"title": "Makhmour", "summary": null}\nnope\n'
    result = match_stdin(tmp_path, "queries.txt", "-", stdin)
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"item": 0, "matches": [0]}\n{"item": 2, "matches": [1]}\n'
    assert f"standard input: item on line 3 skipped {COUNTED}: not JSON" in result.stderr


def test_a_dash_reads_the_queries_from_standard_input(tmp_path: Path):
    (tmp_path / "items.jsonl").write_text('{"title": "Makhmour census"}\n', encoding="utf-8")
    result = match_stdin(tmp_path, "-", "items.jsonl", "\nMakhmour\n-football\ncensus\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"item": 0, "matches": [1, 3]}\n'
    assert f"standard input: query on line 2 skipped {COUNTED}" in result.stderr


def test_standard_input_serves_one_file_only(tmp_path: Path):
    result = match_stdin(tmp_path, "-", "-", "census\n")
    assert result.returncode == 2
    assert "only one of QUERIES and ITEMS can be -" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_missing_file_is_a_clear_error(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "match", str(tmp_path / "none.txt"), str(tmp_path / "none.jsonl")],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "none.txt" in result.stderr and "Traceback" not in result.stderr

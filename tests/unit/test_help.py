"""``python -m bot --help``: the environment variables in two columns that fit the terminal."""

from __future__ import annotations

import re

import pytest

from bot.__main__ import environment_help, main
from bot.settings import SETTINGS

NAME_LINE = re.compile(r"^  ([A-Z_]+)(?:  +(\S.*))?$")


def fits(lines: list[str], width: int) -> bool:
    """Every line fits, but for the one that names the bundled settings file (a path is not cut)."""
    return all(len(line) <= width for line in lines if "settings.toml" not in line)


@pytest.mark.parametrize("width", [70, 78, 100, 160])
def test_every_line_fits_and_every_text_starts_in_one_column(width: int):
    lines = environment_help(width).splitlines()
    assert fits(lines, width), lines
    named = [NAME_LINE.match(line) for line in lines]
    names = [match.group(1) for match in named if match]
    assert names == [s.env for s in SETTINGS] + ["NEWSBOT_SETTINGS"]
    columns = {line.index(match.group(2)) for line, match in zip(lines, named, strict=True) if match}
    assert len(columns) == 1, "the longest name pushes no text out of its column"
    column = columns.pop()
    # Continuation lines start in the same column.
    assert all(line.startswith(" " * column) for line, match in zip(lines, named, strict=True) if not match)


def test_on_a_narrow_terminal_texts_go_below_the_names():
    lines = environment_help(40).splitlines()
    assert lines[0] == "  TELEGRAM_BOT_TOKEN"
    assert lines[1].startswith("      The bot's token")
    assert fits(lines, 40), lines


@pytest.mark.parametrize("columns", ["50", "80", "200"])
def test_the_whole_help_fits_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], columns: str
):
    monkeypatch.setenv("COLUMNS", columns)
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert fits(text.splitlines(), min(int(columns) - 2, 100)), text
    assert "console" in text and "NEWSBOT_FEED_FAILURE_NOTICE_MINUTES" in text

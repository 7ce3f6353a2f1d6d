"""Logging masks secrets everywhere: an error nothing caught, in the main thread or another,
reaches standard error with the token masked (a library's message may quote it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAbcdefghijklmnopqrstuvwxyz01234567"
SET_UP = f"import sys, threading; sys.path.insert(0, {str(ROOT)!r}); from bot.logs import configure_logging; "
SET_UP += f"configure_logging('INFO', secrets=[{TOKEN!r}]); "


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        (f"raise ValueError(\"Invalid port: '8765{TOKEN}'\")", "Invalid port: '8765[redacted]'"),
        (
            f"t = threading.Thread(target=lambda: int('bot{TOKEN}')); t.start(); t.join()",
            "invalid literal for int() with base 10: 'bot[redacted]'",
        ),
    ],
    ids=["main thread", "another thread"],
)
def test_an_error_nothing_caught_shows_no_token(code: str, shown: str):
    run = subprocess.run([sys.executable, "-c", SET_UP + code], capture_output=True, text=True, timeout=60)
    assert "CRITICAL bot: unexpected error" in run.stderr and "Traceback" in run.stderr, run.stderr
    assert shown in run.stderr
    assert TOKEN not in run.stderr and TOKEN.partition(":")[2] not in run.stderr

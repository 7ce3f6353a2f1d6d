"""Fixtures for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import kill_leftovers


@pytest.fixture(autouse=True)
def no_bot_left_running() -> Iterator[None]:
    """A test that fails half-way must not leave a bot process running behind it."""
    yield
    kill_leftovers()

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.backends import Backend, MemoryBackend, TinyDBBackend


@pytest.fixture(params=["memory", "tinydb"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each contract test runs on every kind of database."""
    if request.param == "memory":
        yield MemoryBackend()
    else:
        yield TinyDBBackend(tmp_path / "data")

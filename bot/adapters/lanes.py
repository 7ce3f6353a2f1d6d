"""Lanes: work for one key (a chat) runs in turn, work for different keys at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable
from typing import Generic, TypeVar

__all__ = ["Lanes"]

Key = TypeVar("Key", bound=Hashable)


class _Lane:
    __slots__ = ("turn", "users")

    def __init__(self) -> None:
        self.turn = asyncio.Lock()  # fair: waiters are served in the order they came
        self.users = 0


class Lanes(Generic[Key]):
    """``async with lanes.turn(key):`` waits for the work queued before it under *key*.

    A lane exists only while someone uses it, so memory follows the keys in use now.
    """

    def __init__(self) -> None:
        self._lanes: dict[Key, _Lane] = {}

    def __len__(self) -> int:
        return len(self._lanes)

    @contextlib.asynccontextmanager
    async def turn(self, key: Key) -> AsyncIterator[None]:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.users += 1
        try:
            async with lane.turn:
                yield
        finally:
            lane.users -= 1
            if not lane.users:
                del self._lanes[key]

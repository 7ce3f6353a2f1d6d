"""Token buckets per chat: how fast a chat may receive messages, or send commands.

One :class:`ChatBuckets` holds a bucket for each chat that was active lately, all with
the rate its kind of chat gets. A bucket that is full again is the same as a new one, so
buckets are forgotten once they refill: the memory follows the chats active in the last
minutes, not every chat ever seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["ChatBuckets", "Pacing", "Rate"]

Key = TypeVar("Key", bound=Hashable)

FORGET_BEYOND = 10_000  # buckets kept before the full ones are forgotten


@dataclass(frozen=True, slots=True)
class Rate:
    """*per_second* tokens a second, at most *burst* kept."""

    per_second: float
    burst: float


@dataclass(frozen=True, slots=True)
class Pacing:
    """How fast one chat may receive messages (Telegram's limits, as settings)."""

    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0

    def rate_of(self, chat_id: int | str) -> Rate:
        """A private chat's rate (a positive id), or a group's or channel's (a negative id,
        or a public @username)."""
        if isinstance(chat_id, str) or chat_id < 0:
            return Rate(self.group_per_minute / 60.0, self.group_per_minute)
        return Rate(self.private_per_second, float(self.private_burst))


class ChatBuckets(Generic[Key]):
    """A token bucket per key (see the module docstring); *rate_of* gives each key's rate."""

    def __init__(self, rate_of: Callable[[Key], Rate], clock: Callable[[], float] = time.monotonic) -> None:
        self._rate_of = rate_of
        self._clock = clock
        self._buckets: dict[Key, tuple[float, float]] = {}  # key -> (tokens, updated at)
        self._forget_at = FORGET_BEYOND

    def _tokens(self, key: Key, now: float) -> float:
        rate = self._rate_of(key)
        tokens, updated = self._buckets.get(key, (rate.burst, now))
        return min(rate.burst, tokens + (now - updated) * rate.per_second)

    def ready_in(self, key: Key) -> float:
        """Seconds until *key* has a token (0 when it has one now)."""
        tokens = self._tokens(key, self._clock())
        if tokens >= 1:
            return 0.0
        return (1 - tokens) / self._rate_of(key).per_second

    def spend(self, key: Key) -> None:
        """Take a token, even one not there yet (the bucket then owes it)."""
        now = self._clock()
        self._buckets[key] = (self._tokens(key, now) - 1, now)
        if len(self._buckets) > self._forget_at:
            self._forget_full(now)
            # Doubled when many buckets are still refilling, so a spend costs O(1) on average.
            self._forget_at = max(FORGET_BEYOND, 2 * len(self._buckets))

    def try_spend(self, key: Key) -> bool:
        """Take a token if there is one now; False (and nothing taken) otherwise."""
        if self.ready_in(key) > 0:
            return False
        self.spend(key)
        return True

    def _forget_full(self, now: float) -> None:
        self._buckets = {
            key: (tokens, updated)
            for key, (tokens, updated) in self._buckets.items()
            if self._tokens(key, now) < self._rate_of(key).burst
        }

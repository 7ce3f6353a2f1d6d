"""Token buckets: how fast the bot may send (Telegram's limits), or a chat send commands.

One arithmetic for every bucket: *per_second* tokens a second, at most *burst* kept, one
spent per message. :class:`TokenBucket` is one bucket (all chats together);
:class:`ChatBuckets` holds one for each chat that was active lately, all with the rate its
kind of chat gets. A bucket that is full again is the same as a new one, so chats' buckets
are forgotten once they refill: the memory follows the chats active in the last minutes,
not every chat ever seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["ChatBuckets", "Pacing", "Rate", "TokenBucket"]

Key = TypeVar("Key", bound=Hashable)

FORGET_BEYOND = 10_000  # buckets kept before the full ones are forgotten
ROUNDING = 1e-9  # tokens


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
    # The two rates, made once: they are asked for several times a message.
    _private: Rate = field(init=False, repr=False, compare=False)
    _group: Rate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_private", Rate(self.private_per_second, float(self.private_burst)))
        object.__setattr__(self, "_group", Rate(self.group_per_minute / 60.0, self.group_per_minute))

    def rate_of(self, chat_id: int | str) -> Rate:
        """A private chat's rate (a positive id), or a group's or channel's (a negative id,
        or a public @username)."""
        if isinstance(chat_id, str) or chat_id < 0:
            return self._group
        return self._private


def _refilled(tokens: float, updated: float, now: float, rate: Rate) -> float:
    return min(rate.burst, tokens + (now - updated) * rate.per_second)


def _wait_for(wanted: float, tokens: float, rate: Rate) -> float:
    wanted = min(wanted, rate.burst)  # a bucket never holds more than its burst
    # (A refill of exactly one token may come out a hair short in floating point.)
    return 0.0 if tokens >= wanted - ROUNDING else (wanted - tokens) / rate.per_second


class TokenBucket:
    """One bucket at *rate*, full at first."""

    __slots__ = ("_clock", "_tokens", "_updated", "rate")

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._tokens = rate.burst
        self._updated = clock()

    def _now(self) -> tuple[float, float]:
        now = self._clock()
        return _refilled(self._tokens, self._updated, now, self.rate), now

    def ready_in(self) -> float:
        """Seconds until there is a token (0 when there is one now)."""
        return _wait_for(1, self._now()[0], self.rate)

    def spend(self) -> None:
        """Take a token, even one not there yet (the bucket then owes it)."""
        tokens, self._updated = self._now()
        self._tokens = tokens - 1

    def hold(self, seconds: float) -> None:
        """No token for *seconds* from now (Telegram said to wait), then the steady rate."""
        tokens, self._updated = self._now()
        self._tokens = min(tokens, 1 - seconds * self.rate.per_second)


class ChatBuckets(Generic[Key]):
    """A token bucket per key (see the module docstring); *rate_of* gives each key's rate."""

    def __init__(self, rate_of: Callable[[Key], Rate], clock: Callable[[], float] = time.monotonic) -> None:
        self._rate_of = rate_of
        self._clock = clock
        self._buckets: dict[Key, tuple[float, float]] = {}  # key -> (tokens, updated at)
        self._forget_at = FORGET_BEYOND

    def _tokens(self, key: Key, now: float, rate: Rate) -> float:
        kept = self._buckets.get(key)
        return rate.burst if kept is None else _refilled(kept[0], kept[1], now, rate)

    def ready_in(self, key: Key, tokens: int = 1) -> float:
        """Seconds until *key* has *tokens* tokens (0 when it has them now), or its whole burst
        if that is fewer."""
        rate = self._rate_of(key)
        return _wait_for(tokens, self._tokens(key, self._clock(), rate), rate)

    def spend(self, key: Key) -> None:
        """Take a token, even one not there yet (the bucket then owes it)."""
        now = self._clock()
        self._buckets[key] = (self._tokens(key, now, self._rate_of(key)) - 1, now)
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
            if self._tokens(key, now, rate := self._rate_of(key)) < rate.burst
        }

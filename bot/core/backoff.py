"""Exponential backoff with jitter, for retries of messages and of failing feeds."""

from __future__ import annotations

__all__ = ["backoff_delay"]


def backoff_delay(attempt: int, *, first: float, cap: float, jitter: float) -> float:
    """Seconds to wait before retry number *attempt* (1, 2, ...).

    The wait doubles from *first* on each attempt, is multiplied by a factor between 0.5 and
    1.5 taken from *jitter* (a random number in [0, 1)) so that what failed together does
    not retry together, and never exceeds *cap*.
    """
    doubled = first * 2 ** min(max(attempt - 1, 0), 40)
    return min(cap, doubled * (0.5 + jitter))

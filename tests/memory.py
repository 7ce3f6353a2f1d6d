"""How much memory a piece of work keeps, for tests that memory stays bounded: measured
with tracemalloc, so it is the same on every run (no timing, no process size)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable


def memory_kept(work: Callable[[range], object], warm_up: int = 1000, then: int = 4000) -> int:
    """The bytes still held after ``work(range(warm_up, warm_up + then))`` beyond those held
    after ``work(range(warm_up))``: about nothing when memory is bounded, megabytes when each
    call leaves something behind."""
    tracemalloc.start()
    try:
        work(range(warm_up))
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        work(range(warm_up, warm_up + then))
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

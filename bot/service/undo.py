"""Undoing a removal or a mute from the button under its confirmation, for a while.

Each change a button made can be undone by the button that replaces it, within
:data:`UNDO_SECONDS`. The record lives in memory: after a restart the button answers that it
is too late (the subscriptions themselves are in the store).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.service.subscriptions import Place, Subscription

__all__ = ["UNDO_SECONDS", "Undoable", "Undos"]

UNDO_SECONDS = 24 * 3600.0
MAX_RECORDS = 10_000


@dataclass(frozen=True, slots=True)
class Undoable:
    """What an undo puts back, in *place*: removed subscriptions, or a subscription's mute
    as it was (``muted`` is its previous muted_until)."""

    place: Place
    removed: Sequence[Subscription] = ()
    unmute: int | None = None  # a subscription id
    muted: float | None = None
    expires: float = 0.0


class Undos:
    """See the module docstring."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._records: dict[int, Undoable] = {}
        self._ids = itertools.count(1)

    def offer(self, undoable: Undoable) -> int:
        """Keep *undoable*; returns the id its Undo button carries."""
        now = self._clock()
        if len(self._records) >= MAX_RECORDS:
            self._records = {i: r for i, r in self._records.items() if r.expires > now}
        number = next(self._ids)
        self._records[number] = Undoable(
            undoable.place, undoable.removed, undoable.unmute, undoable.muted, now + UNDO_SECONDS
        )
        return number

    def take(self, number: int, place: Place) -> Undoable | None:
        """The undo *number*, if it exists, has not expired and belongs to *place* (taken:
        it cannot be used twice)."""
        record = self._records.get(number)
        if record is None or record.place != place or record.expires < self._clock():
            return None
        del self._records[number]
        return record

"""What the buttons under the bot's messages do.

Under an alert: mute its keyword for a day, or unsubscribe from it; either can be undone
from the button that replaces them. Under /list: remove a subscription (the list is shown
again, with an Undo). Under the question of /unsubscribe all: confirm or keep. A button's
data carries ids only; a press is honoured only from the chat (and topic) the subscription
belongs to, so a forged, stale or foreign press changes nothing and gets a short answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.formatting import format_subscription_list
from bot.service.pace import alert_buttons
from bot.service.ports import Button, Buttons, Reply, StorageFailure
from bot.service.subscriptions import Place, Subscription, Subscriptions
from bot.service.undo import Undoable, Undos

__all__ = ["MUTE_SECONDS", "Pressed", "Presses"]

MUTE_SECONDS = 24 * 3600.0
STALE = "This button no longer works."
KEPT = "Nothing was removed: your subscriptions stay."
NO_SUBSCRIPTIONS = (
    "You have no subscriptions yet. Try <code>/subscribe Makhmour</code> or "
    "<code>/subscribe census, oil prices</code>."
)
NOT_SAVED = "I could not save that: the bot's storage is failing. Nothing was changed."


@dataclass(frozen=True, slots=True)
class Pressed:
    """The answer to a press (a short notice), and what becomes of the message it was
    under: its new text (None: unchanged) and buttons (None: unchanged)."""

    answer: str
    html: str | None = None
    buttons: Buttons | None = None


def _quoted(subscriptions: list[Subscription]) -> str:
    return ", ".join(f"“{s.query.text}”" for s in subscriptions)


LIST_BUTTONS_PER_ROW = 5


class Presses:
    """See the module docstring."""

    def __init__(
        self, subscriptions: Subscriptions, *, undos: Undos, clock: Callable[[], float] = time.time
    ) -> None:
        self._subscriptions = subscriptions
        self._undos = undos
        self._clock = clock
        self._confirmations: dict[int, Place] = {}
        self._confirmation_ids = 0

    def listing(self, place: Place) -> Reply:
        """/list for *place*: its subscriptions, numbered, each with a ✖ button."""
        subscriptions = self._subscriptions.in_place(*place)
        if not subscriptions:
            return Reply(NO_SUBSCRIPTIONS)
        html = format_subscription_list(
            [s.query.text for s in subscriptions], limit=self._subscriptions.max_per_chat
        )
        buttons = [Button(f"✖ {n}", f"rm:{s.id}") for n, s in enumerate(subscriptions, start=1)]
        rows = tuple(
            tuple(buttons[i : i + LIST_BUTTONS_PER_ROW]) for i in range(0, len(buttons), LIST_BUTTONS_PER_ROW)
        )
        return Reply(html, rows)

    def offer_undo(self, place: Place, removed: list[Subscription]) -> int:
        """Keep removed subscriptions for an Undo button; returns its number."""
        return self._undos.offer(Undoable(place, removed=removed))

    def confirm_all(self, place: Place) -> Buttons:
        """The buttons of the question "remove all?" for *place*."""
        self._confirmation_ids += 1
        self._confirmations[self._confirmation_ids] = place
        count = len(self._subscriptions.in_place(*place))
        return (
            (
                Button(f"Yes, remove all {count}", f"rmall:{self._confirmation_ids}"),
                Button("No, keep them", f"keep:{self._confirmation_ids}"),
            ),
        )

    def press(self, place: Place, data: str) -> Pressed:
        """Carry out the press of a button carrying *data* under a message in *place*."""
        action, _, argument = data.partition(":")
        if not argument.isdecimal():
            return Pressed(STALE)
        try:
            if action == "mute":
                return self._mute(place, int(argument))
            if action in ("unsub", "rm"):
                return self._remove(place, int(argument), from_list=action == "rm")
            if action in ("undo", "undol"):
                return self._undo(place, int(argument), from_list=action == "undol")
            if action == "rmall":
                return self._remove_all(place, int(argument))
            if action == "keep":
                self._confirmations.pop(int(argument), None)  # the question is answered
                return Pressed("Nothing was removed.", html=KEPT, buttons=())
        except StorageFailure:
            return Pressed(NOT_SAVED)
        return Pressed(STALE)

    def _own(self, place: Place, subscription_id: int) -> Subscription | None:
        subscription = self._subscriptions.get(subscription_id)
        return subscription if subscription is not None and subscription.place == place else None

    def _mute(self, place: Place, subscription_id: int) -> Pressed:
        subscription = self._own(place, subscription_id)
        if subscription is None:
            return Pressed(STALE)
        before = subscription.stored.muted_until
        self._subscriptions.mute(subscription_id, self._clock() + MUTE_SECONDS)
        undo = self._undos.offer(Undoable(place, unmute=subscription_id, muted=before))
        return Pressed(
            f"Muted “{subscription.query.text}” for 24 hours.",
            buttons=((Button("↩ Undo", f"undo:{undo}"),),),
        )

    def _remove(self, place: Place, subscription_id: int, *, from_list: bool) -> Pressed:
        subscription = self._own(place, subscription_id)
        if subscription is None:
            return Pressed(STALE)
        removed = self._subscriptions.remove([subscription_id])
        undo = self._undos.offer(Undoable(place, removed=removed))
        answer = f"Unsubscribed from {_quoted(removed)}."
        if not from_list:
            return Pressed(answer, buttons=((Button("↩ Undo", f"undo:{undo}"),),))
        listing = self.listing(place)
        return Pressed(
            answer,
            html=f"{listing.html}\n\n✖ Removed {_quoted(removed)}.",
            buttons=(*listing.buttons, (Button("↩ Undo", f"undol:{undo}"),)),
        )

    def _remove_all(self, place: Place, confirmation: int) -> Pressed:
        if self._confirmations.pop(confirmation, None) != place:
            return Pressed(STALE)
        removed = self._subscriptions.unsubscribe_all(*place)
        if not removed:
            return Pressed("There was nothing to remove.", html="You have no subscriptions.", buttons=())
        undo = self._undos.offer(Undoable(place, removed=removed))
        return Pressed(
            f"Removed all {len(removed)}.",
            html=f"Unsubscribed from all {len(removed)}: {_quoted(removed)}.",
            buttons=((Button("↩ Undo", f"undol:{undo}"),),),
        )

    def _undo(self, place: Place, number: int, *, from_list: bool) -> Pressed:
        record = self._undos.take(number, place)
        if record is None:
            return Pressed("This can no longer be undone.")
        if record.unmute is not None:
            subscription = self._own(place, record.unmute)
            if subscription is None:
                return Pressed("This can no longer be undone.")
            self._subscriptions.mute(record.unmute, record.muted)
            return Pressed(f"“{subscription.query.text}” is back.", buttons=alert_buttons([subscription]))
        back = self._subscriptions.restore(record.removed)
        answer = f"{_quoted(back)} {'is' if len(back) == 1 else 'are'} back." if back else "Already back."
        if from_list:
            listing = self.listing(place)
            return Pressed(answer, html=listing.html, buttons=listing.buttons)
        return Pressed(answer, buttons=alert_buttons(back))

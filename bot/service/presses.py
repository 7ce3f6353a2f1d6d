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

from bot.core.formatting import format_subscription_list, join_list
from bot.core.language import N_, _, direction_mark, embed, format_number, ngettext
from bot.core.markup import inline
from bot.service.pace import alert_buttons
from bot.service.ports import Button, Buttons, Reply, StorageFailure
from bot.service.subscriptions import Place, Subscription, Subscriptions
from bot.service.undo import Undoable, Undos

__all__ = ["MUTE_SECONDS", "Pressed", "Presses"]

MUTE_SECONDS = 24 * 3600.0
# Translators: the short notice when a button under an old message is pressed.
STALE = N_("This button no longer works.")
KEPT = N_("Nothing was removed: your subscriptions stay.")
# Translators: the keywords after /subscribe are examples: you may use ones your readers
# would follow (keep the commas between several keywords).
NO_SUBSCRIPTIONS = N_(
    "You have no subscriptions yet. Try <code>/subscribe Makhmour</code> or "
    "<code>/subscribe census, oil prices</code>."
)
NOT_SAVED = N_("I could not save that: the bot's storage is failing. Nothing was changed.")


@dataclass(frozen=True, slots=True)
class Pressed:
    """The answer to a press (a short notice), and what becomes of the message it was
    under: its new text (None: unchanged) and buttons (None: unchanged)."""

    answer: str
    html: str | None = None
    buttons: Buttons | None = None


def _quoted(subscriptions: list[Subscription], *, html: bool = False) -> str:
    """The subscriptions' keywords, each in quotes (escaped for a message, *html*; a
    button's notice is plain text)."""
    phrases = (inline(s.query.quotable) if html else embed(s.query.quotable) for s in subscriptions)
    return join_list(_("“{phrase}”").format(phrase=phrase) for phrase in phrases)


def _undo_button(data: str) -> Button:
    # Translators: a button that undoes what the user just did (a mute, an unsubscribe).
    return Button(_("↩ Undo"), data)


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
        """/list for *place*: its subscriptions with their numbers, each with a ✖ button."""
        subscriptions = self._subscriptions.in_place(*place)
        if not subscriptions:
            return Reply(_(NO_SUBSCRIPTIONS))
        html = format_subscription_list(
            [s.query.text for s in subscriptions],
            numbers=[s.number for s in subscriptions],
            limit=self._subscriptions.max_per_chat,
        )
        buttons = [Button(f"✖ {format_number(s.number)}", f"rm:{s.id}") for s in subscriptions]
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
                # Translators: a button under "/unsubscribe all"'s question; {n} is how many
                # subscriptions the chat has.
                Button(
                    ngettext("Yes, remove all {n}", "Yes, remove all {n}", count).format(
                        n=format_number(count)
                    ),
                    f"rmall:{self._confirmation_ids}",
                ),
                # Translators: a button under "/unsubscribe all"'s question.
                Button(_("No, keep them"), f"keep:{self._confirmation_ids}"),
            ),
        )

    def press(self, place: Place, data: str) -> Pressed:
        """Carry out the press of a button carrying *data* under a message in *place*."""
        action, _colon, argument = data.partition(":")
        if not argument.isdecimal():
            return Pressed(_(STALE))
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
                return Pressed(_("Nothing was removed."), html=_(KEPT), buttons=())
        except StorageFailure:
            return Pressed(_(NOT_SAVED))
        return Pressed(_(STALE))

    def _own(self, place: Place, subscription_id: int) -> Subscription | None:
        subscription = self._subscriptions.get(subscription_id)
        return subscription if subscription is not None and subscription.place == place else None

    def _mute(self, place: Place, subscription_id: int) -> Pressed:
        subscription = self._own(place, subscription_id)
        if subscription is None:
            return Pressed(_(STALE))
        before = subscription.stored.muted_until
        self._subscriptions.mute(subscription_id, self._clock() + MUTE_SECONDS)
        undo = self._undos.offer(Undoable(place, unmute=subscription_id, muted=before))
        # Translators: the notice after a press of Mute under an alert; {keyword} is the
        # subscription muted.
        muted = _("Muted “{keyword}” for 24 hours.").format(keyword=embed(subscription.query.quotable))
        return Pressed(muted, buttons=((_undo_button(f"undo:{undo}"),),))

    def _remove(self, place: Place, subscription_id: int, *, from_list: bool) -> Pressed:
        subscription = self._own(place, subscription_id)
        if subscription is None:
            return Pressed(_(STALE))
        removed = self._subscriptions.remove([subscription_id])
        undo = self._undos.offer(Undoable(place, removed=removed))
        # Translators: {keywords} is the subscription removed, in quotes.
        answer = _("Unsubscribed from {keywords}.").format(keywords=_quoted(removed))
        if not from_list:
            return Pressed(answer, buttons=((_undo_button(f"undo:{undo}"),),))
        listing = self.listing(place)
        # Translators: under /list after its ✖ button removed {keywords} (in quotes).
        gone = _("✖ Removed {keywords}.").format(keywords=_quoted(removed, html=True))
        return Pressed(
            answer,
            html=f"{listing.html}\n\n{gone}",
            buttons=(*listing.buttons, (_undo_button(f"undol:{undo}"),)),
        )

    def _remove_all(self, place: Place, confirmation: int) -> Pressed:
        if self._confirmations.pop(confirmation, None) != place:
            return Pressed(_(STALE))
        removed = self._subscriptions.unsubscribe_all(*place)
        if not removed:
            return Pressed(
                _("There was nothing to remove."), html=_("You have no subscriptions."), buttons=()
            )
        undo = self._undos.offer(Undoable(place, removed=removed))
        n = len(removed)
        return Pressed(
            # Translators: the short notice after "/unsubscribe all" was confirmed; {n} is how many.
            ngettext("Removed all {n}.", "Removed all {n}.", n).format(n=format_number(n)),
            # Translators: {n} is how many subscriptions were removed, {keywords} them, in quotes.
            html=ngettext(
                "Unsubscribed from all {n}: {keywords}.", "Unsubscribed from all {n}: {keywords}.", n
            ).format(n=format_number(n), keywords=_quoted(removed, html=True)),
            buttons=((_undo_button(f"undol:{undo}"),),),
        )

    def _undo(self, place: Place, number: int, *, from_list: bool) -> Pressed:
        record = self._undos.take(number, place)
        if record is None:
            return Pressed(_("This can no longer be undone."))
        if record.unmute is not None:
            subscription = self._own(place, record.unmute)
            if subscription is None:
                return Pressed(_("This can no longer be undone."))
            self._subscriptions.mute(record.unmute, record.muted)
            # Translators: the notice after Undo of a mute; {keyword} is the subscription.
            unmuted = direction_mark() + _("“{keyword}” is back.").format(
                keyword=embed(subscription.query.quotable)
            )
            return Pressed(unmuted, buttons=alert_buttons([subscription]))
        back = self._subscriptions.restore(record.removed)
        # Translators: the notice after Undo of an unsubscribe; {keywords} are the
        # subscriptions back, each in quotes.
        answer = (
            direction_mark()
            + ngettext("{keywords} is back.", "{keywords} are back.", len(back)).format(
                keywords=_quoted(back)
            )
            if back
            else _("Already back.")
        )
        if from_list:
            listing = self.listing(place)
            return Pressed(answer, html=listing.html, buttons=listing.buttons)
        return Pressed(answer, buttons=alert_buttons(back))

"""Who may change a chat's subscriptions and settings.

In a private chat, its user. In a group, the group's administrators (and the bot's admins),
unless the group's settings let every member do it. Membership is asked of Telegram through
the :class:`Membership` port, whose adapter keeps the answers for a while: a group's chatter
does not cost a lookup per message.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from bot.core.language import N_
from bot.service.pace import AlertPace

__all__ = ["ONLY_ADMINS", "Membership", "Permissions"]

# Marked for the catalogue; translated where it is shown: _(ONLY_ADMINS).
ONLY_ADMINS = N_(
    "Only this group's admins can change its subscriptions and settings. "
    "An admin can let every member do it in /settings."
)


class Membership(Protocol):
    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """Whether *user_id* is an administrator (or the owner) of the group *chat_id*."""
        ...


class Permissions:
    """See the module docstring."""

    def __init__(self, membership: Membership, pace: AlertPace, *, admins: Collection[int]) -> None:
        self._membership = membership
        self._pace = pace
        self._admins = frozenset(admins)

    async def may_change(
        self, chat_id: int, chat_type: str, user_id: int | None, *, as_group: bool = False
    ) -> bool:
        """Whether this user may change the chat's subscriptions and settings; *as_group*:
        the message was sent in the group's name (an anonymous admin)."""
        if chat_type == "private" or as_group:
            return True
        if user_id is None:
            return False
        if user_id in self._admins or self._pace.settings(chat_id).members_may_edit:
            return True
        return await self._membership.is_admin(chat_id, user_id)

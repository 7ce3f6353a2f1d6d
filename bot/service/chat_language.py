"""The language each chat reads, and ``/language``.

A chat that never chose reads the bot's default language, except a private chat whose
user's Telegram language is one of ours (or close to one, see
:func:`bot.core.language.language_for_user`): it takes that language at its first command,
and keeps it until ``/language`` changes it. A group chooses with ``/language``.
"""

from __future__ import annotations

from bot.core.language import LANGUAGES, _, embed, language_for_user, speaking
from bot.core.markup import code, in_code
from bot.core.text import strip_bidi_controls
from bot.service.commands import NOT_SAVED
from bot.service.pace import AlertPace
from bot.service.ports import Button, Reply, StorageFailure

__all__ = ["ChatLanguages"]

BUTTON_PREFIX = "lang:"
# What else people type for our languages: its names in English and in itself, and Kurdish
# in general ("ku"), of which Sorani is the one we write.
ALIASES = {
    "ku": "ckb", "kurdish": "ckb", "sorani": "ckb", "کوردی": "ckb", "سۆرانی": "ckb",
    "arabic": "ar", "عربي": "ar", "عربی": "ar", "عەرەبی": "ar", "english": "en",
}  # fmt: skip


class ChatLanguages:
    """See the module docstring."""

    def __init__(self, pace: AlertPace, *, default: str) -> None:
        self._pace = pace
        self._default = default  # (the pace's default too)

    @property
    def default(self) -> str:
        """The language of a chat that never chose one."""
        return self._default

    def of(self, chat_id: int) -> str:
        """The language chat *chat_id* reads."""
        return self._pace.language(chat_id)

    def adopt(self, chat_id: int, *, private: bool, user_language: str | None) -> bool:
        """A private chat that never chose takes its user's Telegram language when it is
        ours (or close to one); True when that changed the chat's language. Nothing is
        written for a user whose language is not ours: they read the default."""
        settings = self._pace.settings(chat_id)
        ours = language_for_user(user_language)
        if not private or settings.language is not None or ours is None:
            return False
        try:
            self._pace.save(chat_id, settings.with_changes(language=ours))
        except StorageFailure:
            return False  # (read in it now; tried again with the next command)
        return ours != self._default

    def show(self, chat_id: int) -> Reply:
        """The chat's language and a button for each of ours."""
        language = self.of(chat_id)
        text = "\n".join(
            (
                _("Language: {language}.").format(language=embed(LANGUAGES[language])),
                _("Choose the language of my messages:"),
                # Translators: keep /language and the codes en, ckb, ar as they are.
                _(
                    "You can also send <code>/language en</code>, <code>/language ckb</code> "
                    "or <code>/language ar</code>."
                ),
            )
        )
        buttons = tuple(
            Button(("✓ " if each == language else "") + name, f"{BUTTON_PREFIX}{each}")
            for each, name in LANGUAGES.items()
        )
        return Reply(text, (buttons,))

    def choose(self, chat_id: int, typed: str) -> Reply:
        """Set the chat's language to *typed* (a code or a language's own name); the answer
        is in the new language."""
        wanted = typed.strip().casefold()
        chosen = next(
            (c for c, name in LANGUAGES.items() if wanted in (c, name.casefold())),
            ALIASES.get(wanted) or language_for_user(wanted),
        )
        if chosen is None:
            shown = code(strip_bidi_controls(wanted)[:40])
            return Reply(
                _("I do not have the language {typed}. I write in:").format(typed=shown)
                + "\n"
                + "\n".join(f"• {in_code(f'/language {c}')} {embed(name)}" for c, name in LANGUAGES.items()),
                self.show(chat_id).buttons,
            )
        settings = self._pace.settings(chat_id)
        try:
            self._pace.save(chat_id, settings.with_changes(language=chosen))
        except StorageFailure:
            return Reply(_(NOT_SAVED))
        with speaking(chosen):
            return Reply(
                _("From now on I write to this chat in {language}.").format(language=embed(LANGUAGES[chosen]))
                + "\n"
                + _("/help shows what I can do.")
            )

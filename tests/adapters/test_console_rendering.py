"""The console shows messages as text: its own styles work, nothing from a message acts on the terminal."""

from __future__ import annotations

import asyncio
import io
import re

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.console import TerminalBotAPI, printable, render_html

# What a terminal acts on: ESC and CSI (C1) start escape sequences, BEL rings, CR rewrites.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OUR_STYLES = re.compile(r"\x1b\[(?:1|22|3|23)m")

HOSTILE = (
    "<b>Census \x1b[2J\x1b]0;owned\x07 begins\r</b>\n"
    "Counting &#x1b;[31m began \x9b31m on\x00 Sunday\x7f.\n"
    '<a href="https://e.org/?a=1&amp;b=2">Read on e.org</a>\n'
    "<i>Matched: <code>census</code></i>"
)


@pytest.mark.parametrize("color", [True, False])
def test_no_control_character_of_a_message_reaches_the_terminal(color: bool):
    shown = render_html(HOSTILE, color=color)
    assert not CONTROL.search(OUR_STYLES.sub("", shown)), repr(shown)
    assert "Census ␛[2J␛]0;owned␇ begins␍" in shown, "what was there is shown, harmlessly"
    assert "\ufffd31m on␀ Sunday␡." in shown
    assert "Read on e.org (https://e.org/?a=1&b=2)" in shown


def test_the_consoles_own_styles_still_work():
    assert render_html("<b>bold</b> and <i>italic</i>", color=True) == (
        "\x1b[1mbold\x1b[22m and \x1b[3mitalic\x1b[23m"
    )
    assert render_html("<b>bold</b> &amp; <code>code</code>", color=False) == "bold & code"


def test_tabs_and_newlines_stay():
    assert printable("a\tb\nc") == "a\tb\nc"


def test_plain_messages_and_button_labels_are_shown_safely_too():
    out = io.StringIO()
    terminal = TerminalBotAPI(stdin=io.StringIO(), stdout=out, color=True)
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Send\x1b[8m", callback_data="s")]])

    async def send() -> None:  # as the bot sends through the console: PTB's requests, no parse mode
        async with Bot("1:console", request=terminal, get_updates_request=terminal) as bot:
            await bot.send_message(1, "plain \x1b[5mblink", reply_markup=buttons)

    asyncio.run(send())
    assert not CONTROL.search(out.getvalue()), repr(out.getvalue())
    assert "plain ␛[5mblink" in out.getvalue() and "[ Send␛[8m ]" in out.getvalue()

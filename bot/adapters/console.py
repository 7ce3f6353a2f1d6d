"""The console: the whole bot, with the terminal standing in for Telegram.

:class:`TerminalBotAPI` is a ``telegram.request.BaseRequest`` that answers the Bot API
methods the bot uses: ``getUpdates`` returns the lines typed on standard input as messages
from one local user, and ``sendMessage`` prints the message. Everything above it (the PTB
Application, the handlers, the JobQueue that polls feeds, the delivery loop) is the code that
runs against Telegram, unchanged: the same idea as errbot's text backend. Buttons under a
message are listed below it; typing a button's text, or a word of it of 4 letters or more,
presses it (the newest button that has it: ``mute`` presses the Mute button of the latest
alert).

In a terminal, lines are typed at a prompt_toolkit prompt: arrow keys edit, Up and Ctrl-R
recall earlier lines (kept in a history file), and everything printed meanwhile, messages
and log lines alike, appears above the line being typed. Piped input is read line by line.
The first line is handed to the bot only once the polls at start are over, so that a
first ``/subscribe`` previews what they found.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import shutil
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.patch_stdout import patch_stdout
from telegram.request import BaseRequest, RequestData

from bot.core.formatting import format_duration
from bot.core.language import DEFAULT_LANGUAGE, _, embed, format_number, ngettext, speaking
from bot.core.sources import FeedSource

__all__ = [
    "CONSOLE_CHAT_ID",
    "CONSOLE_USER_ID",
    "SAMPLE_FEED_NAME",
    "TerminalBotAPI",
    "open_terminal",
    "printable",
    "render_html",
    "sample_feed",
]

CONSOLE_USER_ID = 1
CONSOLE_CHAT_ID = 1
QUIT_WORDS = frozenset({"/quit", "/exit"})
ANSWER_WAIT_SECONDS = 10.0
# Longest wait for the polls at start before the first line is handed over anyway (each
# poll has its own deadline; this only bounds a surprise).
FIRST_POLLS_WAIT_SECONDS = 90.0
PROMPT = "> "
HISTORY_FILE = "newsbot-console-history"
SAMPLE_FEED_NAME = "newsbot sample"
SAMPLE_FEED_COPY = "sample-feed.xml"
MAX_BUTTONS = 200  # buttons remembered for pressing, the oldest forgotten first
MIN_PRESS_LETTERS = 4  # a word shorter than this presses only a button labelled so
BOT_USER = {
    "id": 10,
    "is_bot": True,
    "first_name": "newsbot",
    "username": "newsbot_console_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
LOCAL_USER = {"id": CONSOLE_USER_ID, "is_bot": False, "first_name": "you"}
LOCAL_CHAT = {"id": CONSOLE_CHAT_ID, "type": "private", "first_name": "you"}

_ANCHOR = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_STYLE_TAG = re.compile(r"(</?(?:b|i|code)>)")
_OTHER_TAG = re.compile(r"</?\w+[^>]*>")
_ANSI = {"<b>": "\033[1m", "</b>": "\033[22m", "<i>": "\033[3m", "</i>": "\033[23m"}
# Control characters a terminal would act on (ESC starts an escape sequence, CR rewrites the
# line, C1 controls are escape sequences of their own), shown as visible symbols instead:
# the control pictures for C0 and DEL, the replacement character for C1. Tab and newline stay.
_VISIBLE = {
    **{code: chr(0x2400 + code) for code in (*range(0x00, 0x09), *range(0x0B, 0x20))},
    0x7F: "\u2421",
    **dict.fromkeys(range(0x80, 0xA0), "\ufffd"),
}


def printable(text: str) -> str:
    """*text* with every control character shown as a visible symbol (see _VISIBLE)."""
    return text.translate(_VISIBLE)


def render_html(message: str, *, color: bool) -> str:
    """Telegram HTML as terminal text: bold and italics as ANSI styles (or plain), links
    spelled out. Nothing from the message reaches the terminal as a control character,
    whether written raw or as an entity such as ``&#27;``: only the styles are ours."""

    def anchor(match: re.Match[str]) -> str:
        url, text = html.unescape(match.group(1)), match.group(2)
        return text if html.unescape(text) == url else f"{text} ({html.escape(url)})"

    shown = []
    for piece in _STYLE_TAG.split(_ANCHOR.sub(anchor, message)):
        if _STYLE_TAG.fullmatch(piece):
            shown.append(_ANSI.get(piece, "") if color else "")
        else:
            shown.append(printable(html.unescape(_OTHER_TAG.sub("", piece))))
    return "".join(shown)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TerminalBotAPI(BaseRequest):
    """A Bot API served by the terminal (see the module docstring).

    Lines are typed at *prompt* when one is given, else read from *stdin* by a daemon
    thread; end of input (Ctrl-D), Ctrl-C or ``/quit`` calls *on_quit* once every line
    typed before it was handed to the bot. No line is handed over before *ready* returns
    (or :data:`FIRST_POLLS_WAIT_SECONDS` pass).
    """

    def __init__(
        self,
        *,
        stdin: TextIO,
        stdout: TextIO,
        color: bool,
        prompt: PromptSession[str] | None = None,
    ) -> None:
        self._stdin = stdin
        self._stdout = stdout
        self._color = color
        self._prompt = prompt
        self._prompting: asyncio.Task[None] | None = None
        self._ready: asyncio.Task[None] | None = None
        self._lines: asyncio.Queue[str | None] | None = None
        self._ids = itertools.count(1)
        self._reader: threading.Thread | None = None
        self._ended = False
        self._quit_called = False
        # The buttons of the latest message that has some: label -> (message id, data).
        # label (casefolded) -> (message id, callback data), the newest buttons last
        self._buttons: dict[str, tuple[int, str]] = {}
        # Like a person, hand over the next line once the bot has answered the last one
        # (so a scripted session can press the buttons of a reply it has not seen yet).
        self._answered = asyncio.Event()
        self._answered.set()
        self.on_quit: Callable[[], None] = lambda: None
        self.ready: Callable[[], Awaitable[None]] = _at_once
        # The console chat's language, for the console's own words around what the bot sends.
        self.language: Callable[[], str] = lambda: DEFAULT_LANGUAGE

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        if self._lines is not None:
            return
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._lines = lines
        self._ready = asyncio.create_task(self._wait_ready(), name="console waits for the first polls")
        if self._prompt is not None:
            self._prompting = asyncio.create_task(self._typed(self._prompt, lines), name="console prompt")
            return

        def read() -> None:
            for line in self._stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\r\n"))
            loop.call_soon_threadsafe(lines.put_nowait, None)

        self._reader = threading.Thread(target=read, name="console-stdin", daemon=True)
        self._reader.start()

    async def _wait_ready(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready(), timeout=FIRST_POLLS_WAIT_SECONDS)

    async def _typed(self, prompt: PromptSession[str], lines: asyncio.Queue[str | None]) -> None:
        """Lines typed at the prompt, the first once the bot is ready, until Ctrl-D,
        Ctrl-C or /quit. The prompt comes back at once: answers appear above it."""
        assert self._ready is not None
        await asyncio.shield(self._ready)
        while True:
            try:
                # The bot's own signal handlers and the loop's exception handler stay in
                # force (prompt_toolkit would otherwise replace them while it prompts).
                line = await prompt.prompt_async(PROMPT, handle_sigint=False, set_exception_handler=False)
            except (EOFError, KeyboardInterrupt):
                lines.put_nowait(None)
                return
            lines.put_nowait(line)
            if line.strip().casefold() in QUIT_WORDS:
                return

    async def shutdown(self) -> None:
        """Put the terminal back as it was (a reader thread is a daemon blocked on standard
        input: nothing to release)."""
        for task in (self._prompting, self._ready):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        parameters = request_data.parameters if request_data is not None else {}
        if name == "getUpdates":
            result: Any = await self._get_updates(float(str(parameters.get("timeout") or 0)))
        elif name == "getMe":
            result = BOT_USER
        elif name == "sendMessage":
            result = self._show(parameters, next(self._ids))
        elif name == "editMessageText":
            result = self._show(parameters, int(str(parameters.get("message_id", 0))), edited=True)
        elif name == "editMessageReplyMarkup":
            self._show_buttons(parameters, int(str(parameters.get("message_id", 0))))
            result = True
        elif name == "answerCallbackQuery":
            if parameters.get("text"):
                print(f"\n{printable(str(parameters['text']))}", file=self._stdout, flush=True)
            result = True
        else:  # deleteWebhook, setMyCommands ...: nothing to do here
            result = True
        if name in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            self._answered.set()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def _get_updates(self, timeout: float) -> list[dict[str, Any]]:
        assert self._lines is not None, "initialize() first"
        if self._ended:
            # Every line was handed over by an earlier call: stop now (PTB still handles those
            # lines and prints the replies while it shuts down).
            if not self._quit_called:
                self._quit_called = True
                self.on_quit()
            await asyncio.sleep(timeout)
            return []
        assert self._ready is not None
        await asyncio.shield(self._ready)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._answered.wait(), timeout=ANSWER_WAIT_SECONDS)
        while True:
            try:
                line = await asyncio.wait_for(self._lines.get(), timeout=max(timeout, 0.1))
            except TimeoutError:
                return []
            if line is None or line.strip().casefold() in QUIT_WORDS:
                self._ended = True
                return []
            if line.strip():
                self._answered.clear()
                return [self._update(line.strip())]

    def _update(self, text: str) -> dict[str, Any]:
        number = next(self._ids)
        pressed = self._pressed(text)
        if pressed is not None:
            message_id, data = pressed
            pressed_under = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": LOCAL_CHAT,
                "text": "",
            }
            query = {
                "id": str(number),
                "from": LOCAL_USER,
                "message": pressed_under,
                "chat_instance": "1",
                "data": data,
            }
            return {"update_id": number, "callback_query": query}
        message: dict[str, Any] = {
            "message_id": number,
            "date": int(time.time()),
            "chat": LOCAL_CHAT,
            "from": LOCAL_USER,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_length(command)}]
        return {"update_id": number, "message": message}

    def _pressed(self, text: str) -> tuple[int, str] | None:
        """The button *text* presses: the one labelled so, else the newest whose label has it."""
        typed = text.casefold()
        if typed in self._buttons:
            return self._buttons[typed]
        if typed.startswith("/"):
            return None
        if len(typed) < MIN_PRESS_LETTERS:
            # A short word presses only a button with that word whole, and only a word of two
            # letters or more in a script other than Latin ("كتم", "نعم"): "1" or "off" would
            # press a button by chance.
            if len(typed) < 2 or not typed.isalpha() or typed.isascii():
                return None
            return next((b for label, b in reversed(self._buttons.items()) if typed in label.split()), None)
        return next((b for label, b in reversed(self._buttons.items()) if typed in label), None)

    def _listed(self, markup: Any, message_id: int) -> str:
        """The buttons of a message, remembered for pressing and listed for the reader."""
        self._buttons = {label: b for label, b in self._buttons.items() if b[0] != message_id}
        buttons = _buttons(markup)
        for label, data in buttons:
            self._buttons[label.casefold()] = (message_id, data)
        while len(self._buttons) > MAX_BUTTONS:
            del self._buttons[next(iter(self._buttons))]
        if not buttons:
            return ""
        labels = "   ".join(f"[ {printable(label)} ]" for label, _ in buttons)
        # Translators: in the console, after the buttons of a message.
        return _("{buttons}   (type a button's text, or a word of it, to press it)").format(buttons=labels)

    def _show_buttons(self, parameters: dict[str, Any], message_id: int) -> None:
        with speaking(self.language()):
            self._show_buttons_now(parameters, message_id)

    def _show_buttons_now(self, parameters: dict[str, Any], message_id: int) -> None:
        listed = self._listed(parameters.get("reply_markup"), message_id)
        if listed:
            # Translators: in the console: a message's buttons changed; the new ones follow.
            shown = _("(the buttons of that message, now:)") + f"\n{listed}"
        else:
            shown = _("(that message has no buttons now)")
        print(f"\n{shown}", file=self._stdout, flush=True)

    def _show(self, parameters: dict[str, Any], message_id: int, *, edited: bool = False) -> dict[str, Any]:
        with speaking(self.language()):
            return self._show_now(parameters, message_id, edited=edited)

    def _show_now(self, parameters: dict[str, Any], message_id: int, *, edited: bool) -> dict[str, Any]:
        text = str(parameters.get("text", ""))
        plain = parameters.get("parse_mode") is None
        shown = printable(text) if plain else render_html(text, color=self._color)
        if edited:
            # Translators: in the console, above a message the bot changed; the message follows.
            shown = _("(an earlier message, updated:)") + f"\n{shown}"
        listed = self._listed(parameters.get("reply_markup"), message_id)
        if listed:
            shown += f"\n{listed}"
        print(f"\n{shown}", file=self._stdout, flush=True)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(parameters.get("chat_id", CONSOLE_CHAT_ID)), "type": "private"},
            "from": BOT_USER,
            "text": text,
        }


async def _at_once() -> None:
    """Ready at once: no polls to wait for."""


def _buttons(markup: Any) -> list[tuple[str, str]]:
    """The (label, callback data) of an inline keyboard, as PTB serialised it."""
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return []
    return [
        (str(button.get("text", "")), str(button.get("callback_data", "")))
        for row in markup.get("inline_keyboard", [])
        for button in row
        if button.get("callback_data")
    ]


def console_banner(*, feeds: int, poll_seconds: int, database: str) -> str:
    # Translators: the console's first lines; "census" is a keyword (translate it).
    welcome = _(
        "newsbot console: you are a local user (and an admin); type commands as in Telegram, "
        "for example /help or /subscribe census."
    )
    # Translators: in the console; {interval} is a length of time ("5 min"), {database} a
    # file's path.
    polling = ngettext(
        "Polling {feeds} feed every {interval}; alerts appear here. Database: {database}.",
        "Polling {feeds} feeds every {interval}; alerts appear here. Database: {database}.",
        feeds,
    ).format(feeds=format_number(feeds), interval=format_duration(poll_seconds), database=embed(database))
    leave = _("/quit or Ctrl-D leaves.")
    return f"{welcome}\n{polling}\n{leave}"


@contextlib.contextmanager
def open_terminal(data_dir: Path) -> Iterator[TerminalBotAPI]:
    """The console's Bot API on standard input and output. On a terminal, lines are typed
    at a prompt with history (kept in *data_dir*), and while this is open everything
    written to ``sys.stdout`` or ``sys.stderr`` appears above the prompt: configure logging
    inside it. Otherwise (piped input or output) lines are read as they come."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        yield TerminalBotAPI(stdin=sys.stdin, stdout=sys.stdout, color=sys.stdout.isatty())
        return
    history = FileHistory(str(_private_folder(data_dir) / HISTORY_FILE))
    with patch_stdout(raw=True):  # raw: the ANSI styles of render_html reach the terminal
        prompt: PromptSession[str] = PromptSession(history=history)
        yield TerminalBotAPI(stdin=sys.stdin, stdout=sys.stdout, color=True, prompt=prompt)


def sample_feed(bundled: Path, data_dir: Path) -> FeedSource:
    """The console's sample feed: its own copy of the *bundled* one in *data_dir*, made at
    its first start, so that a user may add a story to it and watch the alert arrive
    without touching a file of the installed bot."""
    copy = _private_folder(data_dir) / SAMPLE_FEED_COPY
    if not copy.exists():
        shutil.copyfile(bundled, copy)
    return FeedSource(name=SAMPLE_FEED_NAME, url=str(copy.resolve()))


def _private_folder(path: Path) -> Path:
    """*path*, created readable by its owner only if missing (as the store makes it)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path

"""The Bot API's requests on httpcore: what Telegram receives and what the bot makes of its
answers are PTB's, whichever request carried them; a request with files still goes as
multipart through httpx; a proxy in the environment is honoured; errors never show the
token."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.adapters.bot_api_http import HttpcoreRequest, bot_api_request
from tests.fakes.telegram_api import FakeBotAPI, Fault


def through(
    base_url: str, token: str, call: Callable[[Bot], Awaitable[Any]], request: BaseRequest | None = None
) -> Any:
    """Run *call* with a PTB Bot whose requests go through *request* (an HttpcoreRequest)."""

    async def run() -> Any:
        async with Bot(token, base_url=base_url, request=request or HttpcoreRequest()) as bot:
            return await call(bot)

    return asyncio.run(run())


def test_a_message_reaches_the_chat_as_ptb_would_send_it():
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Mute census", callback_data="mute:1")]])
    with FakeBotAPI() as api:
        message = through(
            api.base_url,
            api.token,
            lambda bot: bot.send_message(
                7,
                "<b>Census</b> teams reach Makhmour &amp; Erbil — سەرژمێری",
                parse_mode="HTML",
                reply_markup=markup,
            ),
        )
        [sent] = api.sent
    assert sent.chat_id == 7
    assert sent.text == "<b>Census</b> teams reach Makhmour &amp; Erbil — سەرژمێری"
    assert message.message_id == sent.message_id and message.chat.id == 7
    assert api.calls("sendMessage")[0]["reply_markup"] == markup.to_dict()


def test_the_answers_of_telegram_become_ptbs_errors():
    with FakeBotAPI(expect_refusals=True) as api:
        api.block(9, "Forbidden: bot was blocked by the user")
        with pytest.raises(Forbidden, match="blocked by the user"):
            through(api.base_url, api.token, lambda bot: bot.send_message(9, "census"))
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            through(api.base_url, api.token, lambda bot: bot.send_message(5, "<b>census", parse_mode="HTML"))
        assert api.sent == []


def test_an_answer_that_does_not_come_in_time_is_a_timeout():
    with FakeBotAPI() as api:
        api.fail_next(Fault("sendMessage", 200, "", delay=2.0))
        request = HttpcoreRequest(read_timeout=0.3)
        with pytest.raises(TimedOut):
            through(api.base_url, api.token, lambda bot: bot.send_message(5, "census"), request)
        # A timeout of its own for one call (as getUpdates' long poll passes) is kept too.
        api.fail_next(Fault("sendMessage", 200, "", delay=0.5))
        message = through(
            api.base_url,
            api.token,
            lambda bot: bot.send_message(5, "census", read_timeout=5),
            HttpcoreRequest(read_timeout=0.1),
        )
        assert message.text == "census"


def test_a_server_that_cannot_be_reached_is_a_network_error_without_the_token():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again before the bot connects: refused
    token = "123456:SECRET-token-never-shown"
    with pytest.raises(NetworkError) as raised:
        through(f"http://127.0.0.1:{port}/bot", token, lambda bot: bot.send_message(5, "census"))
    assert "SECRET" not in str(raised.value) and "SECRET" not in repr(raised.value)


class _Recorder(BaseHTTPRequestHandler):
    """A Bot API that answers every call with a message and keeps what it received (the
    method and content type; the Host header in *hosts*)."""

    received: list[tuple[str, str]]
    hosts: list[str]
    encoding = ""  # an answer's Content-Encoding, claimed

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        method = self.path.rsplit("/", 1)[-1]
        self.received.append((method, self.headers["Content-Type"]))
        self.hosts.append(self.headers["Host"])
        answer: dict[str, Any] = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}}
        if method == "getMe":
            answer = {"id": 1, "is_bot": True, "first_name": "newsbot", "username": "newsbot"}
        body = json.dumps({"ok": True, "result": answer}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.encoding:
            self.send_header("Content-Encoding", self.encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def recording(host: str = "127.0.0.1", **answers: str) -> Iterator[tuple[str, type[_Recorder]]]:
    """A recording Bot API on *host*: its base URL, and its handler's class (what it received)."""
    handler = type("Handler", (_Recorder,), {"received": [], "hosts": [], **answers})
    server_class = type(
        "Server", (ThreadingHTTPServer,), {"address_family": socket.getaddrinfo(host, 0)[0][0]}
    )
    server = server_class((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{server.server_address[1]}/bot", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    with recording() as (base_url, handler):
        yield base_url, handler.received


def test_a_request_with_a_file_goes_as_multipart(recorder: tuple[str, list[tuple[str, str]]]):
    base_url, received = recorder

    async def both(bot: Bot) -> None:
        await bot.send_message(5, "census")
        await bot.send_document(5, document=b"census figures", filename="census.txt")

    through(base_url, "1:token", both)
    assert [(method, kind.split(";")[0]) for method, kind in received if method != "getMe"] == [
        ("sendMessage", "application/x-www-form-urlencoded"),
        ("sendDocument", "multipart/form-data"),
    ]


def test_an_ipv6_address_is_named_with_its_brackets():
    with contextlib.ExitStack() as stack:
        try:
            base_url, handler = stack.enter_context(recording("::1"))
        except OSError as exc:
            pytest.skip(f"this machine has no IPv6 loopback: {exc}")
        through(base_url, "1:token", lambda bot: bot.send_message(5, "census"))
        port = base_url.split("]:")[1].split("/")[0]
        assert handler.hosts[-1] == f"[::1]:{port}"


def test_an_answer_in_an_encoding_not_asked_for_is_a_network_error():
    with recording(encoding="gzip") as (base_url, _), pytest.raises(NetworkError, match="'gzip'"):
        through(base_url, "1:token", lambda bot: bot.send_message(5, "census"))


def test_options_that_would_apply_to_requests_with_files_alone_are_refused():
    with pytest.raises(TypeError):
        HttpcoreRequest(proxy="http://proxy.example:3128")  # type: ignore[call-arg]


def test_a_request_shut_down_can_be_started_again():
    with FakeBotAPI() as api:
        request = HttpcoreRequest()
        for text in ("census", "Makhmour"):
            through(api.base_url, api.token, lambda bot, text=text: bot.send_message(5, text), request)
        assert [m.text for m in api.sent] == ["census", "Makhmour"]


@pytest.mark.parametrize(
    ("environment", "chosen"),
    [
        ({}, HttpcoreRequest),
        ({"HTTPS_PROXY": "http://proxy.example:3128"}, HTTPXRequest),
        ({"https_proxy": "http://proxy.example:3128"}, HTTPXRequest),
        ({"ALL_PROXY": "http://proxy.example:3128"}, HTTPXRequest),
        ({"HTTP_PROXY": "http://proxy.example:3128"}, HttpcoreRequest),  # not for an https address
        ({"HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": "api.telegram.org"}, HttpcoreRequest),
    ],
)
def test_a_proxy_named_in_the_environment_is_honoured(monkeypatch, environment, chosen):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                 "NO_PROXY", "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert type(bot_api_request("https://api.telegram.org/bot")) is chosen

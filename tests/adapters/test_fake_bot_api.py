"""The fake Bot API behaves as Telegram where the tests rely on it: a request whose body did
not fully arrive (its sender was killed while sending) is acted on by no one; setWebhook is
refused as Telegram refuses it, and getUpdates conflicts with a webhook."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from telegram import Bot
from telegram.error import BadRequest, Conflict

from tests.fakes.telegram_api import FakeBotAPI


def test_a_request_cut_off_mid_body_is_not_acted_on():
    with FakeBotAPI() as api:
        address = urlsplit(api.base_url)
        body = b"chat_id=5&text=Census+teams+reach+Makhmour"
        head = (
            f"POST /bot{api.token}/sendMessage HTTP/1.1\r\nHost: {address.netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        assert address.hostname and address.port
        with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
            connection.sendall(head + body[:12])  # "chat_id=5&te", and then the sender is gone
            connection.shutdown(socket.SHUT_WR)
            answer = connection.recv(1024)  # (the server has dealt with it when this returns)
        assert answer == b""
        assert api.calls("sendMessage") == [] and api.sent == [] and api.refused == []


# --- webhooks, as Telegram handles them ---------------------------------------------------


def call(api: FakeBotAPI, coroutine: Callable[[Bot], Awaitable[Any]]) -> Any:
    """Run one Bot API call through PTB against the fake, as the bot would."""

    async def run() -> Any:
        bot = Bot(api.token, base_url=api.base_url)
        try:
            return await coroutine(bot)
        finally:
            await bot.shutdown()

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("url", "secret", "refusal"),
    [
        ("http://bot.example.org/hook", "s3cret", "an https url must be provided for webhook"),
        ("https://bot.example.org:8080/hook", "s3cret", "only on ports 80, 88, 443 or 8443"),
        ("https://bot.example.org/hook", "123456:ABC", "secret token contains unallowed characters"),
        ("https://bot.example.org/hook", "with space", "secret token contains unallowed characters"),
        ("https://bot.example.org/hook", "x" * 257, "secret token must be 1-256 characters long"),
    ],
)
def test_set_webhook_is_as_strict_as_telegram(url: str, secret: str, refusal: str):
    with FakeBotAPI(expect_refusals=True) as api:
        with pytest.raises(BadRequest, match=f"(?i){refusal}"):  # (PTB capitalises the description)
            call(api, lambda bot: bot.set_webhook(url, secret_token=secret))
        assert api.webhook is None
        assert [method for method, _, _ in api.refused] == ["setWebhook"]


def test_the_longest_secret_and_the_webhook_ports_are_accepted():
    with FakeBotAPI() as api:
        for port in (443, 80, 88, 8443):
            url = f"https://bot.example.org:{port}/hook"
            assert call(api, lambda bot, url=url: bot.set_webhook(url, secret_token="A-z_9" * 51 + "x"))
        assert api.webhook is not None and api.webhook["url"] == "https://bot.example.org:8443/hook"


def test_while_a_webhook_is_set_get_updates_is_a_conflict():
    with FakeBotAPI() as api:
        api.user_says(5, "/start")
        call(api, lambda bot: bot.set_webhook("https://bot.example.org/hook", secret_token="s3cret"))
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            call(api, lambda bot: bot.get_updates(timeout=0))
        info = call(api, lambda bot: bot.get_webhook_info())
        assert (info.url, info.pending_update_count) == ("https://bot.example.org/hook", 1)
        assert "s3cret" not in str(info.to_dict()), "Telegram never tells the secret back"

        assert call(api, lambda bot: bot.delete_webhook())
        updates = call(api, lambda bot: bot.get_updates(timeout=0))
        assert [u.message.text for u in updates] == ["/start"]
        assert call(api, lambda bot: bot.get_webhook_info()).url == ""


def test_dropping_pending_updates_drops_them():
    with FakeBotAPI() as api:
        api.user_says(5, "/start")
        call(api, lambda bot: bot.set_webhook("https://bot.example.org/hook", drop_pending_updates=True))
        assert call(api, lambda bot: bot.get_webhook_info()).pending_update_count == 0
        api.user_says(5, "/help")
        call(api, lambda bot: bot.delete_webhook())
        assert [u.message.text for u in call(api, lambda bot: bot.get_updates(timeout=0))] == ["/help"]


def test_push_updates_posts_with_the_secret_and_keeps_what_was_refused():
    received: list[tuple[str, str | None, dict[str, Any]]] = []
    answers = iter([200, 500])

    class Webhook(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, self.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
            self.send_response(next(answers))
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with FakeBotAPI() as api:
            call(api, lambda bot: bot.set_webhook("https://bot.example.org/hook", secret_token="s3cret"))
            first, second = api.user_says(5, "/start"), api.user_says(5, "/help")
            to = f"http://127.0.0.1:{server.server_address[1]}/hook"
            assert api.push_updates(to) == [200, 500]
            assert [(path, secret, body["update_id"]) for path, secret, body in received] == [
                ("/hook", "s3cret", first),
                ("/hook", "s3cret", second),
            ]
            info = call(api, lambda bot: bot.get_webhook_info())
            assert info.pending_update_count == 1, "/help is tried again later"
    finally:
        server.shutdown()
        server.server_close()

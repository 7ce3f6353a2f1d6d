"""The fake Bot API behaves as Telegram where the tests rely on it: a request whose body did
not fully arrive (its sender was killed while sending) is acted on by no one."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

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

"""Updates by webhook (NEWSBOT_WEBHOOK_URL): the real bot registers its address and secret
with the fake Bot API, serves PTB's webhook server on PORT, answers what Telegram POSTs
with the secret, refuses (403) what comes without it, and stops on SIGTERM as it does when
polling. What cannot work is said in one sentence before anything starts."""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.webhook import MAX_UPDATE_BYTES
from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.telegram_api import FakeBotAPI, post_json
from tests.network import free_port

pytestmark = pytest.mark.e2e

PUBLIC_URL = "https://newsbot.example.org/telegram"  # what Telegram is told; the proxy forwards to PORT
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHAT = 7001


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


def webhook_bot(tmp_path: Path, api: FakeBotAPI, port: int, **env: str) -> BotProcess:
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    settings = {
        "NEWSBOT_WEBHOOK_URL": PUBLIC_URL,
        "NEWSBOT_WEBHOOK_LISTEN": "127.0.0.1",
        "PORT": str(port),
        **env,
    }
    return BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, extra_env=settings)


def secret_of(api: FakeBotAPI) -> str:
    """The secret the bot registered, once it is up: its start-up check sets the webhook,
    then PTB sets it again after the bot's start (stop signals handled from then on)."""
    api.wait_until(lambda: len(api.calls("setWebhook")) == 2, what="setWebhook, twice")
    webhook = api.webhook
    assert webhook is not None
    return str(webhook["secret_token"])


def test_the_bot_registers_its_webhook_with_a_secret_and_answers_what_telegram_posts(
    tmp_path: Path, api: FakeBotAPI
):
    port = free_port()
    with webhook_bot(tmp_path, api, port, NEWSBOT_LOG_LEVEL="DEBUG") as bot:
        secret = secret_of(api)
        webhook = api.webhook
        assert webhook is not None and webhook["url"] == PUBLIC_URL
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret), "a secret made at start, as Telegram takes it"
        api.user_says(CHAT, "/start")
        assert api.push_updates(f"http://127.0.0.1:{port}/telegram") == [200]
        reply = api.wait_for_message(CHAT)
        assert "Welcome to newsbot" in reply.plain
        assert bot.stop() == 0

    assert api.calls("getUpdates") == [], "no long polling beside the webhook"
    assert "Traceback" not in bot.stderr
    assert api.token not in bot.stderr and api.token.partition(":")[2] not in bot.stderr
    # PTB logs setWebhook's parameters at DEBUG: the secret shows masked, never as it is.
    assert secret not in bot.stderr
    assert "'secret_token': '[redacted]'" in bot.stderr


def test_a_request_without_the_secret_is_refused_and_reaches_no_one(tmp_path: Path, api: FakeBotAPI):
    port = free_port()
    forger = 7002
    with webhook_bot(tmp_path, api, port) as bot:
        secret = secret_of(api)
        url = f"http://127.0.0.1:{port}/telegram"
        forged = api.message_update(forger, "/start")
        assert post_json(url, forged) == 403, "no secret"
        assert post_json(url, forged, headers={SECRET_HEADER: secret[::-1]}) == 403, "a wrong secret"
        assert post_json(url, forged, headers={SECRET_HEADER: api.token}) == 403, "the bot token is no secret"
        # The right secret on another path: the bot serves only its address's path.
        assert post_json(f"http://127.0.0.1:{port}/other", forged, headers={SECRET_HEADER: secret}) == 404

        api.user_says(CHAT, "/start")
        assert api.push_updates(url) == [200]
        api.wait_for_message(CHAT)  # the bot did answer Telegram's update, after the forged ones
        assert bot.stop() == 0

    assert api.count_to(forger) == 0
    assert api.count_to(CHAT) == 1


def test_a_body_too_large_for_an_update_is_refused_unread(tmp_path: Path, api: FakeBotAPI):
    port = free_port()
    with webhook_bot(tmp_path, api, port) as bot:
        secret = secret_of(api)
        api.user_says(CHAT, "/start")
        assert api.push_updates(f"http://127.0.0.1:{port}/telegram") == [200]  # listening now
        api.wait_for_message(CHAT)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            # Headers only: the server must refuse on the length alone, before any body.
            connection.putrequest("POST", "/telegram")
            connection.putheader("Content-Type", "application/json")
            connection.putheader(SECRET_HEADER, secret)
            connection.putheader("Content-Length", str(2 * MAX_UPDATE_BYTES))  # tornado alone: 100 MB
            connection.endheaders()
            assert connection.getresponse().status == 400
        finally:
            connection.close()
        api.user_says(CHAT, "/help")
        assert api.push_updates(f"http://127.0.0.1:{port}/telegram") == [200], "still serving"
        api.wait_until(lambda: api.count_to(CHAT) == 2, what="the answer to /help")
        assert bot.stop() == 0


def test_sigterm_stops_the_bot_with_a_connection_open(tmp_path: Path, api: FakeBotAPI):
    port = free_port()
    with webhook_bot(tmp_path, api, port) as bot:
        secret = secret_of(api)
        api.user_says(CHAT, "/start")
        assert api.push_updates(f"http://127.0.0.1:{port}/telegram") == [200]
        api.wait_for_message(CHAT)
        # Telegram keeps its connections open between updates: one stays open, idle.
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            body = json.dumps(api.message_update(CHAT, "/help")).encode()
            headers = {"Content-Type": "application/json", SECRET_HEADER: secret}
            idle.request("POST", "/telegram", body=body, headers=headers)
            assert idle.getresponse().read() is not None
            api.wait_until(lambda: api.count_to(CHAT) == 2, what="the answer to /help")
            assert bot.stop() == 0, bot.stderr
        finally:
            idle.close()
    assert "Traceback" not in bot.stderr and "Task was destroyed" not in bot.stderr, bot.stderr


def test_polling_again_after_a_webhook_deletes_it(tmp_path: Path, api: FakeBotAPI):
    port = free_port()
    with webhook_bot(tmp_path, api, port) as bot:
        secret_of(api)
        assert bot.stop() == 0
    assert api.webhook is not None, "a stopped bot leaves its webhook: Telegram keeps the updates"
    api.user_says(CHAT, "/start")  # sent while no bot runs

    feeds_file = tmp_path / "feeds.toml"
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file) as polling:
        reply = api.wait_for_message(CHAT)
        assert "Welcome to newsbot" in reply.plain
        assert polling.stop() == 0
    assert api.webhook is None
    assert api.calls("deleteWebhook"), "PTB deletes the webhook before it polls"


def start_up(tmp_path: Path, api: FakeBotAPI, port: int, **env: str) -> tuple[int, str]:
    bot = webhook_bot(tmp_path, api, port, **env)
    code = bot.run_to_exit()
    return code, bot.stderr


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("newsbot.example.org/telegram", "expected the https address Telegram should send updates to"),
        ("https://[::1/telegram", "not a web address"),
        ("https://newsbot.example.org:https/telegram", "not a web address"),
        ("https://newsbot.example.org/telegram?key=1", "has a ?query or #fragment"),
        ("https://newsbot.example.org/tele gram", "contains a space"),
        ("https://newsbot.example.org/%74elegram", "path may only have letters, digits"),
        ("https://admin:pw@newsbot.example.org/telegram", "carries a user name or password"),
    ],
)
def test_a_malformed_address_is_one_sentence(tmp_path: Path, api: FakeBotAPI, url: str, said: str):
    code, stderr = start_up(tmp_path, api, free_port(), NEWSBOT_WEBHOOK_URL=url)
    assert code == 2
    assert "newsbot: environment variable NEWSBOT_WEBHOOK_URL: " in stderr and said in stderr, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert api.calls("setWebhook") == []


def test_an_address_with_the_token_is_refused_without_showing_it(tmp_path: Path, api: FakeBotAPI):
    secret_part = api.token.partition(":")[2]
    url = f"https://newsbot.example.org/{secret_part}"
    code, stderr = start_up(tmp_path, api, free_port(), NEWSBOT_WEBHOOK_URL=url)
    assert code == 2
    assert "NEWSBOT_WEBHOOK_URL contains the bot token" in stderr, stderr
    assert secret_part not in stderr and "Traceback" not in stderr
    assert api.calls("getMe") == [] and api.calls("setWebhook") == [], "said before the Bot API is asked"


def test_a_bad_secret_is_refused_without_showing_it(tmp_path: Path, api: FakeBotAPI):
    secret = "s3cret:with/a/slash"
    code, stderr = start_up(tmp_path, api, free_port(), NEWSBOT_WEBHOOK_SECRET=secret)
    assert code == 2
    assert "NEWSBOT_WEBHOOK_SECRET: expected 1 to 256 letters, digits, '_' or '-'" in stderr, stderr
    assert secret not in stderr and "s3cret" not in stderr
    assert api.calls("setWebhook") == []


def test_a_port_in_use_is_said_before_anything_starts(tmp_path: Path, api: FakeBotAPI):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        code, stderr = start_up(tmp_path, api, port)
    assert code == 1
    said = f"cannot listen for Telegram's updates on 127.0.0.1:{port} (NEWSBOT_WEBHOOK_LISTEN, PORT)"
    assert said in stderr, stderr
    assert "Traceback" not in stderr
    assert api.calls("setWebhook") == [], "Telegram is not sent to a bot that cannot listen"


def test_an_address_telegram_refuses_is_one_sentence(tmp_path: Path):
    with FakeBotAPI(expect_refusals=True) as api:
        # Telegram sends webhooks only to https (a self-hosted Bot API server, as the bot takes
        # the fake for, may allow http: the bot leaves the judgement to the server).
        url = "http://newsbot.example.org/telegram"
        code, stderr = start_up(tmp_path, api, free_port(), NEWSBOT_WEBHOOK_URL=url)
    assert code == 2
    said = f"Telegram refused NEWSBOT_WEBHOOK_URL ({url}): Bad webhook: an https url must be provided"
    assert said in stderr, stderr
    assert "Traceback" not in stderr and "Task was destroyed" not in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert api.webhook is None

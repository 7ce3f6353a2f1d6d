"""The webhook's settings and start-up checks, without a bot: what an address, a secret and a
port may be, and the sentences that say why one cannot work (never quoting a secret)."""

from __future__ import annotations

import re
import socket

import pytest

from bot.adapters.webhook import Webhook, listen_problem, webhook_problem
from bot.settings import Settings, SettingsError, load_settings

TOKEN = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-"
TELEGRAM = "https://api.telegram.org/bot"
SELF_HOSTED = "http://127.0.0.1:8081/bot"


def test_polling_unless_an_address_is_set():
    settings = load_settings({})
    assert (settings.webhook_url, settings.webhook_listen, settings.webhook_port) == ("", "0.0.0.0", 8080)
    assert settings.webhook_secret == ""


def test_the_platforms_port_variable_is_read():
    settings = load_settings({"NEWSBOT_WEBHOOK_URL": "https://newsbot.example.org/telegram", "PORT": "5000"})
    assert (settings.webhook_url, settings.webhook_port) == ("https://newsbot.example.org/telegram", 5000)


@pytest.mark.parametrize(
    ("port", "said"), [("0", "must be at least 1"), ("65536", "at most 65535"), ("http", "whole number")]
)
def test_a_port_out_of_range_is_refused(port: str, said: str):
    with pytest.raises(SettingsError, match=f"environment variable PORT: .*{said}"):
        load_settings({"PORT": port})


@pytest.mark.parametrize(
    "secret", ["1", "A-z_9" * 51 + "x", "Zm9v_YmFy-YmF6"], ids=["one", "256 characters", "url-safe"]
)
def test_a_secret_telegram_accepts_is_accepted(secret: str):
    assert load_settings({"NEWSBOT_WEBHOOK_SECRET": secret}).webhook_secret == secret


@pytest.mark.parametrize(
    "secret", ["x" * 257, "with:colon", "naïve", "a+b/c="], ids=["257", "colon", "accent", "base64"]
)
def test_a_secret_telegram_refuses_is_refused_unquoted(secret: str):
    with pytest.raises(SettingsError) as refused:
        load_settings({"NEWSBOT_WEBHOOK_SECRET": secret})
    assert "NEWSBOT_WEBHOOK_SECRET: expected 1 to 256 letters, digits" in str(refused.value)
    assert secret not in str(refused.value)


def test_the_secret_is_a_secret():
    settings = Settings.with_defaults(telegram_bot_token=TOKEN, webhook_secret="kept-out-of-logs")
    assert "kept-out-of-logs" not in repr(settings)
    assert settings.secrets == (TOKEN, "kept-out-of-logs")


def test_without_a_secret_each_start_makes_a_new_one_telegram_accepts():
    made = {Webhook.of("https://x.example.org/t", listen="0.0.0.0", port=8080).secret for _ in range(3)}
    assert len(made) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", secret) for secret in made)
    assert Webhook.of("https://x.example.org/t", listen="", port=1, secret="mine").secret == "mine"
    assert "mine" not in repr(Webhook.of("https://x.example.org/t", listen="", port=1, secret="mine"))


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://newsbot.example.org/telegram", "/telegram"),
        ("https://newsbot.example.org", "/"),
        ("https://newsbot.example.org/", "/"),
        ("https://newsbot.example.org:8443/a/b", "/a/b"),
    ],
)
def test_the_server_serves_the_addresss_path(url: str, path: str):
    assert Webhook.of(url, listen="0.0.0.0", port=8080).path == path


@pytest.mark.parametrize(
    "url",
    [
        f"https://newsbot.example.org/{TOKEN.partition(':')[2]}",
        f"https://newsbot.example.org/bot{TOKEN}/hook",
    ],
    ids=["its secret part", "all of it"],
)
def test_an_address_with_the_token_is_refused_without_quoting_it(url: str):
    for api_url in (TELEGRAM, SELF_HOSTED):
        problem = webhook_problem(url, token=TOKEN, api_url=api_url)
        assert problem is not None and "contains the bot token" in problem
        assert TOKEN.partition(":")[2] not in problem


@pytest.mark.parametrize(
    "url",
    ["http://newsbot.example.org/telegram", "https://newsbot.example.org:8080/telegram"],
    ids=["http", "port 8080"],
)
def test_what_telegram_cannot_send_to_is_said_for_telegrams_api_only(url: str):
    problem = webhook_problem(url, token=TOKEN, api_url=TELEGRAM)
    assert problem is not None and "only to https addresses on port 443, 80, 88 or 8443" in problem
    # A self-hosted Bot API server may send to http and any port: it judges for itself.
    assert webhook_problem(url, token=TOKEN, api_url=SELF_HOSTED) is None


@pytest.mark.parametrize("port", [443, 80, 88, 8443])
def test_telegrams_webhook_ports_are_accepted(port: int):
    assert webhook_problem(f"https://newsbot.example.org:{port}/t", token=TOKEN, api_url=TELEGRAM) is None
    assert webhook_problem("https://newsbot.example.org/t", token=TOKEN, api_url=TELEGRAM) is None


def test_a_port_in_use_is_worth_retrying_and_a_bad_address_is_a_setting():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        busy = listen_problem("127.0.0.1", port)
    assert busy is not None and busy[1] == 1
    assert f"cannot listen for Telegram's updates on 127.0.0.1:{port}" in busy[0]
    assert listen_problem("127.0.0.1", port) is None, "free again, and the check kept nothing bound"

    elsewhere = listen_problem("192.0.2.1", port)  # an address this machine does not have
    assert elsewhere is not None and elsewhere[1] == 2, elsewhere

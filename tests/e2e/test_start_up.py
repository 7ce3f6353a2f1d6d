"""Starting the bot with a token or an address that cannot work: one clear sentence on
standard error, never the token, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import Answer, FeedServer
from tests.fakes.telegram_api import FakeBotAPI

pytestmark = pytest.mark.e2e

SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-"  # 35 characters, as @BotFather gives them
TOKEN = f"110201543:{SECRET}"


@pytest.fixture
def api():
    with FakeBotAPI(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def server():
    with FeedServer() as fake:
        yield fake


def start_up(tmp_path: Path, api: FakeBotAPI, **env: str) -> tuple[int, str]:
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {})
    bot = BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file, extra_env=env)
    code = bot.run_to_exit()
    return code, bot.stderr


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (f"110201543{SECRET}", "it has no ':'"),
        (f"bot110201543:{SECRET}", "the part before ':' is not a number"),
        (f":{SECRET}", "the part before ':' is not a number"),
        (f"110201543:{SECRET[:-1]}", "the part after ':' is 34 characters long, not 35"),
        (f"110201543:{SECRET}x", "the part after ':' is 36 characters long, not 35"),
        (f"110201543:{SECRET[:-1]}/", "characters other than letters, digits, '-' and '_'"),
        (f"110201543:{SECRET[:17]} {SECRET[18:]}", "it contains a space or a line break"),
        (f'"110201543:{SECRET}"', "it contains a quote mark"),
    ],
)
def test_a_token_that_cannot_be_one_is_refused_without_the_network(
    tmp_path: Path, api: FakeBotAPI, server: FeedServer, token: str, reason: str
):
    code, stderr = start_up(tmp_path, api, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_URL=server.url("/bot"))
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN is not a Telegram bot token" in stderr and reason in stderr, stderr
    assert "@BotFather" in stderr and "refused" not in stderr
    assert "Traceback" not in stderr
    assert token.strip('"') not in stderr and SECRET[:17] not in stderr
    assert server.requests == [], "nothing was asked of any server"
    assert api.calls("getMe") == []


NOT_THE_BOT_API = [
    pytest.param(
        Answer(
            f"<!DOCTYPE html><html><body>Welcome! You asked for /bot{TOKEN}/getMe</body></html>".encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        ),
        "HTTP 200 with an HTML page",
        id="an HTML page",
    ),
    pytest.param(Answer(b"", status=404, headers={}), "HTTP 404 with an empty body", id="an empty 404"),
    pytest.param(
        Answer(
            b"<html><head><title>404 Not Found</title></head><body>nginx</body></html>",
            status=404,
            headers={"Content-Type": "text/html"},
        ),
        "HTTP 404 with an HTML page",
        id="an HTML 404",
    ),
    pytest.param(
        Answer(json.dumps({"error": "no such route", "token": TOKEN}).encode(), status=401),
        "HTTP 401 with JSON that is not the Bot API's",
        id="some other JSON API",
    ),
]


@pytest.mark.parametrize(("answer", "said"), NOT_THE_BOT_API)
def test_an_address_that_is_not_the_bot_api_is_named_as_such(
    tmp_path: Path, api: FakeBotAPI, server: FeedServer, answer: Answer, said: str
):
    server.serve(f"/bot{TOKEN}/getMe", answer)
    url = server.url("/bot")
    code, stderr = start_up(tmp_path, api, TELEGRAM_API_URL=url)
    assert code == 2
    assert f"TELEGRAM_API_URL ({url}) does not answer like the Telegram Bot API: {said}." in stderr, stderr
    assert "refused" not in stderr and "Traceback" not in stderr
    assert SECRET not in stderr
    assert server.hits(f"/bot{TOKEN}/getMe") == 1


def test_the_bot_api_refusing_the_token_still_says_so(tmp_path: Path, api: FakeBotAPI):
    wrong = f"110201543:{SECRET[::-1]}"  # well formed, but not the bot's
    code, stderr = start_up(tmp_path, api, TELEGRAM_BOT_TOKEN=wrong)
    assert code == 2
    assert "Telegram refused the bot token" in stderr
    assert "does not answer like" not in stderr and "Traceback" not in stderr
    assert SECRET[::-1] not in stderr


def test_a_bot_api_error_other_than_the_token_is_quoted(tmp_path: Path, api: FakeBotAPI, server: FeedServer):
    busy = {"ok": False, "error_code": 500, "description": "Internal Server Error: restarting"}
    server.serve(f"/bot{TOKEN}/getMe", Answer(json.dumps(busy).encode(), status=500))
    code, stderr = start_up(tmp_path, api, TELEGRAM_API_URL=server.url("/bot"))
    assert code == 1
    assert "answered with an error: Internal Server Error: restarting" in stderr
    assert "refused" not in stderr and "Traceback" not in stderr


def test_an_address_where_nothing_listens_cannot_be_reached(tmp_path: Path, api: FakeBotAPI):
    with FeedServer() as gone:
        url = gone.url("/bot")  # a port that was just free, and is again
    code, stderr = start_up(tmp_path, api, TELEGRAM_API_URL=url)
    assert code == 1
    assert f"cannot reach the Telegram Bot API at {url}" in stderr
    assert "Traceback" not in stderr and SECRET not in stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765",
        "https://api.telegram.org",
        "https://api.telegram.org/",
        "ftp://x/bot",
        "http:///bot",
    ],
)
def test_an_address_the_token_cannot_follow_is_refused_before_anything_is_sent(
    tmp_path: Path, api: FakeBotAPI, url: str
):
    # PTB adds the token right after the address: without /bot it would become a port or a
    # host name, and the error naming it would show it.
    code, stderr = start_up(tmp_path, api, TELEGRAM_API_URL=url)
    assert code == 2
    assert "TELEGRAM_API_URL: expected an http(s) address ending in /bot" in stderr, stderr
    assert "Traceback" not in stderr and SECRET not in stderr and "8765" not in stderr
    assert api.calls("getMe") == []


def test_what_can_be_judged_offline_is_said_before_the_bot_api_is_asked(tmp_path: Path, api: FakeBotAPI):
    with FeedServer() as gone:
        unreachable = gone.url("/bot")  # nothing answers there: the network check would fail
    missing = tmp_path / "nope.toml"
    bot = BotProcess(api, data_dir=tmp_path / "data", feeds_file=missing,
                     extra_env={"TELEGRAM_API_URL": unreachable})  # fmt: skip
    assert bot.run_to_exit() == 2
    assert f"the feeds file {missing} does not exist" in bot.stderr, bot.stderr

    code, stderr = start_up(
        tmp_path,
        api,
        TELEGRAM_API_URL="https://api.telegram.org/bot",  # Telegram's own, whose rules apply
        HTTPS_PROXY="http://127.0.0.1:9",  # and were it asked, the request would stay on this machine
        NEWSBOT_WEBHOOK_URL="http://newsbot.example.org/telegram",
    )
    assert code == 2
    assert "only to https addresses on port 443, 80, 88 or 8443" in stderr, stderr
    assert "cannot reach" not in stderr and "Traceback" not in stderr and SECRET not in stderr

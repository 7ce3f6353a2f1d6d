"""What the start-up check makes of a token and of the answer to getMe."""

from __future__ import annotations

import json

import pytest

from bot.adapters.bot_api_check import Answer, BotApiAnswer, read_answer, token_problem

SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-"


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (f"110201543:{SECRET}", None),
        (f"7:{'_' * 35}", None),
        (f"110201543{SECRET}", "it has no ':'"),
        (f"x1:{SECRET}", "the part before ':' is not a number"),
        (f"١٢٣:{SECRET}", "the part before ':' is not a number"),  # Arabic-Indic digits
        (f":{SECRET}", "the part before ':' is not a number"),
        ("110201543:", "the part after ':' is 0 characters long, not 35"),
        (f"110201543:{SECRET[:20]}", "the part after ':' is 20 characters long, not 35"),
        (f"110201543:{SECRET}:{SECRET}", "the part after ':' has characters other than"),
        (f"110201543:{SECRET[:-1]}é", "the part after ':' has characters other than"),
        (f"110201543:{SECRET[:-1]}\n", "it contains a space or a line break"),
        (f"'110201543:{SECRET}'", "it contains a quote mark"),
    ],
)
def test_token_shape(token: str, problem: str | None):
    said = token_problem(token)
    if problem is None:
        assert said is None
    else:
        assert said is not None and said.startswith(problem)
        assert SECRET[:10] not in said


def body(value: object) -> bytes:
    return json.dumps(value).encode()


BOT = {"id": 110201543, "is_bot": True, "first_name": "newsbot", "username": "newsbot"}


@pytest.mark.parametrize(
    ("status", "answer", "meaning"),
    [
        (200, body({"ok": True, "result": BOT}), BotApiAnswer(Answer.KNOWN)),
        (401, body({"ok": False, "error_code": 401, "description": "Unauthorized"}),
         BotApiAnswer(Answer.REFUSED, "Unauthorized")),
        (404, body({"ok": False, "error_code": 404, "description": "Not Found"}),
         BotApiAnswer(Answer.REFUSED, "Not Found")),
        (429, body({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5"}),
         BotApiAnswer(Answer.ERROR, "Too Many Requests: retry after 5")),
        (500, body({"ok": False, "error_code": 500}), BotApiAnswer(Answer.ERROR, "error 500")),
        (200, b"<!DOCTYPE html>\n<html><body>hello</body></html>",
         BotApiAnswer(Answer.NOT_BOT_API, "HTTP 200 with an HTML page")),
        (404, b"  \n<HTML><HEAD><TITLE>Not Found</TITLE></HEAD></HTML>",
         BotApiAnswer(Answer.NOT_BOT_API, "HTTP 404 with an HTML page")),
        (404, b"", BotApiAnswer(Answer.NOT_BOT_API, "HTTP 404 with an empty body")),
        (502, b"Bad Gateway", BotApiAnswer(Answer.NOT_BOT_API, "HTTP 502 with a body that is not JSON")),
        (200, b"<?xml version='1.0'?><rss/>",
         BotApiAnswer(Answer.NOT_BOT_API, "HTTP 200 with an XML or HTML document")),
        (200, b"\xff\xfe\x00", BotApiAnswer(Answer.NOT_BOT_API, "HTTP 200 with a body that is not JSON")),
        (200, body({"ok": True, "result": True}),
         BotApiAnswer(Answer.NOT_BOT_API, "HTTP 200 with JSON that is not the Bot API's")),
        (200, body({"ok": True, "result": {**BOT, "is_bot": False}}),
         BotApiAnswer(Answer.NOT_BOT_API, "HTTP 200 with JSON that is not the Bot API's")),
        (404, body({"error": "Not Found"}),
         BotApiAnswer(Answer.NOT_BOT_API, "HTTP 404 with JSON that is not the Bot API's")),
        (401, body({"ok": False, "description": "Unauthorized"}),
         BotApiAnswer(Answer.NOT_BOT_API, "HTTP 401 with JSON that is not the Bot API's")),
        (200, body([1, 2]), BotApiAnswer(Answer.NOT_BOT_API, "HTTP 200 with JSON that is not the Bot API's")),
        (200, b"null", BotApiAnswer(Answer.NOT_BOT_API, "HTTP 200 with JSON that is not the Bot API's")),
    ],
)  # fmt: skip
def test_what_an_answer_to_get_me_means(status: int, answer: bytes, meaning: BotApiAnswer):
    assert read_answer(status, answer) == meaning

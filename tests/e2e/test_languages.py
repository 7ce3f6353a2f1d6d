"""The bot in the reader's language, as a Sorani, an Arabic and an English reader meet it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, write_feeds_file
from tests.fakes.feed_server import FeedServer, rss
from tests.fakes.telegram_api import FakeBotAPI, Sent

pytestmark = pytest.mark.e2e

FSI, PDI = "\u2068", "\u2069"
SORANI_LETTERS = set("ەێۆڕڵ")  # letters Sorani writes and Arabic does not
ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")
OLD = {"title": "Makhmour council meets", "link": "https://example.org/old", "guid": "old",
       "description": "Before the bot first read the feed."}  # fmt: skip
NEW = {"title": "Census teams reach Makhmour camp", "link": "https://example.org/census", "guid": "new",
       "description": "Counting began in Makhmour camp on Sunday."}  # fmt: skip


@pytest.fixture
def feeds():
    with FeedServer() as server:
        yield server


@pytest.fixture
def api():
    with FakeBotAPI() as fake:
        yield fake


def english_sentences(text: str) -> list[str]:
    """Runs of three or more English words left after what may stay English is set apart:
    isolated runs (keywords, feed names, titles), code (commands, examples), links."""
    text = re.sub(f"{FSI}[^{PDI}]*{PDI}", " ", text)
    text = re.sub(r"<code>.*?</code>|<a [^>]*>.*?</a>|<[^>]+>", " ", text, flags=re.S)
    text = re.sub(r"/\w+|https?://\S+|[\w.+-]+/[\w.+-]+", " ", text)
    return re.findall(r"\b[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){2,}", text)


def reads_right_to_left(line: str) -> bool:
    """Whether a line is laid out right to left: it starts with RLM, or its first strong
    letter outside isolated runs and tags is a right-to-left one (bidi rule P2)."""
    depth = 0
    for char in re.sub(r"<[^>]+>", "", line):
        if char == "\u200f":
            return True
        if char == FSI:
            depth += 1
        elif char == PDI:
            depth = max(0, depth - 1)
        elif depth == 0 and char.isalpha():
            return bool(ARABIC_LETTERS.match(char))
    return True  # (no letter: nothing to lay out)


def is_sorani(text: str) -> bool:
    return bool(SORANI_LETTERS & set(text))


def is_arabic(text: str) -> bool:
    return bool(ARABIC_LETTERS.search(text)) and not is_sorani(text)


def ask(api: FakeBotAPI, chat: int, text: str, **kwargs: object) -> Sent:
    before = len(api.messages_to(chat))
    api.user_says(chat, text, **kwargs)  # type: ignore[arg-type]
    api.wait_until(lambda: len(api.messages_to(chat)) > before, what=f"an answer to {text}")
    return api.messages_to(chat)[before]


def test_a_sorani_reader_gets_sorani_then_arabic_after_language_ar(
    tmp_path: Path, api: FakeBotAPI, feeds: FeedServer
):
    feeds.serve("/news.xml", rss([OLD]))
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Local News": feeds.url("/news.xml")})
    reader, english, plain = 7001, 7002, 7003
    with BotProcess(api, data_dir=tmp_path / "data", feeds_file=feeds_file):
        feeds.wait_for_hits("/news.xml", 1)
        start = ask(api, reader, "/start", language="ckb")
        assert is_sorani(start.text) and english_sentences(start.text) == []
        help_ = ask(api, reader, "/help")
        assert is_sorani(help_.text) and english_sentences(help_.text) == [], english_sentences(help_.text)
        assert "OR" in help_.text, "the query language's operators stay as they are"
        assert [line for line in help_.text.split("\n") if not reads_right_to_left(line)] == []

        # The chat's own command menu, in Sorani (Telegram has no two-letter code for it).
        def menus() -> list[dict]:
            return [c for c in api.calls("setMyCommands") if (c.get("scope") or {}).get("chat_id") == reader]

        api.wait_until(lambda: bool(menus()), what="the chat's menu")
        assert all(ARABIC_LETTERS.search(c["description"]) for c in menus()[0]["commands"])

        subscribed = ask(api, reader, "/subscribe Makhmour")
        assert is_sorani(subscribed.text) and f"{FSI}Makhmour{PDI}" in subscribed.text
        switched = ask(api, reader, "/language ar")
        assert is_arabic(switched.text), switched.text

        feeds.serve("/news.xml", rss([NEW, OLD]))
        alert = api.wait_for_message(reader, lambda m: "example.org/census" in str(m.parameters))
        story, _, labels = alert.text.partition("\n\n")  # the feed's title and excerpt, then ours
        assert is_arabic(labels) and english_sentences(labels) == [], alert.text
        assert "Census teams reach <u>Makhmour</u> camp" in story, "the story's own words are kept"
        assert not [label for label in alert.buttons if not ARABIC_LETTERS.search(label)], alert.buttons

        english_start = ask(api, english, "/start", language="en")
        plain_start = ask(api, plain, "/start")
        assert english_start.text == plain_start.text
        assert "Welcome" in english_start.text or "newsbot" in english_start.text
        assert FSI not in english_start.text, "English needs no isolation marks"


COMMANDS = [
    "/start", "/help", "/list", "/subscribe census", "/subscribe census", '/subscribe "oil',
    "/subscribe Makhmour -football", "/list", "/settings", "/digest daily 08:00", "/digest sometimes",
    "/digest hourly for census", "/digest instant for 9", "/quiet 23:00-07:00", "/quiet whenever",
    "/quiet off",
    "/timezone Mars/Base", "/timezone Asia/Baghdad", "/previews on", "/previews maybe", "/feeds",
    "/unsubscribe nothing", "/unsubscribe census", "/language", "/language xx", "/nosuchcommand",
    "hello there my friend", "/stats", "/broadcast Hello everyone", "/addfeed not a url",
    "/removefeed Nothing Here", "/unsubscribe all",
]  # fmt: skip


@pytest.mark.parametrize("language", ["ckb", "ar"])
def test_no_english_sentence_in_any_reply(tmp_path: Path, api: FakeBotAPI, feeds: FeedServer, language: str):
    """Every command's answer (an admin's too) is in the reader's language; only feed text,
    keywords and commands stay as they are."""
    feeds.serve("/news.xml", rss([OLD]))
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", {"Local News": feeds.url("/news.xml")})
    admin = 7100
    many = {"NEWSBOT_COMMANDS_PER_MINUTE": "600", "NEWSBOT_COMMAND_BURST": "100"}  # (not a flood)
    with BotProcess(
        api, data_dir=tmp_path / "data", feeds_file=feeds_file, admins=str(admin), extra_env=many
    ):
        feeds.wait_for_hits("/news.xml", 1)
        ask(api, admin, f"/language {language}")
        problems: dict[str, list[str]] = {}
        for command in COMMANDS:
            reply = ask(api, admin, command)
            texts = [reply.text, *reply.buttons]
            found = [s for text in texts for s in english_sentences(text)]
            if found or not ARABIC_LETTERS.search(reply.text) or FSI + FSI in reply.text:
                problems[command] = found or [reply.text]
        assert problems == {}

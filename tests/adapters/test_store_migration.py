"""``python -m bot migrate-store`` on a real PostgreSQL server: a TinyDB database copied into
PostgreSQL and back is the same database; a target that holds data, or a database a bot
is using, is refused with a clear sentence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.adapters.storage.database import Database
from bot.adapters.storage.leadership import LEADER_LOCK
from bot.adapters.storage.postgres_documents import PostgresDocuments
from bot.adapters.storage.postgres_schema import LOCK_CLASS, SCHEMA, TABLES
from bot.core.items import Item
from bot.service.ports import FeedState, OutboxEntry, PollRecord, RecentItem

REPO = Path(__file__).resolve().parents[2]


def migrate_store(*arguments: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate-store", *arguments],
        cwd=REPO,
        env=env | (environ or {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def build_database(data_dir: Path) -> Path:
    """A TinyDB database the bot wrote: chats, subscriptions in several scripts, a poll."""
    store = Database.open(data_dir)
    store.chats.register_chat(7, "private", "Ann")
    store.chats.register_chat(-1001234567890, "supergroup", "هەواڵ")
    store.subscriptions.add_subscriptions(7, ["census", "oil AND (Kirkuk OR Erbil)"])
    store.subscriptions.add_subscriptions(-1001234567890, ["کەرکووک", "الموصل"], thread_id=12)
    item = Item(feed="Rudaw", key="k1", title="Kirkuk census", link="https://e.org/1", summary="S")
    store.record_poll(
        PollRecord(
            feed="Rudaw",
            state=FeedState(url="https://e.org/feed", etag='"v1"', last_success=5.5),
            seen={"tok": 5.0},
            recent_added=[RecentItem(item=item, seen_at=5.0)],
            alerts=[OutboxEntry(key="alert:7:k1", chat_id=7, html="<b>Kirkuk</b> census", created=6.0)],
        )
    )
    store.close()
    return data_dir / "newsbot.json"


def documents_of(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: docs for name, docs in data.items() if docs}


def test_a_database_copied_into_postgresql_and_back_is_the_same(
    tmp_path: Path, postgres_server: Any, postgres_url: str
):
    source = build_database(tmp_path / "before")
    copied = migrate_store("--from", f"tinydb:{source}", "--to", postgres_url)
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.startswith(f"copied {sum(map(len, documents_of(source).values()))} document(s) from")
    assert "  chats: 2\n" in copied.stdout and "  subscriptions: 4\n" in copied.stdout
    assert postgres_server.password not in copied.stdout + copied.stderr

    loaded = PostgresDocuments.open(postgres_url).read()
    assert {name: docs for name, docs in loaded.items() if docs} == documents_of(source)

    back = tmp_path / "after" / "newsbot.json"
    # 'postgresql' names NEWSBOT_DATABASE_URL's database: no password on the command line.
    returned = migrate_store(
        "--from", "postgresql", "--to", f"tinydb:{back}", environ={"NEWSBOT_DATABASE_URL": postgres_url}
    )
    assert returned.returncode == 0, returned.stderr
    assert documents_of(back) == documents_of(source)

    reopened = Database.open(back.parent)  # and the bot opens the copy as its own
    try:
        assert sorted(s.query for s in reopened.subscriptions.all_subscriptions()) == sorted(
            ["census", "oil AND (Kirkuk OR Erbil)", "کەرکووک", "الموصل"]
        )
        assert [e.key for e in reopened.outbox.pending()] == ["alert:7:k1"]
    finally:
        reopened.close()


def test_a_target_that_holds_documents_is_replaced_only_with_force(tmp_path: Path, postgres_url: str):
    first = build_database(tmp_path / "first")
    assert migrate_store("--from", f"tinydb:{first}", "--to", postgres_url).returncode == 0
    other = tmp_path / "other" / "newsbot.json"
    other.parent.mkdir()
    other.write_text(json.dumps({"chats": {"1": {"chat_id": 99, "type": "private"}}}), encoding="utf-8")

    refused = migrate_store("--from", f"tinydb:{other}", "--to", postgres_url)
    assert refused.returncode == 2
    assert (
        "already holds documents (chats, subscriptions, feeds, seen, recent, outbox): add --force"
        in refused.stderr
    )
    forced = migrate_store("--from", f"tinydb:{other}", "--to", postgres_url, "--force")
    assert forced.returncode == 0, forced.stderr
    loaded = PostgresDocuments.open(postgres_url).read()
    assert loaded["chats"] == {"1": {"chat_id": 99, "type": "private"}}
    assert all(not loaded[name] for name in TABLES if name != "chats")

    into_file = migrate_store("--from", postgres_url, "--to", f"tinydb:{first}")
    assert into_file.returncode == 2 and f"{first} already holds documents: add --force" in into_file.stderr
    assert migrate_store("--from", postgres_url, "--to", f"tinydb:{first}", "--force").returncode == 0
    assert documents_of(first) == {"chats": {"1": {"chat_id": 99, "type": "private"}}}


def test_a_database_in_use_is_refused(tmp_path: Path, postgres_url: str):
    source = build_database(tmp_path / "data")
    running = Database.open(source.parent)  # a bot holds the file
    try:
        refused = migrate_store("--from", f"tinydb:{source}", "--to", postgres_url)
    finally:
        running.close()
    assert refused.returncode == 2 and "a newsbot process is using" in refused.stderr

    PostgresDocuments.open(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as leader:  # a bot leads on the database
        leader.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, LEADER_LOCK))
        refused = migrate_store("--from", f"tinydb:{source}", "--to", postgres_url)
    assert refused.returncode == 2 and "a newsbot process is running on" in refused.stderr
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute(f"SELECT count(*) FROM {SCHEMA}.chats").fetchone() == (0,)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("--from", "tinydb:/nonexistent/newsbot.json", "--to", "tinydb:/tmp/x.json"),
            "there is no database file",
        ),
        (("--from", "mysql://u:hunter2@h/db", "--to", "tinydb"), "is not a place to copy from or to"),
        (("--from", "postgresql", "--to", "tinydb"), "NEWSBOT_DATABASE_URL"),
    ],
)
def test_wrong_places_are_named(arguments: tuple[str, ...], message: str):
    refused = migrate_store(*arguments)
    assert refused.returncode == 2 and message in refused.stderr
    assert "hunter2" not in refused.stderr


def test_changes_still_in_the_journal_are_copied_too(tmp_path: Path, postgres_url: str):
    source = build_database(tmp_path / "data")
    late = {"chat_id": 8, "type": "private", "title": "", "active": True, "since": 9.0, "reason": ""}
    journal = source.parent / "newsbot.json.journal"
    journal.write_text(json.dumps({"u": [["chats", 3, late]]}) + "\n", encoding="utf-8")  # a crash left it
    copied = migrate_store("--from", f"tinydb:{source}", "--to", postgres_url)
    assert copied.returncode == 0, copied.stderr
    assert "  chats: 3\n" in copied.stdout
    assert PostgresDocuments.open(postgres_url).read()["chats"]["3"] == late
    assert journal.stat().st_size == 0, "folded into the file as a clean stop does"

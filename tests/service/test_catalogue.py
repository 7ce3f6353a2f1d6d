"""Feeds added and removed from a chat, and the admins' view of every feed's health."""

from __future__ import annotations

import asyncio

from bot.core.formatting import to_plain_text
from tests.service.conftest import news
from tests.service.test_polling import POLL, cycle

ADMIN = 7
USER = 8
URL = "https://wire2.example/rss"


def add(bot, arguments: str, user: int = ADMIN) -> str:
    return asyncio.run(bot.feeds.add(user, arguments))


def test_an_added_feed_is_polled_with_its_stories_so_far_as_the_baseline(make_bot):
    bot = make_bot(admins=(ADMIN,))
    bot.commands.chat_seen((USER, None), "private", "")
    bot.commands.subscribe((USER, None), "census")
    bot.fetcher.publish("Wire")
    bot.fetcher.publish("Second Wire", news("1", "census old", feed="Second Wire"))
    reply = add(bot, f"{URL} Second  Wire")
    assert reply.startswith("Added <b>Second Wire</b> (wire2.example), with 1 story in it now.")
    bot.fetcher.publish("Second Wire", news("2", "census new", feed="Second Wire"), news("1", "census old"))
    cycle(bot)
    [alert] = bot.sender.to(USER)
    assert "census new" in to_plain_text(alert) and "Second Wire" in alert


def test_added_feeds_survive_a_restart_and_can_be_removed(make_bot):
    bot = make_bot(admins=(ADMIN,))
    bot.fetcher.publish("Second Wire")
    add(bot, f"{URL} Second Wire")
    restarted = make_bot(admins=(ADMIN,), fetcher=bot.fetcher)
    assert [s.name for s in restarted.poller.sources] == ["Wire", "Second Wire"]
    assert restarted.feeds.remove(USER, "Second Wire").startswith("Sorry, only the bot's admins")
    assert restarted.feeds.remove(ADMIN, "second wire") == (
        "Removed <b>Second Wire</b>. Subscriptions are kept; its stories no longer arrive."
    )
    assert restarted.store.feeds.feed_state("Second Wire") is None
    again = make_bot(admins=(ADMIN,), fetcher=bot.fetcher)
    assert [s.name for s in again.poller.sources] == ["Wire"]


def test_bad_arguments_get_a_reason_and_an_example(make_bot):
    bot = make_bot(admins=(ADMIN,))
    bot.fetcher.fail("example.org", "not a feed (no RSS or Atom content; an HTML page?)")
    cases = {
        "": "Give the feed's address",
        "rudaw.net/rss": "is not a web address",
        "javascript:alert(1)": "is not a web address",
        f"{URL} {'x' * 80}": "too long",
        f"{URL} wire": "already a feed named <b>Wire</b>",
        "https://wire.example/rss Other": "I already watch that address, as <b>Wire</b>",
        "https://www.example.org/a": "I could not add <code>https://www.example.org/a</code>: not a feed",
    }
    for arguments, reason in cases.items():
        reply = add(bot, arguments)
        assert reason in reply, (arguments, reply)
        assert "<code>/addfeed https://" in reply or "already" in reply
    assert add(bot, URL, user=USER).startswith("Sorry, only the bot's admins")
    assert [s.name for s in bot.poller.sources] == ["Wire"]
    assert "feeds file" in bot.feeds.remove(ADMIN, "Wire")
    assert "no feed named <code>Nope</code>" in bot.feeds.remove(ADMIN, "Nope")
    assert "<code>/removefeed Rudaw</code>" in bot.feeds.remove(ADMIN, "  ")


def test_admins_see_each_feeds_health_failing_first(make_bot):
    bot = make_bot(["Good", "Bad"], admins=(ADMIN,))
    bot.fetcher.publish("Good", news("1", "a", feed="Good"), news("2", "b", feed="Good"))
    bot.fetcher.fail("Bad", "HTTP 503 <Service Unavailable>")
    cycle(bot)
    bot.time.now += POLL
    cycle(bot)
    view = bot.feeds.describe(ADMIN).splitlines()
    assert view[0] == "<b>I watch 2 sources:</b>"
    assert view[1].startswith("• <b>Bad</b> <i>(bad.example)</i>: ⚠️ failing for 5 min (2 errors in a row): ")
    assert "HTTP 503 &lt;Service Unavailable&gt;; next poll in" in view[1]
    assert any(
        line.startswith("• <b>Good</b> <i>(good.example)</i>: ok, 2 stories; checked") for line in view
    )
    public = bot.feeds.describe(USER)
    assert "failing" not in public and "• Good <i>(good.example)</i>" in public


def test_the_feed_list_fits_one_message_however_many_feeds(make_bot):
    names = [f"Feed number {n}" for n in range(500)]
    bot = make_bot(names, admins=(ADMIN,))
    view = bot.feeds.describe(ADMIN)
    assert len(view) < 4096 and view.endswith("more")


def test_what_was_typed_is_named_whole_and_a_long_one_is_cut(make_bot):
    bot = make_bot(admins=(ADMIN,))
    cases = {
        "not a url": "<code>not a url</code> is not a web address.",
        "not  a url, really": "<code>not a url, really</code> is not a web address.",
        "ftp://files.example/feed My Feed": "<code>ftp://files.example/feed</code> is not a web address.",
        "rudaw.net/rss Rudaw": "<code>rudaw.net/rss</code> is not a web address.",
        "x" * 150: f"<code>{'x' * 99}…</code> is not a web address.",
    }
    for arguments, reply in cases.items():
        assert add(bot, arguments).startswith(reply), (arguments, add(bot, arguments))
    assert f"no feed named <code>{'y' * 99}…</code>" in bot.feeds.remove(ADMIN, "y" * 150)


def test_a_feed_named_after_its_host_is_named_once(make_bot):
    bot = make_bot(admins=(ADMIN,))
    for name in ("127.0.0.1", "wire2.example"):
        bot.fetcher.publish(name)
    assert add(bot, "http://127.0.0.1:8080/feed.xml").startswith("Added <b>127.0.0.1</b>, with 0 stories")
    assert add(bot, "https://www.wire2.example/rss").startswith("Added <b>wire2.example</b>, with 0 stories")


def test_the_addfeed_example_names_a_feed_the_bot_does_not_watch(make_bot):
    bot = make_bot(["Guardian World", "France 24"], admins=(ADMIN,))
    help_line = next(line for line in bot.commands.help(ADMIN).split("\n") if line.startswith("/addfeed"))
    assert "<code>/addfeed https://rss.dw.com/rdf/rss-en-all DW English</code>" in help_line, help_line
    assert "<code>/addfeed https://rss.dw.com/rdf/rss-en-all DW English</code>" in add(bot, "nonsense")
    bot.fetcher.publish("DW English")
    add(bot, "https://rss.dw.com/rdf/rss-en-all DW English")
    assert "/addfeed https://feeds.npr.org/1004/rss.xml NPR World" in bot.commands.help(ADMIN)

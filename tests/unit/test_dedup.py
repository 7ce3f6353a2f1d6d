"""Which items are new, and which seen records are kept."""

from __future__ import annotations

from bot.core.dedup import delivery_token, new_items, normalize_link, prune_seen, seen_token
from bot.core.items import Item


def item(key: str, link: str = "", feed: str = "F") -> Item:
    return Item(feed=feed, key=key, title=key, link=link, summary="")


def test_nothing_is_new_on_a_feeds_first_poll():
    assert new_items([item("a"), item("b")], set(), first_poll=True) == []


def test_only_unseen_items_are_new_each_once_in_feed_order():
    seen = {seen_token("a")}
    fresh = new_items([item("b"), item("a"), item("c"), item("b")], seen, first_poll=False)
    assert [i.key for i in fresh] == ["b", "c"]


def test_prune_keeps_present_items_and_recent_absent_ones():
    day = 86400.0
    seen = {"present": 0.0, "recent": 9 * day, "old": 1 * day}
    kept = prune_seen(seen, ["present", "new"], now=10 * day, retention_seconds=5 * day)
    assert kept == {"present": 10 * day, "new": 10 * day, "recent": 9 * day}


def test_normalize_link():
    assert normalize_link("HTTPS://Example.ORG/a?b=1#top") == "https://example.org/a?b=1"
    assert normalize_link("https://example.org") == "https://example.org/"
    assert normalize_link("javascript:alert(1)") == ""
    assert normalize_link("/relative") == ""


def test_delivery_token_is_the_link_across_feeds_and_the_key_without_one():
    assert delivery_token(item("a", "https://x.org/1", feed="A")) == delivery_token(
        item("b", "https://x.org/1#c", feed="B")
    )
    assert delivery_token(item("1", feed="A")) != delivery_token(item("1", feed="B"))

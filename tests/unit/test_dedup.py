"""Which items are new, and which seen records are kept."""

from __future__ import annotations

from bot.core.dedup import item_tokens, new_items, normalize_link, prune_seen, seen_token
from bot.core.items import Item


def item(key: str, link: str = "", feed: str = "F") -> Item:
    return Item(feed=feed, key=key, title=key, link=link, summary="")


def test_nothing_is_new_on_a_feeds_first_poll():
    assert new_items([item("a"), item("b")], set(), first_poll=True) == []


def test_only_unseen_items_are_new_each_once_in_feed_order():
    seen = {seen_token("a")}
    fresh = new_items([item("b"), item("a"), item("c"), item("b")], seen, first_poll=False)
    assert [i.key for i in fresh] == ["b", "c"]


def test_an_item_whose_guid_changed_but_not_its_link_and_title_is_not_new():
    before = Item(feed="F", key="guid-1", title="Census begins", link="https://x.org/census", summary="")
    seen = set(item_tokens(before))
    renamed = Item(feed="F", key="guid-2", title="Census  BEGINS", link="HTTPS://x.org/census#1", summary="")
    retitled = Item(feed="F", key="guid-3", title="Census ends", link="https://x.org/census", summary="")
    assert new_items([renamed, retitled], seen, first_poll=False) == [retitled]


def test_duplicate_stories_inside_one_poll_are_new_once():
    one = Item(feed="F", key="a", title="Census", link="https://x.org/c", summary="")
    same_guid = Item(feed="F", key="a", title="Other", link="https://x.org/o", summary="")
    same_story = Item(feed="F", key="b", title="Census", link="https://x.org/c", summary="")
    assert new_items([one, same_guid, same_story], set(), first_poll=False) == [one]


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

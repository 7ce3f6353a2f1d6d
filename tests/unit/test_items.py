"""Normalizing feed entries into items."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

from bot.core.items import UNTITLED, item_key, normalize_entry


def test_key_prefers_guid_then_link_then_a_hash():
    assert item_key("guid-1", "https://x/1", "t", "s") == "guid-1"
    assert item_key("  ", "https://x/1", "t", "s") == "https://x/1"
    hashed = item_key("", "", "title", "summary")
    assert hashed.startswith("sha256:")
    assert hashed == item_key("", "", "title", "summary")
    assert hashed != item_key("", "", "title", "other summary")


def test_an_overlong_key_is_hashed():
    assert item_key("g" * 5000, "", "", "").startswith("sha256:")


def test_normalize_a_full_entry():
    entry = {
        "id": "urn:1",
        "title": "Oil &amp; gas",
        "title_detail": {"type": "text/html"},
        "link": "https://example.org/a",
        "summary": "<p>Prices <b>rose</b>&nbsp;today.</p>",
        "summary_detail": {"type": "text/html"},
        "content": [{"value": "<div>Full <i>story</i> text.</div>", "type": "text/html"}],
        "published_parsed": time.struct_time((2026, 11, 25, 14, 5, 0, 2, 329, 0)),
    }
    item = normalize_entry(entry, "Feed")
    assert item.key == "urn:1"
    assert item.feed == "Feed"
    assert item.title == "Oil & gas"
    assert item.summary == "Prices rose today."  # &nbsp; is whitespace too
    assert item.content == "Full story text."
    assert item.published == datetime(2026, 11, 25, 14, 5, tzinfo=UTC)


def test_plain_text_titles_are_not_parsed_as_markup():
    item = normalize_entry({"title": "a <b> c", "title_detail": {"type": "text/plain"}}, "F")
    assert item.title == "a <b> c"


def test_missing_fields_never_raise():
    item = normalize_entry({}, "F")
    assert item.title == UNTITLED
    assert item.link == ""
    assert item.summary == ""
    assert item.key.startswith("sha256:")
    assert item.published is None


def test_summary_falls_back_to_content_and_updated_date_is_used():
    entry = {
        "content": [{"value": "Only content here.", "type": "text/plain"}],
        "updated_parsed": time.struct_time((2026, 1, 2, 3, 4, 5, 4, 2, 0)),
    }
    item = normalize_entry(entry, "F")
    assert item.summary == "Only content here."
    assert item.content == ""
    assert item.published == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_wrong_types_from_a_broken_feed_are_ignored():
    item = normalize_entry({"title": 5, "link": ["x"], "id": None, "content": "not a list"}, "F")
    assert item.title == UNTITLED
    assert item.link == ""


def test_a_malformed_link_costs_only_the_link_and_is_counted():
    problems: Counter[str] = Counter()
    item = normalize_entry(
        {"id": "g1", "title": "Census", "link": "http://[::1"},
        "F",
        base_url="https://e.org/",
        problems=problems,
    )
    assert (item.key, item.title, item.link) == ("g1", "Census", "")
    relative = normalize_entry(
        {"title": "t", "link": "//[::1/x"}, "F", base_url="https://e.org/", problems=problems
    )
    assert relative.link == ""
    assert problems == {"a link that is not a web address (link left out)": 2}


def test_a_date_out_of_range_is_left_out_and_counted():
    problems: Counter[str] = Counter()
    huge = time.struct_time((99999999, 1, 1, 0, 0, 0, 0, 1, 0))
    item = normalize_entry({"title": "t", "published_parsed": huge}, "F", problems=problems)
    assert item.published is None and item.title == "t"
    assert problems == {"a date out of range (date left out)": 1}


def test_control_characters_are_removed_from_every_text():
    entry = {
        "title": "Census\x00 begins\x1b[31m\x7f\x9b",
        "title_detail": {"type": "text/plain"},
        "summary": "<p>Counting&#27;[2J\x07 began\r\non\tSunday</p>",
        "content": [{"value": "Full\x1b]0;owned\x07 text\x85here", "type": "text/plain"}],
    }
    item = normalize_entry(entry, "F")
    # A C1 control in feed text is a windows-1252 character read as Latin-1 (mojibake), and
    # is repaired as such first: 0x9B is "›", 0x85 is "…". Either way no control is left.
    assert item.title == "Census begins[31m›"
    assert item.summary == "Counting[2J began on Sunday"
    assert item.content == "Full]0;owned text…here"


def test_bidi_overrides_are_removed_from_titles_but_marks_stay():
    entry = {
        "title": "invoice\u202egpj.exe \u2066x\u2069 \u200fعنوان\u200e \u061c",
        "title_detail": {"type": "text/plain"},
    }
    assert normalize_entry(entry, "F").title == "invoicegpj.exe x \u200fعنوان\u200e \u061c"

"""Alert and list formatting: escaped, within Telegram's limits, with what the user needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.authored_html import clean_authored_html
from bot.core.formatting import (
    MESSAGE_LIMIT,
    DigestStory,
    format_alert,
    format_announcement,
    format_digest,
    format_item_line,
    highlight,
    safe_link,
    to_plain_text,
    visible_length,
)
from bot.core.items import DateShown, Item, counted_from
from bot.core.query_parser import parse_query

ITEM = Item(
    feed="Rudaw <English>",
    key="k",
    title="Makhmour <camp> & census",
    link="https://example.org/a?x=1&y=2",
    summary="Counting began on Sunday. " * 30,
    published=datetime(2026, 11, 25, 14, 5, tzinfo=UTC),
)


def test_alert_has_escaped_title_summary_source_time_link_and_keyword():
    html = format_alert(ITEM, [parse_query("<b>census</b>")], tz=UTC)
    assert html.startswith("<b>Makhmour &lt;camp&gt; &amp; census</b>\n")
    assert "Rudaw &lt;English&gt; · 25 Nov 2026, 14:05 UTC" in html
    assert '<a href="https://example.org/a?x=1&amp;y=2">Read on example.org</a>' in html
    assert "Matched: <code>&lt;b&gt;census&lt;/b&gt;</code>" in html
    summary = html.split("\n")[1]
    assert len(to_plain_text(summary)) <= 300
    assert summary.startswith("Counting began on Sunday.")
    assert "<b>" not in summary, "nothing of the query is in the summary"


def test_alert_time_is_shown_in_the_configured_zone():
    html = format_alert(ITEM, [parse_query("census")], tz=ZoneInfo("Asia/Baghdad"))
    assert "25 Nov 2026, 17:05 +03" in html


def test_several_matched_keywords_are_listed_once_and_bounded():
    html = format_alert(ITEM, [parse_query(f"kw{i}") for i in range(12)], tz=UTC)
    assert "Matched: <code>kw0</code>" in html
    assert "and 7 more" in html


def test_unsafe_or_missing_links_are_left_out():
    for link in ["javascript:alert(1)", "", "/relative/path", "https://exa mple.org/"]:
        item = Item(feed="F", key="k", title="T", link=link, summary="")
        assert "<a " not in format_alert(item, [parse_query("t")], tz=UTC)
        assert "<a " not in format_item_line(item, tz=UTC)
    assert safe_link("http://example.org/x") == "http://example.org/x"


def test_huge_inputs_stay_under_telegrams_limit():
    item = Item(
        feed="F" * 5000,
        key="k",
        title="<&>" * 5000,
        link="https://e.org/" + "a" * 1000,
        summary="word " * 10000,
    )
    html = format_alert(item, [parse_query("q" * 100)] * 50, tz=UTC)
    assert visible_length(html) <= MESSAGE_LIMIT


def test_visible_length_counts_text_not_tags_in_utf16_units():
    assert visible_length("<b>a&amp;b</b>") == 3
    assert visible_length("😀") == 2


def test_an_announcement_is_the_admins_html_under_its_title():
    html = format_announcement(clean_authored_html("<b>hi</b> & <script>bye</script>"))
    assert html == "📢 <b>Announcement</b>\n\n<b>hi</b> &amp; bye"


def test_matched_words_are_bold_in_the_summary_as_written():
    item = Item(feed="F", key="k", title="T", link="", summary="The Makhmūr camp & <census> on oil-prices")
    html = format_alert(item, [parse_query('Makhmur "oil prices"'), parse_query("cens*")], tz=UTC)
    assert "The <b>Makhmūr</b> camp &amp; &lt;<b>census</b>&gt; on <b>oil-prices</b>" in html


def test_highlight_marks_phrases_only_where_the_whole_phrase_stands():
    terms = parse_query('"oil prices" kurd*').positive_terms
    assert highlight("oil rose; prices fell; oil prices; Kurdish", terms) == (
        "oil rose; prices fell; <b>oil prices</b>; <b>Kurdish</b>"
    )
    assert highlight("a < b", terms) == "a &lt; b"


def _read_on(link: str) -> str:
    html = format_alert(replace(ITEM, link=link), [parse_query("census")], tz=UTC)
    [line] = [line for line in html.split("\n") if "Read on" in line]
    return to_plain_text(line).removeprefix("Read on ")


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        ("https://www.example.org/a", "example.org"),
        ("https://ex\u0430mple.com/a", "xn--exmple-4nf.com"),  # a Cyrillic "а" in a Latin name
        ("https://xn--exmple-4nf.com/a", "xn--exmple-4nf.com"),  # the same, written in punycode
        ("https://пример.рф/a", "пример.рф"),  # one script per label: Unicode
        ("https://xn--e1afmkfd.xn--p1ai/a", "пример.рф"),
        ("https://ڕووداو.net/a", "ڕووداو.net"),
        ("https://ドメイン名例.jp/a", "ドメイン名例.jp"),  # Japanese mixes kana and kanji
        ("https://bücher.de/a", "bücher.de"),
        ("https://a\u200bb.com/a", "xn--ab-g1t.com"),  # an invisible character in the name
        ("https://ex\u202eelpmaxe.com/a", "exelpmaxe.com"),  # a right-to-left override
    ],
)
def test_the_host_is_shown_so_that_it_cannot_pass_for_another(link: str, shown: str):
    assert _read_on(link) == shown


@pytest.mark.parametrize("link", ["https://e.org/a\x7fb", "https://e.org/\x9b31m", "https://e.org/\x1b"])
def test_links_with_control_characters_are_not_linked(link: str):
    assert safe_link(link) is None


def test_bidi_overrides_are_removed_from_the_alert_title():
    html = format_alert(replace(ITEM, title="Makhmour\u202e census \u2067x\u2069"), [], tz=UTC)
    assert html.startswith("<b>Makhmour census x</b>\n")


@pytest.mark.parametrize(
    ("keywords", "line"),
    [
        (["census"], "Matched: census"),
        (["census", "oil prices"], "Matched: census, oil prices"),
        ([f"kw{n}" for n in range(7)], "Matched: kw0, kw1, kw2, kw3, kw4 and 2 more"),
    ],
)
def test_the_matched_line_reads_the_same_under_an_alert_and_in_a_digest(keywords, line):
    alert = to_plain_text(format_alert(ITEM, [parse_query(k) for k in keywords], tz=UTC))
    assert alert.split("\n")[-1] == line
    digest = format_digest([DigestStory(ITEM, keywords)], header="Digest", tz=UTC)
    assert line in to_plain_text(digest).split("\n")


def test_a_digest_groups_stories_by_the_keywords_they_matched():
    stories = [
        DigestStory(replace(ITEM, key="1", title="One"), ["census"]),
        DigestStory(replace(ITEM, key="2", title="Two"), ["census", "oil"]),
        DigestStory(replace(ITEM, key="3", title="Three"), ["census"]),
    ]
    lines = to_plain_text(format_digest(stories, header="Digest", tz=UTC)).split("\n")
    headings = [line for line in lines if line.startswith("Matched")]
    assert headings == ["Matched: census", "Matched: census, oil"]
    assert lines.index("Matched: census, oil") > max(n for n, line in enumerate(lines) if "Three" in line)


@pytest.mark.parametrize(
    ("published", "shown"),
    [
        (None, "15 Jan 2027, 08:00 UTC"),  # undated: when the bot first saw it
        (datetime(2027, 1, 16, 9, 0, tzinfo=UTC), "15 Jan 2027, 08:00 UTC"),  # in the future
        (datetime(2027, 1, 14, 9, 30, tzinfo=UTC), "14 Jan 2027, 09:30 UTC"),  # as the feed says
    ],
)
def test_an_alert_and_a_story_line_show_when_the_bot_first_saw_an_undated_story(published, shown):
    seen = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    item = counted_from(replace(ITEM, published=published), seen)
    assert f"· {shown}" in to_plain_text(format_alert(item, [parse_query("census")], tz=UTC))
    assert f", {shown})" in to_plain_text(format_item_line(item, tz=UTC))


@pytest.mark.parametrize(
    ("published", "date_shown", "kept"),
    [
        # "Wed, 02 Dec 2026 00:00:00 +0300", seen at 21:01 UTC on 1 Dec: already 2 Dec in Moscow
        (datetime(2026, 12, 2, tzinfo=timezone(timedelta(hours=3))), DateShown.DAY, True),
        (datetime(2026, 12, 2, 9, 0, tzinfo=UTC), DateShown.LOCAL, True),  # "2 Dec 09:00", no zone
        (datetime(2026, 12, 3, tzinfo=UTC), DateShown.DAY, False),  # no zone has reached 3 Dec
        (datetime(2026, 12, 1, 21, 30, tzinfo=UTC), DateShown.MOMENT, False),  # a moment ahead
    ],
)
def test_a_day_or_a_zoneless_time_is_not_taken_for_a_future_date(published, date_shown, kept):
    seen = datetime(2026, 12, 1, 21, 1, tzinfo=UTC)
    item = counted_from(replace(ITEM, published=published, date_shown=date_shown), seen)
    assert (item.published == published) is kept

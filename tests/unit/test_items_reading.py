"""What a reader gets from an entry: repaired text, the story's own description, link and date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.formatting import format_published
from bot.core.items import DateShown, normalize_entry


def test_mojibake_is_repaired_before_anything_else():
    entry = {
        "title": "lâ€™ancien ministre a attirÃ© prÃ¨s dâ€™un millier",
        # Cyrillic written as UTF-8 and read as Latin-1, as the Yandex feed has it.
        "summary": "<p>" + "В Москве".encode().decode("latin-1") + "</p>",
    }
    item = normalize_entry(entry, "F")
    assert item.title == "l’ancien ministre a attiré près d’un millier"
    assert item.summary == "В Москве"


def test_the_summary_is_the_description_and_a_caption_only_when_there_is_nothing_else():
    story = {"summary": "The report on Russian efforts.", "media_description": "A photo of the senator."}
    assert normalize_entry(story, "F").summary == "The report on Russian efforts."
    video = {"title": "The Google app", "media_description": "A question is the most powerful force."}
    assert normalize_entry(video, "F").summary == "A question is the most powerful force."


def test_boilerplate_at_the_edges_is_removed():
    entry = {"summary": "<p>Trump has promised a wall.</p><p><a href='x'>Continue reading...</a></p>"}
    assert normalize_entry(entry, "F").summary == "Trump has promised a wall."


@pytest.mark.parametrize(
    ("entry", "link"),
    [
        (
            {"link": "http://feeds.reuters.com/~r/Reuters/worldNews/~3/x/us-iraq",
             "feedburner_origlink": "http://www.reuters.com/article/us-iraq?feedType=RSS&feedName=worldNews"},
            "http://www.reuters.com/article/us-iraq",
        ),
        (
            {"link": "http://feeds.washingtonpost.com/click.phdo?i=cc0c",
             "pheedo_origlink": "http://www.washingtonpost.com/wellness/story.html?wprss=rss_wellness"},
            "http://www.washingtonpost.com/wellness/story.html",
        ),
        (
            {"link": "https://www.nytimes.com/2017/a.html?partner=rss&emc=rss",
             "id": "https://www.nytimes.com/2017/a.html"},
            "https://www.nytimes.com/2017/a.html",
        ),
    ],
)  # fmt: skip
def test_the_link_is_the_storys_own(entry: dict[str, str], link: str):
    item = normalize_entry(entry, "F")
    assert item.link == link


def test_the_key_keeps_the_link_as_the_feed_gave_it_so_stories_seen_before_stay_seen():
    entry = {"link": "https://x.org/a?utm_source=rss", "title": "A"}
    item = normalize_entry(entry, "F")
    assert item.key == "https://x.org/a?utm_source=rss" and item.link == "https://x.org/a"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Wed, 25 Jan 2017 00:00:00 +0300", "25 Jan 2017"),  # a day: not 24 Jan, 21:00 UTC
        ("2020/1/10 14:33:00", "10 Jan 2020, 14:33"),  # no zone: as written
        ("Seg, 24 Set 2018 19:42:40 -0300", "24 Sep 2018, 22:42 UTC"),
        ("Sat, 07 Jan 2017 01:49:31 GMT", "07 Jan 2017, 01:49 UTC"),
    ],
)
def test_dates_are_shown_as_the_feed_meant_them(raw: str, shown: str):
    item = normalize_entry({"published": raw}, "F")
    assert format_published(item, UTC) == shown


def test_feedparsers_reading_is_the_fallback():
    entry = {"published": "not a date", "published_parsed": datetime(2019, 5, 1, tzinfo=UTC).timetuple()}
    item = normalize_entry(entry, "F")
    assert item.published == datetime(2019, 5, 1, tzinfo=UTC) and item.date_shown is DateShown.MOMENT

"""Each defect check of the reader's audit, on alerts that show the defect and on ones that do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.quality.alert_defects import (
    BOILERPLATE,
    MOJIBAKE,
    OLD_STORY,
    REAPPEARED,
    TITLE_NOT_BOLD,
    TRACKING,
    alert_defects,
    boilerplate,
    caption_instead_of_description,
    duplicate_alerts,
    matched_a_different_word,
    matched_word_not_visible,
    mojibake,
    old_story,
    paragraphs_run_together,
    title_does_not_bold_matches,
    wrong_date,
)
from tests.quality.link_defects import redirector_link, tracking_parameters
from tests.quality.shown_alert import ShownAlert, read_alert
from tests.quality.story import Story


def alert(
    title: str = "<b>Census begins in Makhmour</b>",
    excerpt: str = "Counting began on Sunday.",
    *,
    source: str = "Local News",
    date: str = "07 Jan 2017, 03:51 UTC",
    link: str = "https://example.org/news/1",
    matched: tuple[str, ...] = ("census",),
    chat_id: int = 1,
) -> ShownAlert:
    """An alert in the bot's format, from its parts as Telegram HTML."""
    shown = ", ".join(f"<code>{m}</code>" for m in matched)
    lines = [title, excerpt, "", f"<i>{source} · {date}</i>", f'<a href="{link}">Read on example.org</a>']
    lines.append(f"Matched: {shown}")
    return read_alert(chat_id, "\n".join(lines))


def story(element: str = "", reader_text: str = "", **entry: Any) -> Story:
    return Story(feed="Local News", entry=entry, element=element, reader_text=reader_text)


# --- reading an alert back -------------------------------------------------------------


def test_an_alert_is_read_back_into_its_parts() -> None:
    shown = alert(
        "<b>Makhmour &lt;camp&gt; &amp; census</b>",
        "Counting began in <b>Makhmour</b> camp.",
        link="https://example.org/a?id=7&amp;lang=en",
        matched=("Makhmour", "census"),
    )
    assert shown.title == "Makhmour <camp> & census"
    assert shown.excerpt == "Counting began in Makhmour camp."
    assert (shown.source, shown.shown_date) == ("Local News", "07 Jan 2017, 03:51 UTC")
    assert shown.link == "https://example.org/a?id=7&lang=en"
    assert shown.matched == ("Makhmour", "census")


# --- mojibake ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Ð’ ÐœÐ¾Ñ\x81ÐºÐ²Ðµ Ð¸Ð·-Ð·Ð° Ñ\x81Ð¸Ð»ÑŒÐ½Ñ‹Ñ… Ð¼Ð¾Ñ€Ð¾Ð·Ð¾Ð²",  # Yandex: UTF-8 read as cp1252
        "A Nevers, vendredi, lâ€™ancien ministre a attirÃ© prÃ¨s dâ€™un millier",  # Le Monde
        "Â Áóçóëóêå ãëàâíûå ñòðîéïëîùàäêè",  # windows-1251 read as ISO-8859-1
        "«Ðïñôñáßôá êáñáíôßíáò» ãéá Ýìðíåõóç",  # ISO-8859-7 read as ISO-8859-1
        "the minister\x80\x99s visit",  # UTF-8 read as ISO-8859-1 leaves C1 controls
    ],
)
def test_mojibake_is_found(text: str) -> None:
    assert mojibake(text)
    assert MOJIBAKE in alert_defects(alert(excerpt=text), None, first_seen=datetime(2017, 1, 7, tzinfo=UTC))


@pytest.mark.parametrize(
    "text",
    [
        "В Москве из-за сильных морозов объявлен «оранжевый» уровень опасности",
        "Koronavírus: Slovensko čaká 9-dňové plošné testovanie, predĺžil sa zákaz vychádzania",
        "Kommunikáció a fontosabb PHP projektek és a nyelv fejlesztői között",
        "Málaga, São Paulo, Straße, naïve café — “quoted” ‘and’ … done",
        "Prezidentka Čaputová o Matovičovom riadení krízy: Nevidím posun k lepšiemu",
        "«Πορτραίτα καραντίνας» για έμπνευση από τη συλλογή Φέλιου",
        "امریکہ کے ساتھ خفیہ معلومات کا تبادلہ",
        "特斯拉：不在营销上花费精力；摩拜 App 正式「拜拜」",
    ],
)
def test_text_in_any_script_is_not_mojibake(text: str) -> None:
    assert mojibake(text) == []


# --- wrong text -------------------------------------------------------------------------

NYT_ITEM = """<item>
  <title>Trump Finds That Attack-Dog Strategy Has Its Limits</title>
  <media:description>Senator Chuck Schumer warned President-elect Donald J. Trump recently that it was
    &#x201C;really dumb&#x201D; to take on the intelligence services.</media:description>
  <description>The report on Russian efforts to influence the outcome of the election made it clear that a
    tactic from the campaign would not necessarily work in Washington.</description>
</item>"""


def test_a_photo_caption_shown_instead_of_the_description_is_found() -> None:
    caption = alert(excerpt="Senator Chuck Schumer warned President-elect Donald J. Trump recently that it…")
    assert caption_instead_of_description(caption, story(NYT_ITEM))


def test_the_description_itself_is_not_a_caption() -> None:
    right = alert(excerpt="The report on Russian efforts to influence the outcome of the election made it…")
    assert caption_instead_of_description(right, story(NYT_ITEM)) is None
    no_caption = "<item><description>Senator Chuck Schumer warned.</description></item>"
    assert (
        caption_instead_of_description(alert(excerpt="Senator Chuck Schumer warned."), story(no_caption))
        is None
    )


@pytest.mark.parametrize(
    "excerpt",
    [
        "Thinly disguised contempt Donald Trump has promised a new moment… Continue reading...",
        "You’ve just been appointed Minister of Fitness and Nutrition. Read full article >>",
        "Comments",
        "Hello all, I got a 40G switch. submitted by /u/sala81 [link] [comments]",
        "Ten tips for a home lab. The post Ten tips appeared first on Homelab Weekly.",
        "A short excerpt of the story [&#8230;]",
        "A short story. Read more »",
        "Já são mais de 500 mil testes completos no Match Eleitoral. Leia mais (09/24/2018 - 19h22)",
    ],
)
def test_boilerplate_is_found(excerpt: str) -> None:
    assert boilerplate(alert(excerpt=excerpt))


@pytest.mark.parametrize(
    "excerpt",
    [
        "Readers left comments on the plan, and people read more books in winter.",
        "She will continue reading the report to parliament on Monday.",
        "Counting began on Sunday.",
    ],
)
def test_an_ordinary_excerpt_is_not_boilerplate(excerpt: str) -> None:
    assert boilerplate(alert(excerpt=excerpt)) == []


GUARDIAN_SUMMARY = (
    "<p>The president’s speech stirred Republican applause while Democrats showed thinly disguised "
    "contempt</p>"
    "<p>Donald Trump has promised a “new American moment” in a State of the Union address.</p>"
)


def test_paragraphs_joined_without_punctuation_are_found() -> None:
    joined = alert(
        excerpt="Democrats showed thinly disguised contempt Donald Trump has promised a “new American…"
    )
    assert paragraphs_run_together(joined, story(summary=GUARDIAN_SUMMARY)) == [
        "disguised contempt Donald Trump"
    ]


def test_paragraphs_kept_apart_or_ending_with_a_stop_are_not_run_together() -> None:
    apart = alert(excerpt="Democrats showed thinly disguised contempt. Donald Trump has promised a “new…")
    assert paragraphs_run_together(apart, story(summary=GUARDIAN_SUMMARY)) == []
    stopped = "<p>Democrats showed contempt.</p><p>Donald Trump has promised.</p>"
    plain = alert(excerpt="Democrats showed contempt. Donald Trump has promised.")
    assert paragraphs_run_together(plain, story(summary=stopped)) == []


# --- links ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://www.bbc.co.uk/news/uk-43532916?at_medium=RSS&at_campaign=KARANGA", 2),
        ("http://www.nytimes.com/2017/01/06/us/politics/trump.html?partner=rss&emc=rss", 2),
        ("http://www.lemonde.fr/article/2017/01/07/a_5059114_3210.html?xtor=RSS-3208", 1),
        ("http://www.heise.de/developer/meldung/3088627.html?wt_mc=rss.developer.beitrag.atom", 1),
        ("https://example.org/story?utm_source=rss&utm_medium=feed&id=4", 2),
        ("https://example.org/story?id=30934529", 0),
        ("http://www.youtube.com/watch?v=xfFHnBQ6nQg", 0),
        ("https://example.org/story?partner=acme&page=2", 0),
        ("http://[::1", 0),
    ],
)
def test_tracking_parameters_are_found(link: str, expected: int) -> None:
    assert len(tracking_parameters(link)) == expected
    found = TRACKING in alert_defects(alert(link=link), None, first_seen=datetime(2017, 1, 7, tzinfo=UTC))
    assert found == bool(expected)


@pytest.mark.parametrize(
    "link",
    [
        "https://www.google.com/url?rct=j&sa=t&url=https://investorplace.com/2019/07/slack-stock/&ct=ga",
        "http://feedproxy.google.com/~r/Techcrunch/~3/OZarlirMG7w/",
        "http://feeds.reuters.com/~r/Reuters/worldNews/~3/tQnIjJkpVMQ/us-usa-trump-mexico-wall",
        "http://ads.pheedo.com/click.phdo?s=cc0c5fb09865354bbec8415210a554da&p=4",
        "http://feeds.washingtonpost.com/click.phdo?i=cc0c5fb09865354bbec8415210a554da",
        "https://news.yandex.ru/yandsearch?cl4url=ria.ru%2Fsociety%2F20170107%2F1485236822.html",
        "https://t.co/AbCdEf",
    ],
)
def test_redirector_links_are_found(link: str) -> None:
    assert redirector_link(alert(link=link))


def test_a_link_elsewhere_than_the_entrys_real_address_is_a_redirector() -> None:
    element = '<item><guid isPermaLink="true">https://www.jn.pt/nacional/veto.html</guid></item>'
    moved = alert(link="http://clicks.example.net/r/123")
    assert (
        redirector_link(moved, story(element))
        == "the entry's real address is https://www.jn.pt/nacional/veto.html"
    )
    origin = story("<item/>", feedburner_origlink="https://www.jn.pt/nacional/veto.html")
    assert redirector_link(moved, origin)


@pytest.mark.parametrize(
    ("link", "element"),
    [
        ("https://www.theguardian.com/us-news/2018/jan/31/trump", "<item><guid>https://www.theguardian.com/us-news/2018/jan/31/trump</guid></item>"),
        ("https://www.golem.de/news/let-s-play-1810-137357.html", "<item><guid>https://www.golem.de/1810/137357-rss.html</guid></item>"),
        ("http://www.nytimes.com/2017/a.html?partner=rss&emc=rss", '<item><guid isPermaLink="true">http://www.nytimes.com/2017/a.html</guid></item>'),
        ("http://www.bbc.co.uk/programmes/m000sjxt", '<item><guid isPermaLink="false">http://other.example/1</guid></item>'),
        ("https://example.org/story?id=4", "<item/>"),
    ],
)  # fmt: skip
def test_a_story_own_address_is_not_a_redirector(link: str, element: str) -> None:
    assert redirector_link(alert(link=link), story(element)) is None


# --- matching ---------------------------------------------------------------------------


def test_a_keyword_found_only_in_the_full_text_is_not_visible() -> None:
    hidden = alert("<b>谷歌三星杀进来了</b>", "高通为啥一点不怕？", matched=("Google",))
    assert matched_word_not_visible(hidden) == ["Google"]
    second = alert(matched=("census", "Proxmox"))
    assert matched_word_not_visible(second) == ["Proxmox"]


@pytest.mark.parametrize(
    ("title", "excerpt", "matched"),
    [
        ("<b>Census begins</b>", "Counting began.", ("census",)),
        ("<b>Camp news</b>", "Counting began in <b>Makhmūr</b> camp.", ("Makhmur",)),
        ("<b>Kurdistan votes</b>", "", ("kurd*",)),
        ("<b>Oil prices rise</b>", "", ('"oil prices"',)),
        ("<b>Slack and Spotify debut</b>", "", ("Slack OR Teams",)),
    ],
)
def test_a_keyword_in_the_title_or_excerpt_is_visible(
    title: str, excerpt: str, matched: tuple[str, ...]
) -> None:
    assert matched_word_not_visible(alert(title, excerpt, matched=matched)) == []


def test_a_title_in_bold_all_through_does_not_bold_its_matched_words() -> None:
    assert title_does_not_bold_matches(alert("<b>Census begins in Makhmour</b>")) == ["census"]
    assert TITLE_NOT_BOLD in alert_defects(alert(), None, first_seen=datetime(2017, 1, 7, tzinfo=UTC))


@pytest.mark.parametrize(
    "title",
    [
        "<b>Census</b> begins in Makhmour",
        "<b><u>Census</u> begins in Makhmour</b>",
        "<b>Makhmour camp opens</b>",  # no matched word in the title
        "<b>Census</b>",  # the title is the keyword: nothing to tell it from
    ],
)
def test_a_title_that_sets_its_matched_words_apart_bolds_them(title: str) -> None:
    assert title_does_not_bold_matches(alert(title)) == []


def test_a_keyword_the_reader_finds_nowhere_is_a_different_word() -> None:
    assert matched_a_different_word(alert(matched=("мой",)), story(reader_text="Все мои друзья")) == ["мой"]
    assert matched_a_different_word(alert(matched=("बैठक",)), story(reader_text="बठक")) == ["बैठक"]


def test_a_keyword_the_reader_finds_is_the_same_word() -> None:
    urdu = story(reader_text="امریکہ کے ساتھ خفیہ معلومات کا تبادلہ")
    assert matched_a_different_word(alert(matched=("امریکه",)), urdu) == []
    turkish = story(reader_text="President Recep Tayyip Erdogan has responded")
    assert matched_a_different_word(alert(matched=("Erdoğan", "source:nyt turkey")), turkish) == []


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "written"),
    [
        ("24 Jan 2017, 21:00 UTC", "Wed, 25 Jan 2017 00:00:00 +0300"),  # a date alone moved a day
        ("01 Dec 2020, 00:00 UTC", "2020/1/10 14:33:00"),  # a Chinese forum's date misread
        ("07 Jan 2017, 08:51 UTC", "Sat, 07 Jan 2017 03:51:18 GMT"),  # another hour
        ("10 Jan 2020, 14:40 UTC", "2020/1/10 14:33:00"),  # not a time zone's shift
        ("25 Sep 2018, 22:42 UTC", "Seg, 24 Set 2018 19:42:40 -0300"),  # Portuguese, a day late
    ],
)
def test_a_date_shown_as_another_day_or_hour_is_wrong(shown: str, written: str) -> None:
    assert wrong_date(shown, written)


@pytest.mark.parametrize(
    ("shown", "written"),
    [
        ("25 Jan 2017, 00:00 +03", "Wed, 25 Jan 2017 00:00:00 +0300"),
        ("25 Jan 2017", "Wed, 25 Jan 2017 00:00:00 +0300"),
        ("07 Jan 2017, 03:51 UTC", "Sat, 07 Jan 2017 03:51:18 GMT"),
        ("07 Jan 2017, 06:51 +03", "Sat, 07 Jan 2017 03:51:18 GMT"),
        ("10 Jan 2020, 06:33 UTC", "2020/1/10 14:33:00"),  # read as China's time, shown in UTC
        ("21 Aug 2012, 15:33 UTC", "Tue, 21 Aug 2012 10:33:00 EST"),
        ("19 Jan 2020, 05:08 UTC", "2020-01-19T16:08:59+11:00"),
        ("24 Sep 2018, 22:42 UTC", "Seg, 24 Set 2018 19:42:40 -0300"),
        ("", "Sat, 07 Jan 2017 03:51:18 GMT"),  # no date shown: nothing wrong shown
        ("07 Jan 2017, 03:51 UTC", "sometime last week"),  # unreadable: cannot tell
    ],
)
def test_a_date_shown_as_written_is_right(shown: str, written: str) -> None:
    assert wrong_date(shown, written) is None


def test_a_story_over_a_week_old_when_first_seen_is_old() -> None:
    first_seen = datetime(2017, 1, 20, tzinfo=UTC)
    assert old_story("Sat, 07 Jan 2017 03:51:18 GMT", first_seen) == "12 days old"
    assert old_story("Wed, 18 Jan 2017 03:51:18 GMT", first_seen) is None
    assert old_story("", first_seen) is None
    dated = story(published="Sat, 07 Jan 2017 03:51:18 GMT")
    found = alert_defects(alert(), dated, first_seen=first_seen)
    assert OLD_STORY in found and REAPPEARED not in found  # the story has no feed time


def test_a_story_old_for_its_own_feed_reappears() -> None:
    dated = Story(
        feed="BBC News",
        entry={"published": "Tue, 29 Mar 2016 11:46:23 GMT"},
        element="",
        reader_text="",
        feed_time=datetime(2018, 3, 25, tzinfo=UTC),
    )
    found = alert_defects(alert(), dated, first_seen=datetime(2018, 3, 25, tzinfo=UTC) + timedelta(hours=1))
    assert REAPPEARED in found and OLD_STORY in found


# --- across alerts ----------------------------------------------------------------------


def test_the_same_story_twice_in_a_chat_is_a_duplicate() -> None:
    first = alert("<b>Оскар-2024: 20 днів у Маріуполі</b>", link="https://suspilne.media/644982-oskar/")
    again = alert("<b>Оскар-2024: 20 днів у Маріуполі</b>", link="https://suspilne.media/culture/644982/")
    other_chat = alert("<b>Оскар-2024: 20 днів у Маріуполі</b>", link="https://suspilne.media/x/", chat_id=2)
    assert list(duplicate_alerts([(first, None), (again, None), (other_chat, None)])) == [1]
    origin = "https://www.jn.pt/nacional/veto.html"
    one = (alert("<b>Reações ao veto</b>", link="http://feeds.jn.pt/~r/1"), story(feedburner_origlink=origin))
    two = (
        alert("<b>Partidos reagem ao veto</b>", link="http://feeds.jn.pt/~r/2"),
        story(feedburner_origlink=origin),
    )
    assert list(duplicate_alerts([one, two])) == [1]


def test_different_stories_are_not_duplicates() -> None:
    one = alert("<b>Census begins</b>", link="https://example.org/1")
    two = alert("<b>Census ends</b>", link="https://example.org/2")
    assert duplicate_alerts([(one, None), (two, None)]) == {}


def test_an_alert_without_its_story_still_gets_the_checks_that_need_none() -> None:
    found = alert_defects(
        alert(excerpt="Comments", link="https://example.org/a?utm_source=rss"),
        None,
        first_seen=datetime.now(UTC),
    )
    assert set(found) == {BOILERPLATE, TRACKING, TITLE_NOT_BOLD}

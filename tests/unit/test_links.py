"""The story's own address: behind redirectors, without tracking parameters."""

from __future__ import annotations

import pytest

from bot.core.links import clean_link, is_redirector, story_link, unwrap_redirect

GOOGLE = (
    "https://www.google.com/url?rct=j&sa=t&url=https://www.aglobalmarket.com/slack-news/"
    "&ct=ga&cd=CAIyHGU4ZTJkZjQ3OTVk&usg=AFQjCNHUcRGtHY1ygcMD"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.bbc.co.uk/news/world-1?at_medium=RSS&at_campaign=KARANGA",
            "https://www.bbc.co.uk/news/world-1",
        ),
        ("https://www.lemonde.fr/a.html?xtor=RSS-3208", "https://www.lemonde.fr/a.html"),
        ("https://www.heise.de/x.html?wt_mc=rss.developer.beitrag.atom", "https://www.heise.de/x.html"),
        ("https://www.nytimes.com/2017/a.html?partner=rss&emc=rss", "https://www.nytimes.com/2017/a.html"),
        ("https://x.org/a?utm_source=feed&utm_medium=rss&id=7", "https://x.org/a?id=7"),
        ("https://x.org/a?id=7&ref=rss_feed&lang=en", "https://x.org/a?id=7&lang=en"),
        (
            "http://www.reuters.com/article/idUS?feedType=RSS&feedName=worldNews",
            "http://www.reuters.com/article/idUS",
        ),
        ("https://x.org/a?page=2&q=census", "https://x.org/a?page=2&q=census"),  # real parameters stay
        ("https://x.org/a?ref=homepage", "https://x.org/a?ref=homepage"),  # a ref that is not the feed
        ("https://x.org/a#xtor=RSS-1", "https://x.org/a"),
        ("https://x.org/a#section-2", "https://x.org/a#section-2"),
        (GOOGLE, "https://www.aglobalmarket.com/slack-news/"),
        (
            "https://news.yandex.ru/yandsearch?cl4url=ria.ru%2Fsociety%2F20170107%2F1485236822.html",
            "http://ria.ru/society/20170107/1485236822.html",
        ),
        ("http://[::1", ""),
        ("javascript:alert(1)", ""),
        ("not a url", ""),
    ],
)
def test_clean_link(url: str, expected: str):
    assert clean_link(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://feeds.reuters.com/~r/Reuters/worldNews/~3/xROvFa03AOc/us-mideast",
        "http://feedproxy.google.com/~r/Techcrunch/~3/kTeeGj4FnwU/",
        "http://feeds.jn.pt/~r/JN-ULTIMAS/~3/UBnb8Ra3Q1U/sonia",
        "http://feeds.washingtonpost.com/click.phdo?i=cc0c5fb09865354bbec8415210a554da",
        GOOGLE,
    ],
)
def test_redirectors_are_recognised(url: str):
    assert is_redirector(url)


@pytest.mark.parametrize(
    "url", ["https://www.google.com/search?q=x", "https://news.example/~rss/a", "https://www.reuters.com/a"]
)
def test_ordinary_links_are_not_redirectors(url: str):
    assert not is_redirector(url)


def test_a_redirector_without_its_target_is_not_unwrapped():
    assert unwrap_redirect("http://feedproxy.google.com/~r/Techcrunch/~3/kTeeGj4FnwU/") is None
    assert unwrap_redirect("https://www.google.com/url?url=javascript:alert(1)") is None


def test_the_origin_link_wins_over_a_redirector():
    assert (
        story_link(
            "http://feeds.reuters.com/~r/Reuters/worldNews/~3/xROvFa03AOc/us-mideast",
            origins=[
                "http://www.reuters.com/article/us-mideast-idUSKBN14R0D4?feedType=RSS&feedName=worldNews"
            ],
        )
        == "http://www.reuters.com/article/us-mideast-idUSKBN14R0D4"
    )


def test_a_permalink_guid_wins_over_a_redirector():
    assert (
        story_link("http://feedproxy.google.com/~r/T/~3/k/", guid="https://techcrunch.com/2011/11/02/ipo/")
        == "https://techcrunch.com/2011/11/02/ipo/"
    )


def test_a_guid_that_is_not_an_address_is_not_a_link():
    assert story_link("http://feedproxy.google.com/~r/T/~3/k/", guid="tag:techcrunch.com,2011:1") == (
        "http://feedproxy.google.com/~r/T/~3/k/"
    )


def test_an_ordinary_link_is_kept_even_with_an_origin_beside_it():
    assert (
        story_link("https://x.org/story?utm_source=rss", origins=["https://y.org/other"])
        == "https://x.org/story"
    )


def test_no_usable_link():
    assert story_link("") == ""
    assert story_link("http://[::1", origins=["nope"]) == ""

"""Which items are one story: wire copies, one outlet's two links, and what must stay apart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import sameness
from bot.core.dedup import seen_token
from bot.core.items import Item
from bot.core.sameness import Rules, Sameness, StoryGroups, same_story, signature
from tests.memory import memory_kept

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

WIRE_TEXT = (
    "British inflation fell to 3.2% in March, its lowest rate in two and a half years, official "
    "figures showed on Wednesday, as food prices rose more slowly and the Bank of England weighed "
    "when to start cutting interest rates from their 16-year high."
)


def item(
    title: str,
    summary: str = "",
    *,
    feed: str = "Outlet",
    key: str | None = None,
    link: str | None = None,
    published: datetime | None = None,
) -> Item:
    key = key or f"{feed}/{title}"
    slug = re.sub(r"\W+", "-", key.lower()).strip("-")
    link = f"https://{feed.lower().replace(' ', '')}.example/news/{slug}" if link is None else link
    return Item(feed=feed, key=key, title=title, link=link, summary=summary, published=published)


DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def assign_all(*items: Item, groups: StoryGroups | None = None) -> list[sameness.Assignment]:
    groups = groups or StoryGroups()
    return [groups.assign(i, now=NOW) for i in items]


def stories(*items: Item) -> list[str]:
    return [a.story for a in assign_all(*items)]


# --- one story ---------------------------------------------------------------------------


def test_a_wire_story_in_three_outlets_is_one_story() -> None:
    first = item(
        "UK inflation falls to 3.2%, lowest in two and a half years",
        f"LONDON (Reuters) - {WIRE_TEXT}",
        feed="Reuters",
    )
    second = item(
        "UK inflation falls to 3.2% - lowest in two and a half years (Reuters)", WIRE_TEXT, feed="Yahoo News"
    )
    cut = " ".join(WIRE_TEXT.split()[:25]) + " ..."
    third = item("UK Inflation Falls to 3.2%; Lowest in Two and a Half Years", cut, feed="Japan Today")
    assigned = assign_all(first, second, third)
    assert [a.story for a in assigned] == [assigned[0].story] * 3
    assert assigned[0].same_as is None
    assert assigned[1].same_as == ("Reuters", first.key)
    assert assigned[1].reason == Sameness.TEXT
    assert assigned[0].story == seen_token(f"Reuters\n{first.key}")


def test_one_outlets_story_under_two_links_is_one_story() -> None:
    text = (
        "The census began on Sunday in Makhmour camp, where enumerators visited every tent and recorded "
        "every family."
    )
    story = item(
        "Census begins in Makhmour camp with door-to-door visits",
        text,
        key="1",
        link="https://o.example/a/123",
    )
    again = item(
        "Census begins in Makhmour camp with door-to-door visits",
        text,
        key="2",
        link="https://o.example/amp/a/123",
    )
    retitled = item(
        "Census begins in Makhmour camp, with door-to-door visits",
        text,
        key="3",
        link="https://o.example/a/9",
    )
    assigned = assign_all(story, again, retitled)
    assert len({a.story for a in assigned}) == 1
    assert assigned[1].reason == Sameness.TITLE


def test_the_same_link_is_the_same_story_even_retitled() -> None:
    text = (
        "Heavy rain flooded the main road between Erbil and Makhmour on Tuesday, closing it to traffic "
        "for hours."
    )
    before = item("Rain floods Erbil-Makhmour road", text, link="https://o.example/story/77", key="a")
    after = item("Erbil-Makhmour road closed by floods", text, link="HTTPS://O.example/story/77#top", key="b")
    assigned = assign_all(before, after)
    assert assigned[1].story == assigned[0].story
    assert assigned[1].reason == Sameness.LINK


def test_an_entry_without_text_joins_its_copy_by_its_title() -> None:
    full = item(
        "Match Eleitoral já soma mais de 500 mil testes completos",
        "Já são mais de 500 mil testes completos no Match Eleitoral, ferramenta criada pela Folha.",
        feed="UOL",
        key="1",
    )
    bare = item(
        "Match Eleitoral já soma mais de 500 mil testes completos",
        "",
        feed="UOL",
        key="2",
        link="https://redir.example/x",
    )
    assert len(set(stories(full, bare))) == 1


def test_arabic_script_copies_with_other_letter_forms_are_one_story() -> None:
    # The same Sorani report in two feeds: Arabic kaf and yeh in one, keheh and Farsi yeh in the other.
    text = (
        "ئەنجومەنی وەزیرانی هەرێمی کوردستان لە کۆبوونەوەی ئەمڕۆیدا بڕیاری دا سەرژمێری گشتی لە مانگی "
        "داهاتوودا دەست پێبکات و هەموو خێزانەکانی کەمپی مەخمور تۆمار بکرێن"
    )
    title = "بڕیاری سەرژمێری گشتی لە هەرێمی کوردستان درا"
    first = item(title, text, feed="Rudaw")
    second = item(
        title.replace("ک", "ك").replace("ی", "ي"),
        text.replace("ک", "ك").replace("ی", "ي"),
        feed="Kurdistan24",
    )
    assert len(set(stories(first, second))) == 1


def test_arabic_indic_and_ascii_digits_are_the_same_numbers() -> None:
    text = (
        "أعلنت وزارة التخطيط أن التعداد العام للسكان سيبدأ في العشرين من الشهر المقبل في جميع المحافظات "
        "بما فيها إقليم كوردستان"
    )
    first = item("التعداد العام للسكان يبدأ في ٢٠ تشرين الثاني في جميع المحافظات", f"{text} ٢٠٢٤", feed="A")
    second = item("التعداد العام للسكان يبدأ في 20 تشرين الثاني في جميع المحافظات", f"{text} 2024", feed="B")
    assert len(set(stories(first, second))) == 1


def test_a_chinese_wire_copy_in_two_outlets_is_one_story() -> None:
    text = (
        "新华社北京3月1日电 国家统计局今天发布数据显示，二月份全国居民消费价格同比上涨百分之零点七，"
        "其中食品价格上涨百分之零点九，非食品价格上涨百分之零点六。"
    )
    first = item("国家统计局：二月份居民消费价格同比上涨0.7%", text, feed="新华网")
    second = item("国家统计局: 二月份居民消费价格同比上涨 0.7% (新华社)", text, feed="人民网")
    assert len(set(stories(first, second))) == 1


def test_shingles_are_the_same_whether_words_gives_runs_or_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    copy = item(
        "国家统计局：二月份居民消费价格同比上涨",
        "国家统计局今天发布数据显示，二月份全国居民消费价格同比上涨，其中食品价格上涨。日本の首都、東京では雪が降りました。",
    )
    as_runs = signature(copy)
    real_words = sameness.words

    def words_in_pairs(text: str) -> list[str]:
        pairs: list[str] = []
        for word in real_words(text):
            if re.search("[\u3040-\u30ff\u4e00-\u9fff]", word) and len(word) > 2:
                pairs += [word[i : i + 2] for i in range(len(word) - 1)]
            else:
                pairs.append(word)
        return pairs

    monkeypatch.setattr(sameness, "words", words_in_pairs)
    assert signature(copy) == as_runs


# --- not one story -----------------------------------------------------------------------


def test_a_series_with_numbered_days_does_not_merge() -> None:
    blurb = (
        "Follow our coverage of the census in the Kurdistan Region: what was counted today, where the "
        "teams went and what comes next."
    )
    day1 = item("Census day 1: counting begins in Makhmour", blurb, feed="Rudaw")
    day2 = item("Census day 2: counting begins in Makhmour", blurb, feed="Rudaw")
    assert len(set(stories(day1, day2))) == 2


def test_a_live_blogs_numbered_days_under_one_link_do_not_merge() -> None:
    page = "https://rudaw.example/live/census"
    day1 = item("Census live, day 1: counting begins in Makhmour", key="1", link=page)
    day2 = item("Census live, day 2: counting begins in Makhmour", key="2", link=page)
    assert len(set(stories(day1, day2))) == 2


def test_a_live_blogs_posts_under_one_standing_summary_do_not_merge() -> None:
    blurb = (
        "Our live coverage of the war in Ukraine continues, with the latest news, analysis and pictures "
        "from our correspondents."
    )
    first = item("Russia-Ukraine war live: Kyiv hit by drones overnight", blurb, feed="The Guardian")
    second = item("Russia-Ukraine war live: Zelenskyy meets allies in Berlin", blurb, feed="The Guardian")
    third = item("Russia-Ukraine war live: Kyiv hit by drones again overnight", blurb, feed="The Guardian")
    assert len(set(stories(first, second, third))) == 3


def test_a_daily_title_with_new_text_each_day_does_not_merge() -> None:
    monday = item(
        "Live updates: the Israel-Hamas war",
        "Israeli strikes hit Rafah overnight as talks on a ceasefire resumed in Cairo with Qatari and "
        "Egyptian mediators present.",
        key="mon",
    )
    tuesday = item(
        "Live updates: the Israel-Hamas war",
        "Aid lorries crossed into northern Gaza for the first time in weeks, the United Nations said, as "
        "fighting continued in Khan Younis.",
        key="tue",
    )
    assert len(set(stories(monday, tuesday))) == 2


def test_two_outlets_own_stories_on_one_event_do_not_merge() -> None:
    one = item(
        "Earthquake of magnitude 6.1 strikes eastern Turkey",
        "A strong earthquake shook eastern Turkey early on Monday, damaging buildings in Malatya "
        "province, where rescuers searched the rubble for survivors.",
        feed="BBC News",
    )
    other = item(
        "Strong earthquake of magnitude 6.1 hits eastern Turkey, buildings damaged",
        "Residents of Malatya ran into the streets before dawn when the quake struck; the disaster agency "
        "said at least 20 people were hurt and several buildings had collapsed.",
        feed="Al Jazeera",
    )
    assert len(set(stories(one, other))) == 2


def test_a_template_with_other_numbers_does_not_merge() -> None:
    def sale(shares: str, day: str, key: str) -> Item:
        text = (
            f"Slack (NASDAQ:WORK) insider Cal Henderson sold {shares} shares of the stock in a transaction "
            f"on Friday, {day}. The shares were sold at an average price of $38.00."
        )
        return item(
            f"Slack (NASDAQ:WORK) Insider Cal Henderson Sells {shares} Shares",
            text,
            feed="Google Alerts",
            key=key,
        )

    assert len(set(stories(sale("1,500", "July 5th", "a"), sale("1,500", "June 28th", "b")))) == 2
    assert len(set(stories(sale("1,500", "July 5th", "a"), sale("99,342", "June 21st", "b")))) == 2
    assert len(set(stories(sale("1,500", "July 5th", "a"), sale("1,500", "July 5th", "b")))) == 1


def test_one_blurb_under_a_series_of_titles_does_not_merge() -> None:
    blurb = (
        "极客之选年度评选结果揭晓，我们从数百款产品中选出了今年最值得购买的好物，"
        "涵盖耳机、手表、游戏主机和无人机等多个品类，欢迎查看完整榜单。"
    )
    one = item("极客之选年度评选丨年度真无线降噪耳机：OPPO Enco X", blurb, feed="GeekPark")
    other = item("极客之选年度评选丨年度智能手表：vivo WATCH", blurb, feed="GeekPark")
    assert len(set(stories(one, other))) == 2


def test_short_or_missing_titles_never_match_alone() -> None:
    assert (
        len(
            set(
                stories(
                    item("Featured Advertiser", key="1", link=""),
                    item("Featured Advertiser", key="2", link=""),
                )
            )
        )
        == 2
    )
    assert len(set(stories(item("(untitled)", key="1", link=""), item("(untitled)", key="2", link="")))) == 2


def test_a_front_page_link_given_to_every_item_is_not_one_story() -> None:
    blurb = (
        "Listen to the latest edition of our programme, with the news of the day and interviews from the "
        "region."
    )
    first = item("Morning edition: budget talks resume", blurb, key="1", link="https://radio.example/")
    second = item("Evening edition: floods close the road", blurb, key="2", link="https://radio.example/")
    assert len(set(stories(first, second))) == 2


def test_one_page_given_as_the_link_of_different_stories_does_not_merge_them() -> None:
    show = "https://radio.example/programmes/morning"
    first = item(
        "Oil prices climb as OPEC cuts output",
        "Oil rose on Monday after OPEC members agreed to cut production by a further million barrels a day.",
        link=show,
        key="1",
    )
    second = item(
        "Kurdistan Region budget talks resume in Baghdad",
        "Delegations from Erbil and Baghdad met again on Monday to discuss salaries and oil exports from "
        "the region.",
        link=show,
        key="2",
    )
    assert len(set(stories(first, second))) == 2


def test_two_releases_with_the_same_digits_in_another_order_do_not_merge() -> None:
    a, b = (
        signature(item("Release 0.1.0 of the feed reader library")),
        signature(item("Release 0.1.1 of the feed reader library")),
    )
    assert same_story(a, b) is None


# --- the groups over time ----------------------------------------------------------------


def wire(feed: str, key: str, published: datetime | None = None) -> Item:
    return item(
        "UK inflation falls to 3.2%, lowest in two and a half years",
        WIRE_TEXT,
        feed=feed,
        key=key,
        published=published,
    )


def test_an_item_assigned_again_keeps_its_story() -> None:
    groups = StoryGroups()
    first = groups.assign(wire("A", "1"), now=NOW)
    second = groups.assign(wire("B", "2"), now=NOW)
    assert groups.assign(wire("B", "2"), now=NOW).story == second.story == first.story
    assert len(groups) == 2


def test_items_older_than_the_window_are_forgotten() -> None:
    groups = StoryGroups()
    first = groups.assign(wire("A", "1"), now=NOW)
    assert groups.assign(wire("B", "2"), now=NOW + timedelta(hours=47)).story == first.story
    later = groups.assign(wire("C", "3"), now=NOW + timedelta(hours=96))
    assert later.story != first.story and later.same_as is None
    assert len(groups) == 1


def test_items_published_more_than_the_window_apart_are_different_stories() -> None:
    old = wire("A", "1", published=NOW - timedelta(days=5))
    new = wire("B", "2", published=NOW)
    assert len(set(stories(old, new))) == 2


def test_an_item_is_compared_with_its_link_and_title_and_the_latest_similar_titles() -> None:
    groups = StoryGroups(max_candidates=3)
    look_alike = "UK inflation falls 3.2% lowest half years: {} other story".format  # the same numbers
    other_text = "A text about another matter entirely, long enough to be compared with the wire's text."
    for n in range(5):  # older items whose titles share the wire story's long words
        groups.assign(item(look_alike(DIGITS[n]), other_text, key=f"old{n}"), now=NOW)
    first = groups.assign(wire("A", "1"), now=NOW)
    assert groups.assign(wire("B", "2"), now=NOW).story == first.story, "the latest are compared"
    for n in range(5, 9):
        groups.assign(item(look_alike(DIGITS[n]), other_text, key=f"new{n}"), now=NOW)
    retitled = item(
        "UK inflation falls to 3.2%, lowest in two and a half years: figures", WIRE_TEXT, feed="C"
    )
    assert groups.assign(retitled, now=NOW).story != first.story, "the story fell out of reach"
    assert groups.assign(wire("D", "4"), now=NOW).story == first.story, "the same title is always compared"


def test_titles_whose_numbers_differ_take_no_candidates_room() -> None:
    # They are never the same story, so a run of numbered look-alikes (a template, "day 1",
    # "day 2"...) does not push the story out of reach.
    groups = StoryGroups(max_candidates=3)
    other_text = "A text about another matter entirely, long enough to be compared with the wire's text."
    first = groups.assign(wire("A", "1"), now=NOW)
    for n in range(9):
        groups.assign(
            item(f"UK inflation falls lowest half years: day {n + 10}", other_text, key=f"d{n}"), now=NOW
        )
    retitled = item(
        "UK inflation falls to 3.2%, lowest in two and a half years: figures", WIRE_TEXT, feed="C"
    )
    assert groups.assign(retitled, now=NOW).story == first.story


def test_memory_is_bounded_by_the_most_items_kept() -> None:
    groups = StoryGroups(max_items=3)
    first = groups.assign(wire("A", "0"), now=NOW)
    for n in range(1, 6):
        groups.assign(item(f"Unrelated story number {n} about something else entirely", key=str(n)), now=NOW)
    assert len(groups) == 3
    assert groups.assign(wire("B", "9"), now=NOW).story != first.story  # the first was let go
    assert len(groups) == 3

    def unrelated(numbers: range) -> None:
        for n in numbers:  # titles of a few words (the interpreter keeps one copy of each word)
            spelled = " ".join(DIGITS[int(digit)] for digit in str(n))
            groups.assign(item(f"Unrelated story {spelled} about something else", key=f"u{n}"), now=NOW)

    assert memory_kept(unrelated) < 100_000, "what an item let go of left nothing behind"


# --- the index finds what comparing every pair finds --------------------------------------

_VOCABULARY = [
    "census",
    "makhmour",
    "oil",
    "erbil",
    "camp",
    "rain",
    "road",
    "flood",
    "budget",
    "talks",
    "baghdad",
    "salaries",
    "the",
    "in",
    "of",
    "a",
    "to",
    "2024",
    "٣",
    "٢٠",
    "国家",
    "统计",
    "局",
    "سەرژمێری",
    "کەمپی",
]


def _brute_force(items: list[Item], rules: Rules) -> list[str]:
    """Each item's story, comparing it with every earlier item."""
    signatures = [signature(i) for i in items]
    story: list[str] = []
    rank = {Sameness.LINK: 0, Sameness.TITLE: 1, Sameness.TEXT: 2}
    for n, sig in enumerate(signatures):
        best: tuple[int, int] | None = None
        for m in range(n):
            reason = same_story(sig, signatures[m], rules)
            if reason is not None and (best is None or rank[reason] < best[0]):
                best = rank[reason], m
        story.append(story[best[1]] if best else seen_token(f"{items[n].feed}\n{items[n].key}"))
    return story


@st.composite
def _items(draw: st.DrawFn) -> list[Item]:
    """Items that vary one title and one text: some near-identical, some just apart."""
    words = st.sampled_from(_VOCABULARY)
    base_title = draw(st.lists(words, min_size=2, max_size=12))
    base_text = draw(st.lists(words, min_size=12, max_size=30))
    found = []
    for n in range(draw(st.integers(2, 12))):
        title, text = list(base_title), list(base_text)
        for _ in range(draw(st.integers(0, 4))):
            title[draw(st.integers(0, len(title) - 1))] = draw(words)
        title += draw(st.lists(words, max_size=3))
        for _ in range(draw(st.integers(0, 6))):
            text[draw(st.integers(0, len(text) - 1))] = draw(words)
        link = draw(
            st.sampled_from(["", "https://a.example/1", "https://a.example/2", f"https://b.example/{n}"])
        )
        feed = draw(st.sampled_from(["A", "B", "C"]))
        found.append(Item(feed=feed, key=str(n), title=" ".join(title), link=link, summary=" ".join(text)))
    return found


@settings(max_examples=300, deadline=None)
@given(
    _items(),
    st.sampled_from([Rules(), Rules(similar_titles=0.4), Rules(numbers_agree=False, min_title_words=1)]),
)
def test_the_index_finds_every_match_that_comparing_all_pairs_finds(items: list[Item], rules: Rules) -> None:
    groups = StoryGroups(rules=rules)
    assert [groups.assign(i, now=NOW).story for i in items] == _brute_force(items, rules)

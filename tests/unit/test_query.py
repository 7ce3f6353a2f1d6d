"""The query language: every syntax rule, how a query is read, and every error."""

from __future__ import annotations

import pytest

from bot.core.query import MAX_QUERY_CHARS, QueryError, parse_query, split_queries


def test_split_on_commas_outside_quotes_and_drop_empty_parts():
    assert split_queries("census,  oil   prices , ,Makhmour") == ["census", "oil prices", "Makhmour"]
    assert split_queries('"Erbil, Iraq", census') == ['"Erbil, Iraq"', "census"]
    assert split_queries("“Erbil, Iraq”") == ['"Erbil, Iraq"']
    assert split_queries("  ") == []


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("census", "census"),
        ("  Oil   Prices ", "oil prices"),  # words: all of them, in any order
        ('"Qarachogh mountains"', '"qarachogh mountains"'),  # exact phrase
        ("Makhmour OR Makhmur OR Mexmûr", "makhmour OR makhmur OR mexmur"),
        ("Makhmour census OR camp", "makhmour census OR camp"),  # OR binds tighter than AND
        ("census -football", "census -football"),
        ('census -"world cup"', 'census -"world cup"'),
        ("kurd*", "kurd*"),
        ("source:rudaw census", "census source:rudaw"),
        ("census -source:bbc", "census -source:bbc"),
        ('source:"Rudaw English" census', 'census source:"rudaw english"'),
        ("al-Sudani", '"al sudani"'),  # punctuation inside a word makes a phrase
        ("Erbil-based*", '"erbil based*"'),
        ("census or camp", "census or camp"),  # only upper-case OR is an operator
        ("“oil prices” –football", '"oil prices" -football'),  # phone quotes and dashes
        ("Erbil - Duhok", "erbil duhok"),  # a lone dash is punctuation
        ("c++ (test) [a-z] .* $^", 'c test "a z"'),  # regex characters are literal
        ("census census", "census"),
        # Chinese and Japanese read as written, though matched as pairs of characters
        ("特斯拉", "特斯拉"),
        ("特斯拉汽车 -小米", "特斯拉汽车 -小米"),
        ('"特斯拉 汽车"', '"特斯拉 汽车"'),  # a space the reader typed stays
        ("東京*", "東京"),  # * adds nothing to a keyword that already matches inside runs
        ("iPhone发布会", '"iphone 发布会"'),
        ("ﾊﾞｽ", "バス"),
        # Arabic-script words read back with the reader's letters (matched folded: ە as ه)
        ("أربيل", "أربيل"),
        ("هەولێر", "هەولێر"),
    ],
)
def test_queries_are_read_as(text: str, normalized: str):
    assert parse_query(text).normalized == normalized


def test_the_query_is_kept_as_typed():
    assert parse_query("  Makhmour   census OR camp ").text == "Makhmour census OR camp"


def test_or_groups_and_exclusions():
    query = parse_query("Makhmour census OR camp -football source:rudaw")
    assert [[t.words for t in group] for group in query.groups] == [[("makhmour",)], [("census",), ("camp",)]]
    assert [t.words for t in query.excluded] == [("football",)]
    assert query.sources == ("rudaw",)
    assert query.describe() == (
        "makhmour and (census or camp), but not football, only from sources matching “rudaw”"
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("oil prices", "PRICES oil"),
        ("census OR camp", "camp OR census"),
        ("Makhmūr", "makhmur"),
        ("a -b -c", "a -c -b"),
        ('"oil prices"', "oil-prices"),
        ("特斯拉", '"特斯 斯拉"'),  # the same pairs, in a row
        ("東京*", "東京"),
        ("امریکہ", "امریکه"),
    ],
)
def test_queries_that_mean_the_same_have_the_same_key(a: str, b: str):
    assert parse_query(a).key == parse_query(b).key


def test_different_meanings_have_different_keys():
    texts = ["oil prices", '"oil prices"', "oil OR prices", "oil -prices", "oil*"]
    keys = {parse_query(t).key for t in texts}
    assert len(keys) == 5
    texts = ["特斯拉", "特斯 斯拉", '"特斯拉 汽车"', "特斯拉汽车", "мой", "мои", "الموصل", "موصل"]
    assert len({parse_query(t).key for t in texts}) == len(texts)


def test_chinese_keywords_are_described_as_written():
    assert parse_query("特斯拉 汽车 -小米").describe() == "特斯拉 and 汽车, but not 小米"
    assert parse_query('"特斯拉 汽车"').describe() == "“特斯拉 汽车”"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("!!! ???", "no letters or digits"),
        ("x" * (MAX_QUERY_CHARS + 1), f"at most {MAX_QUERY_CHARS} characters"),
        ("-football", "at least one word to look for"),
        ("-football -sport source:bbc", "at least one word to look for"),
        ("source:rudaw", "at least one word to look for"),
        ('"oil prices', "quote is not closed"),
        ('census "', "quote is not closed"),
        ('""', "phrase"),
        ('" ... "', "phrase"),
        (" ".join(f"w{i}" for i in range(21)), "at most 20 words or phrases"),
        ("a b c d e f g h i j -k -l -m -n -o -p -q -r -s -t -u", "at most 20"),
        ("OR census", "OR must stand between"),
        ("census OR", "OR must stand between"),
        ("census OR OR camp", "OR must stand between"),
        ("census OR -camp", "OR must stand between"),
        ("-census OR camp", "OR must stand between"),
        ("census OR source:bbc", "OR must stand between"),
        ("k*", "at least 3 letters"),
        ("ku*", "at least 3 letters"),
        ("source: census", "source: needs"),
    ],
)
def test_unusable_queries_say_why(text: str, reason: str):
    with pytest.raises(QueryError, match=reason):
        parse_query(text)


def test_error_messages_are_plain_text_with_an_example():
    with pytest.raises(QueryError) as error:
        parse_query("-football")
    assert "<" not in str(error.value) and "census" in str(error.value)


def test_twenty_terms_and_exactly_the_length_limit_are_accepted():
    assert len(parse_query(" ".join(f"w{i}" for i in range(20))).groups) == 20
    assert parse_query("x" * MAX_QUERY_CHARS).normalized == "x" * MAX_QUERY_CHARS


def test_single_terms_need_no_explanation():
    assert all(parse_query(t).is_simple for t in ["Census", '"a b"', "abc*"])
    assert not any(parse_query(t).is_simple for t in ["a b", "a OR b", "a -b", "a source:x"])


def test_control_characters_in_a_keyword_are_removed_and_the_rest_kept():
    query = parse_query("cen\x00sus \x1b[31mMakhmour\x7f\x9b")
    assert query.text == "census [31mMakhmour"
    assert query.normalized == parse_query("census 31mMakhmour").normalized


def test_the_arabic_comma_separates_keywords_too():
    assert split_queries("مخمور، سەرژمێری, census") == ["مخمور", "سەرژمێری", "census"]
    assert split_queries('"a، b"، c') == ['"a، b"', "c"]


def test_a_sorani_keyword_reads_back_as_it_was_written():
    """Folding writes ە as ه so that both spellings match; shown back, that would read as a
    misspelling, so readings keep the reader's own letters (and still match both)."""
    query = parse_query("سەرژمێری -وەرزش")
    assert query.normalized == "سەرژمێری -وەرزش"
    assert "وەرزش" in query.describe() and "وهرزش" not in query.describe()
    assert query.key == parse_query("سهرژمێری -وهرزش").key, "the same subscription however it is spelled"

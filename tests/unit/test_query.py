"""The query language: every syntax rule, how a query is read, and every error."""

from __future__ import annotations

import pytest

from bot.core.query import MAX_DEPTH, MAX_QUERY_CHARS, QueryError
from bot.core.query_parser import parse_query, split_queries, without_operators


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
        ("census or camp", "census OR camp"),  # operators in any letter case
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


@pytest.mark.parametrize(
    ("typed", "quotable"),
    [
        ('"Qarachogh mountains"', "Qarachogh mountains"),
        ("“Qarachogh mountains”", "Qarachogh mountains"),  # a phone's quotes
        ('"oil prices" -football', '"oil prices" -football'),
        ('census "oil prices"', 'census "oil prices"'),
        ("census", "census"),
    ],
)
def test_a_keyword_that_is_one_phrase_is_quoted_once(typed: str, quotable: str):
    assert parse_query(typed).quotable == quotable


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
        ("و سنجار", "و must stand between"),  # named as written, not as AND
        ("مخمور و و سنجار", 'put it in quotes: "و"'),
        ("أو سنجار", "أو must stand between"),
        ("مەخموور یان", "یان must stand between"),
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


# --- AND, OR, NOT and parentheses ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized", "reading"),
    [
        ("census NOT football", "census -football", "census, but not football"),
        ("census not football", "census -football", "census, but not football"),
        ("census AND Makhmour", "census makhmour", "census and makhmour"),
        ("census and Makhmour", "census makhmour", "census and makhmour"),
        ("census or camp", "census OR camp", "census or camp"),
        ("census Or camp", "census OR camp", "census or camp"),
        ("(oil prices) OR Sinjar", "(oil prices) OR sinjar", "(oil and prices) or sinjar"),
        ("Makhmour (census OR camp)", "makhmour census OR camp", "makhmour and (census or camp)"),
        ("Makhmour AND (census or camp)", "makhmour census OR camp", "makhmour and (census or camp)"),
        ("census NOT (football OR sport)", "census -football -sport", "census, but not football or sport"),
        ("census -(world cup)", "census -(world cup)", "census, but not (world and cup)"),
        ("census NOT NOT camp", "census camp", "census and camp"),
        (
            "Makhmour ((oil prices) OR Sinjar)",
            "makhmour ((oil prices) OR sinjar)",
            "makhmour and ((oil and prices) or sinjar)",
        ),
        (
            "(Makhmour (census OR (camp -football))) OR Sinjar",  # three levels deep
            "(makhmour (census OR (camp -football))) OR sinjar",
            "(makhmour and (census or (camp and not football))) or sinjar",
        ),
        ("x ((NOT a) OR b)", "x ((-a) OR b)", "x and ((not a) or b)"),
        ("(census)", "census", "census"),
        # inside quotes every word is literal
        ('census "not"', 'census "not"', "census and “not”"),
        ('"rock and roll"', '"rock and roll"', "“rock and roll”"),
        ('census "AND" Makhmour', 'census "and" makhmour', "census and “and” and makhmour"),
        ('"(oil prices) OR Sinjar"', '"oil prices or sinjar"', "“oil prices or sinjar”"),
        # a minus makes a word of an operator: -or leaves out the word "or"
        ("census -or", 'census -"or"', "census, but not “or”"),
        # Arabic and Sorani "and" (و) and "or" (أو, یان) standing alone between keywords
        ("census و sinjar", "census sinjar", "census and sinjar"),
        ("مخمور أو سنجار", "مخمور OR سنجار", "مخمور or سنجار"),
        ("مخمور او سنجار", "مخمور OR سنجار", "مخمور or سنجار"),
        ("مەخموور یان شنگال", "مەخموور OR شنگال", "مەخموور or شنگال"),
        ('census "و" sinjar', 'census "و" sinjar', "census and “و” and sinjar"),  # quoted: the word
        ("census -و", 'census -"و"', "census, but not “و”"),
        ("بعثة يان كوبيش", "بعثة يان كوبيش", "بعثة and يان and كوبيش"),  # Arabic ي: the name Ján
    ],
)
def test_operators_and_parentheses(text: str, normalized: str, reading: str):
    query = parse_query(text)
    assert query.normalized == normalized
    assert query.describe() == reading
    assert parse_query(query.normalized).key == query.key, "the reading reads back as itself"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("census NOT football", "census -football"),
        ("census AND Makhmour", "census Makhmour"),
        ("census or camp", "census OR camp"),
        ("Makhmour (census OR camp)", "Makhmour census OR camp"),
        ("census NOT (football OR sport)", "census -football -sport"),
        ("(oil prices) OR Sinjar", "Sinjar OR (prices AND oil)"),
        ("Makhmour ((oil prices) OR Sinjar)", "(Sinjar OR (prices oil)) Makhmour"),
    ],
)
def test_operators_mean_what_the_plain_forms_mean(a: str, b: str):
    assert parse_query(a).key == parse_query(b).key


def test_grouping_changes_the_meaning():
    keys = {
        parse_query(t).key
        for t in ["(oil prices) OR Sinjar", "oil prices OR Sinjar", "oil (prices OR Sinjar)"]
    }
    assert len(keys) == 2  # the last two are the same: OR binds tighter
    assert parse_query("census -(world cup)").key != parse_query('census -"world cup"').key


def test_keys_of_queries_without_operators_are_as_before():
    """Keys are what subscriptions are compared by: queries stored before keep theirs."""
    assert parse_query("Census").key == "census"
    assert parse_query("Makhmour census OR camp -football source:rudaw").key == (
        "camp OR census makhmour\nfootball\nrudaw\n"
    )
    assert parse_query("Mosul (Iraq)").key == "iraq mosul\n\n\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("(oil prices OR Sinjar", "parenthesis is not closed"),
        ("((census) camp", "parenthesis is not closed"),
        ("oil prices) OR Sinjar", "closed that was not opened"),
        ("census ) (camp", "closed that was not opened"),
        ("census ()", "parentheses hold no word"),
        ("census (!!!)", "parentheses hold no word"),
        ("a (b OR (c (d OR (e f))))", f"at most {MAX_DEPTH} levels deep"),
        ("((((census))))", f"at most {MAX_DEPTH} levels deep"),
        ("AND census", "AND must stand between"),
        ("census AND", "AND must stand between"),
        ("census AND AND camp", "AND must stand between"),
        ("census AND OR camp", "AND must stand between"),
        ("(census AND) camp", "AND must stand between"),
        ("and", "AND must stand between"),
        ("census NOT", "NOT must stand before"),
        ("census NOT OR camp", "NOT must stand before"),
        ("not", "NOT must stand before"),
        ("or", "OR must stand between"),
        ("NOT census OR camp", "OR must stand between"),
        ("census OR NOT camp", "OR must stand between"),
        ("census OR -(camp tent)", "OR must stand between"),
        ("NOT census", "at least one word to look for"),
        ("NOT (census camp)", "at least one word to look for"),
        ("(NOT census) OR camp", "at least one word to look for"),
        ("(source:rudaw census) OR camp", "outside parentheses"),
        ("census (" + " ".join(f"w{i}" for i in range(20)) + ")", "at most 20 words or phrases"),
    ],
)
def test_unusable_groupings_say_why_with_an_example(text: str, reason: str):
    with pytest.raises(QueryError, match=reason) as error:
        parse_query(text)
    if "at most 20" not in reason:  # (the reply to /subscribe adds an example to any refusal)
        assert "e.g." in str(error.value) or "example" in str(error.value)


def test_three_levels_of_parentheses_and_twenty_terms_in_groups_are_accepted():
    assert parse_query("a (b OR (c (d OR e)))").nested
    text = " OR ".join(f"({a} {b})" for a, b in zip("acegikmoqs", "bdfhjlnprt", strict=True))
    assert len(text) <= MAX_QUERY_CHARS and len(parse_query(text).positive_terms) == 20


def test_excluded_words_in_groups_are_not_shown_as_matched():
    query = parse_query("(oil prices) OR (Sinjar -(camp tent))")
    assert [t.words for t in query.positive_terms] == [("oil",), ("prices",), ("sinjar",)]


@pytest.mark.parametrize(
    ("stored", "normalized"),
    [
        ("census or", 'census "or"'),
        ("to be or not to be", 'to be "or" "not"'),
        ("Mosul (Iraq", "mosul iraq"),
        ("Oil And (gas", 'oil "and" gas'),
        ("census و", 'census "و"'),
        ("مخمور أو", 'مخمور "أو"'),
    ],
)
def test_keywords_stored_before_operators_still_read_as_they_did(stored: str, normalized: str):
    with pytest.raises(QueryError):
        parse_query(stored)
    assert parse_query(without_operators(stored)).normalized == normalized

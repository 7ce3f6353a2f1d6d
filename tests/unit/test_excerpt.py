"""The excerpt of an alert shows why the story matched."""

from __future__ import annotations

from bot.core.excerpt import choose_excerpt


def finds(word: str):
    return lambda text: word in text.casefold()


LEAD = "The council met on Monday to discuss the budget for the coming year. " * 3


def test_the_start_of_the_summary_when_it_shows_the_match():
    summary = "Census takers reached Makhmour camp. " + LEAD
    assert choose_excerpt("t", summary, "", limit=120, contains=finds("makhmour")).startswith("Census takers")


def test_the_start_when_the_title_shows_the_match():
    assert choose_excerpt("Makhmour camp", LEAD, "", limit=120, contains=finds("makhmour")).startswith(
        "The council"
    )


def test_the_sentence_of_the_match_when_it_is_deep_in_the_summary():
    summary = LEAD + "Officials also announced a census in Makhmour camp next week. More news followed."
    excerpt = choose_excerpt("t", summary, "", limit=120, contains=finds("makhmour"))
    assert excerpt.startswith("… Officials also announced a census in Makhmour camp")
    assert len(excerpt) <= 120


def test_the_full_text_when_only_it_holds_the_match():
    content = LEAD + "In Makhmour, the count began. " + LEAD
    excerpt = choose_excerpt("t", LEAD, content, limit=100, contains=finds("makhmour"))
    assert excerpt.startswith("… In Makhmour, the count began.") and excerpt.endswith("…")


def test_a_long_sentence_is_cut_a_few_words_before_the_match():
    sentence = (
        " ".join(f"word{n}" for n in range(200)) + " Makhmour " + " ".join(f"more{n}" for n in range(50))
    )
    excerpt = choose_excerpt("t", sentence, "", limit=120, contains=finds("makhmour"))
    assert excerpt.startswith("… word194 word195") and "Makhmour" in excerpt


def test_no_match_anywhere_keeps_the_lead():
    assert choose_excerpt("t", LEAD, "", limit=50, contains=finds("makhmour")).startswith("The council")

"""Command replies: validation, limits, previews, escaping, admin checks."""

from __future__ import annotations

import asyncio

from tests.service.conftest import news

CHAT = 42
ADMIN = 7


def test_subscribe_without_keyword_shows_usage_with_an_example(make_bot):
    reply = make_bot().commands.subscribe((CHAT, None), "   ")
    assert "Tell me what to follow" in reply and "<code>/subscribe Makhmour</code>" in reply


def test_subscribe_several_and_duplicates(make_bot):
    commands = make_bot().commands
    reply = commands.subscribe((CHAT, None), "census, oil prices")
    assert "Subscribed to <code>census</code>, <code>oil prices</code>." in reply
    reply = commands.subscribe((CHAT, None), "Census, Makhmour")
    assert "Subscribed to <code>Makhmour</code>." in reply
    assert (
        "You are already subscribed to <code>census</code>: <code>Census</code> finds the same stories "
        "(both read as: census)." in reply
    )
    assert "You are already subscribed to <code>census</code>." in commands.subscribe((CHAT, None), "census")


def test_already_subscribed_names_the_keyword_as_the_chat_has_it_and_how_both_read(make_bot):
    commands = make_bot().commands
    commands.subscribe((CHAT, None), "Makhmūr, oil prices, هەولێر")
    reply = commands.subscribe((CHAT, None), "Makhmur")
    assert "Subscribed" not in reply
    assert (
        "You are already subscribed to <code>Makhmūr</code>: <code>Makhmur</code> finds the same stories "
        "(both read as: makhmur)." in reply
    )
    reply = commands.subscribe((CHAT, None), "prices AND oil")
    assert (
        "You are already subscribed to <code>oil prices</code> (read as: oil and prices): "
        "<code>prices AND oil</code> (read as: prices and oil) finds the same stories." in reply
    )
    reply = commands.subscribe((CHAT, None), "ههولێر")  # ە typed as ه: the same word, spelled otherwise
    assert (
        "You are already subscribed to <code>هەولێر</code> (read as: هەولێر): "
        "<code>ههولێر</code> (read as: ههولێر) finds the same stories." in reply
    )


def test_keywords_of_only_very_common_words_are_refused_with_the_reason(make_bot):
    commands = make_bot().commands
    for keyword in ["the", "The AND of", "في", "لە", "the OR census", "the -football", "der", "и"]:
        reply = commands.subscribe((CHAT, None), keyword)
        assert "❌ Not added" in reply and "nearly every story" in reply, keyword
        assert "add a word that says what you are after" in reply
    reply = commands.subscribe((CHAT, None), "the")
    assert "<code>the</code>: the is in nearly every story, so it would bring them all" in reply
    reply = commands.subscribe((CHAT, None), "The AND of")
    assert "the, of are in nearly every story" in reply
    assert "Subscribed to <code>the census</code>" in commands.subscribe((CHAT, None), "the census")
    assert "Subscribed to <code>&quot;the who&quot;</code>" in commands.subscribe((CHAT, None), '"the who"')
    assert "Subscribed to <code>die</code>" in commands.subscribe((CHAT, None), "die")  # an English word too
    assert "(3 of 50)" in commands.list((CHAT, None)).html


def test_a_keyword_that_matches_many_recent_stories_is_added_with_a_warning(make_bot):
    bot = make_bot()
    stories = [news(str(n), f"Census day {n}" if n % 3 == 0 else f"Weather report {n}") for n in range(30)]
    bot.fetcher.publish("Wire", *stories)
    asyncio.run(bot.poller.poll_once())
    reply = bot.commands.subscribe((CHAT, None), "census, weather, day 3")
    assert "Subscribed to <code>census</code>, <code>weather</code>, <code>day 3</code>." in reply
    assert "⚠️ <code>census</code> would have matched 10 of the 30 stories of the last 7 days" in reply
    assert "⚠️ <code>weather</code> would have matched 20 of the 30 stories" in reply
    assert "To narrow it, add a word or leave one out with -" in reply
    assert "<code>day 3</code> would have" not in reply


def test_no_warning_before_enough_stories_are_known(make_bot):
    bot = make_bot()
    bot.fetcher.publish("Wire", *[news(str(n), f"Census day {n}") for n in range(10)])
    asyncio.run(bot.poller.poll_once())
    reply = bot.commands.subscribe((CHAT, None), "census")
    assert "Subscribed to <code>census</code>." in reply and "⚠️" not in reply


def test_subscribe_refuses_long_keywords_and_markup_is_escaped(make_bot):
    commands = make_bot().commands
    reply = commands.subscribe((CHAT, None), "x" * 101)
    assert "at most 100 characters" in reply and "A correct example: <code>/subscribe" in reply
    reply = commands.subscribe((CHAT, None), "<b>census</b> *bold* _it_")
    assert "<code>&lt;b&gt;census&lt;/b&gt; *bold* _it_</code>" in reply


def test_a_chat_has_at_most_fifty_subscriptions(make_bot):
    commands = make_bot().commands
    commands.subscribe((CHAT, None), ", ".join(f"word{i}" for i in range(49)))
    reply = commands.subscribe((CHAT, None), "census, extra")
    assert "Subscribed to <code>census</code>." in reply
    assert "Not added: <code>extra</code>: a chat can have at most 50" in reply
    assert "(50 of 50)" in commands.list((CHAT, None)).html


def test_preview_shows_recent_matching_items_or_says_none(make_bot):
    bot = make_bot()
    bot.fetcher.publish("Wire", news("1", "Census starts", "in Makhmour"), news("2", "Weather"))
    asyncio.run(bot.poller.poll_once())
    reply = bot.commands.subscribe((CHAT, None), "census")
    assert "Recent stories it would have caught" in reply and "Census starts" in reply
    assert "Weather" not in reply
    assert "Nothing has matched yet" in bot.commands.subscribe((CHAT, None), "football")


def test_preview_ignores_items_older_than_a_week(make_bot):
    bot = make_bot()
    bot.fetcher.publish("Wire", news("1", "Census starts"))
    asyncio.run(bot.poller.poll_once())
    bot.time.now += 8 * 86400
    assert "Nothing has matched yet" in bot.commands.subscribe((CHAT, None), "census")


def test_unsubscribe_one_all_and_missing(make_bot):
    bot = make_bot()
    commands = bot.commands
    commands.subscribe((CHAT, None), "census, oil prices, Makhmour")
    assert "Unsubscribed from <code>census</code>." in commands.unsubscribe((CHAT, None), "CENSUS").html
    assert "not subscribed to <code>football</code>" in commands.unsubscribe((CHAT, None), "football").html
    question = commands.unsubscribe((CHAT, None), "all")
    assert "Remove all 2 subscriptions" in question.html, "all of them: asked first"
    [[yes, keep]] = question.buttons
    assert (yes.label, keep.label) == ("Yes, remove all 2", "No, keep them")
    assert "Unsubscribed from all 2" in (bot.presses.press((CHAT, None), yes.data).html or "")
    assert "no subscriptions" in commands.unsubscribe((CHAT, None), "all").html
    assert "Tell me which keyword" in commands.unsubscribe((CHAT, None), "").html


def test_list_numbers_subscriptions_and_survives_a_restart(make_bot):
    make_bot().commands.subscribe((CHAT, None), "census, oil prices")
    listing = make_bot().commands.list((CHAT, None)).html
    assert "1. <code>census</code>\n2. <code>oil prices</code>" in listing
    assert "no subscriptions yet" in make_bot().commands.list((CHAT + 1, None)).html


def test_admin_commands_refuse_non_admins(make_bot):
    bot = make_bot(admins=(ADMIN,))
    assert "only the bot's admins" in bot.commands.stats(CHAT)
    assert "Admin" not in bot.commands.help(CHAT) and "/broadcast" in bot.commands.help(ADMIN)


def test_stats_for_admins(make_bot):
    bot = make_bot(admins=(ADMIN,))
    bot.commands.chat_seen((CHAT, None), "private", "")
    bot.commands.subscribe((CHAT, None), "census")
    stats = bot.commands.stats(ADMIN)
    assert "Chats: 1 active" in stats and "Subscriptions: 1" in stats and "Last poll: none yet" in stats


def test_subscribe_shows_how_a_query_is_read_and_explains_errors(make_bot):
    commands = make_bot().commands
    reply = commands.subscribe((CHAT, None), "Makhmour census OR camp -football")
    assert "Subscribed to <code>Makhmour census OR camp -football</code>." in reply
    assert "<code>Makhmour census OR camp -football</code> reads as: makhmour and (census or camp), " in reply
    assert "but not football." in reply
    reply = commands.subscribe((CHAT, None), "source:rudaw Erbil")
    assert "reads as <code>erbil source:rudaw</code>: erbil, only from sources matching “rudaw”" in reply
    assert "reads as" not in commands.subscribe((CHAT, None), 'Census, "oil prices", kurd*')
    reply = commands.subscribe((CHAT, None), '-football, "oil prices')
    assert "at least one word to look for" in reply and "quote is not closed" in reply
    assert "A correct example: <code>/subscribe Makhmour census OR camp -football</code>" in reply


def test_unsubscribe_by_number_or_by_text_written_differently(make_bot):
    commands = make_bot().commands
    commands.subscribe((CHAT, None), "census, oil prices, Makhmour OR Makhmur, kurd*")
    reply = commands.unsubscribe((CHAT, None), "2, 4").html
    assert "Unsubscribed from <code>oil prices</code>, <code>kurd*</code>." in reply
    reply = commands.unsubscribe((CHAT, None), "makhmur OR MAKHMOUR").html
    assert "Unsubscribed from <code>Makhmour OR Makhmur</code>." in reply
    assert "not subscribed to <code>7</code>" in commands.unsubscribe((CHAT, None), "7").html
    assert "1. <code>census</code>" in commands.list((CHAT, None)).html


def test_a_subscription_named_like_a_number_is_removed_by_its_text_first(make_bot):
    commands = make_bot().commands
    commands.subscribe((CHAT, None), "census, 1")
    assert "Unsubscribed from <code>1</code>." in commands.unsubscribe((CHAT, None), "1").html
    assert "1. <code>census</code>" in commands.list((CHAT, None)).html


def test_a_refused_keyword_is_echoed_cut_and_the_example_shown_once(make_bot):
    commands = make_bot().commands
    reply = commands.subscribe((CHAT, None), "Makhmour " * 17)  # 153 characters
    assert "Makhmour " * 17 not in reply and "…" in reply
    assert "at most 100 characters" in reply
    reply = commands.subscribe((CHAT, None), "-football")
    assert "needs at least one word to look for" in reply
    assert reply.count("Makhmour census OR camp -football") == 1, reply

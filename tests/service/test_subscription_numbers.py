"""/list numbers are stable: /unsubscribe 2, /digest … for 2 and the ✖ buttons mean what
/list showed as 2, after removals, undos and restarts."""

from __future__ import annotations

import re

import pytest

from bot.service.undo import UNDO_SECONDS

CHAT = 42
HERE = (CHAT, None)


def listed(bot, place=HERE) -> dict[int, str]:
    """What /list shows: number -> keyword."""
    html = bot.commands.list(place).html
    return {int(n): text for n, text in re.findall(r"^(\d+)\. <code>(.*?)</code>$", html, re.MULTILINE)}


def buttons(reply) -> dict[str, str]:
    return {button.label: button.data for row in reply.buttons for button in row}


def test_removing_one_leaves_the_others_numbers(make_bot):
    bot = make_bot()
    bot.commands.subscribe(HERE, "census, Erbil, oil prices")
    assert listed(bot) == {1: "census", 2: "Erbil", 3: "oil prices"}
    assert "Unsubscribed from <code>census</code>." in bot.commands.unsubscribe(HERE, "census").html
    assert listed(bot) == {2: "Erbil", 3: "oil prices"}
    assert "Unsubscribed from <code>Erbil</code>." in bot.commands.unsubscribe(HERE, "2").html
    assert listed(bot) == {3: "oil prices"}
    assert "not subscribed to <code>1</code>" in bot.commands.unsubscribe(HERE, "1").html
    assert "/unsubscribe 3</code> (its number)" in bot.commands.list(HERE).html, "the hint names a real one"


@pytest.mark.parametrize(
    ("typed", "removed"),
    [
        ("3", "oil prices"),
        ("٣", "oil prices"),  # Arabic-Indic digits
        ("۳", "oil prices"),  # Extended Arabic-Indic (Sorani keyboards)
        ("2, 3", "Erbil</code>, <code>oil prices"),
        ("3, OIL PRICES", "oil prices"),  # the same one twice: removed once
    ],
)
def test_unsubscribe_takes_the_number_list_shows(make_bot, typed, removed):
    bot = make_bot()
    bot.commands.subscribe(HERE, "census, Erbil, oil prices")
    bot.commands.unsubscribe(HERE, "census")
    assert f"Unsubscribed from <code>{removed}</code>." in bot.commands.unsubscribe(HERE, typed).html


@pytest.mark.parametrize("typed", ["1", "4", "0", "-2", "2.0", "9" * 40])
def test_a_number_list_does_not_show_is_refused_and_changes_nothing(make_bot, typed):
    bot = make_bot()
    bot.commands.subscribe(HERE, "census, Erbil, oil prices")
    bot.commands.unsubscribe(HERE, "census")
    assert "You are not subscribed to" in bot.commands.unsubscribe(HERE, typed).html
    assert listed(bot) == {2: "Erbil", 3: "oil prices"}


def test_a_new_subscription_does_not_take_a_number_an_undo_could_give_back(make_bot):
    bot = make_bot()
    bot.commands.subscribe(HERE, "census, Erbil, oil prices")
    undo = buttons(bot.commands.unsubscribe(HERE, "3"))["↩ Undo"]
    bot.commands.subscribe(HERE, "Makhmour")
    assert listed(bot) == {1: "census", 2: "Erbil", 4: "Makhmour"}
    assert "is back" in bot.presses.press(HERE, undo).answer
    assert listed(bot) == {1: "census", 2: "Erbil", 3: "oil prices", 4: "Makhmour"}, "with its number"
    restarted = make_bot()
    assert listed(restarted) == {1: "census", 2: "Erbil", 3: "oil prices", 4: "Makhmour"}
    restarted.commands.unsubscribe(HERE, "1")
    restarted.commands.subscribe(HERE, "Kirkuk")
    assert listed(restarted) == {2: "Erbil", 3: "oil prices", 4: "Makhmour", 5: "Kirkuk"}


def test_the_list_buttons_remove_by_number_and_undo_restores_the_number(make_bot):
    bot = make_bot()
    bot.commands.subscribe(HERE, "census, Erbil, oil prices")
    bot.commands.unsubscribe(HERE, "census")
    listing = bot.commands.list(HERE)
    assert list(buttons(listing)) == ["✖ 2", "✖ 3"]
    pressed = bot.presses.press(HERE, buttons(listing)["✖ 2"])
    html = pressed.html or ""
    assert "2. <code>Erbil</code>" not in html and "3. <code>oil prices</code>" in html
    assert [b.label for row in pressed.buttons or () for b in row] == ["✖ 3", "↩ Undo"]
    undo = next(b.data for row in pressed.buttons or () for b in row if b.label == "↩ Undo")
    undone = bot.presses.press(HERE, undo)
    assert "2. <code>Erbil</code>\n3. <code>oil prices</code>" in (undone.html or "")
    assert [b.label for row in undone.buttons or () for b in row] == ["✖ 2", "✖ 3"]


def test_unsubscribe_all_asks_and_its_undo_brings_every_number_back(make_bot):
    bot = make_bot()
    bot.commands.subscribe(HERE, "census, Erbil, oil prices")
    bot.commands.unsubscribe(HERE, "Erbil")
    question = bot.commands.unsubscribe(HERE, "all")
    assert "Remove all 2 subscriptions: <code>census</code>, <code>oil prices</code>?" in question.html
    assert listed(bot) == {1: "census", 3: "oil prices"}, "asked first: nothing removed yet"
    removed = bot.presses.press(HERE, buttons(question)["Yes, remove all 2"])
    assert "Unsubscribed from all 2" in (removed.html or "") and listed(bot) == {}
    bot.commands.subscribe(HERE, "Makhmour")
    assert listed(bot) == {4: "Makhmour"}, "1, 2 and 3 may come back"
    [[undo]] = removed.buttons or ()
    bot.presses.press(HERE, undo.data)
    assert listed(bot) == {1: "census", 3: "oil prices", 4: "Makhmour"}


def test_digest_for_a_number_is_the_subscription_list_shows(make_bot):
    bot = make_bot()
    bot.commands.subscribe(HERE, "census, Erbil, oil prices")
    bot.commands.unsubscribe(HERE, "1")
    reply = bot.chat_settings.digest(HERE, "daily for 3")
    assert "<code>oil prices</code>" in reply
    assert [s.query.text for s in bot.subscriptions.in_place(*HERE) if s.stored.delivery] == ["oil prices"]
    assert "no subscription number <code>1</code>" in bot.chat_settings.digest(HERE, "daily for 1")


def test_each_forum_topic_numbers_its_own(make_bot):
    bot = make_bot()
    topic = (-100_5, 9)
    bot.commands.subscribe(HERE, "census, Erbil")
    bot.commands.subscribe(topic, "oil prices, Makhmour")
    bot.commands.unsubscribe(topic, "1")
    assert listed(bot, topic) == {2: "Makhmour"} and listed(bot) == {1: "census", 2: "Erbil"}
    assert "not subscribed to <code>1</code>" in bot.commands.unsubscribe(topic, "1").html


def test_removed_numbers_are_kept_longer_than_an_undo_lasts():
    from bot.service.subscriptions import KEPT_FOR_UNDO

    assert KEPT_FOR_UNDO > UNDO_SECONDS


def test_a_phrase_is_shown_in_one_pair_of_quotation_marks(make_bot):
    bot = make_bot()
    bot.commands.subscribe(HERE, '"Qarachogh mountains", census "oil prices"')
    listing = bot.commands.list(HERE)
    removed = bot.presses.press(HERE, buttons(listing)["✖ 1"])
    assert "“Qarachogh mountains”" in removed.answer and '"Qarachogh' not in removed.answer
    both = bot.presses.press(HERE, buttons(bot.commands.list(HERE))["✖ 2"])
    assert '“census "oil prices"”' in both.answer, "a phrase inside a keyword keeps its quotes"

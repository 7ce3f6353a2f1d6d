"""When the store cannot write (a full disk), a command says so, changes nothing and
nothing of it comes back after a restart; the poll tries again once the disk has room."""

from __future__ import annotations

import asyncio

from bot.service.broadcasts import Preview
from bot.service.commands import NOT_SAVED
from bot.service.ports import StorageFailure
from tests.service.conftest import disk_full, news
from tests.service.test_polling import cycle

CHAT = 10
ADMIN = 7
URL = "https://wire2.example/rss"


def test_a_subscription_the_disk_refuses_is_answered_clearly_and_never_appears(make_file_bot):
    bot = make_file_bot()
    bot.commands.chat_seen((CHAT, None), "private", "")
    bot.commands.subscribe((CHAT, None), "census")
    with disk_full():
        assert bot.commands.subscribe((CHAT, None), "Makhmour, oil prices") == NOT_SAVED
    assert "Makhmour" not in bot.commands.list((CHAT, None)).html
    assert "Subscribed" in bot.commands.subscribe((CHAT, None), "Erbil"), "the next one, with room, works"
    restarted = make_file_bot()
    listing = restarted.commands.list((CHAT, None)).html
    assert "census" in listing and "Erbil" in listing
    assert "Makhmour" not in listing and "oil prices" not in listing


def test_an_unsubscription_the_disk_refuses_keeps_the_subscription(make_file_bot):
    bot = make_file_bot()
    bot.commands.chat_seen((CHAT, None), "private", "")
    bot.commands.subscribe((CHAT, None), "census, Erbil")
    [[yes, _]] = bot.commands.unsubscribe((CHAT, None), "all").buttons
    with disk_full():
        assert bot.commands.unsubscribe((CHAT, None), "census").html == NOT_SAVED
        assert "could not save" in bot.presses.press((CHAT, None), yes.data).answer
    assert "census" in bot.commands.list((CHAT, None)).html
    bot.fetcher.publish("Wire")
    cycle(bot)
    bot.fetcher.publish("Wire", news("1", "The census results"))
    cycle(bot)
    assert len(bot.sender.to(CHAT)) == 1, "it still brings alerts"
    assert "census" in make_file_bot().commands.list((CHAT, None)).html


def test_a_new_chat_the_disk_cannot_record_still_gets_its_answer(make_file_bot):
    bot = make_file_bot()
    with disk_full():
        bot.commands.chat_seen((CHAT, None), "private", "")  # does not raise
        assert bot.commands.subscribe((CHAT, None), "census") == NOT_SAVED
    assert not bot.store.chats.is_active(CHAT)


def test_admin_changes_the_disk_refuses_are_answered_clearly_and_not_kept(make_file_bot):
    bot = make_file_bot(admins=(ADMIN,))
    bot.commands.chat_seen((ADMIN, None), "private", "")
    bot.fetcher.publish("Second Wire")
    with disk_full():
        assert asyncio.run(bot.feeds.add(ADMIN, f"{URL} Second Wire")) == NOT_SAVED
        assert bot.broadcasts.draft(ADMIN, ADMIN, "Maintenance tonight") == NOT_SAVED
    assert [s.name for s in bot.poller.sources] == ["Wire"]

    asyncio.run(bot.feeds.add(ADMIN, f"{URL} Second Wire"))
    preview = bot.broadcasts.draft(ADMIN, ADMIN, "Maintenance tonight")
    assert isinstance(preview, Preview)
    with disk_full():
        assert bot.feeds.remove(ADMIN, "Second Wire") == NOT_SAVED
        assert bot.broadcasts.send(ADMIN, preview.broadcast_id, 55) == NOT_SAVED
        assert bot.broadcasts.cancel(ADMIN, preview.broadcast_id) == NOT_SAVED
    assert [s.name for s in bot.poller.sources] == ["Wire", "Second Wire"]
    asyncio.run(bot.delivery.run_until_idle())
    assert bot.sender.sent == [], "the announcement was not sent"

    restarted = make_file_bot(admins=(ADMIN,), fetcher=bot.fetcher)
    assert [s.name for s in restarted.poller.sources] == ["Wire", "Second Wire"]
    assert restarted.store.broadcasts.broadcasts_in_progress() == []


def census_reader(make_file_bot):  # type: ignore[no-untyped-def]
    """A bot whose chat follows "census", its feed polled once (what it holds is old)."""
    bot = make_file_bot()
    bot.commands.chat_seen((CHAT, None), "private", "")
    bot.commands.subscribe((CHAT, None), "census")
    bot.fetcher.publish("Wire")
    cycle(bot)
    return bot


def test_a_poll_the_disk_refuses_is_tried_again_and_its_alert_arrives_once(make_file_bot, caplog):
    bot = census_reader(make_file_bot)
    bot.fetcher.publish("Wire", news("1", "The census results"))
    with disk_full():
        report = cycle(bot)
    assert report.feeds[0].error.startswith("not saved: cannot write the journal")
    assert "feed Wire: the poll could not be saved" in caplog.text
    assert bot.sender.sent == []
    cycle(bot)
    cycle(bot)
    assert len(bot.sender.to(CHAT)) == 1


def deliver_on_a_full_disk(bot, tries: int = 5) -> None:  # type: ignore[no-untyped-def]
    """The delivery loop while the disk is full, as Delivery.run goes on: a storage failure
    is logged and the loop tries again."""

    async def deliver() -> None:
        with disk_full():
            for _ in range(tries):
                try:
                    await bot.delivery.run_until_idle(max_wait=1.0)
                    return
                except StorageFailure:
                    pass

    asyncio.run(deliver())


def test_a_prune_the_disk_refuses_does_not_hold_back_the_alerts(make_file_bot):
    bot = census_reader(make_file_bot)
    bot.fetcher.publish("Wire", news("1", "The census results"))
    cycle(bot)
    bot.time.now += 8 * 86400  # the first alert is old enough to be forgotten: a prune is due
    bot.fetcher.publish("Wire", news("2", "The census is delayed"))
    asyncio.run(bot.poller.poll_once())  # queued while the disk has room
    deliver_on_a_full_disk(bot)
    assert ["is delayed" in text for text in bot.sender.to(CHAT)] == [False, True]


def test_while_the_disk_refuses_an_outcome_no_other_message_goes(make_file_bot):
    bot = make_file_bot()
    for chat in (CHAT, CHAT + 1, CHAT + 2):
        bot.commands.chat_seen((chat, None), "private", "")
        bot.commands.subscribe((chat, None), "census")
    bot.fetcher.publish("Wire")
    cycle(bot)
    bot.fetcher.publish("Wire", news("1", "The census results"))
    asyncio.run(bot.poller.poll_once())  # three alerts queued while the disk has room
    deliver_on_a_full_disk(bot)
    assert len(bot.sender.sent) == 1, "one sent: its outcome is kept in memory, the others wait"
    asyncio.run(bot.delivery.run_until_idle(max_wait=1.0))  # the disk has room again
    assert sorted(chat for chat, _, _ in bot.sender.sent) == [CHAT, CHAT + 1, CHAT + 2], "each once"
    restarted = make_file_bot()
    asyncio.run(restarted.delivery.run_until_idle(max_wait=1.0))
    assert restarted.sender.sent == [], "nothing is sent again after a restart"

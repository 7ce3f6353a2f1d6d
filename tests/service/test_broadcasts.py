"""Admin broadcasts: preview, confirmation, delivery next to alerts, progress, resumption."""

from __future__ import annotations

import asyncio
import itertools

from bot.adapters.storage.documents import Change
from bot.service import delivery
from bot.service.broadcasts import Preview
from bot.service.ports import DEFAULT_OPTIONS, BroadcastStatus, ChatUnreachable, OutboxEntry, TemporaryFailure

ADMIN = 1000


def chats(bot, *ids: int) -> None:
    for chat in ids:
        bot.commands.chat_seen((chat, None), "private" if chat > 0 else "group", "")


def deliver(bot) -> None:
    asyncio.run(bot.delivery.run_until_idle())


def test_a_non_admin_gets_a_refusal_and_nothing_is_kept_or_sent(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, 1, 2)
    assert "only the bot's admins" in bot.broadcasts.draft(1, 1, "Free prizes")
    deliver(bot)
    assert bot.sender.sent == []
    preview = bot.broadcasts.draft(ADMIN, ADMIN, "hello")
    assert isinstance(preview, Preview)
    assert "only the bot's admins" in bot.broadcasts.send(1, preview.broadcast_id, 55), (
        "pressing needs an admin too"
    )
    deliver(bot)
    assert bot.sender.sent == []


def test_nothing_goes_out_before_send_and_nothing_after_cancel(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, 1, 2, ADMIN)
    preview = bot.broadcasts.draft(ADMIN, ADMIN, "Maintenance &lt;tonight&gt;")  # as typed
    assert isinstance(preview, Preview) and preview.chats == 3
    assert "will go to 3 active chats" in preview.html and "Maintenance &lt;tonight&gt;" in preview.html
    deliver(bot)
    assert bot.sender.sent == [], "a preview sends nothing"
    assert "Cancelled" in bot.broadcasts.cancel(ADMIN, preview.broadcast_id)
    assert "Sending" not in bot.broadcasts.send(ADMIN, preview.broadcast_id, 55)
    deliver(bot)
    assert bot.sender.sent == []


def test_send_reaches_every_active_chat_once_with_progress_and_a_report(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, *range(1, 41), ADMIN)
    bot.commands.chat_left(40)
    bot.sender.fail = lambda chat, text: ChatUnreachable("Forbidden: bot was blocked") if chat == 13 else None
    preview = bot.broadcasts.draft(ADMIN, ADMIN, "Maintenance tonight")
    text = bot.broadcasts.send(ADMIN, preview.broadcast_id, message_id=55)
    assert "Sending the announcement" in text and "remaining 40" in text
    assert bot.broadcasts.send(ADMIN, preview.broadcast_id, 55) == bot.broadcast_progress.progress_text(
        bot.store.broadcasts.broadcast(preview.broadcast_id)), "a second press changes nothing"  # fmt: skip
    deliver(bot)

    receivers = [chat for chat, text, _ in bot.sender.sent if "Announcement</b>" in text]
    assert sorted(receivers) == sorted([*range(1, 13), *range(14, 40), ADMIN]), "each active chat once"
    done = bot.store.broadcasts.broadcast(preview.broadcast_id)
    assert done.status is BroadcastStatus.DONE and (done.sent, done.blocked) == (39, 1)
    assert bot.sender.edits and all(chat == ADMIN and message == 55 for chat, message, _ in bot.sender.edits)
    assert "Announcement sent</b> to 39 of 40 chats" in bot.sender.edits[-1][2]
    assert "1 had blocked the bot" in bot.sender.to(ADMIN)[-1], "the author is told at the end, anew"


def test_progress_is_shown_at_most_every_few_seconds(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, *range(-60, 0))  # groups, paced at 20 a minute each: still one message each
    preview = bot.broadcasts.draft(ADMIN, ADMIN, "hello")
    bot.broadcasts.send(ADMIN, preview.broadcast_id, message_id=55)
    times: list[float] = []
    real_edit = bot.sender.edit

    async def timed_edit(chat, message, html):
        times.append(bot.time.now)
        await real_edit(chat, message, html)

    bot.sender.edit = timed_edit
    original_send = bot.sender.send

    async def slow_send(chat, text, *, html=True, options=DEFAULT_OPTIONS):
        bot.time.now += 0.5  # each message takes half a second
        return await original_send(chat, text, html=html, options=options)

    bot.sender.send = slow_send
    deliver(bot)
    gaps = [b - a for a, b in itertools.pairwise(times[:-1])]  # the last edit is the final report
    assert gaps and min(gaps) >= 3.0


def test_alerts_go_before_the_rest_of_a_broadcast(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, *range(1, 31))
    preview = bot.broadcasts.draft(ADMIN, 1, "hello")
    bot.broadcasts.send(ADMIN, preview.broadcast_id, message_id=55)
    original_send = bot.sender.send
    calls = {"n": 0}

    async def send(chat, text, *, html=True, options=DEFAULT_OPTIONS):
        calls["n"] += 1
        if calls["n"] == 5:  # news arrives in the middle of the broadcast
            bot.store.outbox.enqueue([OutboxEntry(key="alert:30:x", chat_id=30, html="ALERT", created=1.0)])
        return await original_send(chat, text, html=html, options=options)

    bot.sender.send = send
    deliver(bot)
    order = [text for _, text, _ in bot.sender.sent]
    assert order.index("ALERT") == 5, "the alert went next, not after the 25 left"


def test_a_chat_whose_replies_used_its_allowance_does_not_hold_the_broadcast_back(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, 1, 2, 3)
    for n in range(3):  # chat 1 asked three things just now: its burst is spent on the replies
        asyncio.run(bot.sender.send(1, f"reply {n}"))
    preview = bot.broadcasts.draft(ADMIN, ADMIN, "hello")
    bot.broadcasts.send(ADMIN, preview.broadcast_id, message_id=55)
    started = bot.time.now
    deliver(bot)
    got = [(chat, at - started) for chat, text, at in bot.sender.sent if "Announcement</b>" in text]
    assert [chat for chat, _ in got] == [2, 3, 1], "the others first, chat 1 once it has room"
    assert got[0][1] == 0 and got[2][1] >= 1.0


def test_a_broadcast_stopped_half_way_resumes_after_a_restart_and_reaches_each_chat_once(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, *range(1, 51))
    preview = bot.broadcasts.draft(ADMIN, 1, "hello")
    bot.broadcasts.send(ADMIN, preview.broadcast_id, message_id=55)
    original_send = bot.sender.send
    sent_so_far = {"n": 0}

    async def dying_send(chat, text, *, html=True, options=DEFAULT_OPTIONS):
        message_id = await original_send(chat, text, html=html, options=options)
        sent_so_far["n"] += 1
        if sent_so_far["n"] == 20:
            bot.delivery.stop()  # the process is told to stop after this message
        return message_id

    bot.sender.send = dying_send
    deliver(bot)
    first = [chat for chat, text, _ in bot.sender.sent if "Announcement</b>" in text]
    assert len(first) == 20

    again = make_bot(admins=(ADMIN,))
    deliver(again)
    second = [chat for chat, text, _ in again.sender.sent if "Announcement</b>" in text]
    assert sorted(first + second) == list(range(1, 51)), "every chat once, none missed"


def test_an_announcement_keeps_its_formatting_and_is_measured_by_its_visible_text(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, 1, ADMIN)
    link = '<a href="https://status.example.org/' + "x" * 3000 + '">status</a>'
    preview = bot.broadcasts.draft(ADMIN, ADMIN, f"<b>Maintenance</b> at <i>22:00</i>: {link}")
    assert isinstance(preview, Preview), "a long address is not visible text: it does not count"
    assert preview.html.endswith(f"<b>Maintenance</b> at <i>22:00</i>: {link}")
    bot.broadcasts.send(ADMIN, preview.broadcast_id, 55)
    deliver(bot)
    sent = [text for chat, text, _ in bot.sender.sent if chat == 1]
    assert len(sent) == 1 and preview.html.endswith("\n\n" + sent[0]), "the preview is what is sent"


def test_an_announcement_over_the_limit_is_refused_with_its_length_as_telegram_counts_it(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, 1, ADMIN)
    refusal = bot.broadcasts.draft(ADMIN, ADMIN, "<b>" + "📢" * 2000 + "</b>")
    assert isinstance(refusal, str) and "4,000 characters" in refusal and "the limit is 3,779" in refusal


def test_an_announcement_with_nothing_to_read_gets_the_usage(make_bot):
    bot = make_bot(admins=(ADMIN,))
    for empty in ("", "   ", "<b> </b>", "<i></i>\n"):
        answer = bot.broadcasts.draft(ADMIN, ADMIN, empty)
        assert isinstance(answer, str) and "after the command" in answer, empty


def test_a_finished_broadcast_leaves_only_its_counts_removed_a_few_records_at_a_time(make_bot, monkeypatch):
    monkeypatch.setattr(delivery, "PRUNE_BATCH", 7)
    bot = make_bot(admins=(ADMIN,))
    chats(bot, *range(1, 41), ADMIN)
    units: list[list[Change]] = []
    monkeypatch.setattr(bot.store.sink, "write", units.append)  # what each unit changes
    preview = bot.broadcasts.draft(ADMIN, ADMIN, "hello")
    bot.broadcasts.send(ADMIN, preview.broadcast_id, message_id=55)
    deliver(bot)
    done = bot.store.broadcasts.broadcast(preview.broadcast_id)
    assert done.status is BroadcastStatus.DONE and (done.sent, done.total) == (41, 41)
    assert bot.store.documents.table("deliveries") == {}, "only its counts stay"
    removals = [sum(c.table == "deliveries" and c.doc is None for c in unit) for unit in units]
    assert sum(removals) == 41 and max(removals) <= 7, "no unit removes more than a batch"
    again = make_bot(admins=(ADMIN,))
    done = again.store.broadcasts.broadcast(preview.broadcast_id)
    assert (done.status, done.sent, done.total) == (BroadcastStatus.DONE, 41, 41)


def test_chats_that_keep_failing_get_the_announcement_in_a_later_round_once(make_bot):
    bot = make_bot(admins=(ADMIN,))
    chats(bot, *range(1, 21), ADMIN)
    failing = {5: 8, 12: 4}  # tries that fail: chat 5 waits for two later rounds, chat 12 one

    def flaky(chat, text):
        if failing.get(chat, 0) > 0 and "Announcement</b>" in text:
            failing[chat] -= 1
            return TemporaryFailure("HTTP 502")
        return None

    bot.sender.fail = flaky
    preview = bot.broadcasts.draft(ADMIN, ADMIN, "hello")
    bot.broadcasts.send(ADMIN, preview.broadcast_id, message_id=55)
    started = bot.time.now
    deliver(bot)
    got = [(chat, at - started) for chat, text, at in bot.sender.sent if "Announcement</b>" in text]
    assert sorted(chat for chat, _ in got) == [*range(1, 21), ADMIN], "each chat once"
    assert [chat for chat, _ in got[-2:]] == [12, 5], "the others did not wait for them"
    assert got[-2][1] >= 60 and got[-1][1] >= 120
    done = bot.store.broadcasts.broadcast(preview.broadcast_id)
    assert (done.status, done.sent, done.failed) == (BroadcastStatus.DONE, 21, 0)

"""What each command does and answers, independent of Telegram.

Every method takes the command's arguments as the user typed them and returns the reply as
Telegram HTML; every piece of user or feed text in a reply is escaped. A bad argument gets a
reply that says what is wrong and shows a correct example.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection

from bot.core.formatting import (
    escape,
    format_item_line,
)
from bot.core.query import EXAMPLE as QUERY_EXAMPLE
from bot.core.query import Query, split_queries
from bot.service.pace import AlertPace
from bot.service.polling import Poller
from bot.service.ports import Button, Buttons, Reply, StorageFailure, Store
from bot.service.presses import Presses
from bot.service.recent import RecentItems
from bot.service.subscriptions import Place, Subscriptions

__all__ = ["BOT_COMMANDS", "NOT_SAVED", "REFUSAL", "SLOW_DOWN", "Commands"]

log = logging.getLogger(__name__)

PREVIEW_ITEMS = 3
REFUSAL = "Sorry, only the bot's admins can use this command."
# The answer to a command whose change the store could not write (it changed nothing).
NOT_SAVED = (
    "I could not save that: the bot's storage is failing (disk full?). "
    "Nothing was changed; please try again later."
)

# The command menu Telegram clients show (name, description), in order.
BOT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("subscribe", "Follow keywords: /subscribe census, oil prices"),
    ("unsubscribe", "Stop following a keyword, or all"),
    ("list", "Your subscriptions"),
    ("settings", "How and when alerts come"),
    ("digest", "Alerts in a digest: /digest daily 08:00"),
    ("quiet", "Quiet hours: /quiet 23:00-07:00"),
    ("timezone", "Your time zone: /timezone Asia/Baghdad"),
    ("feeds", "The news sources watched"),
    ("help", "How to use this bot"),
)

SLOW_DOWN = (
    "You are sending commands faster than I can answer, so I skipped some of them. "
    "Wait a minute, then send again what you need."
)

SUBSCRIBE_EXAMPLES = "<code>/subscribe Makhmour</code> or <code>/subscribe census, oil prices</code>"


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _codes(queries: Collection[Query] | Collection[str]) -> str:
    return ", ".join(_code(q.text if isinstance(q, Query) else q) for q in queries)


def _reading(query: Query) -> str:
    """How the bot reads a query: in plain words, and normalized when that differs from
    what was typed (``source:sample Erbil`` reads as ``erbil source:sample``)."""
    typed = " ".join(query.text.casefold().split())
    normalized = "" if typed == query.normalized.casefold() else f" {_code(query.normalized)}"
    return f"{_code(query.text)} reads as{normalized}: {escape(query.describe())}."


class Commands:
    """The bot's commands (see the module docstring)."""

    def __init__(
        self,
        *,
        store: Store,
        subscriptions: Subscriptions,
        recent: RecentItems,
        poller: Poller,
        pace: AlertPace,
        presses: Presses,
        admins: Collection[int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._subscriptions = subscriptions
        self._recent = recent
        self._poller = poller
        self._pace = pace
        self._presses = presses
        self._admins = frozenset(admins)
        self._clock = clock

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self._admins

    def chat_seen(self, place: Place, kind: str, title: str) -> None:
        """Record that a chat used a command: it is (again) one the bot may write to, and a
        forum topic whose subscriptions were paused (it was closed) works again. If the
        store cannot write that, the command itself still gets its answer."""
        chat_id = place[0]
        try:
            self._store.register_chat(chat_id, kind, title)
            if place[1] is not None and self._subscriptions.resume(place):
                log.info("chat %d: topic %d is back; its subscriptions are resumed", chat_id, place[1])
        except StorageFailure as exc:
            log.warning("chat %d used a command but could not be recorded: %s", chat_id, exc)

    def chat_left(self, chat_id: int) -> None:
        """The bot was blocked or removed: stop writing there, keep the subscriptions."""
        try:
            self._store.deactivate_chat(chat_id, "the bot was blocked or removed from the chat")
        except StorageFailure as exc:  # its next alert meets the block and tries again
            log.warning("chat %d blocked the bot but could not be recorded as inactive: %s", chat_id, exc)

    # --- everyone -----------------------------------------------------------------------

    def start(self, user_id: int | None) -> str:
        return (
            "👋 <b>Welcome to newsbot.</b>\n"
            "I watch trusted news feeds and message you as soon as a new story mentions "
            "the keywords you follow.\n\n" + self.help(user_id)
        )

    def help(self, user_id: int | None) -> str:
        text = (
            "<b>Commands</b>\n"
            "/subscribe <i>keywords</i> — follow keywords, separated by commas, e.g. "
            f"{SUBSCRIBE_EXAMPLES}\n"
            "/unsubscribe <i>keyword or number</i> — stop following one, e.g. "
            "<code>/unsubscribe census</code> or <code>/unsubscribe 2</code>; "
            "<code>/unsubscribe all</code> stops all\n"
            "/list — your subscriptions, numbered, each with a ✖ button to remove it\n"
            "/feeds — the news sources I watch\n"
            "/help — this message\n\n"
            "<b>How and when alerts come</b>\n"
            "/settings — your settings, with buttons to change them\n"
            "/digest — <code>/digest daily 08:00</code>, <code>/digest hourly</code> or "
            "<code>/digest off</code> (each story at once); for one keyword: "
            "<code>/digest daily for oil prices</code>\n"
            "/quiet — <code>/quiet 23:00-07:00</code> holds alerts until then "
            "(<code>/quiet 23:00-07:00 silent</code>: without a sound); <code>/quiet off</code>\n"
            "/timezone — <code>/timezone Asia/Baghdad</code>, for times and schedules\n"
            "/previews — <code>/previews on</code> or <code>off</code>: the link's preview under alerts\n"
            "Under each alert, buttons mute its keyword for 24 hours or unsubscribe, with Undo. "
            "In a forum topic, /subscribe follows keywords for that topic. In a group, only its "
            "admins change its keywords and settings, unless /settings lets every member.\n\n"
            "<b>How keywords match</b>\n"
            "Whole words in the title or text of a story, ignoring case and accents: "
            "<code>census</code> matches “Census,” and <code>Makhmur</code> matches “Makhmūr”, "
            "but <code>ISIS</code> does not match “crisis”.\n"
            "• <code>oil prices</code>: both words, in any order\n"
            '• <code>"Qarachogh mountains"</code>: the exact phrase\n'
            "• <code>Makhmour OR Makhmur OR Mexmûr</code>: any of them\n"
            "• <code>census -football</code>: not when “football” is there too\n"
            "• <code>kurd*</code>: words starting with “kurd” (Kurd, Kurdish, Kurdistan)\n"
            "• <code>source:rudaw census</code>: only from sources whose name or address has “rudaw”\n"
            "OR binds first: <code>Makhmour census OR camp</code> means Makhmour and (census or camp). "
            "Commas separate keywords: <code>/subscribe census, oil prices</code> adds two.\n"
            "Arabic-script keywords also match with و ب ل ال before them and Sorani endings after "
            "(<code>کەرکووک</code> matches “کەرکووکدا”); Chinese and Japanese keywords match inside "
            "longer words.\n\n"
            "When a new story matches, you get one message with its title, a short summary "
            "(matched words in bold), the source, the time and the link. A story several "
            "sources carry comes once, naming the others (“Also: …”)."
        )
        if self.is_admin(user_id):
            text += (
                "\n\n<b>Admin</b>\n"
                "/broadcast <i>text</i> — preview an announcement to every chat, then send it\n"
                "/stats — chats, subscriptions, feeds and the last poll\n"
                "/feeds — also shows each feed's health\n"
                "/addfeed <i>url</i> [<i>name</i>] — watch another feed, e.g. "
                "<code>/addfeed https://www.rudaw.net/english/rss Rudaw</code>\n"
                "/removefeed <i>name</i> — stop watching a feed added with /addfeed"
            )
        return text

    def subscribe(self, place: Place, arguments: str) -> str:
        """Follow keywords in a chat (or in the forum topic the command was sent in)."""
        texts = split_queries(arguments)
        if not texts:
            return f"Tell me what to follow, for example {SUBSCRIBE_EXAMPLES}."
        try:
            outcome = self._subscriptions.subscribe(place[0], texts, place[1])
        except StorageFailure:
            return NOT_SAVED
        lines: list[str] = []
        if outcome.added:
            lines.append(f"✅ Subscribed to {_codes(outcome.added)}.")
            lines += [_reading(query) for query in outcome.added if not query.is_simple]
        if outcome.already:
            lines.append(f"You are already subscribed to {_codes(outcome.already)}.")
        for text, reason in outcome.invalid:
            lines.append(f"❌ Not added: {_code(text)}: {escape(reason)}.")
        if outcome.invalid:
            lines.append(
                f"A correct example: <code>/subscribe {escape(QUERY_EXAMPLE)}</code> (/help explains)."
            )
        if outcome.over_limit:
            limit = self._subscriptions.max_per_chat
            lines.append(
                f"❌ Not added: {_codes(outcome.over_limit)}: a chat can have at most {limit} "
                "subscriptions. Remove some with /unsubscribe first (see /list)."
            )
        if outcome.added:
            lines.append("")
            lines.append(self._preview(outcome.added, place[0]))
        return "\n".join(lines)

    def _preview(self, queries: list[Query], chat_id: int) -> str:
        found = self._recent.matching(queries, now=self._clock(), limit=PREVIEW_ITEMS)
        if not found:
            return (
                "Nothing has matched yet in the last 7 days; "
                "you will get a message as soon as a new story does."
            )
        lines = ["Recent stories it would have caught:"]
        lines += [format_item_line(item, tz=self._pace.tz(chat_id)) for item in found]
        lines.append("New stories will come as alerts.")
        return "\n".join(lines)

    def unsubscribe(self, place: Place, arguments: str) -> Reply:
        """Stop following keywords, by their text or number; "all" asks first."""
        texts = split_queries(arguments)
        if not texts:
            return Reply(
                "Tell me which keyword to stop following, for example "
                "<code>/unsubscribe census</code>, or <code>/unsubscribe all</code>. "
                "Your subscriptions: /list"
            )
        if len(texts) == 1 and texts[0].casefold() == "all":
            subscriptions = self._subscriptions.in_place(*place)
            if not subscriptions:
                return Reply("You have no subscriptions.")
            return Reply(
                f"Remove all {len(subscriptions)} subscriptions: {_codes([s.query for s in subscriptions])}?",
                self._presses.confirm_all(place),
            )
        try:
            outcome = self._subscriptions.unsubscribe(place[0], texts, place[1])
        except StorageFailure:
            return Reply(NOT_SAVED)
        lines = []
        buttons: Buttons = ()
        if outcome.removed:
            lines.append(f"Unsubscribed from {_codes([s.query for s in outcome.removed])}.")
            undo = self._presses.offer_undo(place, outcome.removed)
            buttons = ((Button("↩ Undo", f"undo:{undo}"),),)
        if outcome.missing:
            lines.append(f"You are not subscribed to {_codes(outcome.missing)}; see /list for the numbers.")
        return Reply("\n".join(lines), buttons)

    def list(self, place: Place) -> Reply:
        """The chat's (or topic's) subscriptions, numbered, each with a remove button."""
        return self._presses.listing(place)

    def unknown(self, command: str) -> str:
        return f"I don't know {_code(command)}. Send /help to see what I can do."

    def not_a_command(self) -> str:
        return (
            f"I understand commands only. To follow a topic, send for example {SUBSCRIBE_EXAMPLES}; "
            "/help lists all."
        )

    # --- admins -------------------------------------------------------------------------

    def stats(self, user_id: int | None) -> str:
        if not self.is_admin(user_id):
            return REFUSAL
        stats = self._store.stats()
        lines = [
            "<b>newsbot status</b>",
            f"Chats: {stats.active_chats} active, {stats.chats - stats.active_chats} inactive",
            f"Subscriptions: {stats.subscriptions}",
            f"Feeds: {len(self._poller.sources)} configured, {stats.feeds} polled so far",
            f"Seen-item records: {stats.seen_items} (recent items kept for previews: {stats.recent_items})",
            f"Alerts waiting to be sent: {stats.pending_messages}",
            f"Messages refused for good: {stats.failed_messages}",
        ]
        for entry, reason in self._store.failed_alerts(limit=3):
            lines.append(f"  • to chat {entry.chat_id}: {escape(reason)}")
        if stats.broadcasts_in_progress:
            lines.append(f"Broadcasts in progress: {stats.broadcasts_in_progress}")
        report = self._poller.last_report
        lines.append(f"Last poll: {escape(report.summary())}" if report else "Last poll: none yet")
        return "\n".join(lines)

"""What each command does and answers, independent of Telegram.

Every method takes the command's arguments as the user typed them and returns the reply as
Telegram HTML; every piece of user or feed text in a reply is escaped. A bad argument gets a
reply that says what is wrong and shows a correct example.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime

from bot.core.formatting import format_duration, format_item_line, format_time
from bot.core.language import N_, _, direction_mark, embed, format_number, ngettext, pgettext
from bot.core.markup import code, escape, in_code, inline
from bot.core.query import EXAMPLE as QUERY_EXAMPLE
from bot.core.query import Query
from bot.core.query_parser import split_queries
from bot.core.sources import FeedSource
from bot.core.text import truncate
from bot.service.pace import AlertPace
from bot.service.polling import Poller
from bot.service.ports import (
    Button,
    Buttons,
    ChatMoves,
    ChatRegistry,
    FetchOutcome,
    Reply,
    StorageFailure,
    StoreReport,
)
from bot.service.presses import Presses
from bot.service.recent import RecentItems
from bot.service.subscriptions import Place, Subscriptions

__all__ = ["BOT_COMMANDS", "NOT_SAVED", "REFUSAL", "SLOW_DOWN", "Commands", "addfeed_example"]

log = logging.getLogger(__name__)

PREVIEW_ITEMS = 3
# A new keyword that would have matched more than this share of the recent stories gets a
# warning (it is still added); not when fewer stories are known than BROAD_AMONG_AT_LEAST.
BROAD_SHARE = 0.2
BROAD_AMONG_AT_LEAST = 20
# The texts below are marked for the catalogue and translated where they are used: _(REFUSAL).
REFUSAL = N_("Sorry, only the bot's admins can use this command.")
# The answer to a command whose change the store could not write (it changed nothing).
NOT_SAVED = N_(
    "I could not save that: the bot's storage is failing (disk full?). "
    "Nothing was changed; please try again later."
)

# The command menu Telegram clients show (name, description), in order.
BOT_COMMANDS: tuple[tuple[str, str], ...] = (
    # Translators: the descriptions of the command menu Telegram shows (at most 256 characters).
    ("subscribe", N_("Follow keywords: /subscribe census, oil prices")),
    ("unsubscribe", N_("Stop following a keyword, or all")),
    ("list", N_("Your subscriptions")),
    ("settings", N_("How and when alerts come")),
    ("digest", N_("Alerts in a digest: /digest daily 08:00")),
    ("quiet", N_("Quiet hours: /quiet 23:00-07:00")),
    ("timezone", N_("Your time zone: /timezone Asia/Baghdad")),
    ("language", N_("The language of my messages: /language")),
    ("feeds", N_("The news sources watched")),
    ("help", N_("How to use this bot")),
)

# Feeds an /addfeed example may name (address, name): the first the bot does not watch yet.
ADDFEED_EXAMPLES = (
    ("https://www.theguardian.com/world/rss", "Guardian World"),
    ("https://www.france24.com/en/rss", "France 24"),
    ("https://rss.dw.com/rdf/rss-en-all", "DW English"),
    ("https://feeds.npr.org/1004/rss.xml", "NPR World"),
)


def addfeed_example(sources: Sequence[FeedSource]) -> str:
    """An /addfeed command for a feed the bot does not watch yet (by address or by name)."""
    taken = {source.url for source in sources} | {source.name.casefold() for source in sources}
    url, name = next(
        ((url, name) for url, name in ADDFEED_EXAMPLES if url not in taken and name.casefold() not in taken),
        ("https://example.org/news/rss", "Example News"),
    )
    return f"/addfeed {url} {name}"


SLOW_DOWN = N_(
    "You are sending commands faster than I can answer, so I skipped some of them. "
    "Wait a minute, then send again what you need."
)

# Translators: two examples of /subscribe, put into other sentences ("for example {examples}").
# The keywords may be ones your readers follow; a comma separates two keywords.
SUBSCRIBE_EXAMPLES = N_("<code>/subscribe Makhmour</code> or <code>/subscribe census, oil prices</code>")


REFUSED_ECHO_CHARS = 60


def _code(text: str) -> str:
    """A keyword as code, its text isolated within the code."""
    return in_code(inline(text))


def _codes(queries: Collection[Query] | Collection[str]) -> str:
    # Translators: what separates the keywords of a list ("census, oil prices").
    separator = pgettext("list", ", ")
    return separator.join(_code(q.text if isinstance(q, Query) else q) for q in queries)


def _reading(query: Query) -> str:
    """How the bot reads a query: in plain words, and normalized when that differs from
    what was typed (``source:sample Erbil`` reads as ``erbil source:sample``)."""
    typed = " ".join(query.text.casefold().split())
    reading = escape(query.describe())
    if typed == query.normalized.casefold():
        # Translators: {query} is a keyword as typed; {reading} says in words what it finds
        # ("makhmour and (census or camp), but not football").
        text = _("{query} reads as: {reading}.").format(query=_code(query.text), reading=reading)
    else:
        # Translators: {query} is a keyword as typed, {normalized} the same keyword as the bot
        # reads it; {reading} says in words what it finds.
        text = _("{query} reads as {normalized}: {reading}.").format(
            query=_code(query.text), normalized=_code(query.normalized), reading=reading
        )
    return direction_mark() + text


class Commands:
    """The bot's commands (see the module docstring)."""

    def __init__(
        self,
        *,
        chats: ChatRegistry,
        moves: ChatMoves,
        report: StoreReport,
        subscriptions: Subscriptions,
        recent: RecentItems,
        poller: Poller,
        pace: AlertPace,
        presses: Presses,
        admins: Collection[int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._chats = chats
        self._moves = moves
        self._report = report
        self._subscriptions = subscriptions
        self._recent = recent
        self._poller = poller
        self._pace = pace
        self._presses = presses
        self._admins = frozenset(admins)
        self._clock = clock
        self._started = clock()  # the services are assembled as the bot starts

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self._admins

    def chat_seen(self, place: Place, kind: str, title: str) -> None:
        """Record that a chat used a command: it is (again) one the bot may write to, and a
        forum topic whose subscriptions were paused (it was closed) works again. If the
        store cannot write that, the command itself still gets its answer."""
        chat_id = place[0]
        try:
            self._chats.register_chat(chat_id, kind, title)
            if place[1] is not None and self._subscriptions.resume(place):
                log.info("chat %d: topic %d is back; its subscriptions are resumed", chat_id, place[1])
        except StorageFailure as exc:
            log.warning("chat %d used a command but could not be recorded: %s", chat_id, exc)

    def chat_left(self, chat_id: int) -> None:
        """The bot was blocked or removed: stop writing there, keep the subscriptions."""
        try:
            self._moves.deactivate_chat(chat_id, "the bot was blocked or removed from the chat")
        except StorageFailure as exc:  # its next alert meets the block and tries again
            log.warning("chat %d blocked the bot but could not be recorded as inactive: %s", chat_id, exc)

    # --- everyone -----------------------------------------------------------------------

    def start(self, user_id: int | None) -> str:
        return "\n".join([
            _("👋 <b>Welcome to newsbot.</b>"),
            _(
                "I watch trusted news feeds and message you as soon as a new story mentions "
                "the keywords you follow."
            ),
            "",
            self.help(user_id),
        ])  # fmt: skip

    def help(self, user_id: int | None) -> str:
        lines = [
            _("<b>Commands</b>"),
            # Translators: {examples} is two examples of /subscribe (translated as well).
            _("/subscribe <i>keywords</i> — follow keywords, separated by commas, e.g. {examples}").format(
                examples=_(SUBSCRIBE_EXAMPLES)
            ),
            _(
                "/unsubscribe <i>keyword or number</i> — stop following one, e.g. "
                "<code>/unsubscribe census</code> or <code>/unsubscribe 2</code>; "
                "<code>/unsubscribe all</code> stops all"
            ),
            _("/list — your subscriptions, numbered, each with a ✖ button to remove it"),
            _("/feeds — the news sources I watch"),
            _("/help — this message"),
            "",
            _("<b>How and when alerts come</b>"),
            _("/settings — your settings, with buttons to change them"),
            # Translators: daily, hourly, off and for are words of the command: keep them.
            _(
                "/digest — <code>/digest daily 08:00</code>, <code>/digest hourly</code> or "
                "<code>/digest off</code> (each story at once); for one keyword: "
                "<code>/digest daily for oil prices</code>"
            ),
            # Translators: silent and off are words of the command: keep them.
            _(
                "/quiet — <code>/quiet 23:00-07:00</code> holds alerts until then "
                "(<code>/quiet 23:00-07:00 silent</code>: without a sound); <code>/quiet off</code>"
            ),
            _("/timezone — <code>/timezone Asia/Baghdad</code>, for times and schedules"),
            # Translators: on and off are words of the command: keep them.
            _("/previews — <code>/previews on</code> or <code>off</code>: the link's preview under alerts"),
            # Translators: keep the codes ckb, ar and en.
            _(
                "/language — the language of my messages: <code>/language ckb</code> (Sorani), "
                "<code>/language ar</code> (Arabic) or <code>/language en</code> (English)"
            ),
            _(
                "Under each alert, buttons mute its keyword for 24 hours or unsubscribe, with Undo. "
                "In a forum topic, /subscribe follows keywords for that topic. In a group, only its "
                "admins change its keywords and settings, unless /settings lets every member."
            ),
            "",
            _("<b>How keywords match</b>"),
            _(
                "Whole words in the title or text of a story, ignoring case and accents: "
                "<code>census</code> matches “Census,” and <code>Makhmur</code> matches “Makhmūr”, "
                "but <code>ISIS</code> does not match “crisis”."
            ),
            # Translators: the lines starting with • show the query language. Keep AND, OR, NOT,
            # the minus, *, quotes, parentheses and source: as they are; write the example
            # keywords in your script.
            _("• <code>oil prices</code>: both words, in any order"),
            _('• <code>"Qarachogh mountains"</code>: the exact phrase'),
            _("• <code>Makhmour OR Makhmur OR Mexmûr</code>: any of them"),
            _(
                "• <code>(oil prices) OR Sinjar</code>: parentheses group words: "
                "both oil and prices, or Sinjar"
            ),
            _(
                "• <code>census -football</code> or <code>census NOT football</code>: "
                "not when “football” is there too"
            ),
            _("• <code>kurd*</code>: words starting with “kurd” (Kurd, Kurdish, Kurdistan)"),
            _("• <code>source:rudaw census</code>: only from sources whose name or address has “rudaw”"),
            # Translators: keep AND, OR, NOT and the quoted "and" as they are.
            _(
                "OR binds first: <code>Makhmour census OR camp</code> means Makhmour and (census or camp). "
                "AND, OR and NOT work in any letter case; AND changes nothing (both words are needed "
                'anyway); in quotes they are words to look for: <code>"rock and roll"</code>. '
                "Commas separate keywords: <code>/subscribe census, oil prices</code> adds two."
            ),
            _(
                "Arabic-script keywords also match with و ب ل ال before them and Sorani endings after "
                "(<code>کەرکووک</code> matches “کەرکووکدا”); Chinese and Japanese keywords match inside "
                "longer words."
            ),
            "",
            # Translators: “Also: …” is the label under an alert that names the other sources.
            _(
                "When a new story matches, you get one message with its title, a short summary "
                "(matched words in bold), the source, the time and the link. A story several "
                "sources carry comes once, naming the others (“Also: …”)."
            ),
        ]
        if self.is_admin(user_id):
            lines += [
                "",
                _("<b>Admin</b>"),
                _("/broadcast <i>text</i> — preview an announcement to every chat, then send it"),
                _("/stats — chats, subscriptions, feeds and the last poll"),
                _("/feeds — also shows each feed's health"),
                # Translators: {example} is an example of the command, with a feed the bot
                # does not watch yet.
                _("/addfeed <i>url</i> [<i>name</i>] — watch another feed, e.g. {example}").format(
                    example=code(addfeed_example(self._poller.sources))
                ),
                _("/removefeed <i>name</i> — stop watching a feed added with /addfeed"),
            ]
        return "\n".join(lines)

    def subscribe(self, place: Place, arguments: str) -> str:
        """Follow keywords in a chat (or in the forum topic the command was sent in)."""
        texts = split_queries(arguments)
        if not texts:
            # Translators: {examples} is two examples of /subscribe (translated as well).
            return _("Tell me what to follow, for example {examples}.").format(examples=_(SUBSCRIBE_EXAMPLES))
        try:
            outcome = self._subscriptions.subscribe(place[0], texts, place[1])
        except StorageFailure:
            return _(NOT_SAVED)
        lines: list[str] = []
        if outcome.added:
            # Translators: {keywords} lists the keywords just followed.
            lines.append(_("✅ Subscribed to {keywords}.").format(keywords=_codes(outcome.added)))
            lines += [_reading(query) for query in outcome.added if not query.is_simple]
        lines += self._already(outcome.already)
        for text, reason in outcome.invalid:
            # Translators: {keyword} is what the reader typed; {reason} says what is wrong with it.
            refused = _("❌ Not added: {keyword}: {reason}.")
            # (a refused keyword may be long: cut, since the reason is what matters)
            lines.append(
                refused.format(keyword=_code(truncate(text, REFUSED_ECHO_CHARS)), reason=escape(reason))
            )
        example = _(QUERY_EXAMPLE)
        if any(example not in reason for _keyword, reason in outcome.invalid):  # (not shown twice)
            # Translators: {example} is a keyword query (see "Makhmour census OR camp -football").
            correct = _("A correct example: <code>/subscribe {example}</code> (/help explains).")
            lines.append(correct.format(example=inline(example)))
        if outcome.over_limit:
            limit = self._subscriptions.max_per_chat
            lines.append(
                # Translators: {keywords} lists the keywords that were not added.
                ngettext(
                    "❌ Not added: {keywords}: a chat can have at most {n} subscription. "
                    "Remove some with /unsubscribe first (see /list).",
                    "❌ Not added: {keywords}: a chat can have at most {n} subscriptions. "
                    "Remove some with /unsubscribe first (see /list).",
                    limit,
                ).format(keywords=_codes(outcome.over_limit), n=format_number(limit))
            )
        if outcome.added:
            lines += self._broad(outcome.added)
            lines.append("")
            lines.append(self._preview(outcome.added, place[0]))
        return "\n".join(lines)

    def _already(self, already: list[tuple[Query, Query]]) -> list[str]:
        """Keywords the chat already has: each named as the chat has it, and, when typed
        differently now, how both read."""
        same = [existing for typed, existing in already if typed.text == existing.text]
        lines = []
        if same:
            lines.append(_("You are already subscribed to {keywords}.").format(keywords=_codes(same)))
        for typed, existing in already:
            if typed.text == existing.text:
                continue
            if typed.describe() == existing.describe():
                # Translators: {existing} is the keyword the chat follows, as it was typed then;
                # {typed} the one just sent, which finds the same stories; {reading} how both read.
                text = _(
                    "You are already subscribed to {existing}: "
                    "{typed} finds the same stories (both read as: {reading})."
                )
                lines.append(
                    direction_mark()
                    + text.format(
                        existing=_code(existing.text),
                        typed=_code(typed.text),
                        reading=escape(typed.describe()),
                    )
                )
            else:
                # Translators: {existing} is the keyword the chat follows, as it was typed then,
                # and {existing_reading} how it reads; {typed} and {typed_reading}: the one just sent.
                text = _(
                    "You are already subscribed to {existing} (read as: {existing_reading}): "
                    "{typed} (read as: {typed_reading}) finds the same stories."
                )
                lines.append(
                    direction_mark()
                    + text.format(
                        existing=_code(existing.text),
                        existing_reading=escape(existing.describe()),
                        typed=_code(typed.text),
                        typed_reading=escape(typed.describe()),
                    )
                )
        return lines

    def _broad(self, added: list[Query]) -> list[str]:
        """A warning for each new keyword that would have matched a large share of the
        recent stories: it will bring many alerts."""
        lines = []
        for query in added:
            count, total = self._recent.share(query, now=self._clock())
            if total < BROAD_AMONG_AT_LEAST or count <= BROAD_SHARE * total:
                continue
            lines.append(
                # Translators: {keyword} is a keyword just followed; {count} of the {total} recent
                # stories matched it. Keep the minus in the example: it leaves a word out.
                ngettext(
                    "⚠️ {keyword} would have matched {count} of the {total} story of the last 7 days, "
                    "so it may bring many alerts. To narrow it, add a word or leave one out with -, "
                    "e.g. <code>oil prices -sport</code>.",
                    "⚠️ {keyword} would have matched {count} of the {total} stories of the last 7 days, "
                    "so it may bring many alerts. To narrow it, add a word or leave one out with -, "
                    "e.g. <code>oil prices -sport</code>.",
                    total,
                ).format(keyword=_code(query.text), count=format_number(count), total=format_number(total))
            )
        return lines

    def _preview(self, queries: list[Query], chat_id: int) -> str:
        found = self._recent.matching(queries, now=self._clock(), limit=PREVIEW_ITEMS)
        if not found:
            return _(
                "Nothing has matched yet in the last 7 days; "
                "you will get a message as soon as a new story does."
            )
        # Translators: above a few recent stories the keywords just followed match.
        lines = [_("Recent stories it would have caught:")]
        lines += [format_item_line(item, tz=self._pace.tz(chat_id)) for item in found]
        lines.append(_("New stories will come as alerts."))
        return "\n".join(lines)

    def unsubscribe(self, place: Place, arguments: str) -> Reply:
        """Stop following keywords, by their text or number; "all" asks first."""
        texts = split_queries(arguments)
        if not texts:
            # Translators: "all" is a word of the command: keep it.
            usage = _(
                "Tell me which keyword to stop following, for example "
                "<code>/unsubscribe census</code>, or <code>/unsubscribe all</code>. "
                "Your subscriptions: /list"
            )
            return Reply(usage)
        if len(texts) == 1 and texts[0].casefold() == "all":
            subscriptions = self._subscriptions.in_place(*place)
            if not subscriptions:
                return Reply(_("You have no subscriptions."))
            count = len(subscriptions)
            return Reply(
                # Translators: a question, with buttons to confirm or cancel; {keywords} lists them.
                ngettext(
                    "Remove your {n} subscription: {keywords}?",
                    "Remove all {n} subscriptions: {keywords}?",
                    count,
                ).format(n=format_number(count), keywords=_codes([s.query for s in subscriptions])),
                self._presses.confirm_all(place),
            )
        try:
            outcome = self._subscriptions.unsubscribe(place[0], texts, place[1])
        except StorageFailure:
            return Reply(_(NOT_SAVED))
        lines = []
        buttons: Buttons = ()
        if outcome.removed:
            removed = _codes([s.query for s in outcome.removed])
            lines.append(_("Unsubscribed from {keywords}.").format(keywords=removed))
            undo = self._presses.offer_undo(place, outcome.removed)
            # Translators: a button that brings back what was just removed; keep it short.
            buttons = ((Button(_("↩ Undo"), f"undo:{undo}"),),)
        if outcome.missing:
            # Translators: {keywords} lists what the reader typed (keywords or numbers).
            lines.append(
                _("You are not subscribed to {keywords}; see /list for the numbers.").format(
                    keywords=_codes(outcome.missing)
                )
            )
        return Reply("\n".join(lines), buttons)

    def list(self, place: Place) -> Reply:
        """The chat's (or topic's) subscriptions, numbered, each with a remove button."""
        return self._presses.listing(place)

    def unknown(self, command: str) -> str:
        # Translators: {command} is the command the reader sent.
        return _("I don't know {command}. Send /help to see what I can do.").format(command=_code(command))

    def not_a_command(self) -> str:
        # Translators: {examples} is two examples of /subscribe (translated as well).
        return _(
            "I understand commands only. To follow a topic, send for example {examples}; /help lists all."
        ).format(examples=_(SUBSCRIBE_EXAMPLES))

    # --- admins -------------------------------------------------------------------------

    def stats(self, user_id: int | None) -> str:
        """/stats, for admins: the bot's health, times shown in the admin's time zone."""
        if not self.is_admin(user_id):
            return _(REFUSAL)
        assert user_id is not None
        stats = self._report.stats()
        number = format_number
        now, tz = self._clock(), self._pace.tz(user_id)  # (an admin's private chat has their id)
        lines = [
            # Translators: the title of /stats, a report for the bot's admins.
            _("<b>newsbot status</b>"),
            # Translators: in /stats; {time} is when the bot started ("15 Jan 2027, 08:00 UTC"),
            # {duration} how long ago ("2.0 days").
            _("Running since {time} ({duration})").format(
                time=format_time(_moment(self._started), tz), duration=format_duration(now - self._started)
            ),
            _("Chats: {active} active, {inactive} inactive").format(
                active=number(stats.active_chats), inactive=number(stats.chats - stats.active_chats)
            ),
            _("Subscriptions: {count}").format(count=number(stats.subscriptions)),
            _("Feeds: {configured} configured, {polled} polled so far").format(
                configured=number(len(self._poller.sources)), polled=number(stats.feeds)
            ),
            # Translators: in /stats: the recent stories kept to show when a chat subscribes.
            ngettext(
                "Stories remembered for /subscribe previews: {count}, from the last {days} day",
                "Stories remembered for /subscribe previews: {count}, from the last {days} days",
                round(self._recent.max_age / 86400),
            ).format(count=number(stats.recent_items), days=number(round(self._recent.max_age / 86400))),
            # Translators: in /stats: what the bot keeps of every story it has seen so that none
            # comes twice: a mark of its id (guid), and one of its link with its title.
            _(
                "Marks of stories seen, so that none comes twice: {count} "
                "(one of each story's id, one of its link)"
            ).format(count=number(stats.seen_items)),
            _("Messages waiting to be sent: {count}").format(count=number(stats.pending_messages)),
            _("Messages refused for good: {count}").format(count=number(stats.failed_messages)),
        ]
        for entry, reason in self._report.failed_alerts(limit=3):
            # Translators: a message Telegram refused; {chat} is a chat's id, {reason} Telegram's words.
            failed = _("to chat {chat}: {reason}").format(
                chat=embed(str(entry.chat_id)), reason=inline(reason)
            )
            lines.append("  • " + failed)
        if stats.broadcasts_in_progress:
            lines.append(
                _("Broadcasts in progress: {count}").format(count=number(stats.broadcasts_in_progress))
            )
        report = self._poller.last_report
        if report:
            lines.append(
                # Translators: in /stats; {time} is when the last check of the feeds ended
                # ("15 Jan 2027, 09:58 UTC"), {ago} how long ago that was ("3 min").
                _(
                    "Last poll: {time} ({ago} ago). Feeds fetched: {fetched}, unchanged: {unchanged}, "
                    "failed: {failed}; new stories: {new}; alerts queued: {alerts}."
                ).format(
                    time=format_time(_moment(report.ended_at), tz),
                    ago=format_duration(now - report.ended_at),
                    fetched=number(report.count(FetchOutcome.FETCHED)),
                    unchanged=number(report.count(FetchOutcome.NOT_MODIFIED)),
                    failed=number(report.count(FetchOutcome.FAILED)),
                    new=number(report.new_items),
                    alerts=number(report.alerts_queued),
                )
            )
        else:
            lines.append(_("Last poll: none yet"))
        return "\n".join(lines)


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)

"""The feeds the bot watches: the operator's feeds file, plus feeds admins add from a chat.

``/addfeed`` fetches the URL once and refuses what is not a working feed (an HTML page, a
404, a timeout, a body over the size limit, a private network address) with the reason;
``/removefeed`` forgets a feed added that way. Feeds of the feeds file are changed in the
file, not from a chat. ``/feeds`` shows admins each feed's health.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.core.formatting import FEED_NAME_CHARS, MESSAGE_LIMIT, format_duration
from bot.core.language import _, direction_mark, format_number, ngettext, pgettext
from bot.core.markup import code, in_bold, in_italics, inline
from bot.core.query import source_label
from bot.core.sources import FeedSource
from bot.core.text import truncate
from bot.service.commands import NOT_SAVED, REFUSAL, addfeed_example
from bot.service.polling import Poller
from bot.service.ports import AddedFeeds, FeedFetcher, FeedState, FetchOutcome, StorageFailure
from bot.service.recent import RecentItems

__all__ = ["FeedCatalogue"]

MAX_URL_CHARS = 2048
SHOWN_ARGUMENT_CHARS = 100  # of what an admin typed, quoted back in an answer


@dataclass(frozen=True, slots=True)
class _Line:
    failing: bool
    html: str


class FeedCatalogue:
    """Adds, removes and describes feeds (see the module docstring)."""

    def __init__(
        self,
        file_sources: Sequence[FeedSource],
        *,
        store: AddedFeeds,
        fetcher: FeedFetcher,
        poller: Poller,
        recent: RecentItems,
        is_admin: Callable[[int | None], bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._file_names = {source.name.casefold() for source in file_sources}
        self._store = store
        self._fetcher = fetcher
        self._poller = poller
        self._recent = recent
        self._is_admin = is_admin
        self._clock = clock
        for source in store.added_feeds():
            if source.name.casefold() not in self._file_names:
                self._watch(source)

    def _watch(self, source: FeedSource) -> None:
        self._poller.watch(source)
        self._recent.label_source(source.name, source_label(source.name, source.host))

    def _find(self, name: str) -> FeedSource | None:
        wanted = " ".join(name.split()).casefold()
        return next((s for s in self._poller.sources if s.name.casefold() == wanted), None)

    async def add(self, user_id: int | None, arguments: str) -> str:
        if not self._is_admin(user_id):
            return _(REFUSAL)
        url, _space, name = arguments.strip().partition(" ")
        name = " ".join(name.split())
        # (not translated: a command, with a real feed the bot does not watch yet)
        example = code(addfeed_example(self._poller.sources))
        if not url:
            # Translators: {example} is an example of the /addfeed command.
            return _("Give the feed's address, and a name if you like: {example}").format(example=example)
        try:
            parts = urlsplit(url)
        except ValueError:  # "http://[::1:80/x": an unclosed bracket
            parts = None
        if (
            parts is None
            or parts.scheme.lower() not in ("http", "https")
            or not parts.hostname
            or len(url) > MAX_URL_CHARS
        ):
            # Translators: {url} is what the admin typed; {example} is an example of /addfeed.
            not_web = _("{url} is not a web address. A feed's address starts with https://: {example}")
            # The address as typed when the first word was meant as one ("rudaw.net/rss My
            # Feed"), else the whole of what was typed ("not a url", not "not").
            typed = url if "://" in url or "." in url else " ".join(arguments.split())
            return direction_mark() + not_web.format(url=_code(typed), example=example)
        name = name or parts.hostname.removeprefix("www.")
        if len(name) > FEED_NAME_CHARS:
            # Translators: {example} is an example of the /addfeed command.
            return ngettext(
                "That name is too long (at most {limit} character), e.g. {example}",
                "That name is too long (at most {limit} characters), e.g. {example}",
                FEED_NAME_CHARS,
            ).format(limit=format_number(FEED_NAME_CHARS), example=example)
        existing = self._find(name)
        if existing is not None:
            return _taken(existing.name)
        same_url = next((s for s in self._poller.sources if s.url == url), None)
        if same_url is not None:
            # Translators: {feed} is the name of the feed that has that address.
            return _("I already watch that address, as <b>{feed}</b>.").format(feed=inline(same_url.name))

        source = FeedSource(name, url, trusted=False)
        result = await self._fetcher.fetch(source, None)
        if result.outcome is not FetchOutcome.FETCHED:
            # Translators: {url} is a web address; {reason} why fetching it failed (in English,
            # e.g. "HTTP 404"); {example} is an example of the /addfeed command.
            could_not = _("I could not add {url}: {reason}.\nCheck the address; for example {example}")
            return could_not.format(url=_code(url), reason=inline(result.error), example=example)
        if self._find(name) is not None:  # added by someone else while this one was fetching
            return _taken(name)
        try:
            self._store.add_feed(source, user_id, self._clock())
        except StorageFailure:
            return _(NOT_SAVED)
        self._watch(source)
        await self._poller.poll_source(source)  # its stories so far are the baseline, not news
        stories = len(result.items)
        host = _host(source)
        if name.casefold() == host.casefold().removeprefix("www."):
            # Translators: {feed} is the feed's name, its web site's (also in the command).
            return ngettext(
                "Added <b>{feed}</b>, with {n} story in it now. Its new stories are matched "
                "from the next poll on. Remove it with <code>/removefeed {feed}</code>.",
                "Added <b>{feed}</b>, with {n} stories in it now. Its new stories are matched "
                "from the next poll on. Remove it with <code>/removefeed {feed}</code>.",
                stories,
            ).format(feed=inline(name), n=format_number(stories))
        # Translators: {feed} is the feed's name (also in the command), {host} its web site.
        return ngettext(
            "Added <b>{feed}</b> ({host}), with {n} story in it now. Its new stories are matched "
            "from the next poll on. Remove it with <code>/removefeed {feed}</code>.",
            "Added <b>{feed}</b> ({host}), with {n} stories in it now. Its new stories are matched "
            "from the next poll on. Remove it with <code>/removefeed {feed}</code>.",
            stories,
        ).format(feed=inline(name), host=inline(host), n=format_number(stories))

    def remove(self, user_id: int | None, arguments: str) -> str:
        if not self._is_admin(user_id):
            return _(REFUSAL)
        name = " ".join(arguments.split())
        if not name:
            # Translators: "Rudaw" is the name of a feed; keep it.
            return _(
                "Give the name of the feed to remove, as /feeds shows it: <code>/removefeed Rudaw</code>"
            )
        source = self._find(name)
        if source is None:
            # Translators: {name} is the name the admin typed.
            return _("I watch no feed named {name}. /feeds lists their names.").format(name=_code(name))
        feed = inline(source.name)
        if source.trusted:
            # Translators: {feed} is a feed's name; the feeds file is the operator's list of feeds.
            operators = _("<b>{feed}</b> comes from the operator's feeds file; it can only be removed there.")
            return direction_mark() + operators.format(feed=feed)
        try:
            self._store.remove_feed(source.name)
        except StorageFailure:
            return _(NOT_SAVED)
        self._poller.unwatch(source)
        # Translators: {feed} is a feed's name.
        removed = _("Removed <b>{feed}</b>. Subscriptions are kept; its stories no longer arrive.")
        return removed.format(feed=feed)

    def describe(self, user_id: int | None) -> str:
        """/feeds: the sources, and for admins each one's health, failing feeds first."""
        sources = self._poller.sources
        if not sources:
            return _("No news sources are configured yet.")
        header = ngettext("<b>I watch {n} source:</b>", "<b>I watch {n} sources:</b>", len(sources)).format(
            n=format_number(len(sources))
        )
        if not self._is_admin(user_id):
            lines = [_Line(False, _listed(s)) for s in sources]
        else:
            lines = sorted((self._health(s) for s in sources), key=lambda line: not line.failing)
        return _fit(header, [line.html for line in lines])

    def _health(self, source: FeedSource) -> _Line:
        state = self._store.feed_state(source.name)
        now = self._clock()
        name, host = inline(source.name), inline(_host(source))
        if source.trusted:
            head = f"• {in_bold(name)} {in_italics(f'({host})')}"
        else:
            # Translators: a feed's name and web site in the admins' /feeds list.
            head = _("• <b>{feed}</b> <i>({host}, added from a chat)</i>").format(feed=name, host=host)
        head = direction_mark() + head
        # The parts of a line are each whole, and follow "{feed}: " one after another, with "; ".
        if state is None or state.url != source.url:
            # Translators: in /feeds, after a feed's name and web site ({feed}).
            return _Line(False, _("{feed}: not polled yet").format(feed=head))
        due = self._poller.next_poll.get(source.name)
        # Translators: between the parts of a feed's line in /feeds ("ok, 5 stories; checked 3 min ago").
        separator = pgettext("parts", "; ")
        following = ""
        if due is not None:
            # Translators: in /feeds; {duration} is a length of time, such as "12 min".
            following = separator + _("next poll in {duration}").format(duration=format_duration(due - now))
        if state.error_streak:
            since = format_duration(now - (state.failing_since or now))
            # Translators: in /feeds: {feed} is a feed's name and web site, {duration} a length
            # of time ("12 min"), {error} why its last poll failed (in English, e.g. "HTTP 404").
            failing = ngettext(
                "{feed}: ⚠️ failing for {duration} ({n} error in a row): {error}",
                "{feed}: ⚠️ failing for {duration} ({n} errors in a row): {error}",
                state.error_streak,
            ).format(
                feed=head,
                duration=since,
                n=format_number(state.error_streak),
                error=inline(state.last_error),
            )
            return _Line(True, failing + following)
        # Translators: in /feeds: {feed} is a feed's name and web site, {n} the stories in it now.
        ok = ngettext("{feed}: ok, {n} story", "{feed}: ok, {n} stories", state.items).format(
            feed=head, n=format_number(state.items)
        )
        return _Line(False, f"{ok}{separator}{self._freshness(source, state, now)}{following}")

    def _freshness(self, source: FeedSource, state: FeedState, now: float) -> str:
        checked = self._poller.last_checked.get(source.name)
        changed = format_duration(now - state.last_success) if state.last_success else ""
        if checked is None:
            # Translators: in /feeds: when a feed last changed; {duration} is such as "12 min".
            return _("changed {duration} ago").format(duration=changed) if changed else ""
        if not changed:
            # Translators: in /feeds: the feed was fetched since the bot started.
            return _("checked")
        # Translators: in /feeds: when a feed was last fetched, and when it last changed.
        return _("checked {duration} ago, changed {changed} ago").format(
            duration=format_duration(now - checked), changed=changed
        )


def _taken(name: str) -> str:
    # Translators: {feed} is a feed's name.
    taken = _("There is already a feed named <b>{feed}</b>; choose another name.")
    return taken.format(feed=inline(name))


def _listed(source: FeedSource) -> str:
    """A feed in the readers' /feeds list: its name and web site."""
    return f"{direction_mark()}• {inline(source.name)} {in_italics(f'({inline(_host(source))})')}"


def _code(text: str) -> str:
    """What an admin typed, quoted back as code (cut, with an ellipsis, when it is long)."""
    return code(truncate(text, SHOWN_ARGUMENT_CHARS))


def _fit(header: str, lines: list[str]) -> str:
    """The header and as many lines as fit in one Telegram message."""
    shown = [header]
    size = len(header)
    for index, line in enumerate(lines):
        if size + len(line) + 60 > MESSAGE_LIMIT:
            more = len(lines) - index
            # Translators: under a list cut short: how many lines of it are not shown.
            shown.append(ngettext("… and {n} more", "… and {n} more", more).format(n=format_number(more)))
            break
        shown.append(line)
        size += len(line) + 1
    return "\n".join(shown)


def _host(source: FeedSource) -> str:
    """Where a feed lives, as /feeds shows it: its web site, or a file on the bot's server."""
    # Translators: where a feed lives, in /feeds, when it is a file on the bot's own server.
    return source.host if source.is_remote else _("local file")

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

from bot.core.formatting import FEED_NAME_CHARS, MESSAGE_LIMIT, escape, format_duration
from bot.core.query import source_label
from bot.core.sources import FeedSource
from bot.service.commands import NOT_SAVED, REFUSAL
from bot.service.polling import Poller
from bot.service.ports import FeedFetcher, FeedState, FetchOutcome, StorageFailure, Store
from bot.service.recent import RecentItems

__all__ = ["FeedCatalogue"]

ADD_EXAMPLE = "<code>/addfeed https://www.rudaw.net/english/rss Rudaw English</code>"
MAX_URL_CHARS = 2048


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
        store: Store,
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
        self._poller.sources.append(source)
        self._recent.label_source(source.name, source_label(source.name, source.host))

    def _find(self, name: str) -> FeedSource | None:
        wanted = " ".join(name.split()).casefold()
        return next((s for s in self._poller.sources if s.name.casefold() == wanted), None)

    async def add(self, user_id: int | None, arguments: str) -> str:
        if not self._is_admin(user_id):
            return REFUSAL
        url, _, name = arguments.strip().partition(" ")
        name = " ".join(name.split())
        if not url:
            return f"Give the feed's address, and a name if you like: {ADD_EXAMPLE}"
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
            return f"{_code(url)} is not a web address. A feed's address starts with https://: {ADD_EXAMPLE}"
        name = name or parts.hostname.removeprefix("www.")
        if len(name) > FEED_NAME_CHARS:
            return f"That name is too long (at most {FEED_NAME_CHARS} characters), e.g. {ADD_EXAMPLE}"
        existing = self._find(name)
        if existing is not None:
            return f"There is already a feed named <b>{escape(existing.name)}</b>; choose another name."
        same_url = next((s for s in self._poller.sources if s.url == url), None)
        if same_url is not None:
            return f"I already watch that address, as <b>{escape(same_url.name)}</b>."

        source = FeedSource(name, url, trusted=False)
        result = await self._fetcher.fetch(source, None)
        if result.outcome is not FetchOutcome.FETCHED:
            reason = escape(result.error)
            return f"I could not add {_code(url)}: {reason}.\nCheck the address; for example {ADD_EXAMPLE}"
        if self._find(name) is not None:  # added by someone else while this one was fetching
            return f"There is already a feed named <b>{escape(name)}</b>; choose another name."
        try:
            self._store.add_feed(source, user_id, self._clock())
        except StorageFailure:
            return NOT_SAVED
        self._watch(source)
        await self._poller.poll_source(source)  # its stories so far are the baseline, not news
        return (
            f"Added <b>{escape(name)}</b> ({escape(source.host)}), "
            f"with {len(result.items)} {'story' if len(result.items) == 1 else 'stories'} in it now. "
            "Its new stories are matched from the next poll on. Remove it with "
            f"<code>/removefeed {escape(name)}</code>."
        )

    def remove(self, user_id: int | None, arguments: str) -> str:
        if not self._is_admin(user_id):
            return REFUSAL
        name = " ".join(arguments.split())
        if not name:
            return "Give the name of the feed to remove, as /feeds shows it: <code>/removefeed Rudaw</code>"
        source = self._find(name)
        if source is None:
            return f"I watch no feed named {_code(name)}. /feeds lists their names."
        if source.trusted:
            return (
                f"<b>{escape(source.name)}</b> comes from the operator's feeds file; "
                "it can only be removed there."
            )
        try:
            self._store.remove_feed(source.name)
        except StorageFailure:
            return NOT_SAVED
        self._poller.sources.remove(source)
        return f"Removed <b>{escape(source.name)}</b>. Subscriptions are kept; its stories no longer arrive."

    def describe(self, user_id: int | None) -> str:
        """/feeds: the sources, and for admins each one's health, failing feeds first."""
        sources = self._poller.sources
        if not sources:
            return "No news sources are configured yet."
        header = f"<b>I watch {len(sources)} source{'' if len(sources) == 1 else 's'}:</b>"
        if not self._is_admin(user_id):
            lines = [_Line(False, f"• {escape(s.name)} <i>({escape(s.host)})</i>") for s in sources]
        else:
            lines = sorted((self._health(s) for s in sources), key=lambda line: not line.failing)
        return _fit(header, [line.html for line in lines])

    def _health(self, source: FeedSource) -> _Line:
        state = self._store.feed_state(source.name)
        now = self._clock()
        added = "" if source.trusted else ", added from a chat"
        head = f"• <b>{escape(source.name)}</b> <i>({escape(source.host)}{added})</i>"
        if state is None or state.url != source.url:
            return _Line(False, f"{head}: not polled yet")
        due = self._poller.next_poll.get(source.name)
        following = f"; next poll in {format_duration(due - now)}" if due is not None else ""
        if state.error_streak:
            since = format_duration(now - (state.failing_since or now))
            errors = f"{state.error_streak} error{'' if state.error_streak == 1 else 's'} in a row"
            return _Line(
                True, f"{head}: ⚠️ failing for {since} ({errors}): {escape(state.last_error)}{following}"
            )
        stories = f"{state.items} {'story' if state.items == 1 else 'stories'}"
        return _Line(False, f"{head}: ok, {stories}; {self._freshness(source, state, now)}{following}")

    def _freshness(self, source: FeedSource, state: FeedState, now: float) -> str:
        checked = self._poller.last_checked.get(source.name)
        changed = f"changed {format_duration(now - state.last_success)} ago" if state.last_success else ""
        if checked is None:
            return changed
        return f"checked {format_duration(now - checked)} ago, {changed}" if changed else "checked"


def _code(text: str) -> str:
    return f"<code>{escape(text[:200])}</code>"


def _fit(header: str, lines: list[str]) -> str:
    """The header and as many lines as fit in one Telegram message."""
    shown = [header]
    size = len(header)
    for index, line in enumerate(lines):
        if size + len(line) + 60 > MESSAGE_LIMIT:
            shown.append(f"… and {len(lines) - index} more")
            break
        shown.append(line)
        size += len(line) + 1
    return "\n".join(shown)

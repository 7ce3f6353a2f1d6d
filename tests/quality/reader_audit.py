"""The reader's audit of a run: which alerts show which defect, and which stories were missed.

Every alert of a :class:`~tests.quality.reader_run.RunResult` goes through
:func:`tests.quality.alert_defects.alert_defects` (and, across alerts, duplicates). Misses
are counted per chat and keyword: a new story of a feed whose text, read as the outlet
meant it, holds the keyword for a careful reader (:mod:`tests.quality.careful_reading`),
and that reached the chat in no alert (one miss per story and chat); a story over 7 days
old when the bot first saw it is not news, no chat is to get it, and it is listed apart. A miss is put down
to the bot's word rules when the keyword is in the text the bot itself read (Arabic-script
letter forms and clitics, Chinese and Japanese runs, ...); to mojibake when the bot read
bytes in the wrong encoding; else the keyword stood only past the part of the story the
bot reads (its summary is cut at 1,500 characters): counted, but not a defect of issue 11.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from bot.adapters.parsing import parse_feed
from bot.core.items import Item
from tests.quality.alert_defects import (
    DEFECT_CLASSES,
    DUPLICATE,
    OLD_STORY,
    REAPPEARED,
    TITLE_NOT_BOLD,
    alert_defects,
    duplicate_alerts,
    mojibake,
    old_story,
    story_keys,
)
from tests.quality.careful_reading import reader_finds
from tests.quality.feed_corpus import FeedFile, repair
from tests.quality.reader_run import Delivered, RunResult

__all__ = ["MISS_CAUSES", "NOT_NEWS", "Audit", "Miss", "audit"]

WORD_RULES = "missed: keyword in the text the bot read"
MOJIBAKE_READ = "missed: the bot read mojibake"
PAST_THE_CUT = "missed: keyword only past the part the bot reads"
MISS_CAUSES = (WORD_RULES, MOJIBAKE_READ, PAST_THE_CUT)
# Not a miss: a story over 7 days old when the bot first saw it is not news. Listed apart,
# so that what the age rule takes out of the count of misses stays in view.
NOT_NEWS = "not counted: over 7 days old when first seen"

_SCRIPTS = (
    ("Arabic script", re.compile("[\u0600-\u06ff]")),
    ("Chinese or Japanese", re.compile("[\u3040-\u30ff\u3400-\u9fff]")),
    ("Devanagari", re.compile("[\u0900-\u097f]")),
    ("Cyrillic", re.compile("[\u0400-\u04ff]")),
    ("Greek", re.compile("[\u0370-\u03ff]")),
)


def _script(keyword: str, text: str) -> str:
    for name, letters in _SCRIPTS:
        if letters.search(keyword):
            return name
    if _SCRIPTS[1][1].search(text):
        return "Latin in Chinese or Japanese text"
    return "Latin"


@dataclass(frozen=True, slots=True)
class Miss:
    chat_id: int
    keyword: str
    feed: str
    title: str
    cause: str
    script: str


@dataclass
class Audit:
    result: RunResult
    defects: dict[str, list[tuple[Delivered, str]]] = field(default_factory=lambda: defaultdict(list))
    misses: list[Miss] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Alerts affected per defect class, then stories missed per cause."""
        counts = {name: len(self.defects.get(name, [])) for name in DEFECT_CLASSES}
        for cause in MISS_CAUSES:
            counts[cause] = sum(1 for miss in self.misses if miss.cause == cause)
        return counts

    def alerts_with_a_defect(self, *, leaving_out: tuple[str, ...] = ()) -> int:
        """How many alerts show at least one defect (of the classes not left out)."""
        return len(
            {id(d) for name, found in self.defects.items() if name not in leaving_out for d, _ in found}
        )

    def report(self, examples: int = 3) -> str:
        result = self.result
        able = [f for f in result.feeds if f.can_alert]
        defective = self.alerts_with_a_defect()
        but_age = self.alerts_with_a_defect(leaving_out=(OLD_STORY, REAPPEARED, TITLE_NOT_BOLD))
        lines = [
            f"Reader's run: {len(result.feeds)} feeds ({len(able)} with more than one entry), "
            f"{sum(len(c.keywords) for c in result.chats)} subscriptions in {len(result.chats)} chats; "
            f"{len(result.delivered)} alerts to {len({d.alert.chat_id for d in result.delivered})} chats "
            f"from {len(result.feeds_with_alerts)} feeds; {defective} alerts "
            f"({_share(defective, len(result.delivered))}) show at least one defect, {but_age} "
            f"({_share(but_age, len(result.delivered))}) one other than their age or an unbolded title; "
            f"run took {result.seconds:.0f} s.",
            *_time_shift_lines(result.feeds),
            "",
            "| defect class | alerts affected | examples |",
            "|---|---:|---|",
        ]
        for name in DEFECT_CLASSES:
            found = sorted(
                self.defects.get(name, []), key=lambda pair: (pair[0].alert.source, pair[0].alert.title)
            )
            shown = "; ".join(
                f"{d.alert.source}: “{_short(d.alert.title, 50)}” ({_short(evidence, 90)})"
                for d, evidence in _varied(found, examples)
            )
            lines.append(f"| {name} | {len(found)} | {_cell(shown)} |")
        lines += [
            "",
            f"One story, one alert: {len(result.merged)} alerts name other feeds that carried their story"
            + (":" if result.merged else "."),
            *(f"- chat {chat}: {_short(text, 160)}" for chat, text in result.merged[:examples]),
        ]
        lines += ["", "| stories missed | count | examples |", "|---|---:|---|"]
        for cause in (*MISS_CAUSES, NOT_NEWS):
            misses = [m for m in self.misses if m.cause == cause]
            by_script: defaultdict[str, int] = defaultdict(int)
            for miss in misses:
                by_script[miss.script] += 1
            split = ", ".join(f"{script} {n}" for script, n in sorted(by_script.items()))
            shown = "; ".join(
                f"`{m.keyword}` in {m.feed}: “{_short(m.title, 50)}”"
                for m in _varied_misses(misses, examples)
            )
            lines.append(f"| {cause}{f' ({split})' if split else ''} | {len(misses)} | {_cell(shown)} |")
        untraced = [d for d in result.delivered if d.story is None]
        if untraced:
            lines += ["", f"{len(untraced)} alerts could not be traced to their entry:"]
            lines += [f"- {d.alert.source}: {d.alert.title[:80]}" for d in untraced[:10]]
        return "\n".join(lines)


def _time_shift_lines(feeds: Sequence[FeedFile]) -> list[str]:
    """What serving the feeds as published today did to their dates."""
    shifts = [(feed.outlet.name, feed.time_shift) for feed in feeds if feed.time_shift is not None]
    if not shifts:
        return []
    days = [shift.days for _, shift in shifts if shift.moved]
    undated = ", ".join(name for name, shift in shifts if not shift.moved) or "none"
    lines = [
        f"Served as published today: {sum(s.moved for _, s in shifts)} dates in {len(days)} feeds moved by "
        f"{min(days, default=0)} to {max(days, default=0)} days, each feed's newest entry into the day "
        f"before the run (feeds without a date: {undated})."
    ]
    for name, shift in shifts:
        if shift.held_back:
            lines.append(
                f"- {name}: {len(shift.held_back)} dates moved further back, or they would be after the run "
                f"(e.g. {shift.held_back[0]!r})"
            )
        if shift.left_as_written:
            lines.append(
                f"- {name}: {len(shift.left_as_written)} dates left as written, not read or of an unknown "
                f"shape (e.g. {shift.left_as_written[0]!r})"
            )
    return lines


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _varied(found: Sequence[tuple[Delivered, str]], count: int) -> list[tuple[Delivered, str]]:
    """Up to *count* examples, from different feeds first."""
    chosen: list[tuple[Delivered, str]] = []
    feeds: set[str] = set()
    for pair in found:
        if pair[0].alert.source not in feeds and len(chosen) < count:
            chosen.append(pair)
            feeds.add(pair[0].alert.source)
    for pair in found:
        if len(chosen) >= count:
            break
        if pair not in chosen:
            chosen.append(pair)
    return chosen


def _varied_misses(misses: Sequence[Miss], count: int) -> list[Miss]:
    chosen: list[Miss] = []
    for miss in misses:
        if len(chosen) < count and all((m.keyword, m.feed) != (miss.keyword, miss.feed) for m in chosen):
            chosen.append(miss)
    return chosen


@cache
def _bot_items(feed: FeedFile) -> tuple[Item, ...]:
    """The items the bot made of the whole feed, as it was served (same parser, same header)."""
    return tuple(parse_feed(feed.body, feed.outlet.name, content_type=feed.outlet.content_type))


def _bot_text(feed: FeedFile, index: int) -> str:
    items = _bot_items(feed)
    if len(items) != len(feed.entries):
        return ""
    item = items[index]
    return f"{item.title}\n{item.summary}\n{item.content}"


def audit(result: RunResult) -> Audit:
    """Check every alert of *result* and count the stories it missed."""
    report = Audit(result)
    for delivered in result.delivered:
        found = alert_defects(delivered.alert, delivered.story, first_seen=result.first_seen)
        for name, evidence in found.items():
            report.defects[name].append((delivered, evidence))
    pairs = [(d.alert, d.story) for d in result.delivered]
    for index, evidence in sorted(duplicate_alerts(pairs).items()):
        report.defects[DUPLICATE].append((result.delivered[index], evidence))

    # A story reached a chat when an alert there had its title or its address (the same
    # story under two links reaches the reader once, and should).
    reached = {(d.alert.chat_id, key) for d in result.delivered for key in story_keys(d.alert.title, d.story)}
    for feed in result.feeds:
        if not feed.can_alert:
            continue
        for index in feed.new_entries():
            story = feed.story(index)
            news = not old_story(story.written_date, result.first_seen)
            keys = story_keys(_title(feed, index), story, link=str(story.entry.get("link", "")))
            for chat in result.chats:
                if any((chat.chat_id, key) in reached for key in keys):
                    continue
                for keyword in chat.keywords:
                    if not reader_finds(keyword, story.reader_text):
                        continue
                    bot_text = _bot_text(feed, index)
                    report.misses.append(
                        Miss(
                            chat_id=chat.chat_id,
                            keyword=keyword,
                            feed=feed.outlet.name,
                            title=_title(feed, index),
                            cause=_cause(keyword, bot_text) if news else NOT_NEWS,
                            script=_script(keyword, story.reader_text),
                        )
                    )
                    break  # one miss per story and chat, whichever of its keywords
    return report


def _cause(keyword: str, bot_text: str) -> str:
    if reader_finds(keyword, bot_text):
        return WORD_RULES
    return MOJIBAKE_READ if mojibake(bot_text) else PAST_THE_CUT


def _title(feed: FeedFile, index: int) -> str:
    title = feed.entries[index].get("title", "")
    title = html.unescape(re.sub(r"<[^>]*>", "", title if isinstance(title, str) else ""))
    return repair(re.sub(r"\s+", " ", title).strip())

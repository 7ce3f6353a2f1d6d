"""What is wrong with an alert, as a reader would notice at once (issue 11's defect classes).

Each check is a plain function of what the reader saw (a :class:`ShownAlert`, read back
from the message the fake Bot API received) and, where it needs it, of the story the alert
came from (a :class:`~tests.quality.story.Story`: the entry as feedparser reads the feed
file, its XML element as the outlet wrote it, and its text as the outlet meant it). Each
returns the evidence it found, empty (or None) when the alert is fine. The checks of links
are in :mod:`tests.quality.link_defects`; :func:`alert_defects` runs them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from ftfy.badness import is_bad

from bot.core.query import Query, QueryError, Term
from bot.core.query_parser import parse_query
from bot.core.words import words
from tests.quality.careful_reading import reader_finds
from tests.quality.dates_as_written import read_shown_date, read_written_date
from tests.quality.link_defects import canonical_address, real_address, redirector_link, tracking_parameters
from tests.quality.shown_alert import ShownAlert, spans
from tests.quality.story import Story, plain_text

__all__ = [
    "DEFECT_CLASSES",
    "alert_defects",
    "boilerplate",
    "caption_instead_of_description",
    "duplicate_alerts",
    "matched_a_different_word",
    "matched_word_not_visible",
    "mojibake",
    "old_story",
    "paragraphs_run_together",
    "story_keys",
    "title_does_not_bold_matches",
    "wrong_date",
]

MOJIBAKE = "mojibake"
CAPTION = "photo caption instead of the description"
REDIRECTOR = "redirector link"
TRACKING = "tracking parameters in the link"
BOILERPLATE = "boilerplate in the excerpt"
RUN_TOGETHER = "paragraphs run together"
NOT_VISIBLE = "matched word not in title or excerpt"
TITLE_NOT_BOLD = "title does not bold the matched words"
WRONG_DATE = "wrong date"
OLD_STORY = "story over 7 days old when first seen"
REAPPEARED = "old story reappearing in its feed"
DIFFERENT_WORD = "matched a different word"
DUPLICATE = "same story twice in a chat"

DEFECT_CLASSES = (
    MOJIBAKE, CAPTION, REDIRECTOR, TRACKING, BOILERPLATE, RUN_TOGETHER, NOT_VISIBLE,
    TITLE_NOT_BOLD, WRONG_DATE, OLD_STORY, REAPPEARED, DIFFERENT_WORD, DUPLICATE,
)  # fmt: skip

MAX_AGE = timedelta(days=7)


# --- text -------------------------------------------------------------------------------

# Cyrillic (or Greek) bytes read as Latin-1: runs of accented capitals and small letters
# that no Latin-script language writes ("Áóçóëóêå" for "Бузулуке").
_LATIN1_RUN = re.compile(r"[À-ÖØ-öø-ÿ]{4,}")
_C1_CONTROLS = re.compile("[\x80-\x9f]")


def mojibake(text: str) -> list[str]:
    """Words of *text* that are bytes decoded with the wrong encoding (ftfy's badness
    heuristic, plus runs of Latin-1 letters and C1 control characters it does not flag)."""
    found: list[str] = []
    for word in re.findall(r"\S+", text):
        if is_bad(word) or _LATIN1_RUN.search(word) or _C1_CONTROLS.search(word):
            found.append(word)
    if not found and is_bad(text):
        found.append(text[:40])
    return found


def caption_instead_of_description(alert: ShownAlert, story: Story) -> str | None:
    """The photo caption (``media:description``) shown where the story's description
    belongs, when the entry has both and they differ."""
    caption = story.element_text("media:description")
    description = story.element_text("description")
    if not caption or not description or _folded(caption) == _folded(description):
        return None
    shown = _folded(alert.excerpt.rstrip("…"))
    start = _folded(caption)[:60]
    if shown and start and (shown.startswith(start) or start.startswith(shown)):
        return caption
    return None


# Phrases that outlets and platforms append to every excerpt; not the story.
BOILERPLATE_PATTERNS = (
    re.compile(r"continue reading\s*(?:\.{3}|…|»|→|>|$)", re.I),  # The Guardian: "Continue reading..."
    re.compile(r"read (?:the )?full (?:article|story)", re.I),  # The Washington Post: "Read full article >>"
    re.compile(r"\b(?:read more|keep reading)\s*(?:[»›>→.…]+|$)", re.I),
    re.compile(r"\b(?:weiterlesen|lire la suite|leia mais|leer más|читать далее|докладніше)\b", re.I),
    re.compile(r"^\W*comments\W*$", re.I),  # Hacker News: the whole summary is a "Comments" link
    re.compile(r"submitted by\s+/?u/", re.I),  # Reddit
    re.compile(r"\[link\]\s*\[comments\]", re.I),  # Reddit
    re.compile(r"the post .{1,300}? appeared first on", re.I | re.S),  # WordPress
    re.compile(r"\[(?:…|\.\.\.)\]"),  # WordPress's excerpt marker "[…]"
    re.compile(r"\b(?:article url|comments url|# comments|points):", re.I),  # Hacker News (newer)
    re.compile(r"for privacy information", re.I),  # podcast hosts' footer
)


def boilerplate(alert: ShownAlert) -> list[str]:
    """Boilerplate phrases (:data:`BOILERPLATE_PATTERNS`) in the excerpt."""
    return [found.group(0) for p in BOILERPLATE_PATTERNS if (found := p.search(alert.excerpt))]


_BLOCK = re.compile(r"<\s*/?\s*(?:p|br|div|li|h[1-6]|blockquote|tr|td|dd|dt|section|article)\b[^>]*>", re.I)
_ENDS_SENTENCE = re.compile(r"[.!?…:;。！？»”\"'’)\]]\s*$")


def paragraphs_run_together(alert: ShownAlert, story: Story) -> list[str]:
    """Places where the excerpt joins two paragraphs of the story's summary with only a
    space, although the first does not end with punctuation ("…contempt Donald Trump…")."""
    markup = _summary_markup(story.entry)
    blocks = [plain_text(part) for part in _BLOCK.split(markup)]
    blocks = [block for block in blocks if block]
    shown = re.sub(r"\s+", " ", alert.excerpt)
    joins = []
    for first, second in pairwise(blocks):
        if _ENDS_SENTENCE.search(first):
            continue
        seam = " ".join(first.split()[-2:])[-20:] + " " + " ".join(second.split()[:2])[:20]
        if seam in shown:
            joins.append(seam)
    return joins


def _summary_markup(entry: Mapping[str, Any]) -> str:
    summary = entry.get("summary")
    if isinstance(summary, str) and summary.strip():
        return summary
    for part in entry.get("content") or []:
        if isinstance(part, Mapping) and isinstance(part.get("value"), str):
            return str(part["value"])
    return ""


# --- matching ---------------------------------------------------------------------------


def _query(text: str) -> Query | None:
    try:
        return parse_query(text)
    except QueryError:
        return None


def _has(tokens: Sequence[str], term: Term) -> bool:
    size = len(term.words)
    for start in range(len(tokens) - size + 1):
        if all(
            tokens[start + i].startswith(w) if term.prefix and i == size - 1 else tokens[start + i] == w
            for i, w in enumerate(term.words)
        ):
            return True
    return False


def matched_word_not_visible(alert: ShownAlert) -> list[str]:
    """The alert's "Matched" keywords that the reader cannot find in its title or excerpt
    (both folded into words as the bot folds them: :func:`bot.core.words.words`)."""
    title, excerpt = words(alert.title), words(alert.excerpt.rstrip("…"))
    missing = []
    for text in alert.matched:
        query = _query(text)
        if query is None or (_plain_keyword(text) and reader_finds(text, f"{alert.title} {alert.excerpt}")):
            continue  # (a careful reader sees it: "پاکستانی" shows Pakistan, "والموصل" Mosul)
        if not all(any(_has(title, t) or _has(excerpt, t) for t in group) for group in query.groups):
            missing.append(text)
    return missing


def title_does_not_bold_matches(alert: ShownAlert) -> list[str]:
    """Matched words in the title that look like the rest of the title: the same run of
    text, or the same tags (all bold, say), as words that did not match."""
    terms = [t for text in alert.matched if (q := _query(text)) for t in q.positive_terms]
    runs = [(span, words(span.text)) for span in spans(alert.title_html)]
    title_words = [w for _, found in runs for w in found]
    matched_words = {
        title_words[start + i]
        for term in terms
        for start in range(len(title_words) - len(term.words) + 1)
        if _has(title_words[start : start + len(term.words)], term)
        for i in range(len(term.words))
    }
    if not matched_words:
        return []
    plain_tags = {span.tags for span, found in runs if any(w not in matched_words for w in found)}
    return sorted(
        {w for span, found in runs for w in found if w in matched_words and span.tags in plain_tags}
    )


def _plain_keyword(text: str) -> bool:
    return not re.search(r"\bOR\b|(?:^|\s)-|source:", text)


def matched_a_different_word(alert: ShownAlert, story: Story) -> list[str]:
    """Plain keywords the bot matched that a careful reader finds nowhere in the story
    (:func:`tests.quality.careful_reading.reader_finds`): the bot's folding took another
    word for the keyword (й for и, a Hindi word without its vowel signs)."""
    return [
        text for text in alert.matched if _plain_keyword(text) and not reader_finds(text, story.reader_text)
    ]


# --- dates ------------------------------------------------------------------------------

MAX_ZONE_SHIFT = timedelta(hours=14)


def wrong_date(shown: str, written: str) -> str | None:
    """Whether the date the alert shows says something else than the feed wrote.

    A date alone (or midnight) must stay on its day; a time with a zone must be the same
    moment; a time without a zone may only be shifted by a time zone's offset (whole
    quarter hours, at most 14 hours).
    """
    if not shown or not written:
        return None
    said = read_written_date(written)
    seen = read_shown_date(shown)
    if said is None or seen is None:
        return None
    problem = f"{written.strip()!r} shown as {shown!r}"
    if not said.has_time or not seen.has_time:
        if seen.wall.date() == said.wall.date():
            return None
        converted = said.has_time and said.offset is not None and seen.offset is not None
        if converted and (said.moment + (seen.offset or timedelta())).date() == seen.wall.date():
            return None
        return problem
    if said.offset is None or seen.offset is None:
        shift = seen.wall - said.wall
        whole_quarters = shift.total_seconds() % 900 == 0
        return None if abs(shift) <= MAX_ZONE_SHIFT and whole_quarters else problem
    expected = said.wall - said.offset + seen.offset
    return None if abs(expected - seen.wall) < timedelta(minutes=1) else problem


def old_story(written: str, first_seen: datetime | None, max_age: timedelta = MAX_AGE) -> str | None:
    """Whether a story the feed dated *written* was already over *max_age* old when the
    bot first saw it (at *first_seen*), so it is not news."""
    said = read_written_date(written) if written else None
    if said is None or first_seen is None:
        return None
    age = first_seen - said.moment
    return f"{age.days} days old" if age > max_age else None


# --- per alert, and across alerts -------------------------------------------------------


def alert_defects(alert: ShownAlert, story: Story | None, *, first_seen: datetime) -> dict[str, str]:
    """Every defect class *alert* shows, with a short piece of evidence for each.

    Without the *story* (the alert could not be traced to an entry) only the checks that
    need nothing but the alert run. Duplicates are found across alerts:
    :func:`duplicate_alerts`.
    """
    found: dict[str, str] = {}

    def note(name: str, evidence: str | Sequence[str] | None) -> None:
        if evidence:
            found[name] = evidence if isinstance(evidence, str) else ", ".join(map(str, evidence))

    note(MOJIBAKE, mojibake(alert.visible_text))
    note(TRACKING, tracking_parameters(alert.link))
    note(REDIRECTOR, redirector_link(alert, story))
    note(BOILERPLATE, boilerplate(alert))
    note(NOT_VISIBLE, matched_word_not_visible(alert))
    note(TITLE_NOT_BOLD, title_does_not_bold_matches(alert))
    if story is not None:
        note(CAPTION, caption_instead_of_description(alert, story))
        note(RUN_TOGETHER, paragraphs_run_together(alert, story))
        note(WRONG_DATE, wrong_date(alert.shown_date, story.written_date))
        note(OLD_STORY, old_story(story.written_date, first_seen))
        note(REAPPEARED, old_story(story.written_date, story.feed_time))
        note(DIFFERENT_WORD, matched_a_different_word(alert, story))
    return found


def _title_key(title: str) -> str:
    return " ".join(words(title.rstrip("…")))


def _folded(text: str) -> str:
    return " ".join(words(text))


def story_keys(title: str, story: Story | None, *, link: str = "") -> list[str]:
    """What tells one story from another for a reader: its title once folded, and its real
    address (origLink, permalink guid, else the link without tracking parameters)."""
    real = real_address(story) if story is not None else ""
    keys = []
    if folded := _title_key(title):
        keys.append(f"title:{folded}")
    if address := canonical_address(real or link):
        keys.append(f"address:{address}")
    return keys


def duplicate_alerts(alerts: Sequence[tuple[ShownAlert, Story | None]]) -> dict[int, str]:
    """Alerts (by index) that repeat a story an earlier alert brought to the same chat
    (the same :func:`story_keys`)."""
    seen: dict[tuple[int, str], int] = {}
    repeats: dict[int, str] = {}
    for index, (alert, story) in enumerate(alerts):
        for key in story_keys(alert.title, story, link=alert.link):
            earlier = seen.setdefault((alert.chat_id, key), index)
            if earlier != index and index not in repeats:
                repeats[index] = f"same {key.partition(':')[0]} as an earlier alert: {alert.title[:60]}"
    return repeats

"""Which stories of the real feed corpus are grouped as one, and whether each merge is right.

    python -m tests.quality.sameness_report

Every item of the corpus's real feeds (``../shared/feeds/real``, read as
:mod:`tests.quality.feed_corpus` reads them, parsed by the bot's own parser) goes through
:class:`bot.core.sameness.StoryGroups` in the corpus's order, as if all arrived within 48
hours: the items' dates are left out, so stories published years apart are compared too,
which tries the rules on more pairs than a real day would.

The table counts the items, the stories, the merges (items that joined an earlier story)
and, of those, the merges judged wrong by a reader in :mod:`tests.quality.sameness_expected`;
a merge not judged there is listed as such. Then every merge, with the item it joined, the
rule that made it and the judgement; then the pairs judged not the same story that the
rules must keep apart (the closest calls: series, templates, one event told twice).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.adapters.parsing import FeedError, parse_feed
from bot.core.items import Item
from bot.core.sameness import Assignment, Rules, StoryGroups
from bot.core.words import words
from tests.quality.feed_corpus import feed_files
from tests.quality.sameness_expected import NOT_SAME, SAME, ItemRef, Judged

__all__ = ["Merge", "Report", "corpus_items", "report"]

UNJUDGED = "not judged"
# The words of issue 12's examples: many alerts for them came from near-copies, or so it seemed.
EXAMPLES = ("slack", "trump")


def corpus_items() -> list[Item]:
    """Every item of the corpus's real feeds, in the corpus's order, without its date.

    An entry that repeats an earlier one's key in its feed (Suspilne lists one story twice
    under one guid) is left out, as the bot's own check for new items leaves it out.
    """
    items: dict[ItemRef, Item] = {}
    for feed in feed_files():
        try:
            parsed = parse_feed(feed.file_bytes, feed.outlet.name, content_type=feed.outlet.content_type)
        except FeedError:
            continue  # a feed with no entry at all (the truncated one)
        for item in parsed:
            items.setdefault((item.feed, item.key), replace(item, published=None))
    return list(items.values())


@dataclass(frozen=True, slots=True)
class Merge:
    item: Item
    joined: Item  # the earlier item it was found the same story as
    reason: str
    verdict: str  # "right", "wrong" or UNJUDGED

    def lines(self) -> list[str]:
        return [
            f"[{self.verdict}] {self.reason}",
            f"    {self.joined.feed}: {self.joined.title}",
            f"    {self.item.feed}: {self.item.title}",
        ]


@dataclass(frozen=True, slots=True)
class Report:
    items: list[Item]
    stories: dict[ItemRef, str]  # each item's story id
    merges: list[Merge]

    def story_of(self, ref: ItemRef) -> str:
        return self.stories[ref]

    @property
    def wrong(self) -> list[Merge]:
        return [m for m in self.merges if m.verdict == "wrong"]

    @property
    def unjudged(self) -> list[Merge]:
        return [m for m in self.merges if m.verdict == UNJUDGED]

    def kept_apart(self) -> list[tuple[Judged, bool]]:
        """Each pair judged not the same story, with whether the rules kept it apart."""
        return [(pair, self.stories[pair.a] != self.stories[pair.b]) for pair in NOT_SAME]


def _verdict(a: ItemRef, b: ItemRef) -> str:
    if any({pair.a, pair.b} == {a, b} for pair in SAME):
        return "right"
    if any({pair.a, pair.b} == {a, b} for pair in NOT_SAME):
        return "wrong"
    return UNJUDGED


# The rules with safeguards taken away or loosened: what each one prevents on the corpus.
# The corpus's close calls are pairs of one feed's items, so most variants let near-identical
# text merge those too, as the rules do for two feeds' items.
_ONE_FEED = Rules(text_in_one_feed=True)
VARIANTS = (
    ("the rules as they are", Rules()),
    ("numbers may disagree", Rules(numbers_agree=False)),
    ("a title of 2 words can match alone (not 5)", Rules(min_title_words=2)),
    ("near-identical text merges one feed's items too", _ONE_FEED),
    ("  and numbers may disagree", replace(_ONE_FEED, numbers_agree=False)),
    ("  and titles need 40% of their words (not 60%)", replace(_ONE_FEED, similar_titles=0.4)),
    ("  and near-identical text is 50% (not 70%)", replace(_ONE_FEED, near_identical=0.5)),
    ("  and titles need not be similar", replace(_ONE_FEED, similar_titles=0.0)),
    ("  and numbers may disagree, titles 40%", replace(_ONE_FEED, numbers_agree=False, similar_titles=0.4)),
)


def report(items: list[Item] | None = None, rules: Rules | None = None) -> Report:
    items = corpus_items() if items is None else items
    groups = StoryGroups(rules=rules)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    by_ref = {(item.feed, item.key): item for item in items}
    stories: dict[ItemRef, str] = {}
    merges = []
    for item in items:
        assigned: Assignment = groups.assign(item, now=now)
        ref = (item.feed, item.key)
        stories[ref] = assigned.story
        if assigned.same_as is not None and assigned.reason is not None:
            joined = by_ref[assigned.same_as]
            merges.append(Merge(item, joined, str(assigned.reason), _verdict(assigned.same_as, ref)))
    return Report(items, stories, merges)


def main() -> None:
    found = report()
    if not found.items:
        raise SystemExit("the feed corpus is not here (../shared/feeds or NEWSBOT_FEED_CORPUS)")
    feeds = Counter(item.feed for item in found.items)
    kept = found.kept_apart()
    rows = [
        ("items", len(found.items)),
        ("feeds", len(feeds)),
        ("stories", len(set(found.stories.values()))),
        ("merges (items that joined an earlier story)", len(found.merges)),
        ("merges judged wrong", len(found.wrong)),
        ("merges not judged yet", len(found.unjudged)),
        ("pairs judged different, kept apart", f"{sum(ok for _, ok in kept)} of {len(kept)}"),
    ]
    for word in EXAMPLES:
        about = [(i.feed, i.key) for i in found.items if word in words(f"{i.title} {i.summary} {i.content}")]
        stories = {found.stories[ref] for ref in about}
        rows.append((f"items with '{word}', and their stories", f"{len(about)} → {len(stories)}"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>8}")
    print("\nMerges:")
    for merge in found.merges:
        print("\n".join(merge.lines()))
    print("\nJudged different (closest calls):")
    for pair, apart in kept:
        print(f"[{'kept apart' if apart else 'MERGED'}] {pair.why}")
    print("\nWhat each safeguard prevents (merges; judged wrong; not judged):")
    for name, rules in VARIANTS:
        variant = report(found.items, rules)
        print(f"{len(variant.merges):>4} {len(variant.wrong):>4} {len(variant.unjudged):>4}  {name}")


if __name__ == "__main__":
    main()

"""How fast stories are grouped: a poll of 1,000 items against 5,000 recent ones.

    python -m tests.quality.sameness_speed [--recent 5000] [--poll 1000] [--runs 3]

Items are made of the real corpus's words (``../shared/feeds/real``, seven scripts), drawn
at the frequency they have there, so that common words and shingles are as common as in
real feeds: a title of 6-14 words and a summary of 20-80. One poll item in ten is a copy
of a recent item as another outlet carries it (" (Reuters)" added to the title, one word of
its text, not a number, changed), which should join that item's story. The table gives the time per item
of the poll (signature and search; best of the runs), the peak memory of the groups
holding the recent items (tracemalloc), and how many copies were found.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.core.items import Item
from bot.core.sameness import StoryGroups
from tests.quality.sameness_report import corpus_items


def _vocabulary(items: list[Item]) -> tuple[list[str], list[int]]:
    counts: Counter[str] = Counter()
    for item in items:
        counts.update(f"{item.title} {item.summary}".split())
    words, weights = zip(*counts.items(), strict=True)
    return list(words), list(weights)


def _stories(count: int, vocabulary: tuple[list[str], list[int]], rng: random.Random) -> list[Item]:
    words, weights = vocabulary
    stories = []
    for n in range(count):
        title = " ".join(rng.choices(words, weights, k=rng.randint(6, 14)))
        summary = " ".join(rng.choices(words, weights, k=rng.randint(20, 80)))
        stories.append(
            Item(
                feed=f"feed {n % 40}",
                key=f"s{n}",
                title=title,
                link=f"https://x{n % 40}.org/{n}",
                summary=summary,
            )
        )
    return stories


def _copy(item: Item, n: int, rng: random.Random) -> Item:
    text = item.summary.split()
    wordy = [i for i, word in enumerate(text) if not any(c.isdigit() for c in word)]
    text[rng.choice(wordy)] = "changed"  # a word, not a number: a changed number is another story
    return replace(
        item,
        feed="another outlet",
        key=f"copy{n}",
        title=f"{item.title} (Reuters)",
        link=f"https://another.org/{n}",
        summary=" ".join(text),
    )


def measure(recent: int, poll: int, runs: int) -> None:
    source = corpus_items()
    if not source:
        sys.exit("the feed corpus is not here (../shared/feeds or NEWSBOT_FEED_CORPUS)")
    rng = random.Random(12)
    vocabulary = _vocabulary(source)
    old = _stories(recent, vocabulary, rng)
    fresh = _stories(poll, vocabulary, rng)
    copies = {}
    for n in range(0, poll, 10):
        original = rng.choice(old)
        fresh[n] = _copy(original, n, rng)
        copies[fresh[n].key] = original.key
    start = datetime(2025, 1, 1, tzinfo=UTC)
    best = float("inf")
    found = other = 0
    peak = 0
    for run in range(runs):
        groups = StoryGroups()
        if run == 0:
            tracemalloc.start()
        story = {
            item.key: groups.assign(item, now=start + timedelta(seconds=n)).story
            for n, item in enumerate(old)
        }
        if run == 0:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        now = start + timedelta(hours=1)
        began = time.perf_counter()
        assigned = [groups.assign(item, now=now) for item in fresh]
        best = min(best, time.perf_counter() - began)
        found = sum(
            1 for item, a in zip(fresh, assigned, strict=True) if a.story == story.get(copies.get(item.key))
        )
        other = sum(
            1 for item, a in zip(fresh, assigned, strict=True) if a.same_as and item.key not in copies
        )
    print(f"recent items                 {recent:>8,}")
    print(f"poll items                   {poll:>8,}")
    print(f"time per poll item (best)    {best / poll * 1e6:>8.0f} µs")
    print(f"memory of the recent items   {peak / 1e6:>8.1f} MB")
    print(f"copies found                 {found:>4} of {len(copies)}")
    print(f"other merges                 {other:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recent", type=int, default=5000)
    parser.add_argument("--poll", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    measure(args.recent, args.poll, args.runs)


if __name__ == "__main__":
    main()

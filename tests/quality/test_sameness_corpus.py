"""On the real feed corpus, every story merge is one a reader judged right, and the close calls stay apart.

A new merge (the rules changed, or the corpus did) fails here until it is read and judged in
:mod:`tests.quality.sameness_expected`; ``python -m tests.quality.sameness_report`` lists it.
A checkout without the corpus skips these tests.
"""

from __future__ import annotations

from functools import cache

import pytest

from tests.quality.feed_corpus import REAL_FEEDS, feed_files
from tests.quality.sameness_expected import NOT_SAME, SAME
from tests.quality.sameness_report import Report, report

pytestmark = pytest.mark.skipif(
    not feed_files(), reason=f"the shared feed corpus is not present at {REAL_FEEDS}"
)


@cache
def corpus_report() -> Report:
    return report()


def test_every_judged_item_is_in_the_corpus() -> None:
    stories = corpus_report().stories
    missing = [ref for pair in SAME + NOT_SAME for ref in (pair.a, pair.b) if ref not in stories]
    assert missing == []


def test_every_merge_is_judged_and_none_is_wrong() -> None:
    found = corpus_report()
    assert ["\n".join(m.lines()) for m in found.merges if m.verdict != "right"] == []


def test_every_pair_judged_one_story_is_one_story() -> None:
    found = corpus_report()
    assert [pair.why for pair in SAME if found.story_of(pair.a) != found.story_of(pair.b)] == []


def test_every_pair_judged_different_stays_apart() -> None:
    found = corpus_report()
    assert [pair.why for pair, apart in found.kept_apart() if not apart] == []

"""The reader's run over the 39 real feeds (tests/quality/reader_run.py), and its audit.

The run itself must work: the bot stops cleanly, alerts arrive from most feeds that can
bring any, and each is traced to its entry. The defect counts are recorded (the
``defect_counts`` property; ``python -m tests.quality.reader_run`` prints the table) and
each class has its assertion of zero. The classes issue 11 has not fixed yet are in
:data:`UNFIXED` and their assertions are expected to fail; once a class is fixed, its
assertion passes, the strict xfail turns that into a failure, and the class is to be taken
out of :data:`UNFIXED`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.quality.alert_defects import (
    DEFECT_CLASSES,
)
from tests.quality.feed_corpus import REAL_FEEDS
from tests.quality.reader_audit import MOJIBAKE_READ, WORD_RULES, Audit, audit
from tests.quality.reader_run import run_reader

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not REAL_FEEDS.is_dir(), reason=f"the shared feed corpus is not present at {REAL_FEEDS}"
    ),
]

# Defect classes the reader's run still finds on today's code (issue 11).
UNFIXED: frozenset[str] = frozenset()  # every class of issue 11 is fixed
NOT_FIXED_YET = (
    "issue 11: not fixed yet (once this passes, take the class out of UNFIXED "
    "in tests/quality/test_reader_run.py)"
)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    return audit(run_reader(Path(tmp_path_factory.mktemp("reader-run"))))


def test_the_reader_run_brings_alerts_from_most_feeds(
    audited: Audit, record_property: Callable[[str, object], None]
) -> None:
    result = audited.result
    record_property("defect_counts", audited.counts())
    print(audited.report())  # shown with -s or -rP
    assert result.exit_code == 0, result.log[-3000:]
    assert "Traceback" not in result.log
    able = [feed.outlet.name for feed in result.feeds if feed.can_alert]
    assert len(able) >= 30
    assert len(result.feeds_with_alerts) * 3 >= len(able) * 2, sorted(set(able) - result.feeds_with_alerts)
    # 135 alerts today; 99 once stories over 7 days old when first seen are no longer sent.
    assert len(result.delivered) >= 90
    assert len({d.alert.chat_id for d in result.delivered}) >= 5
    untraced = [d.alert.title for d in result.delivered if d.story is None]
    assert untraced == []


CHECKED = [*DEFECT_CLASSES, WORD_RULES, MOJIBAKE_READ]


@pytest.mark.parametrize(
    "defect",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=NOT_FIXED_YET))
        if name in UNFIXED
        else name
        for name in CHECKED
    ],
)
def test_no_alert_shows_the_defect(audited: Audit, defect: str) -> None:
    count = audited.counts()[defect]
    examples = [
        f"{d.alert.source}: {d.alert.title[:60]} ({evidence[:80]})"
        for d, evidence in audited.defects.get(defect, [])
    ]
    examples += [f"{m.keyword} in {m.feed}: {m.title[:60]}" for m in audited.misses if m.cause == defect]
    assert count == 0, f"{count} × {defect}, e.g. " + "; ".join(examples[:3])

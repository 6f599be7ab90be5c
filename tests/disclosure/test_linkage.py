"""Unlinkability: a simulated bureau's store, attacked with everything a copy of the database
and the auditor's view give, must not tell who surrendered nor which request became whom.

The workload runs through the real services with a moving clock (demo/timeline.py); the
attack (attack.py) was written from the schema alone, without reading the workload, and
reads every table and column generically. On the code before this package existed the same
attack matched every voluntary surrender to its person (see the closing note of issue 7).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from safeconduct.demo.seed import seed
from safeconduct.runtime import Runtime
from tests.disclosure.attack import attack

PEOPLE = 1500
END = datetime(2026, 9, 1, tzinfo=UTC)
# The bound for telling voluntary from captured.
MAX_AUC = 0.6
# Linking: no better than a guess that knows only the day of each event.
LINK_MARGIN = 0.05


@pytest.mark.slow
def test_a_copy_of_the_store_tells_neither_who_surrendered_nor_which_request_was_whose(
    rt: Runtime, db_url: str
) -> None:
    truth = seed(rt, people=PEOPLE, seed_value=20261126, end=END)
    rt.engine.dispose()  # the attacker reads the store as it is on disk
    report = attack(db_url, truth.voluntary, truth.links)
    print(report.summary())  # kept in the test log: the figures of the closing note
    voluntary = sum(truth.voluntary.values())
    # The workload is what the issue asks for: about one surrender in ten captures.
    assert 0.05 < voluntary / truth.people < 0.16
    assert len(truth.links) == voluntary
    assert report.auc_classifier <= MAX_AUC, report.summary()
    # The best of thousands of features, picked on the same people it is scored on, sits
    # near 0.6 by chance alone; picked on half the people, it is scored on the other half.
    assert report.auc_best_single_holdout <= MAX_AUC, report.summary()
    assert report.link_top1 <= report.link_top1_day_shuffled + LINK_MARGIN, report.summary()

"""The chain walked in several processes (`audit verify` on a long log): each share anchors
on the entry before it, so every kind of tampering is still found and named, wherever the
shares meet."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from safeconduct.audit import service
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.policy import Verdict
from safeconduct.runtime import Runtime
from tests.audit.test_verify import _edit, _fill, _tamper

ENTRIES = 40  # checkpoints every 10 in tests; three shares meet after entries 14 and 27


def _verify(rt: Runtime, workers: int = 3) -> Verdict:
    keys = rt.audit_keys()
    walk = service.parallel_walk(rt.settings.db_url, workers, ENTRIES)
    with rt.sessions() as s:
        return service.verify(s, keys[0], keys[1:], walk=walk)


def test_an_intact_log_verifies_in_shares(rt: Runtime) -> None:
    _fill(rt, ENTRIES)
    verdict = _verify(rt)
    assert verdict.ok, verdict
    assert verdict.entries == ENTRIES
    assert verdict.anchor is not None
    assert verdict.anchor.seq == ENTRIES


def _drop(seq: int) -> Callable[[Session], object]:
    return lambda s: s.execute(delete(AuditEntry).where(AuditEntry.seq == seq))


@pytest.mark.parametrize(
    ("change", "problem", "bad_seq"),
    [
        (_edit(1), "entry 1 was altered", 1),
        (_edit(14), "entry 14 was altered", 14),  # the last of the first share
        (_edit(15), "entry 15 was altered", 15),  # the first of the second
        (_edit(ENTRIES), f"entry {ENTRIES} was altered", ENTRIES),
        (_drop(14), "entry 14 is missing", 14),  # where two shares meet
        (_drop(20), "entry 20 is missing", 20),
    ],
)
def test_tampering_is_found_wherever_the_shares_meet(
    rt: Runtime, change: Callable[[Session], object], problem: str, bad_seq: int
) -> None:
    _fill(rt, ENTRIES)
    _tamper(rt, change)
    verdict = _verify(rt)
    assert not verdict.ok
    assert verdict.problem == problem
    assert verdict.bad_seq == bad_seq
    # The same verdict as one process walking it all.
    keys = rt.audit_keys()
    with rt.sessions() as s:
        assert service.verify(s, keys[0], keys[1:]) == verdict


def test_a_truncated_log_is_found(rt: Runtime) -> None:
    _fill(rt, ENTRIES)
    _tamper(rt, lambda s: s.execute(delete(AuditEntry).where(AuditEntry.seq > 30)))
    verdict = _verify(rt)
    assert not verdict.ok
    assert verdict.problem == "entries 31 to 40 were removed"

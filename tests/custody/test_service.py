"""Custody: circumstances are sealed on the way in and opened only for a stated purpose."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.custody.schemas import SurrenderMode
from safeconduct.disclosure.policy import PurposeError
from safeconduct.disclosure.service import reveal_circumstances
from safeconduct.runtime import Runtime
from tests.factories import add_custody, add_person, principal


def _reveal(rt: Runtime, custody_id: str, purpose: str, reason: str) -> object:
    with rt.transaction() as s:
        from safeconduct.custody.models import Custody

        custody = s.get(Custody, custody_id)
        assert custody is not None
        return reveal_circumstances(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            who=principal(Role.VERIFIER, "user-42"),
            custody=custody,
            purpose=purpose,
            reason=reason,
        )


def test_a_reveal_is_audited_with_actor_and_purpose(rt: Runtime) -> None:
    custody = add_custody(rt, add_person(rt), place="PLANTED bridge", mode=SurrenderMode.VOLUNTARY)
    opened = _reveal(rt, custody.id, "legal_proceedings", "court asked  for the date")
    assert opened.place == "PLANTED bridge"
    with rt.sessions() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last is not None
        assert (last.actor, last.action, last.subject_id) == (
            "account:user-42",
            "circumstances:open",
            custody.id,
        )
        assert last.purpose == "legal_proceedings: court asked for the date"
        everything = " ".join(
            f"{e.purpose} {e.subject_type}" for e in s.scalars(select(AuditEntry))
        )
    assert "PLANTED" not in everything


@pytest.mark.parametrize(
    ("purpose", "reason"),
    [("curiosity", "just looking"), ("legal_proceedings", ""), ("legal_proceedings", "x" * 501)],
)
def test_a_reveal_without_an_acceptable_purpose_is_refused_and_not_logged(
    rt: Runtime, purpose: str, reason: str
) -> None:
    custody = add_custody(rt, add_person(rt))
    with rt.sessions() as s:
        before = len(list(s.scalars(select(AuditEntry.seq))))
    with pytest.raises(PurposeError):
        _reveal(rt, custody.id, purpose, reason)
    with rt.sessions() as s:
        assert len(list(s.scalars(select(AuditEntry.seq)))) == before

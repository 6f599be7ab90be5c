"""Surrender requests: sealed on arrival, moved only along their workflow, each step kept in
their history; notes and reasons sealed at one size; assigned only to enabled officers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.intake import service
from safeconduct.intake.models import RequestEvent, RequestStatus, SurrenderRequest
from safeconduct.intake.policy import ALLOWED, SHORT_TRIES, TextError, can_move
from safeconduct.runtime import Runtime
from tests.factories import ACTOR, add_account, add_request

S = RequestStatus
OFFICER = Actor("account:officer-test")


@given(current=st.sampled_from(RequestStatus), target=st.sampled_from(RequestStatus))
def test_terminal_statuses_never_move(current: RequestStatus, target: RequestStatus) -> None:
    if not ALLOWED[current]:
        assert not can_move(current, target)
    assert not can_move(current, current)


@pytest.fixture
def tx(rt: Runtime) -> Iterator[Session]:
    with rt.transaction() as s:
        yield s


def _row(s: Session, request_id: str) -> SurrenderRequest:
    found = service.get(s, request_id=request_id)
    assert found is not None
    return found


def _move(rt: Runtime, s: Session, request_id: str, status: S, reason: str | None = None) -> None:
    service.move(
        s,
        keyring=rt.keyring,
        audit=rt.audit,
        actor=OFFICER,
        request=_row(s, request_id),
        status=status,
        reason=reason,
    )


def _events(rt: Runtime, request_id: str) -> list[RequestEvent]:
    with rt.sessions() as s:
        return service.history(s, request_id=request_id)


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_request_moves_along_its_workflow_and_no_further(rt: Runtime) -> None:
    request = add_request(rt)
    with rt.transaction() as s:
        _move(rt, s, request.id, S.IN_REVIEW)
        _move(rt, s, request.id, S.REJECTED, "no safe crossing")
    with rt.transaction() as s:
        assert _row(s, request.id).status == "rejected"
        with pytest.raises(service.TransitionError, match="cannot change from rejected"):
            _move(rt, s, request.id, S.ACCEPTED)


def test_every_step_is_in_the_history_numbered_by_request(rt: Runtime) -> None:
    first, other = add_request(rt), add_request(rt)
    with rt.transaction() as s:
        _move(rt, s, first.id, S.IN_REVIEW)
        _move(rt, s, other.id, S.WITHDRAWN, "changed their mind")
        _move(rt, s, first.id, S.ACCEPTED)
        _move(rt, s, first.id, S.CLOSED)
    steps = [(e.number, e.kind, e.status, e.actor) for e in _events(rt, first.id)]
    assert steps == [
        (1, "status", "received", ACTOR.name),
        (2, "status", "in_review", OFFICER.name),
        (3, "status", "accepted", OFFICER.name),
        (4, "status", "closed", OFFICER.name),
    ]
    assert [(e.number, e.status) for e in _events(rt, other.id)] == [
        (1, "received"),
        (2, "withdrawn"),
    ]
    assert [e.has_text for e in _events(rt, other.id)] == [False, True]


@pytest.mark.parametrize("status", [S.REJECTED, S.WITHDRAWN])
@pytest.mark.parametrize("reason", [None, "", "   ", "\u200b\u200b"])
def test_ending_a_request_without_a_reason_is_refused_and_writes_nothing(
    rt: Runtime, status: S, reason: str | None
) -> None:
    request = add_request(rt)
    before = len(_audit(rt, "request:status"))
    with rt.transaction() as s, pytest.raises(TextError) as refused:
        _move(rt, s, request.id, status, reason)
    assert refused.value.field == "reason"
    with rt.sessions() as s:
        assert _row(s, request.id).status == "received"
    assert len(_events(rt, request.id)) == 1
    assert len(_audit(rt, "request:status")) == before


def test_reasons_and_notes_are_sealed_at_one_size_and_never_logged(rt: Runtime) -> None:
    short, long = add_request(rt), add_request(rt)
    with rt.transaction() as s:
        for request in (short, long):
            service.add_note(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=OFFICER,
                request=_row(s, request.id),
                text="PLANTED-NOTE",
            )
        _move(rt, s, short.id, S.REJECTED, "PLANTED-A")
        _move(rt, s, long.id, S.REJECTED, "PLANTED-B " + "é" * 1900)
    bodies = [e.body for r in (short, long) for e in _events(rt, r.id) if e.body is not None]
    assert len(bodies) == 4
    assert len({len(b.envelope) for b in bodies}) == 1
    assert not [b for b in bodies if b"PLANTED" in b.envelope]
    logged = _audit(rt, "request:status") + _audit(rt, "request:note")
    assert not [e for e in logged if "PLANTED" in (e.purpose or "")]
    assert {e.purpose for e in _audit(rt, "request:note")} == {None}
    assert {e.purpose for e in _audit(rt, "request:status")} == {"rejected"}


def test_a_note_must_say_something(rt: Runtime, tx: Session) -> None:
    request = add_request(rt)
    with pytest.raises(TextError):
        service.add_note(
            tx,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=OFFICER,
            request=_row(tx, request.id),
            text=" \n ",
        )


def test_a_request_goes_only_to_an_enabled_intake_officer(rt: Runtime) -> None:
    officer, _ = add_account(rt, "officer-a", Role.INTAKE)
    leaver, _ = add_account(rt, "officer-b", Role.INTAKE)
    registrar, _ = add_account(rt, "registrar-a", Role.REGISTRAR)
    request = add_request(rt)
    with rt.transaction() as s:
        gone = s.get(type(leaver), leaver.id)
        assert gone is not None
        accounts.disable(s, audit=rt.audit, actor=ACTOR, account=gone)
        assert [a.username for a in service.assignable(s)] == ["officer-a"]
    for wrong in (leaver.id, registrar.id, "no-such-account"):
        with rt.transaction() as s, pytest.raises(service.AssignmentError):
            service.assign(
                s, audit=rt.audit, actor=OFFICER, request=_row(s, request.id), account_id=wrong
            )
    for chosen in (officer.id, officer.id, None):  # the same one twice: recorded once
        with rt.transaction() as s:
            service.assign(
                s, audit=rt.audit, actor=OFFICER, request=_row(s, request.id), account_id=chosen
            )
    assigned = [(e.kind, e.assignee) for e in _events(rt, request.id)][1:]
    assert assigned == [("assign", officer.id), ("assign", None)]
    purposes = [e.purpose for e in _audit(rt, "request:assign")]
    assert purposes == [f"account:{officer.id}", "unassigned"]


def test_the_queue_filters_by_assignee_and_reference(rt: Runtime) -> None:
    officer, _ = add_account(rt, "officer-q", Role.INTAKE)
    mine, theirs = add_request(rt), add_request(rt)
    with rt.transaction() as s:
        service.assign(
            s, audit=rt.audit, actor=OFFICER, request=_row(s, mine.id), account_id=officer.id
        )
    with rt.sessions() as s:
        assert [r.id for r in service.list_(s, assigned_to=officer.id)[0]] == [mine.id]
        assert [r.id for r in service.list_(s, unassigned=True)[0]] == [theirs.id]
        reference = _row(s, theirs.id).reference
        assert reference is not None
        assert [r.id for r in service.list_(s, reference=reference)[0]] == [theirs.id]
        found = service.get_by_reference(s, reference=reference)
        assert found is not None
        assert found.id == theirs.id


def test_every_request_gets_its_own_reference(rt: Runtime) -> None:
    made = [add_request(rt) for _ in range(30)]
    references = [r.reference or "" for r in made]
    assert all(re.match(r"^R-[0-9A-HJKMNP-TV-Z]{4}$", ref) for ref in references)
    assert len(set(references)) == len(references)


def test_a_taken_reference_is_drawn_again_and_grows_when_crowded(rt: Runtime) -> None:
    taken = add_request(rt).reference
    assert taken is not None

    # Every short draw repeats the taken reference; the first long one is all Z.
    draws = iter(taken[2:] * SHORT_TRIES)

    def rigged(_alphabet: str) -> str:
        return next(draws, "Z")

    with rt.sessions() as s:
        assert service.free_reference(s, pick=rigged) == "R-ZZZZZZ"


def test_the_stored_request_holds_no_plaintext(rt: Runtime) -> None:
    request = add_request(rt, contact="+000 PLANTED", content="PLANTED message")
    assert "PLANTED" not in repr(request.contact) + repr(request.content)
    assert b"PLANTED" not in request.contact.envelope + request.content.envelope

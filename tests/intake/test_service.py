"""Surrender requests: sealed on arrival, moved only along their workflow."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.audit.actors import Actor
from safeconduct.intake import service
from safeconduct.intake.models import RequestStatus
from safeconduct.intake.policy import ALLOWED, can_move
from safeconduct.runtime import Runtime
from tests.factories import add_request


@given(current=st.sampled_from(RequestStatus), target=st.sampled_from(RequestStatus))
def test_terminal_statuses_never_move(current: RequestStatus, target: RequestStatus) -> None:
    if not ALLOWED[current]:
        assert not can_move(current, target)
    assert not can_move(current, current)


def test_a_request_moves_along_its_workflow_and_no_further(rt: Runtime) -> None:
    request = add_request(rt)
    with rt.transaction() as s:
        row = service.get(s, request_id=request.id)
        assert row is not None
        service.move(
            s, audit=rt.audit, actor=Actor("t"), request=row, status=RequestStatus.IN_REVIEW
        )
        service.move(
            s, audit=rt.audit, actor=Actor("t"), request=row, status=RequestStatus.REJECTED
        )
    with rt.transaction() as s:
        row = service.get(s, request_id=request.id)
        assert row is not None
        assert row.status == "rejected"
        with pytest.raises(service.TransitionError, match="cannot change from rejected"):
            service.move(
                s, audit=rt.audit, actor=Actor("t"), request=row, status=RequestStatus.ACCEPTED
            )


def test_the_stored_request_holds_no_plaintext(rt: Runtime) -> None:
    request = add_request(rt, contact="+000 PLANTED", content="PLANTED message")
    assert "PLANTED" not in repr(request.contact) + repr(request.content)
    assert b"PLANTED" not in request.contact.envelope + request.content.envelope

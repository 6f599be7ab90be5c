"""Use cases for surrender requests: take one in sealed, move it along. The caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import new_id, today
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.intake.policy import can_move
from safeconduct.intake.schemas import SurrenderRequestCreate
from safeconduct.security.sealing import FieldRef
from safeconduct.security.service import KeyOwner, Keyring

TABLE = SurrenderRequest.__tablename__


class TransitionError(ValueError):
    """A status change the request's workflow does not allow."""


def request_owner(request_id: str) -> KeyOwner:
    """The data key owner of a request, until its channel data is destroyed."""
    return KeyOwner("request", request_id)


def get(session: Session, *, request_id: str) -> SurrenderRequest | None:
    return session.get(SurrenderRequest, request_id)


def list_(
    session: Session,
    *,
    statuses: Sequence[RequestStatus] = (),
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[SurrenderRequest], int]:
    """Return a page of the queue and its total: the given statuses in the order given,
    oldest first within each; every status when none is given."""
    stmt = select(SurrenderRequest)
    rank: ColumnElement[Any] = literal(0)
    if statuses:
        stmt = stmt.where(SurrenderRequest.status.in_([s.value for s in statuses]))
        rank = case({s.value: i for i, s in enumerate(statuses)}, value=SurrenderRequest.status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ordered = stmt.order_by(rank, SurrenderRequest.received_on, SurrenderRequest.id)
    rows = session.scalars(ordered.offset(offset).limit(limit))
    return list(rows), total


def create(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    request_in: SurrenderRequestCreate,
) -> SurrenderRequest:
    """Take in a request: contact and content are sealed before they reach the store."""
    request_id = new_id()
    owner = request_owner(request_id)
    request = SurrenderRequest(
        id=request_id,
        channel=request_in.channel.value,
        contact=keyring.seal(
            session,
            owner=owner,
            field=FieldRef(TABLE, "contact", request_id),
            plaintext=request_in.contact.encode("utf-8"),
        ),
        content=keyring.seal(
            session,
            owner=owner,
            field=FieldRef(TABLE, "content", request_id),
            plaintext=request_in.content.encode("utf-8"),
        ),
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.REQUEST_CREATE,
        subject_id=request_id,
    )
    return request


def move(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    request: SurrenderRequest,
    status: RequestStatus,
) -> SurrenderRequest:
    """Change a request's status if its workflow allows it."""
    if not can_move(RequestStatus(request.status), status):
        raise TransitionError(f"status cannot change from {request.status} to {status.value}")
    request.status, request.status_changed_on = status.value, today()
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.REQUEST_STATUS,
        subject_id=request.id,
        purpose=status.value,
    )
    return request

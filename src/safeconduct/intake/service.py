"""Use cases for surrender requests: take one in sealed, move it along, note and assign it,
keeping each step in its history. The caller commits."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select, update
from sqlalchemy.orm import Session

from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.channels.models import Ticket
from safeconduct.channels.policy import public_status
from safeconduct.db import new_id, today
from safeconduct.intake.models import RequestEvent, RequestKind, RequestStatus, SurrenderRequest
from safeconduct.intake.policy import (
    TEXT_BYTES,
    EventKind,
    can_move,
    check_text,
    needs_reason,
    open_to_work,
    optional_text,
    reference,
)
from safeconduct.intake.schemas import SurrenderRequestCreate
from safeconduct.security.sealing import FieldRef
from safeconduct.security.service import KeyOwner, Keyring

TABLE = SurrenderRequest.__tablename__
EVENTS = RequestEvent.__tablename__


class TransitionError(ValueError):
    """A status change the request's workflow does not allow."""


class ClosedToWorkError(TransitionError):
    """A note or an assignment on a request past review (see policy.OPEN_TO_WORK)."""


def require_open_to_work(request: SurrenderRequest) -> None:
    """Refuse a note, an assignment or a reply on a request past review."""
    if not open_to_work(RequestStatus(request.status)):
        raise ClosedToWorkError(
            f"notes and assignment end when a request leaves review (it is {request.status})"
        )


class ProbeFlagError(TransitionError):
    """A probe flag set when it is set already, or cleared when it is not."""


class AssignmentError(ValueError):
    """An assignment to someone who may not work the queue; names the field."""

    field = "account_id"


def request_owner(request_id: str) -> KeyOwner:
    """The data key owner of a request, until its channel data is destroyed."""
    return KeyOwner("request", request_id)


def get(session: Session, *, request_id: str) -> SurrenderRequest | None:
    return session.get(SurrenderRequest, request_id)


def get_by_reference(session: Session, *, reference: str) -> SurrenderRequest | None:
    stmt = select(SurrenderRequest).where(SurrenderRequest.reference == reference)
    return session.scalars(stmt).one_or_none()


def list_(
    session: Session,
    *,
    statuses: Sequence[RequestStatus] = (),
    assigned_to: str | None = None,
    unassigned: bool = False,
    reference: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[SurrenderRequest], int]:
    """Return a page of the queue and its total: the given statuses in the order given,
    oldest first within each; every status when none is given. `assigned_to` keeps one
    officer's requests, `unassigned` those no one has, `reference` the one it names."""
    stmt = select(SurrenderRequest)
    rank: ColumnElement[Any] = literal(0)
    if statuses:
        stmt = stmt.where(SurrenderRequest.status.in_([s.value for s in statuses]))
        rank = case({s.value: i for i, s in enumerate(statuses)}, value=SurrenderRequest.status)
    if assigned_to is not None:
        stmt = stmt.where(SurrenderRequest.assigned_to == assigned_to)
    if unassigned:
        stmt = stmt.where(SurrenderRequest.assigned_to.is_(None))
    if reference is not None:
        stmt = stmt.where(SurrenderRequest.reference == reference)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ordered = stmt.order_by(rank, SurrenderRequest.received_on, SurrenderRequest.id)
    rows = session.scalars(ordered.offset(offset).limit(limit))
    return list(rows), total


def free_reference(session: Session, *, pick: Callable[[str], str] = secrets.choice) -> str:
    """Draw references until one is free; they grow longer if the short ones keep colliding.
    Tickets hold every reference, those of submissions not yet taken in included."""
    attempt = 0
    while True:
        candidate = reference(pick, attempt=attempt)
        if session.scalar(select(Ticket.id).where(Ticket.reference == candidate)) is None:
            return candidate
        attempt += 1


def create(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    request_in: SurrenderRequestCreate,
    ticket: Ticket | None = None,
    kind: RequestKind = RequestKind.SURRENDER,
    contact_index: str | None = None,
) -> SurrenderRequest:
    """Take in a request: contact and content are sealed before they reach the store. A
    request from the public face comes with its ticket (its id and reference); one an
    officer enters gets a ticket here, with no codename until one is issued."""
    if ticket is None:
        ticket = Ticket(id=new_id(), reference=free_reference(session))
        session.add(ticket)
    request_id = ticket.id
    owner = request_owner(request_id)
    request = SurrenderRequest(
        id=request_id,
        kind=kind.value,
        contact_index=contact_index,
        channel=request_in.channel.value,
        reference=ticket.reference,
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
    # The history starts with its arrival, and who logged it (a channel, or an officer).
    add_step(
        session, request=request, actor=actor, kind=EventKind.STATUS, status=RequestStatus.RECEIVED
    )
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.REQUEST_CREATE,
        subject_id=request_id,
    )
    return request


def _lock(session: Session, request: SurrenderRequest) -> None:
    # Read the request again under a row lock (PostgreSQL; SQLite writers are serialised
    # already): two officers' moves cannot both pass the check, nor two events share a number.
    session.refresh(request, with_for_update=True)


def _next_number(session: Session, request_id: str) -> int:
    stmt = select(func.max(RequestEvent.number)).where(RequestEvent.request_id == request_id)
    return (session.scalar(stmt) or 0) + 1


def add_step(
    session: Session,
    *,
    request: SurrenderRequest,
    actor: Actor,
    kind: EventKind,
    status: RequestStatus | None = None,
    assignee: str | None = None,
    text: str | None = None,
    keyring: Keyring | None = None,
) -> RequestEvent:
    """Append a step to the request's history; its text, if any, sealed at one fixed size
    under the request's data key, so it is erased with the request's channel data."""
    event_id = new_id()
    body = None
    if text is not None:
        if keyring is None:
            raise TypeError("a step with a text needs the keyring to seal it")
        body = keyring.seal(
            session,
            owner=request_owner(request.id),
            field=FieldRef(EVENTS, "body", event_id),
            plaintext=text.encode("utf-8"),
            size=TEXT_BYTES,
        )
    event = RequestEvent(
        id=event_id,
        request_id=request.id,
        number=_next_number(session, request.id),
        kind=kind.value,
        status=None if status is None else status.value,
        assignee=assignee,
        happened_on=today(),
        actor=actor.name,
        body=body,
    )
    session.add(event)
    session.flush()
    return event


# What the log says of a probe flag: set, or lifted (its reason is sealed in the history).
PROBE_STATES = ("flagged", "cleared")


def _show_status(session: Session, request_id: str, status: RequestStatus) -> None:
    # What the applicant's status page shows: received, in review or closed, never more.
    shown = public_status(status).value
    session.execute(update(Ticket).where(Ticket.id == request_id).values(public_status=shown))


def move(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    request: SurrenderRequest,
    status: RequestStatus,
    reason: str | None = None,
) -> SurrenderRequest:
    """Change a request's status if its workflow allows it; rejecting or withdrawing needs
    a reason, which is sealed with the step in the request's history."""
    _lock(session, request)
    if not can_move(RequestStatus(request.status), status):
        raise TransitionError(f"status cannot change from {request.status} to {status.value}")
    text = (
        check_text(reason, field="reason")
        if needs_reason(status)
        else optional_text(reason, field="reason")
    )
    request.status, request.status_changed_on = status.value, today()
    _show_status(session, request.id, status)
    add_step(
        session,
        keyring=keyring,
        request=request,
        actor=actor,
        kind=EventKind.STATUS,
        status=status,
        text=text,
    )
    # The status only: the reason is sealed and never goes into the log.
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.REQUEST_STATUS,
        subject_id=request.id,
        purpose=status.value,
    )
    return request


def add_note(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    request: SurrenderRequest,
    text: str,
) -> RequestEvent:
    """Add a sealed note to a request's history; the log says a note was added, not what."""
    kept = check_text(text, field="text")
    _lock(session, request)
    require_open_to_work(request)
    event = add_step(
        session, keyring=keyring, request=request, actor=actor, kind=EventKind.NOTE, text=kept
    )
    audit.record(session, actor=actor, tag=AuditAction.REQUEST_NOTE, subject_id=request.id)
    return event


def assignable(session: Session) -> list[Account]:
    """The accounts a request may be assigned to: enabled intake accounts, by name."""
    stmt = (
        select(Account)
        .where(Account.role == Role.INTAKE.value, Account.disabled_at.is_(None))
        .order_by(Account.username)
    )
    return list(session.scalars(stmt))


def _check_assignee(session: Session, account_id: str) -> None:
    account = session.get(Account, account_id)
    if account is None or account.role != Role.INTAKE.value or account.disabled_at is not None:
        raise AssignmentError("must be an enabled intake account")


def assign(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    request: SurrenderRequest,
    account_id: str | None,
) -> SurrenderRequest:
    """Give a request to an intake officer to work, or to no one; nothing is recorded when
    it already sits with them."""
    if account_id is not None:
        _check_assignee(session, account_id)
    _lock(session, request)
    require_open_to_work(request)
    if request.assigned_to == account_id:
        return request
    request.assigned_to = account_id
    add_step(session, request=request, actor=actor, kind=EventKind.ASSIGN, assignee=account_id)
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.REQUEST_ASSIGN,
        subject_id=request.id,
        purpose=f"account:{account_id}" if account_id is not None else "unassigned",
    )
    return request


def history(session: Session, *, request_id: str) -> list[RequestEvent]:
    """A request's steps, oldest first."""
    stmt = (
        select(RequestEvent)
        .where(RequestEvent.request_id == request_id)
        .order_by(RequestEvent.number)
    )
    return list(session.scalars(stmt))


def usernames(session: Session, account_ids: Iterable[str | None]) -> dict[str, str]:
    """The username of each account named, to show who acted or holds a request."""
    wanted = {a for a in account_ids if a}
    if not wanted:
        return {}
    stmt = select(Account.id, Account.username).where(Account.id.in_(wanted))
    return {account_id: name for account_id, name in session.execute(stmt)}


def flag_probe(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    request: SurrenderRequest,
    suspected: bool,
    reason: str,
) -> SurrenderRequest:
    """Flag a request as a suspected probe by the other side, or clear the flag; either
    way with a reason, sealed as a step of its history. Only while the request is worked
    (see policy.OPEN_TO_WORK): the flag steers what intake says and does next, and a dated
    step after acceptance could pair the request with the custody that began that day."""
    text = check_text(reason, field="reason")
    _lock(session, request)
    require_open_to_work(request)
    if request.suspected_probe == suspected:
        state = "flagged as a suspected probe" if suspected else "not flagged as a probe"
        raise ProbeFlagError(f"the request is {state} already")
    request.suspected_probe = suspected
    kind = EventKind.PROBE if suspected else EventKind.PROBE_CLEARED
    add_step(session, keyring=keyring, request=request, actor=actor, kind=kind, text=text)
    # Whether it was flagged or cleared; the reason is sealed and never goes into the log.
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.REQUEST_PROBE,
        subject_id=request.id,
        purpose=PROBE_STATES[0] if suspected else PROBE_STATES[1],
    )
    return request


# However many requests share a contact, a page names this many of them.
SAME_CONTACT_SHOWN = 10


def same_contact(
    session: Session, *, requests: Sequence[SurrenderRequest]
) -> dict[str, list[tuple[str, str]]]:
    """For each request given, the other requests from the same contact (by its blind
    index), as (id, reference) pairs, by reference; at most SAME_CONTACT_SHOWN each. Only
    the link: the contact itself stays sealed."""
    indexes = {r.contact_index for r in requests if r.contact_index is not None}
    if not indexes:
        return {}
    # Numbered within each contact, so a contact behind thousands of requests (a flood)
    # costs a bounded answer: the page's own requests plus SAME_CONTACT_SHOWN more each.
    order = func.row_number().over(
        partition_by=SurrenderRequest.contact_index,
        order_by=(SurrenderRequest.reference, SurrenderRequest.id),
    )
    numbered = (
        select(
            SurrenderRequest.id,
            SurrenderRequest.reference,
            SurrenderRequest.contact_index,
            order.label("n"),
        )
        .where(SurrenderRequest.contact_index.in_(indexes))
        .subquery()
    )
    keep = len(requests) + SAME_CONTACT_SHOWN
    stmt = (
        select(numbered.c.id, numbered.c.reference, numbered.c.contact_index)
        .where(numbered.c.n <= keep)
        .order_by(numbered.c.reference, numbered.c.id)
    )
    by_index: dict[str, list[tuple[str, str]]] = {}
    for request_id, ref, index in session.execute(stmt):
        by_index.setdefault(index, []).append((request_id, ref or request_id))
    found: dict[str, list[tuple[str, str]]] = {}
    for request in requests:
        others = [p for p in by_index.get(request.contact_index or "", []) if p[0] != request.id]
        if others:
            found[request.id] = others[:SAME_CONTACT_SHOWN]
    return found

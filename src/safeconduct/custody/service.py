"""Use cases for custody: open a custody record with its circumstances sealed; record the
events of its life, each from the status the state machine allows. The caller commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.custody import policy
from safeconduct.custody.models import Custody, CustodyEvent, CustodyEventKind, CustodyStatus
from safeconduct.custody.schemas import (
    CustodyCreate,
    CustodyEventCreate,
    DeathDetails,
    RequestChoice,
)
from safeconduct.db import new_id
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.people.service import get_or_raise as get_person_or_raise
from safeconduct.people.service import person_owner
from safeconduct.repatriation import guard as exchange_guard
from safeconduct.security.sealing import FieldRef, Sealed
from safeconduct.security.service import ErasedError, Keyring

TABLE = Custody.__tablename__
# Every circumstances value seals to this one size: a voluntary surrender names its request
# and a capture does not, and a ciphertext's length is plain to anyone with the database.
# The largest value the schema admits (two 200-character texts, escaped) fits.
CIRCUMSTANCES_BYTES = 4096
# A death's place and cause seal to this one size, whatever they say: two 200-character
# texts, escaped, fit.
DETAILS_BYTES = 4096
EVENTS = CustodyEvent.__tablename__
# More accepted requests than this waiting for their people is not a bureau's day.
CHOOSER_LIMIT = 1000


class InvalidFieldError(ValueError):
    """Input that passed its schema but not a rule that needs the store; `field` is its
    location in the body, as a schema error gives it."""

    def __init__(self, field: tuple[str, ...], message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{'.'.join(field)}: {message}")


def get(session: Session, *, custody_id: str) -> Custody | None:
    return session.get(Custody, custody_id)


def list_for_person(session: Session, *, person_id: str) -> list[Custody]:
    stmt = select(Custody).where(Custody.person_id == person_id).order_by(Custody.since)
    return list(session.scalars(stmt))


def open_custody(session: Session, *, person_id: str) -> Custody | None:
    """The person's custody that has not ended (held, in hospital or escaped), if any."""
    stmt = select(Custody).where(
        Custody.person_id == person_id, Custody.status.not_in([s.value for s in policy.FINAL])
    )
    return session.scalars(stmt).first()


def events_for_person(session: Session, *, person_id: str) -> dict[str, list[CustodyEvent]]:
    """Each of a person's custodies' events, oldest first, by custody id."""
    stmt = (
        select(CustodyEvent)
        .join(Custody, Custody.id == CustodyEvent.custody_id)
        .where(Custody.person_id == person_id)
        .order_by(CustodyEvent.custody_id, CustodyEvent.number)
    )
    found: dict[str, list[CustodyEvent]] = {}
    for event in session.scalars(stmt):
        found.setdefault(event.custody_id, []).append(event)
    return found


def create(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, custody_in: CustodyCreate
) -> Custody:
    """Open a custody record; the circumstances are sealed under the person's data key.
    The surrender request they name, if any, must be an accepted one; the link is neither
    logged nor audited: it lives in the sealed circumstances only."""
    person = get_person_or_raise(session, person_id=custody_in.person_id)
    if open_custody(session, person_id=person.id) is not None:
        # A recapture, a return from hospital or a transfer is an event on that custody.
        raise InvalidFieldError(("person_id",), "is in custody already: record an event on it")
    _check_request(session, custody_in.circumstances.request_id)
    custody_id = new_id()
    sealed = keyring.seal_json(
        session,
        owner=person_owner(person.id),
        field=FieldRef(TABLE, "circumstances", custody_id),
        value=custody_in.circumstances.model_dump(mode="json"),
        size=CIRCUMSTANCES_BYTES,
    )
    custody = Custody(
        id=custody_id,
        person_id=person.id,
        since=custody_in.since,
        place_of_internment=custody_in.place_of_internment,
        circumstances=sealed,
    )
    session.add(custody)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.CUSTODY_CREATE,
        subject_id=custody_id,
    )
    return custody


def _check_request(session: Session, request_id: str | None) -> None:
    # The same query whether a request is named or not, and never one that names it: what
    # the store sees (statement logs, timing) is the same for a surrender and a capture.
    # One answer whether the request is unknown or not accepted: the registrar, who may not
    # read the queue, learns nothing of a request it was not offered.
    stmt = select(SurrenderRequest.id).where(
        SurrenderRequest.status == RequestStatus.ACCEPTED.value
    )
    accepted = set(session.scalars(stmt))
    if request_id is not None and request_id not in accepted:
        raise InvalidFieldError(
            ("circumstances", "request_id"), "must be an accepted surrender request"
        )


def linkable_requests(session: Session) -> list[RequestChoice]:
    """The accepted requests a new custody may name, by reference only. Ordered by the
    random reference, never by date, so the list's order tells nothing of when each came.

    A request stays here until the nightly batch closes it, whether or not a custody names
    it: leaving the list at registration would pair the two for anyone watching it."""
    stmt = (
        select(SurrenderRequest.id, SurrenderRequest.reference)
        .where(SurrenderRequest.status == RequestStatus.ACCEPTED.value)
        .order_by(SurrenderRequest.id)
        .limit(CHOOSER_LIMIT)
    )
    found = [RequestChoice(id=row.id, reference=row.reference) for row in session.execute(stmt)]
    # References first (NULLs sort differently on SQLite and PostgreSQL), then ids.
    return sorted(found, key=lambda c: (c.reference is None, c.reference or "", c.id))


def events(session: Session, *, custody_id: str) -> list[CustodyEvent]:
    """A custody's events, oldest first."""
    stmt = (
        select(CustodyEvent)
        .where(CustodyEvent.custody_id == custody_id)
        .order_by(CustodyEvent.number)
    )
    return list(session.scalars(stmt))


def _locked(session: Session, custody: Custody) -> Custody:
    # Read the custody again under a row lock, as intake and people do: FOR UPDATE
    # serialises writers of one custody on PostgreSQL and the refresh reloads the status a
    # writer that went first committed; SQLite writers are serialised already (db.py).
    session.refresh(custody, with_for_update=True)
    return custody


def _latest(session: Session, custody_id: str) -> CustodyEvent | None:
    stmt = (
        select(CustodyEvent)
        .where(CustodyEvent.custody_id == custody_id)
        .order_by(CustodyEvent.number.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def _check_move(
    custody: Custody, latest: CustodyEvent | None, event_in: CustodyEventCreate
) -> None:
    current = CustodyStatus(custody.status)
    # The state machine first: a move it refuses is refused for that reason, stale or not.
    policy.next_status(current, event_in.kind)
    seen = latest.number if latest is not None else 0
    if event_in.after is not None and event_in.after != seen:
        raise policy.RefusedMoveError(current, event_in.kind, changed=True)
    previous = latest.occurred_on if latest is not None else None
    problem = policy.date_problem(event_in.occurred_on, since=custody.since, previous=previous)
    if problem is not None:
        raise InvalidFieldError(("occurred_on",), problem)


def check_event(session: Session, *, custody: Custody, event_in: CustodyEventCreate) -> None:
    """Tell, without writing anything, whether `record_event` would take this event now:
    raise what it would raise."""
    _check_person(session, custody)
    _check_move(custody, _latest(session, custody.id), event_in)


def _check_person(session: Session, custody: Custody) -> str:
    person = get_person_or_raise(session, person_id=custody.person_id)
    if person.erased_on is not None:
        raise ErasedError("the person was erased")
    return person.id


def _sealed_details(
    session: Session, keyring: Keyring, person_id: str, event_id: str, event_in: CustodyEventCreate
) -> Sealed | None:
    if event_in.kind not in policy.SEALS_DETAILS:
        return None
    # Sealed even when nothing is known: every death carries details of one size.
    details = event_in.details or DeathDetails()
    return keyring.seal_json(
        session,
        owner=person_owner(person_id),
        field=FieldRef(EVENTS, "details", event_id),
        value=details.model_dump(mode="json"),
        size=DETAILS_BYTES,
    )


def _insert(
    session: Session, event: CustodyEvent, custody: Custody, kind: CustodyEventKind
) -> None:
    # The unique (custody_id, number) is the last guard against two writers: the loser's
    # insert is undone alone, and it is told the custody changed.
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        raise policy.RefusedMoveError(CustodyStatus(custody.status), kind, changed=True) from None


def record_event(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    custody: Custody,
    event_in: CustodyEventCreate,
) -> CustodyEvent:
    """Record an event in a custody's life and move the custody along: its status, and its
    place of internment after a transfer or a recapture. Refuse a move the state machine
    does not allow, or one asked against a custody that changed since (`after`)."""
    custody = _locked(session, custody)
    person_id = _check_person(session, custody)
    latest = _latest(session, custody.id)
    _check_move(custody, latest, event_in)
    event_id = new_id()
    event = CustodyEvent(
        id=event_id,
        custody_id=custody.id,
        number=(latest.number if latest is not None else 0) + 1,
        kind=event_in.kind.value,
        occurred_on=event_in.occurred_on,
        actor=actor.name,
        reason=event_in.reason,
        place=event_in.place,
        details=_sealed_details(session, keyring, person_id, event_id, event_in),
    )
    _insert(session, event, custody, event_in.kind)
    custody.status = policy.TARGET[event_in.kind].value
    if event_in.kind in policy.MOVES_INTERNMENT and event_in.place is not None:
        custody.place_of_internment = event_in.place
    session.flush()
    # The kind only: reasons and places are personal data of a kind, and the audit log
    # outlives every erasure.
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.CUSTODY_EVENT,
        subject_id=custody.id,
        purpose=event_in.kind.value,
    )
    # A death, an escape, a release or a transfer of someone on an approved exchange list
    # invalidates it, in this transaction (guarantee 3).
    exchange_guard.recheck(session, audit=audit, actor=actor, person_ids={person_id})
    return event


def blank_events(session: Session, *, person_id: str) -> int:
    """Blank the reasons and places of a person's custody events, for their erasure (the
    sealed details go with the person's data key). Return how many events were blanked."""
    stmt = (
        select(CustodyEvent)
        .join(Custody, Custody.id == CustodyEvent.custody_id)
        .where(Custody.person_id == person_id)
    )
    count = 0
    for event in session.scalars(stmt):
        event.reason = event.place = None
        count += 1
    session.flush()
    return count

"""Use cases for treatment events: record one, correct one by a new event that supersedes
it, list a custody's. Events are never edited. The caller commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.custody.models import Custody
from safeconduct.custody.service import InvalidFieldError
from safeconduct.db import new_id
from safeconduct.people.service import get_or_raise as get_person_or_raise
from safeconduct.people.service import person_owner
from safeconduct.security.sealing import FieldRef, Sealed
from safeconduct.security.service import ErasedError, Keyring
from safeconduct.treatment import engine, policy
from safeconduct.treatment.models import TreatmentEvent, TreatmentKind
from safeconduct.treatment.schemas import TreatmentEventCreate

__all__ = ["InvalidFieldError", "correct_event", "events", "get", "record_event"]

TABLE = TreatmentEvent.__tablename__


def get(session: Session, *, event_id: str) -> TreatmentEvent | None:
    return session.get(TreatmentEvent, event_id)


def events(session: Session, *, custody_id: str) -> list[TreatmentEvent]:
    """A custody's events, corrections and the events they replace among them, by day."""
    stmt = (
        select(TreatmentEvent)
        .where(TreatmentEvent.custody_id == custody_id)
        .order_by(TreatmentEvent.occurred_on, TreatmentEvent.recorded_on, TreatmentEvent.id)
    )
    return list(session.scalars(stmt))


def _check(session: Session, custody: Custody, role: Role, event_in: TreatmentEventCreate) -> str:
    """Refuse what does not fit; return the person's id. Messages name the field and never
    quote what was typed."""
    person = get_person_or_raise(session, person_id=custody.person_id)
    if person.erased_on is not None:
        raise ErasedError("the person was erased")
    if role not in policy.RECORDED_BY[event_in.kind]:
        raise InvalidFieldError(("kind",), f"a {event_in.kind.value} is not recorded by {role}")
    facts = event_in.model_dump(include=set(policy.ALL_FACTS))
    problem = policy.fact_problem(event_in.kind, facts)
    if problem is not None:
        raise InvalidFieldError((problem[0],), problem[1])
    for field in ("occurred_on", "notice_on"):
        why = policy.date_problem(getattr(event_in, field), since=custody.since)
        if why is not None:
            raise InvalidFieldError((field,), why)
    notes = event_in.notes
    weighed = notes is not None and notes.weight_kg is not None
    if weighed and event_in.kind is not TreatmentKind.MEDICAL_EXAMINATION:
        raise InvalidFieldError(("notes", "weight_kg"), "only an examination has a weight")
    return person.id


def _sealed_notes(
    session: Session,
    keyring: Keyring,
    person_id: str,
    event_id: str,
    event_in: TreatmentEventCreate,
) -> Sealed | None:
    if event_in.notes is None:
        return None
    # Padded to the sealing block, not to one size: a year of events a person would cost
    # megabytes each. Whether an event has notes, and roughly how long, is plain.
    return keyring.seal_json(
        session,
        owner=person_owner(person_id),
        field=FieldRef(TABLE, "notes", event_id),
        value=event_in.notes.model_dump(mode="json", exclude_none=True),
    )


def _add(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    role: Role,
    custody: Custody,
    event_in: TreatmentEventCreate,
    supersedes_id: str | None,
) -> TreatmentEvent:
    person_id = _check(session, custody, role, event_in)
    event_id = new_id()
    event = TreatmentEvent(
        id=event_id,
        custody_id=custody.id,
        actor=actor.name,
        role=role.value,
        supersedes_id=supersedes_id,
        notes=_sealed_notes(session, keyring, person_id, event_id, event_in),
        **event_in.model_dump(exclude={"notes"}),
    )
    try:
        # The unique supersedes_id is the last guard against two corrections at once: the
        # loser's insert is undone alone.
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        raise InvalidFieldError(("supersedes_id",), "was corrected already") from None
    engine.refresh(session, custody.id)
    # The kind only, about the custody, as custody events are logged: notes are personal
    # data, and the audit log outlives every erasure.
    tag = AuditAction.TREATMENT_RECORD if supersedes_id is None else AuditAction.TREATMENT_CORRECT
    audit.record(session, actor=actor, tag=tag, subject_id=custody.id, purpose=event_in.kind.value)
    return event


def record_event(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    role: Role,
    custody: Custody,
    event_in: TreatmentEventCreate,
) -> TreatmentEvent:
    """Record a fact of a person's treatment in a custody, recorded in `role`."""
    return _add(
        session,
        keyring=keyring,
        audit=audit,
        actor=actor,
        role=role,
        custody=custody,
        event_in=event_in,
        supersedes_id=None,
    )


def correct_event(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    role: Role,
    event_id: str,
    event_in: TreatmentEventCreate,
) -> TreatmentEvent:
    """Correct an event: record what should have been, superseding it. The event itself is
    kept as it was; the correction is of its kind and in its custody."""
    old = session.get(TreatmentEvent, event_id)
    if old is None:
        raise InvalidFieldError(("supersedes_id",), "is no treatment event")
    if event_in.kind.value != old.kind:
        raise InvalidFieldError(("kind",), "must be the kind of the event it corrects")
    taken = select(TreatmentEvent.id).where(TreatmentEvent.supersedes_id == old.id)
    if session.scalars(taken).first() is not None:
        raise InvalidFieldError(("supersedes_id",), "was corrected already")
    custody = session.get(Custody, old.custody_id)
    if custody is None:  # pragma: no cover - the foreign key keeps it
        raise InvalidFieldError(("supersedes_id",), "has no custody")
    return _add(
        session,
        keyring=keyring,
        audit=audit,
        actor=actor,
        role=role,
        custody=custody,
        event_in=event_in,
        supersedes_id=old.id,
    )

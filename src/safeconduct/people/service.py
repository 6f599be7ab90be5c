"""Use cases for people: register, read, correct, erase. The caller commits."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import today
from safeconduct.people.models import Person, PersonRevision
from safeconduct.people.schemas import PersonCreate, PersonUpdate
from safeconduct.security.service import KeyOwner, Keyring

ERASED = "[erased]"


class NotFoundError(LookupError):
    """No record with that id."""


def person_owner(person_id: str) -> KeyOwner:
    """The data key owner for a person's sealed values."""
    return KeyOwner("person", person_id)


def get(session: Session, *, person_id: str) -> Person | None:
    return session.get(Person, person_id)


def get_or_raise(session: Session, *, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"person {person_id} not found")
    return person


def get_registered(session: Session, *, person_id: str) -> Person | None:
    """Return the person unless unknown or erased (an erased person has no identity left)."""
    person = session.get(Person, person_id)
    return None if person is None or person.erased_on is not None else person


def revisions(session: Session, *, person_id: str) -> list[PersonRevision]:
    """A person's revisions, newest first."""
    stmt = (
        select(PersonRevision)
        .where(PersonRevision.person_id == person_id)
        .order_by(PersonRevision.number.desc())
    )
    return list(session.scalars(stmt))


def search(
    session: Session, *, q: str | None = None, offset: int = 0, limit: int = 20
) -> tuple[list[Person], int]:
    """Return a page of people whose surname, given names or service number start with `q`
    (any case), and the total; everyone registered when `q` is empty."""
    stmt = select(Person).where(Person.erased_on.is_(None))
    if q and q.strip():
        like = q.strip().lower().replace("%", "").replace("_", "") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Person.surname).like(like),
                func.lower(Person.given_names).like(like),
                func.lower(Person.service_number).like(like),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Person.surname, Person.id).offset(offset).limit(limit))
    return list(rows), total


def create(session: Session, *, audit: AuditLog, actor: Actor, person_in: PersonCreate) -> Person:
    """Register a person and audit it."""
    person = Person(**person_in.model_dump())
    session.add(person)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.PERSON_CREATE,
        subject_id=person.id,
    )
    return person


def update(
    session: Session, *, audit: AuditLog, actor: Actor, person: Person, person_in: PersonUpdate
) -> Person:
    """Correct identity fields that were given; audit which fields changed, not their values."""
    changes = person_in.model_dump(exclude_unset=True)
    for name, value in changes.items():
        setattr(person, name, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.PERSON_UPDATE,
        subject_id=person.id,
        purpose="fields: " + ",".join(sorted(changes)),
    )
    return person


def erase(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    person: Person,
    reason: str,
) -> None:
    """Erase a person: destroy their data key (sealed values everywhere, backups included)
    and blank their identity."""
    keyring.destroy(session, person_owner(person.id))
    person.surname = person.given_names = ERASED
    for name in (
        "patronymic",
        "date_of_birth",
        "place_of_birth",
        "rank",
        "service_number",
        "nationality",
        "name_original_script",
    ):
        setattr(person, name, None)
    person.erased_on = today()
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.PERSON_ERASE,
        subject_id=person.id,
        purpose=reason,
    )

"""Use cases for custody: open a custody record with its circumstances sealed; read them back
only for a stated purpose. The caller commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.custody.models import Custody, CustodyEvent
from safeconduct.custody.schemas import CustodyCreate
from safeconduct.db import new_id
from safeconduct.people.service import get_or_raise as get_person_or_raise
from safeconduct.people.service import person_owner
from safeconduct.security.sealing import FieldRef
from safeconduct.security.service import Keyring

TABLE = Custody.__tablename__
# Every circumstances value seals to this one size: a voluntary surrender names its request
# and a capture does not, and a ciphertext's length is plain to anyone with the database.
# The largest value the schema admits (two 200-character texts, escaped) fits.
CIRCUMSTANCES_BYTES = 4096


def get(session: Session, *, custody_id: str) -> Custody | None:
    return session.get(Custody, custody_id)


def list_for_person(session: Session, *, person_id: str) -> list[Custody]:
    stmt = select(Custody).where(Custody.person_id == person_id).order_by(Custody.since)
    return list(session.scalars(stmt))


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
    """Open a custody record; the circumstances are sealed under the person's data key."""
    person = get_person_or_raise(session, person_id=custody_in.person_id)
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

"""Use cases for custody: open a custody record with its circumstances sealed; read them back
only for a stated purpose. The caller commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.audit.models import AuditEntry
from safeconduct.audit.service import AuditLog, sealed_reads
from safeconduct.audit.tags import AuditAction
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import Circumstances, CustodyCreate
from safeconduct.db import new_id
from safeconduct.people.service import get_or_raise as get_person_or_raise
from safeconduct.people.service import person_owner
from safeconduct.security.reveal import reveal
from safeconduct.security.sealing import FieldRef
from safeconduct.security.service import Keyring

TABLE = Custody.__tablename__


def get(session: Session, *, custody_id: str) -> Custody | None:
    return session.get(Custody, custody_id)


def list_for_person(session: Session, *, person_id: str) -> list[Custody]:
    stmt = select(Custody).where(Custody.person_id == person_id).order_by(Custody.since)
    return list(session.scalars(stmt))


def create(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: str, custody_in: CustodyCreate
) -> Custody:
    """Open a custody record; the circumstances are sealed under the person's data key."""
    person = get_person_or_raise(session, person_id=custody_in.person_id)
    custody_id = new_id()
    sealed = keyring.seal_json(
        session,
        owner=person_owner(person.id),
        field=FieldRef(TABLE, "circumstances", custody_id),
        value=custody_in.circumstances.model_dump(mode="json"),
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
        action=AuditAction.CUSTODY_CREATE,
        subject_type="custody",
        subject_id=custody_id,
    )
    return custody


def reveal_circumstances(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: str,
    custody: Custody,
    purpose: str,
    reason: str,
) -> Circumstances:
    """Open the circumstances of surrender for a stated purpose; the read is audited."""
    raw = reveal(
        session,
        keyring=keyring,
        audit=audit,
        record=custody,
        column="circumstances",
        actor=actor,
        purpose=purpose,
        reason=reason,
    )
    return Circumstances.model_validate_json(raw)


def access_log(session: Session, *, person_id: str) -> list[AuditEntry]:
    """Who opened the sealed circumstances of this person's custody records, newest first."""
    custody_ids = [c.id for c in list_for_person(session, person_id=person_id)]
    return sealed_reads(session, subject_ids=custody_ids)

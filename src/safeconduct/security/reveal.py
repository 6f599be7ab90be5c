"""Open a sealed value for a stated purpose; the read is audited in the same transaction."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.security.policy import stated_purpose
from safeconduct.security.sealing import FieldRef, Sealed
from safeconduct.security.service import Keyring


class HasId(Protocol):
    __tablename__: str
    id: str


def field_of(record: HasId, column: str) -> FieldRef:
    """Return the associated data of a record's sealed column."""
    return FieldRef(record.__tablename__, column, record.id)


def reveal(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    record: HasId,
    column: str,
    actor: str,
    purpose: str,
    reason: str,
) -> bytes:
    """Open a record's sealed column for a stated purpose and audit the read."""
    stated = stated_purpose(purpose, reason)
    sealed = getattr(record, column)
    if not isinstance(sealed, Sealed):
        raise TypeError(f"{record.__tablename__}.{column} is not a sealed column")
    audit.record(
        session,
        actor=actor,
        action=AuditAction.SEALED_OPEN,
        subject_type=f"{record.__tablename__}.{column}",
        subject_id=record.id,
        purpose=stated,
    )
    return keyring.open(session, sealed=sealed, field=field_of(record, column))

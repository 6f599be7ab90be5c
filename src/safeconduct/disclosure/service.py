"""The one way a sealed value is opened: permission, purpose, an audit entry in the same
transaction, then the keyring. Every reveal in the API and the UI comes through here."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from safeconduct.accounts.service import Principal
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.service import AuditLog, entries_about
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import Circumstances
from safeconduct.disclosure.policy import (
    CIRCUMSTANCES,
    REQUEST_CONTACT,
    REQUEST_CONTENT,
    SEALED_FIELDS,
    SealedField,
    may_open,
    stated_purpose,
)
from safeconduct.disclosure.schemas import RequestContents
from safeconduct.intake.models import SurrenderRequest
from safeconduct.security.sealing import FieldRef, Sealed
from safeconduct.security.service import Keyring


class HasId(Protocol):
    __tablename__: str
    id: str


class DisclosureDeniedError(PermissionError):
    """The caller may not open this field, whatever the purpose: its role does not allow
    it, or no auditor has approved its account in that role."""


def field_of(record: HasId, column: str) -> FieldRef:
    """Return the associated data of a record's sealed column."""
    return FieldRef(record.__tablename__, column, record.id)


def reveal(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    field: SealedField,
    record: HasId,
    purpose: str,
    reason: str,
) -> bytes:
    """Open one sealed field of one record for a stated purpose, and audit the read."""
    if not may_open(who.role, field):
        raise DisclosureDeniedError(f"{field.table}.{field.column}")
    # Defence in depth behind `Requires`: no auditor's approval, nothing opened or logged.
    if not who.sealed_approved:
        raise DisclosureDeniedError(f"{field.table}.{field.column}: awaiting approval")
    if record.__tablename__ != field.table:
        raise TypeError(f"{record.__tablename__} has no sealed field {field.column}")
    stated = stated_purpose(purpose, reason)
    sealed = getattr(record, field.column)
    if not isinstance(sealed, Sealed):
        raise TypeError(f"{field.table}.{field.column} is not a sealed column")
    audit.record(session, actor=who.actor, tag=field.tag, subject_id=record.id, purpose=stated)
    return keyring.open(session, sealed=sealed, field=field_of(record, field.column))


def reveal_circumstances(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    custody: Custody,
    purpose: str,
    reason: str,
) -> Circumstances:
    """Open the circumstances of surrender of one custody record."""
    raw = reveal(
        session,
        keyring=keyring,
        audit=audit,
        who=who,
        field=CIRCUMSTANCES,
        record=custody,
        purpose=purpose,
        reason=reason,
    )
    return Circumstances.model_validate_json(raw)


def reveal_request(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    request: SurrenderRequest,
    purpose: str,
    reason: str,
) -> RequestContents:
    """Open a surrender request's contact and content; each read is audited on its own."""
    opened = {
        field.column: reveal(
            session,
            keyring=keyring,
            audit=audit,
            who=who,
            field=field,
            record=request,
            purpose=purpose,
            reason=reason,
        ).decode("utf-8")
        for field in (REQUEST_CONTACT, REQUEST_CONTENT)
    }
    return RequestContents(**opened)


def access_log(session: Session, *, person_id: str) -> list[AuditEntry]:
    """Who opened the sealed values of this person's custody records, newest first."""
    custody_ids = [c.id for c in custody_service.list_for_person(session, person_id=person_id)]
    reads = {field.tag for field in SEALED_FIELDS}
    return entries_about(session, tags=reads, subject_ids=custody_ids)

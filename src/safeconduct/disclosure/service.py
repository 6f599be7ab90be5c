"""The one way a sealed value is opened: permission, purpose, an audit entry in the same
transaction, then the keyring. Every reveal in the API and the UI comes through here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from safeconduct.accounts.service import Principal
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.service import AuditLog, entries_about
from safeconduct.audit.tags import AuditAction
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import Circumstances
from safeconduct.disclosure.policy import (
    CIRCUMSTANCES,
    REQUEST_CONTACT,
    REQUEST_CONTENT,
    REQUEST_NOTES,
    SEALED_FIELDS,
    TREATMENT_NOTES,
    WISH_NOTE,
    WISH_RISK,
    SealedField,
    may_open,
    may_open_notes,
    may_open_wish,
    stated_purpose,
)
from safeconduct.disclosure.schemas import OpenedNote, RequestContents
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import RequestEvent, RequestStatus, SurrenderRequest
from safeconduct.intake.policy import EventKind
from safeconduct.repatriation.models import WishRecord
from safeconduct.repatriation.schemas import WishSealedRead
from safeconduct.security.sealing import FieldRef, Sealed
from safeconduct.security.service import Keyring
from safeconduct.treatment.models import TreatmentEvent
from safeconduct.treatment.schemas import TreatmentNotes


class HasId(Protocol):
    __tablename__: str
    id: str


class DisclosureDeniedError(PermissionError):
    """The caller may not open this field, whatever the purpose: its role does not allow
    it, or no auditor has approved its account in that role."""


class NothingSealedError(LookupError):
    """The record has nothing sealed in the field asked for (whether it has is plain)."""


def field_of(record: HasId, column: str) -> FieldRef:
    """Return the associated data of a record's sealed column."""
    return FieldRef(record.__tablename__, column, record.id)


def _check_may_open(who: Principal, field: SealedField) -> None:
    if not may_open(who.role, field):
        raise DisclosureDeniedError(f"{field.table}.{field.column}")
    # Defence in depth behind `Requires`: no auditor's approval, nothing opened or logged.
    if not who.sealed_approved:
        raise DisclosureDeniedError(f"{field.table}.{field.column}: awaiting approval")


def _sealed_of(record: HasId, field: SealedField) -> Sealed:
    if record.__tablename__ != field.table:
        raise TypeError(f"{record.__tablename__} has no sealed field {field.column}")
    sealed = getattr(record, field.column)
    if not isinstance(sealed, Sealed):
        raise TypeError(f"{field.table}.{field.column} is not a sealed column")
    return sealed


def reveal_each(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    field: SealedField,
    records: Sequence[HasId],
    subject_id: str,
    purpose: str,
    reason: str,
) -> list[bytes]:
    """Open one sealed field of several records for a stated purpose, under one audited
    read about `subject_id` (the record they belong to), even when there are none."""
    _check_may_open(who, field)
    stated = stated_purpose(purpose, reason)
    sealed = [_sealed_of(record, field) for record in records]
    audit.record(session, actor=who.actor, tag=field.tag, subject_id=subject_id, purpose=stated)
    return [
        keyring.open(session, sealed=value, field=field_of(record, field.column))
        for record, value in zip(records, sealed, strict=True)
    ]


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
    [opened] = reveal_each(
        session,
        keyring=keyring,
        audit=audit,
        who=who,
        field=field,
        records=[record],
        subject_id=record.id,
        purpose=purpose,
        reason=reason,
    )
    return opened


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
    """Open a surrender request's contact and content, each read audited on its own, and
    the notes and reasons of its history under one more entry (however many there are, so
    the log does not count them)."""
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
    written = [e for e in intake_service.history(session, request_id=request.id) if e.has_text]
    texts = reveal_each(
        session,
        keyring=keyring,
        audit=audit,
        who=who,
        field=REQUEST_NOTES,
        records=written,
        subject_id=request.id,
        purpose=purpose,
        reason=reason,
    )
    notes = [_opened_note(e, t.decode("utf-8")) for e, t in zip(written, texts, strict=True)]
    return RequestContents(**opened, notes=notes)


def reveal_treatment_notes(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    event: TreatmentEvent,
    purpose: str,
    reason: str,
) -> TreatmentNotes:
    """Open a treatment event's notes, audited as a read about its custody (so the person's
    access log shows it). Medical notes, a death certificate's cause of death among them,
    open to the medical role only; other notes to the roles that record the event's kind."""
    if not may_open_notes(who.role, event.kind):
        raise DisclosureDeniedError(f"{TREATMENT_NOTES.table}.{TREATMENT_NOTES.column}")
    if event.notes is None:
        _check_may_open(who, TREATMENT_NOTES)
        raise NothingSealedError("the event has no notes")
    [raw] = reveal_each(
        session,
        keyring=keyring,
        audit=audit,
        who=who,
        field=TREATMENT_NOTES,
        records=[event],
        subject_id=event.custody_id,
        purpose=purpose,
        reason=reason,
    )
    return TreatmentNotes.model_validate_json(raw)


def reveal_wish_record(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    record: WishRecord,
    purpose: str,
    reason: str,
) -> WishSealedRead:
    """Open a wish record's note and, for an interview, its risk reasons: one read, audited
    about the person. An interview's sealed values open to the verifier alone."""
    if not may_open_wish(who.role, record.source):
        raise DisclosureDeniedError(f"{WISH_NOTE.table}.{WISH_NOTE.column}")
    _check_may_open(who, WISH_NOTE)
    if record.note is None and record.risk_reasons is None:
        raise NothingSealedError("the record has nothing sealed")
    stated = stated_purpose(purpose, reason)
    audit.record(
        session, actor=who.actor, tag=WISH_NOTE.tag, subject_id=record.person_id, purpose=stated
    )
    opened: dict[str, str | None] = {}
    for field in (WISH_NOTE, WISH_RISK):
        sealed = getattr(record, field.column)
        if isinstance(sealed, Sealed):
            raw = keyring.open(session, sealed=sealed, field=field_of(record, field.column))
            opened[field.column] = raw.decode("utf-8")
    if record.source == "interview":
        return WishSealedRead(
            interview_notes=opened.get("note"), risk_reasons=opened.get("risk_reasons")
        )
    return WishSealedRead(note=opened.get("note"))


def _opened_note(event: RequestEvent, text: str) -> OpenedNote:
    status = None if event.status is None else RequestStatus(event.status)
    return OpenedNote(
        number=event.number,
        kind=EventKind(event.kind),
        status=status,
        happened_on=event.happened_on,
        text=text,
    )


BUREAU_READS = frozenset({AuditAction.FAMILY_OPEN, AuditAction.DEATH_DOCUMENT_ISSUE})


def access_log(session: Session, *, person_id: str) -> list[AuditEntry]:
    """Who opened the sealed values of this person's custody records, newest first."""
    custody_ids = [c.id for c in custody_service.list_for_person(session, person_id=person_id)]
    # And the sealed values the bureau's outputs open: family details for a capture card, a
    # death's cause for a certificate.
    reads = {field.tag for field in SEALED_FIELDS} | BUREAU_READS
    return entries_about(session, tags=reads, subject_ids=[person_id, *custody_ids])

"""Sealed reads in the API: each needs its permission, a purpose and a reason, and is audited.
Refusals of purpose or reason are 422 and an erased value is 410, from the shared handlers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.audit.schemas import AuditEntryRead
from safeconduct.custody import service as custody_service
from safeconduct.custody.schemas import Circumstances
from safeconduct.disclosure import service
from safeconduct.disclosure.schemas import RequestContents, RevealRequest
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors
from safeconduct.intake import service as intake_service
from safeconduct.people import service as people_service
from safeconduct.repatriation import service as wish_service
from safeconduct.repatriation.schemas import WishSealedRead
from safeconduct.treatment import service as treatment_service
from safeconduct.treatment.schemas import TreatmentNotes

router = APIRouter(tags=["sealed reads"], responses=GUARDED)
REVEAL_ERRORS = errors(404, 410)


@router.post(
    "/custodies/{custody_id}/circumstances/reveal",
    response_model=Circumstances,
    responses=REVEAL_ERRORS,
)
def reveal_circumstances(
    custody_id: str,
    body: RevealRequest,
    db: DbSession,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(Requires(Permission.CIRCUMSTANCES_REVEAL))],
) -> Circumstances:
    """Open the circumstances of surrender for a stated purpose; the read is audited."""
    custody = custody_service.get(db, custody_id=custody_id)
    if custody is None:
        raise HTTPException(404, "custody record not found")
    return service.reveal_circumstances(
        db,
        keyring=rt.keyring,
        audit=rt.audit,
        who=who,
        custody=custody,
        purpose=body.purpose.value,
        reason=body.reason,
    )


@router.post(
    "/requests/{request_id}/reveal", response_model=RequestContents, responses=REVEAL_ERRORS
)
def reveal_request(
    request_id: str,
    body: RevealRequest,
    db: DbSession,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(Requires(Permission.REQUEST_REVEAL))],
) -> RequestContents:
    """Open a request's contact and content for a stated purpose; both reads are audited."""
    request = intake_service.get(db, request_id=request_id)
    if request is None:
        raise HTTPException(404, "surrender request not found")
    return service.reveal_request(
        db,
        keyring=rt.keyring,
        audit=rt.audit,
        who=who,
        request=request,
        purpose=body.purpose.value,
        reason=body.reason,
    )


@router.post(
    "/treatment-events/{event_id}/notes/reveal",
    response_model=TreatmentNotes,
    responses=REVEAL_ERRORS,
)
def reveal_treatment_notes(
    event_id: str,
    body: RevealRequest,
    db: DbSession,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(Requires(Permission.TREATMENT_NOTES_REVEAL))],
) -> TreatmentNotes:
    """Open a treatment event's notes for a stated purpose; the read is audited. Medical
    notes (a death certificate's cause of death among them) open to the medical role only,
    other notes to the roles that record the event's kind; 404 when it has none."""
    event = treatment_service.get(db, event_id=event_id)
    if event is None:
        raise HTTPException(404, "treatment event not found")
    try:
        return service.reveal_treatment_notes(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            who=who,
            event=event,
            purpose=body.purpose.value,
            reason=body.reason,
        )
    except service.NothingSealedError:
        raise HTTPException(404, "the treatment event has no notes") from None


@router.post(
    "/wish-records/{record_id}/reveal", response_model=WishSealedRead, responses=REVEAL_ERRORS
)
def reveal_wish_record(
    record_id: str,
    body: RevealRequest,
    db: DbSession,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(Requires(Permission.WISH_NOTES_REVEAL))],
) -> WishSealedRead:
    """Open a wish record's sealed values for a stated purpose; the read is audited. An
    interview's notes and risk reasons open to the verifier alone; a statement's note to
    welfare, the registrar and the verifier."""
    record = wish_service.get_record(db, record_id=record_id)
    if record is None:
        raise HTTPException(404, "wish record not found")
    try:
        return service.reveal_wish_record(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            who=who,
            record=record,
            purpose=body.purpose.value,
            reason=body.reason,
        )
    except service.NothingSealedError:  # pragma: no cover - every record seals a note
        raise HTTPException(404, "the wish record has nothing sealed") from None


@router.get(
    "/persons/{person_id}/access-log", response_model=list[AuditEntryRead], responses=errors(404)
)
def person_access_log(
    person_id: str,
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.ACCESS_LOG_READ))],
) -> list[AuditEntryRead]:
    """Who opened which sealed value of this person, when and why."""
    if people_service.get(db, person_id=person_id) is None:
        raise HTTPException(404, "person not found")
    return [AuditEntryRead.model_validate(e) for e in service.access_log(db, person_id=person_id)]

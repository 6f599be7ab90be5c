"""`/api/v1/requests`: the intake queue. Sealed parts go in; they come out only through a
purpose-bound, audited reveal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.exceptions import RequestValidationError

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors
from safeconduct.intake import applicant, service
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.intake.policy import TextError, parse_reference
from safeconduct.intake.schemas import (
    AssignmentUpdate,
    CodenameIssued,
    NoteCreate,
    ProbeFlagUpdate,
    ReplyCreate,
    RequestEventRead,
    SurrenderRequestCreate,
    SurrenderRequestRead,
    SurrenderRequestStatusUpdate,
    request_read,
)
from safeconduct.schemas_common import Page

router = APIRouter(prefix="/requests", tags=["surrender requests"], responses=GUARDED)
Reader = Annotated[Principal, Depends(Requires(Permission.REQUEST_READ))]
Updater = Annotated[Principal, Depends(Requires(Permission.REQUEST_UPDATE))]


def _found(db: DbSession, request_id: str) -> SurrenderRequest:
    request = service.get(db, request_id=request_id)
    if request is None:
        raise HTTPException(404, "surrender request not found")
    return request


def _read(db: DbSession, request: SurrenderRequest) -> SurrenderRequestRead:
    linked = service.same_contact(db, requests=[request]).get(request.id, [])
    return request_read(request, [ref for _id, ref in linked])


def _invalid(field: str, message: str) -> RequestValidationError:
    """A refusal the service found, in the same shape as a schema's: 422 naming the field."""
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message}])


@router.get("", response_model=Page[SurrenderRequestRead])
def list_requests(
    db: DbSession,
    _: Reader,
    status: RequestStatus | None = None,
    assigned_to: Annotated[str | None, Query(max_length=36)] = None,
    unassigned: bool = False,
    reference: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[SurrenderRequestRead]:
    """The queue, oldest first; `reference` (R-7KQ4, any case) finds one request."""
    wanted = None if reference is None else parse_reference(reference)
    if reference is not None and wanted is None:
        return Page[SurrenderRequestRead](items=[], total=0, page=page, size=size)
    rows, total = service.list_(
        db,
        statuses=() if status is None else (status,),
        assigned_to=assigned_to,
        unassigned=unassigned,
        reference=wanted,
        offset=(page - 1) * size,
        limit=size,
    )
    linked = service.same_contact(db, requests=rows)
    return Page[SurrenderRequestRead](
        items=[request_read(r, [ref for _id, ref in linked.get(r.id, [])]) for r in rows],
        total=total,
        page=page,
        size=size,
    )


@router.post("", response_model=SurrenderRequestRead, status_code=201)
def create_request(
    body: SurrenderRequestCreate,
    db: DbSession,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(Requires(Permission.REQUEST_CREATE))],
) -> SurrenderRequestRead:
    """Take in a request (from a channel, by phone or in person); contact and content are
    sealed before they are stored. It gets a reference at once, and a codename when one is
    issued (`POST /requests/{id}/codename`)."""
    request = applicant.take_by_hand(
        db, keyring=rt.keyring, keys=rt.channels, audit=rt.audit, actor=who.actor, request_in=body
    )
    return _read(db, request)


@router.get("/{request_id}", response_model=SurrenderRequestRead, responses=errors(404))
def read_request(request_id: str, db: DbSession, _: Reader) -> SurrenderRequestRead:
    """The request; `same_contact` names other requests from its contact, by reference."""
    return _read(db, _found(db, request_id))


@router.post(
    "/{request_id}/status", response_model=SurrenderRequestRead, responses=errors(404, 409)
)
def move_request(
    request_id: str,
    body: SurrenderRequestStatusUpdate,
    db: DbSession,
    rt: RuntimeDep,
    who: Updater,
) -> SurrenderRequestRead:
    """Move a request along its workflow; rejecting or withdrawing needs a `reason`."""
    try:
        request = service.move(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            request=_found(db, request_id),
            status=body.status,
            reason=body.reason,
        )
    except service.TransitionError as exc:
        raise HTTPException(409, str(exc)) from None
    except TextError as exc:
        raise _invalid(exc.field, exc.message) from None
    return _read(db, request)


@router.post(
    "/{request_id}/notes",
    response_model=RequestEventRead,
    status_code=201,
    responses=errors(404, 409),
)
def add_note(
    request_id: str, body: NoteCreate, db: DbSession, rt: RuntimeDep, who: Updater
) -> RequestEventRead:
    """Add a note while the request is received or in review; it is sealed, and opens only
    with the request's purpose-bound reveal."""
    try:
        event = service.add_note(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            request=_found(db, request_id),
            text=body.text,
        )
    except service.ClosedToWorkError as exc:
        raise HTTPException(409, str(exc)) from None
    return RequestEventRead.model_validate(event)


@router.post(
    "/{request_id}/assignment", response_model=SurrenderRequestRead, responses=errors(404, 409)
)
def assign_request(
    request_id: str, body: AssignmentUpdate, db: DbSession, rt: RuntimeDep, who: Updater
) -> SurrenderRequestRead:
    """Assign the request to an enabled intake account, or to no one (`null`)."""
    try:
        request = service.assign(
            db,
            audit=rt.audit,
            actor=who.actor,
            request=_found(db, request_id),
            account_id=body.account_id,
        )
    except service.AssignmentError as exc:
        raise _invalid(exc.field, str(exc)) from None
    except service.ClosedToWorkError as exc:
        raise HTTPException(409, str(exc)) from None
    return _read(db, request)


@router.get("/{request_id}/history", response_model=list[RequestEventRead], responses=errors(404))
def request_history(request_id: str, db: DbSession, _: Reader) -> list[RequestEventRead]:
    """The request's steps, oldest first: days, who, what; notes and reasons stay sealed."""
    found = _found(db, request_id)
    return [RequestEventRead.model_validate(e) for e in service.history(db, request_id=found.id)]


@router.post(
    "/{request_id}/replies",
    response_model=RequestEventRead,
    status_code=201,
    responses=errors(404, 409, 410),
)
def reply_to_applicant(
    request_id: str, body: ReplyCreate, db: DbSession, rt: RuntimeDep, who: Updater
) -> RequestEventRead:
    """Write back to the applicant while the request is received or in review; they read it
    on the status page with their codename. Kept as a sealed step of the history (it opens
    with the notes); 409 when the request has left review or no codename was issued."""
    try:
        event = applicant.reply(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            request=_found(db, request_id),
            text=body.text,
            keys=rt.channels,
        )
    except service.ClosedToWorkError as exc:
        raise HTTPException(409, str(exc)) from None
    except applicant.NoCodenameError:
        raise HTTPException(
            409, "the applicant holds no codename to read a reply with: issue one first"
        ) from None
    return RequestEventRead.model_validate(event)


@router.post(
    "/{request_id}/codename",
    response_model=CodenameIssued,
    status_code=201,
    responses=errors(404, 409, 503),
)
def issue_codename(request_id: str, db: DbSession, rt: RuntimeDep, who: Updater) -> CodenameIssued:
    """Issue the codename and signed receipt to read out to a caller, once: the codename is
    in this answer only, never stored, never shown again (a second call is 409)."""
    try:
        issued = applicant.issue_codename(
            db,
            keyring=rt.keyring,
            keys=rt.channels,
            audit=rt.audit,
            actor=who.actor,
            request=_found(db, request_id),
        )
    except service.ClosedToWorkError as exc:
        raise HTTPException(409, str(exc)) from None
    except applicant.NoCodenameError as exc:
        raise HTTPException(409, str(exc)) from None
    except applicant.ChannelsNotConfiguredError:
        raise HTTPException(503, "the channels are not configured on this server") from None
    return CodenameIssued(
        reference=issued.reference, codename=issued.codename, receipt=issued.receipt
    )


@router.post("/{request_id}/probe", response_model=SurrenderRequestRead, responses=errors(404, 409))
def flag_probe(
    request_id: str, body: ProbeFlagUpdate, db: DbSession, rt: RuntimeDep, who: Updater
) -> SurrenderRequestRead:
    """Flag the request as a suspected probe by the other side, or clear the flag, with a
    `reason` (sealed); while it is received or in review."""
    try:
        request = service.flag_probe(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            request=_found(db, request_id),
            suspected=body.suspected,
            reason=body.reason,
        )
    except TextError as exc:
        raise _invalid(exc.field, exc.message) from None
    except service.TransitionError as exc:
        raise HTTPException(409, str(exc)) from None
    return _read(db, request)

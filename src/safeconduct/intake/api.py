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
from safeconduct.intake import service
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.intake.policy import TextError, parse_reference
from safeconduct.intake.schemas import (
    AssignmentUpdate,
    NoteCreate,
    RequestEventRead,
    SurrenderRequestCreate,
    SurrenderRequestRead,
    SurrenderRequestStatusUpdate,
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
    return Page[SurrenderRequestRead](
        items=[SurrenderRequestRead.model_validate(r) for r in rows],
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
    sealed before they are stored."""
    request = service.create(
        db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, request_in=body
    )
    return SurrenderRequestRead.model_validate(request)


@router.get("/{request_id}", response_model=SurrenderRequestRead, responses=errors(404))
def read_request(request_id: str, db: DbSession, _: Reader) -> SurrenderRequestRead:
    return SurrenderRequestRead.model_validate(_found(db, request_id))


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
    return SurrenderRequestRead.model_validate(request)


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
    return SurrenderRequestRead.model_validate(request)


@router.get("/{request_id}/history", response_model=list[RequestEventRead], responses=errors(404))
def request_history(request_id: str, db: DbSession, _: Reader) -> list[RequestEventRead]:
    """The request's steps, oldest first: days, who, what; notes and reasons stay sealed."""
    found = _found(db, request_id)
    return [RequestEventRead.model_validate(e) for e in service.history(db, request_id=found.id)]

"""`/api/v1/requests`: the intake queue. Sealed parts go in; they come out only through a
purpose-bound, audited reveal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors
from safeconduct.intake import service
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.intake.schemas import (
    SurrenderRequestCreate,
    SurrenderRequestRead,
    SurrenderRequestStatusUpdate,
)
from safeconduct.schemas_common import Page

router = APIRouter(prefix="/requests", tags=["surrender requests"], responses=GUARDED)


def _found(db: DbSession, request_id: str) -> SurrenderRequest:
    request = service.get(db, request_id=request_id)
    if request is None:
        raise HTTPException(404, "surrender request not found")
    return request


@router.get("", response_model=Page[SurrenderRequestRead])
def list_requests(
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.REQUEST_READ))],
    status: RequestStatus | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[SurrenderRequestRead]:
    """The queue, oldest first."""
    rows, total = service.list_(
        db, statuses=() if status is None else (status,), offset=(page - 1) * size, limit=size
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
    """Take in a request; contact and content are sealed before they are stored."""
    request = service.create(
        db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, request_in=body
    )
    return SurrenderRequestRead.model_validate(request)


@router.get("/{request_id}", response_model=SurrenderRequestRead, responses=errors(404))
def read_request(
    request_id: str,
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.REQUEST_READ))],
) -> SurrenderRequestRead:
    return SurrenderRequestRead.model_validate(_found(db, request_id))


@router.post(
    "/{request_id}/status", response_model=SurrenderRequestRead, responses=errors(404, 409)
)
def move_request(
    request_id: str,
    body: SurrenderRequestStatusUpdate,
    db: DbSession,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(Requires(Permission.REQUEST_UPDATE))],
) -> SurrenderRequestRead:
    try:
        request = service.move(
            db, audit=rt.audit, actor=who.actor, request=_found(db, request_id), status=body.status
        )
    except service.TransitionError as exc:
        raise HTTPException(409, str(exc)) from None
    return SurrenderRequestRead.model_validate(request)

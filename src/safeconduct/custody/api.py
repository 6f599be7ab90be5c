"""`/api/v1/custodies`: custody records and the events of their life. Circumstances only
through the sealed-read endpoint; a death's sealed details not at all."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.exceptions import RequestValidationError

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.custody import service
from safeconduct.custody.models import Custody
from safeconduct.custody.policy import RefusedMoveError
from safeconduct.custody.schemas import (
    CustodyCreate,
    CustodyEventCreate,
    CustodyEventRead,
    CustodyRead,
)
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors
from safeconduct.people.service import NotFoundError

router = APIRouter(tags=["custody"], responses=GUARDED)
Writer = Annotated[Principal, Depends(Requires(Permission.CUSTODY_WRITE))]
Reader = Annotated[Principal, Depends(Requires(Permission.CUSTODY_READ))]


def invalid(exc: service.InvalidFieldError) -> RequestValidationError:
    """A store-checked rule broken: the same 422 a schema error gives, naming the field."""
    loc = ("body", *exc.field)
    return RequestValidationError([{"loc": loc, "msg": exc.message, "type": "value_error"}])


def refusal(exc: RefusedMoveError) -> dict[str, Any]:
    """What a refused move tells: the current state, the event and the state it asked for."""
    return {
        "message": str(exc),
        "current": exc.current.value,
        "event": exc.kind.value,
        "asked": exc.target.value,
        "changed": exc.changed,
    }


def _found(db: DbSession, custody_id: str) -> Custody:
    custody = service.get(db, custody_id=custody_id)
    if custody is None:
        raise HTTPException(404, "custody record not found")
    return custody


@router.post("/custodies", response_model=CustodyRead, status_code=201, responses=errors(404))
def create_custody(body: CustodyCreate, db: DbSession, rt: RuntimeDep, who: Writer) -> CustodyRead:
    """Open a custody record; the circumstances are sealed before they are stored. A
    surrender request named in them must be an accepted one."""
    try:
        custody = service.create(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, custody_in=body
        )
    except NotFoundError:
        raise HTTPException(404, "person not found") from None
    except service.InvalidFieldError as exc:
        raise invalid(exc) from None
    return CustodyRead.model_validate(custody)


@router.get("/custodies/{custody_id}", response_model=CustodyRead, responses=errors(404))
def read_custody(custody_id: str, db: DbSession, _: Reader) -> CustodyRead:
    return CustodyRead.model_validate(_found(db, custody_id))


@router.get("/persons/{person_id}/custodies", response_model=list[CustodyRead])
def person_custodies(person_id: str, db: DbSession, _: Reader) -> list[CustodyRead]:
    return [CustodyRead.model_validate(c) for c in service.list_for_person(db, person_id=person_id)]


@router.post(
    "/custodies/{custody_id}/events",
    response_model=CustodyEventRead,
    status_code=201,
    responses=errors(404, 409, 410),
)
def record_event(
    custody_id: str, body: CustodyEventCreate, db: DbSession, rt: RuntimeDep, who: Writer
) -> CustodyEventRead:
    """Record a dated event in a custody's life (transfer, hospitalisation, discharge,
    release, repatriation, escape, recapture, death); the custody's status follows. A move
    its status does not allow, or one asked `after` an event that is no longer the latest,
    is refused with 409 naming the current and the asked-for states."""
    custody = _found(db, custody_id)
    try:
        event = service.record_event(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, custody=custody, event_in=body
        )
    except RefusedMoveError as exc:
        raise HTTPException(409, refusal(exc)) from None
    except service.InvalidFieldError as exc:
        raise invalid(exc) from None
    return CustodyEventRead.model_validate(event)


@router.get(
    "/custodies/{custody_id}/events",
    response_model=list[CustodyEventRead],
    responses=errors(404),
)
def list_events(custody_id: str, db: DbSession, _: Reader) -> list[CustodyEventRead]:
    """A custody's events, oldest first; a death's sealed details are not among them."""
    custody = _found(db, custody_id)
    return [CustodyEventRead.model_validate(e) for e in service.events(db, custody_id=custody.id)]

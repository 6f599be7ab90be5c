"""`/api/v1/custodies`: custody records. Circumstances only through the sealed-read endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.custody import service
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import CustodyCreate, CustodyRead
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors
from safeconduct.people.service import NotFoundError

router = APIRouter(tags=["custody"], responses=GUARDED)


def _found(db: DbSession, custody_id: str) -> Custody:
    custody = service.get(db, custody_id=custody_id)
    if custody is None:
        raise HTTPException(404, "custody record not found")
    return custody


@router.post("/custodies", response_model=CustodyRead, status_code=201, responses=errors(404))
def create_custody(
    body: CustodyCreate,
    db: DbSession,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(Requires(Permission.CUSTODY_WRITE))],
) -> CustodyRead:
    """Open a custody record; the circumstances are sealed before they are stored."""
    try:
        custody = service.create(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, custody_in=body
        )
    except NotFoundError:
        raise HTTPException(404, "person not found") from None
    return CustodyRead.model_validate(custody)


@router.get("/custodies/{custody_id}", response_model=CustodyRead, responses=errors(404))
def read_custody(
    custody_id: str,
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.CUSTODY_READ))],
) -> CustodyRead:
    return CustodyRead.model_validate(_found(db, custody_id))


@router.get("/persons/{person_id}/custodies", response_model=list[CustodyRead])
def person_custodies(
    person_id: str,
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.CUSTODY_READ))],
) -> list[CustodyRead]:
    return [CustodyRead.model_validate(c) for c in service.list_for_person(db, person_id=person_id)]

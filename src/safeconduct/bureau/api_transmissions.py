"""`/api/v1/transmissions`: the transmission log, for the registrar and the auditor. It
names kinds, recipients, days, hashes and record ids: no personal data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.bureau import transmissions
from safeconduct.bureau.schemas import TransmissionRead
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession
from safeconduct.http.errors import GUARDED

router = APIRouter(tags=["bureau"], responses=GUARDED)
Reader = Annotated[Principal, Depends(Requires(Permission.TRANSMISSION_READ))]


@router.get("/transmissions")
def list_transmissions(
    db: DbSession,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[TransmissionRead]:
    """The log, newest day first."""
    rows = transmissions.log(db, limit=limit, offset=offset)
    return [TransmissionRead.model_validate(r) for r in rows]

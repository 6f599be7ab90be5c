"""`/api/v1/auth/time-zone`: the zone one's own times are shown in (beside `/auth/language`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from safeconduct.accounts import preferences
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.preferences import TimeZoneRequest
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession
from safeconduct.http.errors import GUARDED

preferences_router = APIRouter(prefix="/auth", tags=["auth"], responses=GUARDED)
Self = Annotated[Principal, Depends(Requires(Permission.SELF))]


@preferences_router.post("/time-zone", status_code=204)
def set_time_zone(body: TimeZoneRequest, db: DbSession, who: Self) -> None:
    """Show one's own times in an IANA zone (`Europe/Kyiv`); null: the deployment's zone."""
    preferences.set_time_zone(db, account_id=who.account_id, time_zone=body.time_zone)

"""The transmission log in the UI: what left the bureau, to whom, which day, its SHA-256 and
who sent it; each entry is also in the audit chain (`safeconduct audit verify`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.bureau import transmissions
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession
from safeconduct.web.ui import render
from safeconduct.web.ui.routes_people import actor_names

router = APIRouter()
Reader = Annotated[Principal, Depends(Requires(Permission.TRANSMISSION_READ))]
PAGE_SIZE = 100


@router.get("/bureau/transmissions")
def transmissions_page(
    request: Request,
    db: DbSession,
    _: Reader,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The log, newest day first, a page at a time."""
    rows = transmissions.log(db, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render.page(
        request,
        db,
        "transmissions.html",
        rows=rows[:PAGE_SIZE],
        page=page,
        more=len(rows) > PAGE_SIZE,
        names=actor_names(db),
    )

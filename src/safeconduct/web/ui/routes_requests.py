"""The intake queue of surrender requests, oldest first, filtered by status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.intake import api as intake_api
from safeconduct.intake.models import RequestStatus
from safeconduct.web.auth import Requires
from safeconduct.web.deps import DbSession
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
QueueReader = Annotated[Principal, Depends(Requires(Permission.REQUEST_READ))]
PAGE_SIZE = 20


@router.get("/requests")
def request_queue(
    request: Request,
    db: DbSession,
    who: QueueReader,
    status: RequestStatus | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Show the queue; the sealed contact and content are not on this page."""
    found = intake_api.list_requests(db, who, status=status, page=page, size=PAGE_SIZE)
    pages = max(1, -(-found.total // PAGE_SIZE))
    return render.page(
        request,
        db,
        "requests.html",
        found=found,
        pages=pages,
        status=status.value if status else "",
        statuses=list(RequestStatus),
    )

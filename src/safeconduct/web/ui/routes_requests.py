"""The intake queue: filter and page it, open a request, move it along, reveal what it says."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.disclosure import service as disclosure
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.intake.policy import ALLOWED
from safeconduct.intake.schemas import SurrenderRequestRead
from safeconduct.schemas_common import Page
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
QueueReader = Annotated[Principal, Depends(Requires(Permission.REQUEST_READ))]
Mover = Annotated[Principal, Depends(Requires(Permission.REQUEST_UPDATE))]
Revealer = Annotated[Principal, Depends(Requires(Permission.REQUEST_REVEAL))]
PAGE_SIZE = 20

# The default view: what still needs intake's work, in workflow order.
OPEN = (RequestStatus.RECEIVED, RequestStatus.IN_REVIEW, RequestStatus.ACCEPTED)
OPEN_VIEW, ALL_VIEW = "open", "all"
VIEWS = (OPEN_VIEW, ALL_VIEW, *(s.value for s in RequestStatus))


def _queue(db: DbSession, view: str, page: int) -> Page[SurrenderRequestRead]:
    """One page of a view: the open statuses in workflow order, one status, or all."""
    statuses = OPEN if view == OPEN_VIEW else () if view == ALL_VIEW else (RequestStatus(view),)
    rows, total = intake_service.list_(
        db, statuses=statuses, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    items = [SurrenderRequestRead.model_validate(r) for r in rows]
    return Page[SurrenderRequestRead](items=items, total=total, page=page, size=PAGE_SIZE)


@router.get("/requests")
def request_queue(
    request: Request,
    db: DbSession,
    who: QueueReader,
    status: Annotated[str, Query(pattern=f"^({'|'.join(VIEWS)})$")] = OPEN_VIEW,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Show the queue; the sealed contact and content are not on this page."""
    found = _queue(db, status, page)
    pages = max(1, -(-found.total // PAGE_SIZE))
    return render.page(
        request,
        db,
        "requests.html",
        found=found,
        pages=pages,
        status=status,
        statuses=list(RequestStatus),
    )


def _found(db: DbSession, request_id: str) -> SurrenderRequest:
    found = intake_service.get(db, request_id=request_id)
    if found is None:
        raise HTTPException(404, "surrender request not found")
    return found


def _request_page(
    request: Request,
    db: DbSession,
    found: SurrenderRequest,
    *,
    refused: RequestStatus | None = None,
    status_code: int = 200,
) -> Response:
    current = RequestStatus(found.status)
    return render.page(
        request,
        db,
        "request.html",
        status_code=status_code,
        item=SurrenderRequestRead.model_validate(found),
        # In workflow order, so the buttons keep their places from one request to the next.
        targets=[s for s in RequestStatus if s in ALLOWED[current]],
        refused=refused,
        error=False,
        reason="",
        chosen="",
    )


@router.get("/requests/{request_id}")
def request_page(request: Request, request_id: str, db: DbSession, _: QueueReader) -> Response:
    """Channel, times, status and the next steps; contact and content stay sealed."""
    return _request_page(request, db, _found(db, request_id))


@router.post("/requests/{request_id}/status")
def move_request(
    request: Request,
    request_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Mover,
    status: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Move a request to the status its workflow allows next; refuse anything else."""
    found = _found(db, request_id)
    try:
        target = RequestStatus(status)
    except ValueError:
        raise HTTPException(400, "unknown status") from None
    try:
        intake_service.move(db, audit=rt.audit, actor=who.actor, request=found, status=target)
    except intake_service.TransitionError:
        # Usually someone else moved it first: show its current state and the refusal.
        return _request_page(request, db, found, refused=target, status_code=409)
    # Post/redirect/get: a reload does not post the move again.
    return RedirectResponse(f"/requests/{found.id}", status_code=303)


@router.post("/requests/{request_id}/reveal")
def reveal_request(
    request: Request,
    request_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Revealer,
    purpose: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Open the contact and content for a stated purpose; they appear only in this response."""
    found = _found(db, request_id)
    item = SurrenderRequestRead.model_validate(found)
    refused = render.refused_purpose(
        request, db, "_request_reveal_form.html", purpose, reason, item=item
    )
    if refused is not None:
        return refused
    opened = disclosure.reveal_request(
        db,
        keyring=rt.keyring,
        audit=rt.audit,
        who=who,
        request=found,
        purpose=purpose,
        reason=reason,
    )
    template = "_request_contents.html" if render.is_htmx(request) else "request_revealed.html"
    return render.page(request, db, template, item=item, opened=opened)

"""The audit log, newest first, and a button that verifies the whole chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.audit import service as audit_service
from safeconduct.audit.schemas import AuditEntryRead
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.schemas_common import Page
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form
from safeconduct.web.ui.routes_people import actor_names

router = APIRouter(dependencies=[Depends(csrf_form)])
AuditReader = Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))]
AuditVerifier = Annotated[Principal, Depends(Requires(Permission.AUDIT_VERIFY))]
PAGE_SIZE = 50


@router.get("/audit")
def audit_page(
    request: Request,
    db: DbSession,
    who: AuditReader,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    rows = audit_service.list_entries(db, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    items = [AuditEntryRead.model_validate(r) for r in rows]
    found = Page[AuditEntryRead](
        items=items, total=audit_service.count_entries(db), page=page, size=PAGE_SIZE
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    return render.page(request, db, "audit.html", found=found, pages=pages, actors=actor_names(db))


@router.post("/audit/verify")
def verify(request: Request, db: DbSession, rt: RuntimeDep, who: AuditVerifier) -> Response:
    """Check the chain, the signed head and every checkpoint; show the verdict."""
    verdict = audit_service.verify(db, rt.audit.signer.public)
    template = "_verdict.html" if render.is_htmx(request) else "verdict.html"
    return render.page(request, db, template, verdict=verdict)

"""`/api/v1/audit`: list entries, verify the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.audit import service
from safeconduct.audit.schemas import AuditEntryRead, VerifyRead
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED
from safeconduct.schemas_common import Page

router = APIRouter(prefix="/audit", tags=["audit"], responses=GUARDED)


@router.get("/entries", response_model=Page[AuditEntryRead])
def list_entries(
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AuditEntryRead]:
    """Newest entries first."""
    rows = service.list_entries(db, offset=(page - 1) * size, limit=size)
    return Page[AuditEntryRead](
        items=[AuditEntryRead.model_validate(r) for r in rows],
        total=service.count_entries(db),
        page=page,
        size=size,
    )


@router.post("/verify", response_model=VerifyRead)
def verify_log(
    db: DbSession,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(Requires(Permission.AUDIT_VERIFY))],
) -> VerifyRead:
    """Check the whole chain, the signed head and every checkpoint."""
    verdict = service.verify(db, rt.audit.signer.public)
    return VerifyRead(
        ok=verdict.ok, entries=verdict.entries, problem=verdict.problem, bad_seq=verdict.bad_seq
    )

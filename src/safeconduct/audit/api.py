"""`/api/v1/audit`: list entries (filtered by actor, action, record and days), verify the
chain."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.orm import Session

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.audit import service
from safeconduct.audit.actors import account_actor
from safeconduct.audit.schemas import AuditEntryRead, VerifyRead
from safeconduct.audit.service import EntryFilter
from safeconduct.audit.tags import AuditAction
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors
from safeconduct.schemas_common import Page

router = APIRouter(prefix="/audit", tags=["audit"], responses=GUARDED)


def actors_named(db: Session, text: str) -> frozenset[str]:
    """Return the actors a filter's text names: the account with that username, else the
    text as the log writes an actor (`account:<id>`, `cli`, `system:demo`, `anonymous`)."""
    name = text.strip()
    account = accounts.get_by_username(db, username=name.lower())
    return frozenset({account_actor(account.id).name if account is not None else name})


def entry_filter(
    db: Session,
    *,
    actor: str | None = None,
    action: AuditAction | None = None,
    record: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> EntryFilter:
    """Return the criteria a reader asked for; empty texts ask for nothing."""
    return EntryFilter(
        actors=actors_named(db, actor) if actor and actor.strip() else frozenset(),
        action=action.value if action is not None else None,
        record=record.strip() if record and record.strip() else None,
        since=since,
        until=until,
    )


@router.get("/entries", response_model=Page[AuditEntryRead], responses=errors(422))
def list_entries(
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
    actor: Annotated[
        str | None, Query(max_length=128, description="a username, or an actor as logged")
    ] = None,
    action: Annotated[AuditAction | None, Query()] = None,
    record: Annotated[str | None, Query(max_length=64, description="the record's id")] = None,
    since: Annotated[date | None, Query(alias="from", description="first day, UTC")] = None,
    until: Annotated[date | None, Query(alias="to", description="last day, UTC")] = None,
) -> Page[AuditEntryRead]:
    """Newest entries first; only those that meet every filter given."""
    if since is not None and until is not None and until < since:
        raise HTTPException(422, "to: must not be before from")
    criteria = entry_filter(db, actor=actor, action=action, record=record, since=since, until=until)
    rows = service.list_entries(db, criteria=criteria, offset=(page - 1) * size, limit=size)
    return Page[AuditEntryRead](
        items=[AuditEntryRead.model_validate(r) for r in rows],
        total=service.count_entries(db, criteria=criteria),
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
    keys = rt.audit_keys()
    verdict = service.verify(db, keys[0], keys[1:])
    return VerifyRead(
        ok=verdict.ok, entries=verdict.entries, problem=verdict.problem, bad_seq=verdict.bad_seq
    )

"""The audit log, newest first, filtered by actor, action, record and days with the filters in
the address; the filtered entries as CSV; a button that verifies the whole chain."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.audit import service as audit_service
from safeconduct.audit.api import entry_filter
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.schemas import AuditEntryRead
from safeconduct.audit.service import EntryFilter
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import gate
from safeconduct.bureau.gate import Output
from safeconduct.bureau.models import DeathDocumentKind
from safeconduct.channels.models import IntegrationKind, SubmissionKind
from safeconduct.custody.models import CustodyEventKind
from safeconduct.db import today
from safeconduct.disclosure.policy import Purpose
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.intake.models import RequestStatus
from safeconduct.intake.service import PROBE_STATES
from safeconduct.schemas_common import Page
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form
from safeconduct.web.ui.routes_people import actor_names

router = APIRouter(dependencies=[Depends(csrf_form)])
AuditReader = Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))]
AuditVerifier = Annotated[Principal, Depends(Requires(Permission.AUDIT_VERIFY))]
PAGE_SIZE = 50
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The codes an export may carry from a purpose: why a sealed value was opened, the status a
# request moved to, the kind of a custody event. Anything after them may be a reason typed.
PURPOSE_CODES = frozenset(
    [
        *(p.value for p in Purpose),
        *(s.value for s in RequestStatus),
        *CustodyEventKind,
        *(k.value for k in SubmissionKind),
        *(k.value for k in IntegrationKind),
        *PROBE_STATES,
        # The bureau's outputs: what a card, a death document or a transmission was.
        *(o.value for o in Output),
        *(k.value for k in DeathDocumentKind),
    ]
)
CSV_HEADER = (
    "seq",
    "day",
    "actor",
    "credential",
    "action",
    "subject_type",
    "subject_id",
    "purpose_code",
)

ActorText = Annotated[str, Query(max_length=128)]
Code = Annotated[str, Query(max_length=64)]
Since = Annotated[str, Query(alias="from", max_length=10)]
Until = Annotated[str, Query(alias="to", max_length=10)]


@dataclass(frozen=True, slots=True)
class Asked:
    """The filters as the reader typed them, kept on the form and in every link."""

    actor: str = ""
    action: str = ""
    record: str = ""
    since: str = ""
    until: str = ""

    def query(self) -> str:
        """The filters given, as a query string (the names the form uses)."""
        names = {"since": "from", "until": "to"}
        given = {names.get(k, k): v.strip() for k, v in asdict(self).items() if v.strip()}
        return urlencode(given)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if DAY.fullmatch(text) else None
    except ValueError:
        return None


def _criteria(db: Session, asked: Asked) -> tuple[EntryFilter | None, set[str]]:
    """Return the criteria, or None and the names of the filters that are wrong."""
    wrong: set[str] = set()
    action = next((a for a in AuditAction if a.value == asked.action.strip()), None)
    if asked.action.strip() and action is None:
        wrong.add("action")
    since, until = _day(asked.since.strip()), _day(asked.until.strip())
    if asked.since.strip() and since is None:
        wrong.add("from")
    if asked.until.strip() and until is None:
        wrong.add("to")
    if since is not None and until is not None and until < since:
        wrong.add("range")
    if wrong:
        return None, wrong
    criteria = entry_filter(
        db, actor=asked.actor, action=action, record=asked.record, since=since, until=until
    )
    return criteria, wrong


def _found(db: Session, criteria: EntryFilter, page: int) -> tuple[Page[AuditEntryRead], int]:
    total = audit_service.count_entries(db, criteria=criteria)
    pages = max(1, -(-total // PAGE_SIZE))
    # A page past the last shows the last: an old link still lands on entries.
    page = min(page, pages)
    rows = audit_service.list_entries(
        db, criteria=criteria, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    items = [AuditEntryRead.model_validate(r) for r in rows]
    return Page[AuditEntryRead](items=items, total=total, page=page, size=PAGE_SIZE), pages


def _page(
    request: Request, db: Session, asked: Asked, page: int, *, wrong: set[str] | None = None
) -> Response:
    criteria, problems = (None, wrong) if wrong else _criteria(db, asked)
    found, pages = (None, 1) if criteria is None else _found(db, criteria, page)
    query = asked.query()
    return render.page(
        request,
        db,
        "audit.html",
        status_code=422 if problems else 200,
        found=found,
        pages=pages,
        actors=actor_names(db),
        asked=asked,
        wrong=problems or set(),
        actions=list(AuditAction),
        query=query,
    )


@router.get("/audit")
def audit_page(
    request: Request,
    db: DbSession,
    who: AuditReader,
    actor: ActorText = "",
    action: Code = "",
    record: Code = "",
    since: Since = "",
    until: Until = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The entries that meet the filters given, newest first."""
    return _page(request, db, Asked(actor, action, record, since, until), page)


def _csv(rows: list[AuditEntry], names: dict[str, str]) -> str:
    # Through the export gate: ids and codes only, never a purpose's free text.
    admitted = [
        gate.admit(
            Output.AUDIT_EXPORT,
            {
                "seq": e.seq,
                "day": e.at[:10],
                "actor": names.get(e.actor, e.actor),
                "credential": e.credential,
                "action": e.action,
                "subject_type": e.subject_type,
                "subject_id": e.subject_id,
                "purpose_code": audit_service.purpose_code(e.purpose, PURPOSE_CODES),
            },
        )
        for e in rows
    ]
    return gate.csv_text(admitted, CSV_HEADER)


@router.get("/audit/export.csv")
def export_csv(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: AuditReader,
    actor: ActorText = "",
    action: Code = "",
    record: Code = "",
    since: Since = "",
    until: Until = "",
) -> Response:
    """The entries that meet the filters, as CSV without purposes' free text; the export
    is itself audited."""
    asked = Asked(actor, action, record, since, until)
    criteria, wrong = _criteria(db, asked)
    if criteria is None:
        return _page(request, db, asked, 1, wrong=wrong)
    rows = audit_service.export(db, audit=rt.audit, actor=who.actor, criteria=criteria)
    # The day of the export only: a file name travels further than its content.
    filename = f"audit-log-{today().isoformat()}.csv"
    return Response(
        _csv(rows, actor_names(db)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/audit/verify")
def verify(request: Request, db: DbSession, rt: RuntimeDep, who: AuditVerifier) -> Response:
    """Check the chain, the signed head and every checkpoint; show the verdict."""
    keys = rt.audit_keys()
    verdict = audit_service.verify(db, keys[0], keys[1:])
    template = "_verdict.html" if render.is_htmx(request) else "verdict.html"
    return render.page(request, db, template, verdict=verdict)

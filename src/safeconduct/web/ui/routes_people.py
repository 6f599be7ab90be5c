"""People: search and paging, the person page, and the purpose-bound reveal of circumstances."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import Response

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Permission, allows
from safeconduct.accounts.service import Principal
from safeconduct.audit.schemas import AuditEntryRead
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody
from safeconduct.disclosure import service as disclosure
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.people import search as people_search
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.people.schemas import PersonRead
from safeconduct.schemas_common import Page
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Reader = Annotated[Principal, Depends(Requires(Permission.PERSON_READ))]
Revealer = Annotated[Principal, Depends(Requires(Permission.CIRCUMSTANCES_REVEAL))]
PAGE_SIZE = 20


def actor_names(db: DbSession) -> dict[str, str]:
    """Map audit actors (`account:<id>`) to usernames, so logs read as names of staff."""
    return {f"account:{a.id}": a.username for a in accounts.list_(db)}


def _person(db: DbSession, person_id: str) -> Person:
    person = people_service.get_registered(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    return person


@router.get("/people")
def people_list(
    request: Request,
    db: DbSession,
    who: Reader,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Search with one box (names in any script, dates of birth, service numbers); page
    through the results. A page past the last shows the last."""
    rows, total = people_search.search(db, q=q, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:
        page = pages
        rows, total = people_search.search(db, q=q, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    items = [PersonRead.model_validate(r) for r in rows]
    found = Page[PersonRead](items=items, total=total, page=page, size=PAGE_SIZE)
    # Going Back to a searched page asks for the whole page again, not the fragment.
    restoring = request.headers.get("hx-history-restore-request") == "true"
    fragment = render.is_htmx(request) and not restoring
    template = "_people_results.html" if fragment else "people.html"
    return render.page(request, db, template, found=found, q=q or "", pages=pages)


def _access_log(db: DbSession, who: Principal, person_id: str) -> list[AuditEntryRead] | None:
    if not allows(who.role, Permission.ACCESS_LOG_READ):
        return None
    entries = disclosure.access_log(db, person_id=person_id)
    return [AuditEntryRead.model_validate(e) for e in entries]


@router.get("/people/{person_id}")
def person_page(request: Request, person_id: str, db: DbSession, who: Reader) -> Response:
    """Art. 17 identity, custody records and, for those allowed, who opened sealed values."""
    person = _person(db, person_id)
    custodies = (
        custody_service.list_for_person(db, person_id=person.id)
        if allows(who.role, Permission.CUSTODY_READ)
        else None
    )
    return render.page(
        request,
        db,
        "person.html",
        person=person,
        custodies=custodies,
        in_custody=custodies is not None
        and custody_service.open_custody(db, person_id=person.id) is not None,
        events=(
            custody_service.events_for_person(db, person_id=person.id)
            if custodies is not None
            else {}
        ),
        revisions=people_service.revisions(db, person_id=person.id),
        access_log=_access_log(db, who, person.id),
        actors=actor_names(db),
    )


def _custody(db: DbSession, person_id: str, custody_id: str) -> Custody:
    custody = custody_service.get(db, custody_id=custody_id)
    if custody is None or custody.person_id != person_id:
        raise HTTPException(404, "custody record not found")
    return custody


@router.post("/people/{person_id}/custodies/{custody_id}/reveal")
def reveal_circumstances(
    request: Request,
    person_id: str,
    custody_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Revealer,
    purpose: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Open the circumstances for a stated purpose; they appear only in this response."""
    # An erased person is still found here, so that opening their erased values answers
    # 410 as the API does, not 404.
    person = people_service.get(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    custody = _custody(db, person.id, custody_id)
    refused = render.refused_purpose(
        request, db, "_reveal_form.html", purpose, reason, custody=custody, person=person
    )
    if refused is not None:
        return refused
    opened = disclosure.reveal_circumstances(
        db,
        keyring=rt.keyring,
        audit=rt.audit,
        who=who,
        custody=custody,
        purpose=purpose,
        reason=reason,
    )
    template = "_circumstances.html" if render.is_htmx(request) else "revealed.html"
    return render.page(request, db, template, person=person, custody=custody, opened=opened)

"""Exchanges in the UI: the events and their invalidated lists, the list builder (build, add,
remove, approve by a second officer, reopen, export, reschedule, complete, cancel) and the
verifier's schedule. The same services as the API; a refusal shows the same reasons, in
words, naming the person concerned. The exchange role never sees a wish, only eligibility."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.custody.service import InvalidFieldError
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.people import search as people_search
from safeconduct.people.models import Person
from safeconduct.repatriation import exchange, policy, standing
from safeconduct.repatriation.documents import ExportFormat
from safeconduct.repatriation.models import (
    Category,
    EventStatus,
    ExchangeEvent,
    ListStatus,
    RemovalReason,
)
from safeconduct.repatriation.schemas import (
    ExchangeEventCreate,
    ExchangeListRead,
    InvalidationRead,
    Problem,
    Reschedule,
)
from safeconduct.web.ui import i18n, render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Reader = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_READ))]
Manager = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_MANAGE))]
Approver = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_APPROVE))]
Exporter = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_EXPORT))]
Scheduled = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_SCHEDULE))]
Field = Annotated[str, Form(max_length=200)]
EventId = Annotated[str, Query(max_length=64)]
SEARCH_SIZE = 10


@dataclass(frozen=True)
class Found:
    """A person a search found for the builder: eligible for the planned day or why not."""

    person: Person
    reason: str | None
    on_list: bool


def page_url(event_id: str, **more: str) -> str:
    return "/exchange/list?" + urlencode({"event": event_id, **more})


def _event(db: Session, event_id: str) -> ExchangeEvent:
    event = exchange.get_event(db, event_id=event_id) if event_id else None
    if event is None:
        raise HTTPException(404, "exchange event not found")
    return event


def _problems(db: Session, exc: exchange.ListConflictError) -> list[Problem]:
    return exchange.named_problems(db, exc)


# --- the events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventLine:
    event: ExchangeEvent
    status: str
    members: int
    invalidations: list[InvalidationRead]


def _lines(db: Session) -> list[EventLine]:
    lines = []
    for event in exchange.events(db):
        if event.status == EventStatus.OPEN.value:
            view = exchange.view(db, event=event)
            lines.append(EventLine(event, view.status.value, len(view.members), view.invalidations))
        else:
            lines.append(EventLine(event, exchange.list_of(db, event).status, 0, []))
    return lines


def _events_page(
    request: Request,
    db: Session,
    *,
    typed: dict[str, str] | None = None,
    problems: list[str] | None = None,
) -> Response:
    return render.page(
        request,
        db,
        "exchange.html",
        status_code=422 if problems else 200,
        lines=_lines(db),
        typed=typed or {},
        problems=problems or [],
    )


@router.get("/exchange")
def events_page(request: Request, db: DbSession, _: Reader) -> Response:
    """Every exchange event, its list's state, and each invalidated list with whom and why."""
    return _events_page(request, db)


@router.post("/exchange")
def create_event(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Manager,
    counterpart: Field = "",
    planned_on: Field = "",
    quota_wounded_sick: Field = "0",
    quota_officer: Field = "0",
    quota_enlisted: Field = "0",
) -> Response:
    """Create an event with an empty draft list; a refused field shows the form as typed."""
    typed = {
        "counterpart": counterpart,
        "planned_on": planned_on,
        "quota_wounded_sick": quota_wounded_sick,
        "quota_officer": quota_officer,
        "quota_enlisted": quota_enlisted,
    }
    body = {k: (v.strip() or None) for k, v in typed.items()}
    try:
        event = exchange.create_event(
            db,
            audit=rt.audit,
            actor=who.actor,
            event_in=ExchangeEventCreate.model_validate(body),
            window_days=rt.settings.exchange_window_days,
        )
    except ValidationError as exc:
        names = [str(e["loc"][0]) if e["loc"] else "form" for e in exc.errors()]
        return _events_page(request, db, typed=typed, problems=list(dict.fromkeys(names)))
    except InvalidFieldError as exc:
        return _events_page(request, db, typed=typed, problems=[exc.field[0]])
    return RedirectResponse(page_url(event.id), status_code=303)


# --- the builder -----------------------------------------------------------------------------


def _search(db: Session, event: ExchangeEvent, view: ExchangeListRead, q: str) -> list[Found]:
    """People matching `q`, each eligible for the planned day or why not (never a wish)."""
    if not q.strip():
        return []
    people, _total = people_search.search(db, q=q, limit=SEARCH_SIZE)
    found = standing.standings(db, [p.id for p in people])
    listed = {m.person_id for m in view.members}
    out = []
    for person in people:
        why = policy.ineligible(
            found[person.id], on=event.planned_on, window_days=event.window_days
        )
        out.append(Found(person, None if why is None else why.value, person.id in listed))
    return out


def _builder(
    request: Request,
    db: Session,
    event: ExchangeEvent,
    *,
    status_code: int = 200,
    problems: list[Problem] | None = None,
    q: str = "",
    typed: dict[str, str] | None = None,
    field_problems: list[str] | None = None,
) -> Response:
    view = exchange.view(db, event=event)
    counts = {c.value: 0 for c in Category}
    for member in view.members:
        counts[member.category.value] += 1
    return render.page(
        request,
        db,
        "exchange_list.html",
        status_code=status_code,
        event=event,
        view=view,
        counts=counts,
        quotas={c.value: n for c, n in exchange.quotas(event).items()},
        problems=problems or [],
        q=q,
        found=_search(db, event, view, q),
        typed=typed or {},
        field_problems=field_problems or [],
        removal_reasons=[r.value for r in RemovalReason],
        formats=[f.value for f in ExportFormat],
        is_open=event.status == EventStatus.OPEN.value,
        editable=view.status is not ListStatus.APPROVED,
    )


@router.get("/exchange/list")
def builder_page(
    request: Request,
    db: DbSession,
    _: Reader,
    event: EventId = "",
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The list of an event: who is on it, in which category, eligible or why not; the
    builder's actions; a search to add a person by name."""
    return _builder(request, db, _event(db, event), q=q)


def _act(request: Request, db: Session, event: ExchangeEvent, call: Any) -> Response:
    """Run a change; a refusal undoes whatever it began (a savepoint) and shows the list
    again, 409, with each reason in words."""
    try:
        with db.begin_nested():
            call()
    except exchange.ListConflictError as exc:
        return _builder(request, db, event, status_code=409, problems=_problems(db, exc))
    return RedirectResponse(page_url(event.id), status_code=303)


@router.post("/exchange/{event_id}/build")
def build(request: Request, event_id: str, db: DbSession, rt: RuntimeDep, who: Manager) -> Response:
    """Propose the eligible for the places left in each category."""
    event = _event(db, event_id)
    return _act(request, db, event, lambda: exchange.build(
        db, audit=rt.audit, actor=who.actor, event=event))  # fmt: skip


@router.post("/exchange/{event_id}/add")
def add(
    request: Request,
    event_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Manager,
    person_id: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    """Put a person on the list: refused, naming them and why, unless eligible with room."""
    event = _event(db, event_id)
    return _act(request, db, event, lambda: exchange.add(
        db, audit=rt.audit, actor=who.actor, event=event, person_id=person_id.strip()))  # fmt: skip


@router.post("/exchange/{event_id}/remove")
def remove(
    request: Request,
    event_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Manager,
    person_id: Annotated[str, Form(max_length=36)] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Take a person off the list, for a reason from the fixed choice."""
    event = _event(db, event_id)
    if reason not in {r.value for r in RemovalReason}:
        problems = [Problem(person_id=person_id, name=None, reason="no_reason")]
        return _builder(request, db, event, status_code=422, problems=problems)
    return _act(request, db, event, lambda: exchange.remove(
        db, audit=rt.audit, actor=who.actor, event=event, person_id=person_id,
        reason=RemovalReason(reason)))  # fmt: skip


@router.post("/exchange/{event_id}/approve")
def approve(
    request: Request,
    event_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Approver,
    version: Annotated[int, Form(ge=1)],
) -> Response:
    """Approve the list as read: never by one who built or changed it."""
    event = _event(db, event_id)
    return _act(request, db, event, lambda: exchange.approve(
        db, audit=rt.audit, actor=who.actor, signer=rt.audit.signer, event=event,
        version=version))  # fmt: skip


@router.post("/exchange/{event_id}/reopen")
def reopen(
    request: Request, event_id: str, db: DbSession, rt: RuntimeDep, who: Manager
) -> Response:
    """Turn the approved list back into a draft; it needs a new approval."""
    event = _event(db, event_id)
    return _act(request, db, event, lambda: exchange.reopen(
        db, audit=rt.audit, actor=who.actor, event=event))  # fmt: skip


@router.post("/exchange/{event_id}/export")
def export(
    request: Request,
    event_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Exporter,
    format: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Download the approved list; if someone on it is no longer eligible, the list is
    invalidated (and that is kept) and the reasons are shown instead."""
    event = _event(db, event_id)
    if format not in {f.value for f in ExportFormat}:
        raise HTTPException(422, "format: json, csv or pdf")
    fmt = ExportFormat(format)
    done = exchange.export(db, audit=rt.audit, actor=who.actor, event=event, fmt=fmt)
    if isinstance(done, exchange.ListConflictError):
        return _builder(request, db, event, status_code=409, problems=_problems(db, done))
    return Response(
        content=done.content,
        media_type=done.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{done.file_name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/exchange/{event_id}/reschedule")
def reschedule(
    request: Request,
    event_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Manager,
    planned_on: Field = "",
    version: Field = "",
) -> Response:
    """Move the planned day; an approved list is checked again for the new day."""
    event = _event(db, event_id)
    typed = {"planned_on": planned_on}
    try:
        moved = Reschedule.model_validate({"planned_on": planned_on or None, "version": version})
    except ValidationError as exc:
        names = list(dict.fromkeys(str(e["loc"][0]) for e in exc.errors() if e["loc"]))
        if "planned_on" in names:
            return _builder(request, db, event, status_code=422, typed=typed,
                            field_problems=["planned_on"])  # fmt: skip
        raise HTTPException(422, "version: a whole number") from None
    try:
        with db.begin_nested():
            exchange.reschedule(
                db,
                audit=rt.audit,
                actor=who.actor,
                event=event,
                planned_on=moved.planned_on,
                version=moved.version,
            )
    except InvalidFieldError:
        return _builder(request, db, event, status_code=422, typed=typed,
                        field_problems=["planned_on"])  # fmt: skip
    except exchange.ListConflictError as exc:
        return _builder(request, db, event, status_code=409, problems=_problems(db, exc))
    return RedirectResponse(page_url(event.id), status_code=303)


def _confirm(request: Request, db: Session, event: ExchangeEvent, what: str) -> Response:
    with i18n.active(render.language_of(request, db)):
        macros: Any = render.env.get_template("_exchange_macros.html").module
        heading = macros.confirm_heading(what)
        message = macros.confirm_message(what, event.counterpart, event.planned_on)
        button = macros.confirm_button(what)
    return render.page(
        request,
        db,
        "confirm.html",
        heading=heading,
        message=message,
        action=f"/exchange/{event.id}/{what}",
        fields={},
        button=button,
        cancel=page_url(event.id),
    )


@router.post("/exchange/{event_id}/complete")
def complete(
    request: Request,
    event_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Manager,
    confirm: Field = "",
) -> Response:
    """The exchange took place: everyone on the approved list is recorded repatriated.
    Asked once more before it is done."""
    event = _event(db, event_id)
    if confirm != "yes":
        return _confirm(request, db, event, "complete")
    return _act(request, db, event, lambda: exchange.complete(
        db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, event=event))  # fmt: skip


@router.post("/exchange/{event_id}/cancel")
def cancel(
    request: Request,
    event_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Manager,
    confirm: Field = "",
) -> Response:
    """The exchange will not take place. Asked once more before it is done."""
    event = _event(db, event_id)
    if confirm != "yes":
        return _confirm(request, db, event, "cancel")
    return _act(request, db, event, lambda: exchange.cancel(
        db, audit=rt.audit, actor=who.actor, event=event))  # fmt: skip


# --- the verifier's schedule -------------------------------------------------------------------


@router.get("/exchange/schedule")
def schedule_page(request: Request, db: DbSession, _: Scheduled) -> Response:
    """Whom the verifier must hear before each exchange, between which days; and the lists
    invalidated since their approval, with whom and why."""
    return render.page(
        request,
        db,
        "exchange_schedule.html",
        entries=exchange.schedule(db),
        notices=exchange.notices(db),
    )

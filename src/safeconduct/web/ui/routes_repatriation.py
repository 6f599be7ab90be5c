"""Repatriation wishes in the UI: the wish panel of the person page (the records as heard,
the wish in effect today, never a note), the forms that record a statement and the
verifier's interview, the purpose-bound reveal of a record's sealed values, the stay plan
(Art. 118) and the registrar's counts of those who stay. The same services as the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import object_session

from safeconduct import clock
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.disclosure import service as disclosure
from safeconduct.disclosure.policy import may_open_wish
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.repatriation import policy, service
from safeconduct.repatriation.models import StayPlan, Wish, WishRecord
from safeconduct.repatriation.schemas import (
    EffectiveWishRead,
    InterviewCreate,
    StatementCreate,
    StayCount,
)
from safeconduct.runtime import Runtime
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Hearer = Annotated[Principal, Depends(Requires(Permission.WISH_RECORD))]
Verifier = Annotated[Principal, Depends(Requires(Permission.WISH_VERIFY))]
Revealer = Annotated[Principal, Depends(Requires(Permission.WISH_NOTES_REVEAL))]
Planner = Annotated[Principal, Depends(Requires(Permission.STAY_PLAN_WRITE))]
Counter = Annotated[Principal, Depends(Requires(Permission.STAY_COUNT_READ))]
Text = Annotated[str, StringConstraints(max_length=2000)]
Short = Annotated[str, StringConstraints(max_length=64)]
# The freshness window of each store's runtime, for the person page (no runtime in context).
_WINDOW: WeakKeyDictionary[Engine, int] = WeakKeyDictionary()
DEFAULT_WINDOW = policy.DEFAULT_WINDOW_DAYS


def remember_window(app: FastAPI) -> None:
    """Note the runtime's freshness window, so the wish in effect on the person page is
    judged as the exchange builder judges it."""
    rt = app.state.runtime
    if isinstance(rt, Runtime):
        _WINDOW[rt.engine] = rt.settings.exchange_window_days


# --- the panel of the person page ---------------------------------------------------------


@dataclass(frozen=True)
class WishPanel:
    """What the person page shows of a person's wish: the records as heard (never their
    sealed values), the wish in effect today, whether one who stays has a plan."""

    records: list[WishRecord]
    effective: EffectiveWishRead | None
    stays: bool
    plan: StayPlan | None


def panel(person: Person) -> WishPanel:
    session = object_session(person)
    if session is None:  # pragma: no cover - the page's own session loaded the person
        return WishPanel([], None, False, None)
    bind = session.get_bind()
    window = _WINDOW.get(bind, DEFAULT_WINDOW) if isinstance(bind, Engine) else DEFAULT_WINDOW
    today = clock.today()
    found = service.records(session, person_id=person.id)
    stays = service.stays_on(session, person_id=person.id, on=today, window_days=window)
    return WishPanel(
        found,
        service.effective(session, person_id=person.id, on=today, window_days=window),
        stays,
        service.stay_plan(session, person_id=person.id),
    )


render.env.globals["wish_panel"] = panel
render.env.globals["wish_may_open"] = may_open_wish
render.env.globals["wish_values"] = [w.value for w in Wish]
render.env.globals["stay_plans"] = [p.value for p in StayPlan]


# --- recording ------------------------------------------------------------------------------


class WishFields(BaseModel):
    """A statement or interview form as posted, as typed (the service checks it)."""

    model_config = ConfigDict(extra="ignore")

    wish: Short = ""
    stated_on: Short = ""
    held_on: Short = ""
    without_witnesses: Short = ""
    interpreter: Short = ""
    language: Short = ""
    risk_on_return: Short = ""
    risk_reasons: Text = ""
    notes: Text = ""
    note: Text = ""


Posted = Annotated[WishFields, Form()]
render.env.globals["wish_blank"] = WishFields()
render.env.globals["wish_today"] = lambda: clock.today().isoformat()


@dataclass(frozen=True)
class Refused:
    """A form sent back: which one, the fields refused, what was typed."""

    form: str
    problems: list[str]
    typed: WishFields = field(default_factory=WishFields)


def _person(db: DbSession, person_id: str) -> Person:
    person = people_service.get_registered(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    return person


def _yes_no(value: str) -> bool | str | None:
    return {"yes": True, "no": False}.get(value, value or None)


def _statement(typed: WishFields) -> dict[str, Any]:
    return {
        "wish": typed.wish or None,
        "stated_on": typed.stated_on or None,
        "note": typed.note.strip() or None,
    }


def _interview(typed: WishFields) -> dict[str, Any]:
    return {
        "wish": typed.wish or None,
        "held_on": typed.held_on or None,
        "without_witnesses": _yes_no(typed.without_witnesses),
        "interpreter": _yes_no(typed.interpreter),
        "language": typed.language.strip().lower() or None,
        "risk_on_return": _yes_no(typed.risk_on_return) or False,
        "risk_reasons": typed.risk_reasons.strip() or None,
        "notes": typed.notes.strip() or None,
    }


def _fields(exc: ValidationError | service.InvalidFieldError) -> list[str]:
    """The form fields refused; never the messages (English) nor the input."""
    if isinstance(exc, service.InvalidFieldError):
        name = exc.field[0] if exc.field else "form"
        return ["custody" if name == "person_id" else str(name)]
    return list(dict.fromkeys(str(e["loc"][0]) if e["loc"] else "form" for e in exc.errors()))


def _sent_back(
    request: Request, db: DbSession, person: Person, refused: Refused, status_code: int = 422
) -> Response:
    return render.page(
        request,
        db,
        "wish_form.html",
        status_code=status_code,
        person=person,
        form=refused.form,
        problems=refused.problems,
        typed=refused.typed,
        today=clock.today().isoformat(),
    )


def _back(person: Person) -> Response:
    # Post/redirect/get: a reload records nothing twice.
    return RedirectResponse(f"/people/{person.id}#wish", status_code=303)


@router.post("/people/{person_id}/wishes/statement")
def record_statement(
    request: Request, person_id: str, db: DbSession, rt: RuntimeDep, who: Hearer, posted: Posted
) -> Response:
    """Record a wish the person stated; a refused field shows the form again as typed."""
    person = _person(db, person_id)
    try:
        service.record_statement(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            role=who.role,
            person_id=person.id,
            statement_in=StatementCreate.model_validate(_statement(posted)),
        )
    except (ValidationError, service.InvalidFieldError) as exc:
        return _sent_back(request, db, person, Refused("statement", _fields(exc), posted))
    return _back(person)


@router.post("/people/{person_id}/wishes/interview")
def record_interview(
    request: Request, person_id: str, db: DbSession, rt: RuntimeDep, who: Verifier, posted: Posted
) -> Response:
    """Record the verifier's interview and the wish it found."""
    person = _person(db, person_id)
    try:
        service.record_interview(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            person_id=person.id,
            interview_in=InterviewCreate.model_validate(_interview(posted)),
        )
    except (ValidationError, service.InvalidFieldError) as exc:
        return _sent_back(request, db, person, Refused("interview", _fields(exc), posted))
    return _back(person)


@router.post("/people/{person_id}/stay-plan")
def set_stay_plan(
    request: Request,
    person_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Planner,
    plan: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Record the end-of-hostilities plan (Art. 118) of a person who does not return."""
    person = _person(db, person_id)
    if plan not in {p.value for p in StayPlan}:
        return _sent_back(request, db, person, Refused("stay_plan", ["plan"]))
    service.set_stay_plan(
        db, audit=rt.audit, actor=who.actor, person_id=person.id, plan=StayPlan(plan)
    )
    return _back(person)


# --- the reveal ------------------------------------------------------------------------------


@router.post("/people/{person_id}/wishes/reveal")
def reveal_record(
    request: Request,
    person_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Revealer,
    record_id: Annotated[str, Form(max_length=64)] = "",
    purpose: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Open a wish record's sealed values for a stated purpose; they appear only in this
    response, and the read is audited."""
    person = people_service.get(db, person_id=person_id)  # erased: 410, as the API
    record = service.get_record(db, record_id=record_id) if record_id else None
    if person is None or record is None or record.person_id != person.id:
        raise HTTPException(404, "wish record not found")
    refused = render.refused_purpose(
        request, db, "_wish_reveal_form.html", purpose, reason, person=person, record=record
    )
    if refused is not None:
        return refused
    try:
        opened = disclosure.reveal_wish_record(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            who=who,
            record=record,
            purpose=purpose,
            reason=reason,
        )
    except disclosure.NothingSealedError:
        raise HTTPException(404, "the wish record has nothing sealed") from None
    template = "_wish_opened.html" if render.is_htmx(request) else "wish_revealed.html"
    return render.page(request, db, template, person=person, record=record, opened=opened)


# --- the registrar's counts ------------------------------------------------------------------


@router.get("/stays")
def stays_page(request: Request, db: DbSession, rt: RuntimeDep, _: Counter) -> Response:
    """How many of those whose verified wish is not to return have each plan: counts only."""
    counts: list[StayCount] = service.stay_counts(
        db, on=clock.today(), window_days=rt.settings.exchange_window_days
    )
    return render.page(
        request,
        db,
        "stays.html",
        counts=counts,
        total=sum(c.count for c in counts),
        day=clock.today(),
    )

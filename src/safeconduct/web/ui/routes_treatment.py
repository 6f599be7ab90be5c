"""Treatment in the UI: the duties dashboard, the people behind each count, the overdue
CSV, the forms that record and correct a treatment event, and a custody's treatment on the
person page. The same service and engine as the API beneath; notes go in sealed and never
come out here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, object_session

from safeconduct import clock
from safeconduct.accounts.policy import Permission, Role
from safeconduct.accounts.service import Principal
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody
from safeconduct.http.auth import Requires, forbidden
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from safeconduct.treatment import engine, policy, reports
from safeconduct.treatment import service as treatment_service
from safeconduct.treatment.models import TreatmentEvent, TreatmentKind
from safeconduct.treatment.policy import DutyState, Terms
from safeconduct.treatment.schemas import TreatmentEventCreate
from safeconduct.web.ui import charts, i18n, render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
DutyReader = Annotated[Principal, Depends(Requires(Permission.DUTY_READ))]
# The people behind a count, a duty's state each: personal data, not the auditor's.
TreatmentReader = Annotated[Principal, Depends(Requires(Permission.TREATMENT_READ))]
Recorder = Annotated[Principal, Depends(Requires(Permission.TREATMENT_WRITE))]
Field = Annotated[str, Form(max_length=2000)]
Code = Annotated[str | None, Query(max_length=32)]
Place = Annotated[str | None, Query(max_length=200)]
At = Annotated[str | None, Query(max_length=10)]
PAGE_SIZE = 50
TREND_WEEKS = 12
OVERDUE_FILENAME = "overdue-duties.csv"
# The order the form asks the facts in; which of them a kind carries is `policy.FACTS`.
FACT_ORDER = (
    "seriously_ill",
    "letters",
    "cards",
    "private_interview",
    "hours",
    "trial_on",
    "notice_on",
    "consent",
    "cause_known",
    "other_person_involved",
)
YES_NO = frozenset(
    {"seriously_ill", "private_interview", "consent", "cause_known", "other_person_involved"}
)
# The kinds whose form offers sealed notes (the model's free text), and the one with a weight.
NOTE_KINDS = frozenset(
    {
        TreatmentKind.MEDICAL_EXAMINATION,
        TreatmentKind.COMPLAINT,
        TreatmentKind.LABOUR,
        TreatmentKind.DEATH_CERTIFICATE,
    }
)
# The bureau's terms per store, for the person page, which has no runtime in its context.
_TERMS: WeakKeyDictionary[Engine, Terms] = WeakKeyDictionary()


def remember_terms(app: FastAPI) -> None:
    """Note the terms of the app's runtime, so a custody's duties on the person page are
    judged by the bureau's terms, not the defaults."""
    rt = app.state.runtime
    if isinstance(rt, Runtime):
        _TERMS[rt.engine] = policy.terms_of(rt.settings)


def recordable(role: Role) -> list[str]:
    """The kinds a role records, in the order of `TreatmentKind`."""
    return [k.value for k in TreatmentKind if role in policy.RECORDED_BY[k]]


def facts_of(kind: str) -> list[str]:
    """The facts the form asks for a kind, in form order."""
    try:
        carried = policy.FACTS.get(TreatmentKind(kind), frozenset())
    except ValueError:
        return []
    return [name for name in FACT_ORDER if name in carried]


def has_notes(kind: str) -> bool:
    return kind in {k.value for k in NOTE_KINDS}


# --- the person page: a custody's treatment ------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """A custody's treatment events (newest first, with what corrected each) and its duties'
    states today, in the order of `policy.duties`."""

    events: list[TreatmentEvent]
    corrected_by: dict[str, TreatmentEvent]
    duties: list[tuple[policy.Duty, DutyState | None]]


def timeline(custody: Custody) -> Timeline:
    """What the person page shows of a custody's treatment: never the notes."""
    session = object_session(custody)
    if session is None:  # pragma: no cover - the page's own session loaded the custody
        return Timeline([], {}, [])
    found = treatment_service.events(session, custody_id=custody.id)
    corrected_by = {e.supersedes_id: e for e in found if e.supersedes_id is not None}
    bind = session.get_bind()
    terms = _TERMS.get(bind, policy.DEFAULT_TERMS) if isinstance(bind, Engine) else None
    terms = terms or policy.DEFAULT_TERMS
    found_states = engine.states(session, today=clock.today(), terms=terms, custody_id=custody.id)
    states = {row.duty: row.state for row in found_states}
    duties = [(d, states.get(d.code)) for d in policy.duties(terms)]
    return Timeline(list(reversed(found)), corrected_by, duties)


render.env.globals["treatment_timeline"] = timeline
render.env.globals["treatment_recordable"] = recordable
render.env.globals["treatment_fact_order"] = FACT_ORDER


# --- the duties dashboard ----------------------------------------------------------------


def _day(at: str | None) -> date:
    """The day asked for, else today. The filter form sends an empty `at` for today."""
    if not at:
        return clock.today()
    try:
        return date.fromisoformat(at)
    except ValueError:
        raise HTTPException(422, "at: not a date (YYYY-MM-DD)") from None


def drill_link(**values: str | None) -> str:
    """The drill-down's address for a count: only codes, a place and a day, never a name."""
    return "/duties/people?" + urlencode({k: v for k, v in values.items() if v})


render.env.globals["duty_drill_link"] = drill_link


@dataclass(frozen=True)
class CountLine:
    """One line of counts: a duty (with its article) or a place; counts by state value."""

    key: str
    article: str
    counts: dict[str, int]


def _sum(found: dict[tuple[str, str, DutyState], int], **match: str | None) -> dict[str, int]:
    totals = {s.value: 0 for s in DutyState}
    for (place, duty, state), n in found.items():
        if match.get("place") not in (None, place) or match.get("duty") not in (None, duty):
            continue
        totals[state.value] += n
    return totals


def _trend_chart(db: Session, day: date, terms: Terms, words: dict[str, str]) -> dict[str, Any]:
    weeks = engine.trend(db, today=day, weeks=TREND_WEEKS, terms=terms)
    rows = []
    for end, totals in weeks:
        late = sum(n for (_d, s), n in totals.items() if s is DutyState.OVERDUE)
        worse = sum(n for (_d, s), n in totals.items() if s is DutyState.ESCALATED)
        rows.append((end, late, worse))
    bars = [
        charts.Bar(
            end.isoformat()[5:],
            words["bar"] % {"day": end.isoformat(), "overdue": late, "escalated": worse},
            (late, worse),
        )
        for end, late, worse in rows
    ]
    svg = charts.stacked_bars(
        chart_id="trend-chart",
        title=words["title"],
        description=words["description"],
        bars=bars,
        series=[(words["overdue"], "chart-overdue"), (words["escalated"], "chart-escalated")],
    )
    return {"svg": svg, "rows": rows}


@router.get("/duties")
def duties_page(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    _: DutyReader,
    place: Place = None,
    at: At = None,
) -> Response:
    """How many custodies are in each state of each GC III duty, per duty and per place, on
    a day; the overdue and escalated of the last twelve weeks as a chart."""
    terms, day = policy.terms_of(rt.settings), _day(at)
    place, at = place or None, day.isoformat() if at else None
    found = engine.counts(db, today=day, terms=terms)
    places = sorted({p for p, _d, _s in found} | ({place} if place else set()))
    by_duty = [
        CountLine(d.code, d.article, _sum(found, duty=d.code, place=place))
        for d in policy.duties(terms)
    ]
    by_place = [CountLine(p, "", _sum(found, place=p)) for p in places if place in (None, p)]
    with i18n.active(render.language_of(request, db)):
        words = {
            "title": i18n.gettext_("Overdue and escalated duties, last 12 weeks"),
            "description": i18n.gettext_(
                "Stacked bars, one a week, each ending on the day under it: overdue at the"
                " bottom, escalated on top, all places together. The same numbers are in"
                " the table below."
            ),
            "overdue": i18n.gettext_("Overdue"),
            "escalated": i18n.gettext_("Escalated"),
            "bar": i18n.gettext_(
                "Week ending %(day)s: overdue %(overdue)d, escalated %(escalated)d"
            ),
        }
    return render.page(
        request,
        db,
        "duties.html",
        day=day,
        at=at,
        place=place or "",
        places=places,
        by_duty=by_duty,
        by_place=by_place,
        states=[s.value for s in DutyState],
        trend=_trend_chart(db, day, terms, words),
        csv_href="/duties/overdue.csv" + _query(place=place, at=at),
    )


def _query(**values: str | None) -> str:
    given = {k: v for k, v in values.items() if v}
    return "?" + urlencode(given) if given else ""


@dataclass(frozen=True)
class PersonLine:
    """One custody behind a count: who, where, which duty in which state."""

    person: Person | None
    person_id: str
    place: str
    duty: str
    article: str
    state: str


@router.get("/duties/people")
def duty_people(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    _: DutyReader,
    who: TreatmentReader,
    duty: Code = None,
    state: Code = None,
    place: Place = None,
    at: At = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The custodies behind one count of the dashboard, by place, a page at a time."""
    terms, day = policy.terms_of(rt.settings), _day(at)
    place, at = place or None, day.isoformat() if at else None
    articles = {d.code: d.article for d in policy.duties(terms)}
    order = {code: i for i, code in enumerate(articles)}
    if (duty is not None and duty not in articles) or (
        state is not None and state not in {s.value for s in DutyState}
    ):
        raise HTTPException(404, "no such duty or state")
    wanted = DutyState(state) if state is not None else None
    rows = engine.states(db, today=day, terms=terms, duty=duty, state=wanted, place=place)
    rows.sort(key=lambda r: (r.place, r.custody_id, order[r.duty]))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(page, pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ids = {r.person_id for r in shown}
    people = {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    lines = [
        PersonLine(
            people.get(r.person_id), r.person_id, r.place, r.duty, articles[r.duty], r.state.value
        )
        for r in shown
    ]
    query = {"duty": duty, "state": state, "place": place, "at": at}
    return render.page(
        request,
        db,
        "duties_people.html",
        lines=lines,
        total=len(rows),
        page=page,
        pages=pages,
        duty=duty or "",
        state=state or "",
        place=place or "",
        article=articles.get(duty or "", ""),
        day=day,
        base=drill_link(**query) + ("&" if any(query.values()) else ""),
        back="/duties?" + urlencode({k: v for k, v in query.items() if k in ("place", "at") and v}),
    )


@router.get("/duties/overdue.csv")
def overdue_csv(
    db: DbSession,
    rt: RuntimeDep,
    _: DutyReader,
    place: Place = None,
    at: At = None,
) -> Response:
    """The overdue and escalated counts per place and duty, as the protecting power gets
    them: counts only."""
    day, terms = _day(at), policy.terms_of(rt.settings)
    lines = reports.overdue(db, today=day, terms=terms, place=place or None)
    return Response(
        reports.overdue_csv(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{OVERDUE_FILENAME}"'},
    )


# --- recording and correcting an event ---------------------------------------------------


@dataclass(frozen=True)
class TreatmentForm:
    """What was typed into a treatment form, kept to show it again."""

    kind: str = ""
    occurred_on: str = ""
    facts: dict[str, str] = field(default_factory=dict)
    note: str = ""
    weight_kg: str = ""


def _custody(db: DbSession, person_id: str, custody_id: str) -> tuple[Person, Custody]:
    person = people_service.get_registered(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    custody = custody_service.get(db, custody_id=custody_id)
    if custody is None or custody.person_id != person.id:
        raise HTTPException(404, "custody record not found")
    return person, custody


def _may_record(who: Principal, kind: str) -> None:
    """Refuse, before any lookup, a kind the role does not record."""
    if kind and kind not in recordable(who.role):
        raise forbidden()


def _body(typed: TreatmentForm) -> dict[str, Any]:
    """The schema's input from the form: blanks absent, yes/no as booleans; what does not
    parse goes on as typed, for the schema to refuse it by name."""
    body: dict[str, Any] = {"kind": typed.kind, "occurred_on": typed.occurred_on or None}
    for name in facts_of(typed.kind):
        value = typed.facts.get(name, "").strip()
        if name in YES_NO:
            body[name] = {"yes": True, "no": False}.get(value, value or None)
        else:
            body[name] = value or None
    if typed.note.strip() or typed.weight_kg.strip():
        body["notes"] = {
            "text": typed.note.strip() or None,
            "weight_kg": typed.weight_kg.strip() or None,
        }
    return body


def _field(loc: tuple[Any, ...]) -> str:
    """The form field a schema or service error names."""
    if loc and loc[0] == "notes":
        return "weight_kg" if "weight_kg" in loc else "note"
    if loc and loc[0] == "supersedes_id":
        return "event"
    return str(loc[0]) if loc else "form"


def _form_page(
    request: Request,
    db: DbSession,
    person: Person,
    custody: Custody,
    who: Principal,
    typed: TreatmentForm,
    *,
    correcting: TreatmentEvent | None = None,
    problems: list[str] | None = None,
    status_code: int | None = None,
) -> Response:
    return render.page(
        request,
        db,
        "treatment_form.html",
        status_code=status_code or (422 if problems else 200),
        person=person,
        custody=custody,
        typed=typed,
        kinds=recordable(who.role),
        facts=facts_of(typed.kind),
        notes=has_notes(typed.kind),
        weighed=typed.kind == TreatmentKind.MEDICAL_EXAMINATION.value,
        correcting=correcting,
        problems=problems or [],
        yes_no=YES_NO,
    )


def _save(
    db: DbSession,
    rt: Runtime,
    who: Principal,
    custody: Custody,
    typed: TreatmentForm,
    correcting: TreatmentEvent | None,
) -> list[str]:
    """Record (or correct) the event; the fields refused, if any."""
    try:
        event_in = TreatmentEventCreate.model_validate(_body(typed))
        if correcting is None:
            treatment_service.record_event(
                db,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=who.actor,
                role=who.role,
                custody=custody,
                event_in=event_in,
            )
        else:
            treatment_service.correct_event(
                db,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=who.actor,
                role=who.role,
                event_id=correcting.id,
                event_in=event_in,
            )
    except ValidationError as exc:
        return list(dict.fromkeys(_field(tuple(e["loc"])) for e in exc.errors()))
    except treatment_service.InvalidFieldError as exc:
        return [_field(tuple(exc.field))]
    return []


Text = Annotated[str, StringConstraints(max_length=2000)]


class EventFields(BaseModel):
    """A treatment form as posted, as typed: the service checks it (the CSRF token and
    other fields of the page are left to their own readers)."""

    model_config = ConfigDict(extra="ignore")

    kind: Annotated[str, StringConstraints(max_length=32)] = ""
    occurred_on: Text = ""
    seriously_ill: Text = ""
    letters: Text = ""
    cards: Text = ""
    private_interview: Text = ""
    hours: Text = ""
    trial_on: Text = ""
    notice_on: Text = ""
    consent: Text = ""
    cause_known: Text = ""
    other_person_involved: Text = ""
    note: Text = ""
    weight_kg: Text = ""

    def typed(self, kind: str) -> TreatmentForm:
        """The form to show again or save, for an event of `kind`."""
        facts = {name: getattr(self, name) for name in FACT_ORDER if getattr(self, name)}
        return TreatmentForm(kind, self.occurred_on, facts, self.note, self.weight_kg)


Posted = Annotated[EventFields, Form()]


TREATMENT = "/people/{person_id}/custodies/{custody_id}/treatment"


@router.get(TREATMENT + "/new")
def new_treatment(
    request: Request,
    person_id: str,
    custody_id: str,
    db: DbSession,
    who: Recorder,
    kind: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The form for a treatment event: first the kinds the role records, then the facts the
    chosen kind carries."""
    _may_record(who, kind)
    person, custody = _custody(db, person_id, custody_id)
    typed = TreatmentForm(kind=kind, occurred_on=clock.today().isoformat())
    return _form_page(request, db, person, custody, who, typed)


@router.post(TREATMENT + "/new")
def record_treatment(
    request: Request,
    person_id: str,
    custody_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Recorder,
    posted: Posted,
) -> Response:
    """Record the event; a refused field shows the form again as typed, marked beside it.
    Post/redirect/get: a reload records nothing twice."""
    _may_record(who, posted.kind)
    person, custody = _custody(db, person_id, custody_id)
    typed = posted.typed(posted.kind)
    problems = ["kind"] if not posted.kind else _save(db, rt, who, custody, typed, None)
    if problems:
        return _form_page(request, db, person, custody, who, typed, problems=problems)
    return RedirectResponse(f"/people/{person.id}#treatment-{custody.id}", status_code=303)


def _event(db: DbSession, custody: Custody, who: Principal, event_id: str) -> TreatmentEvent:
    event = treatment_service.get(db, event_id=event_id) if event_id else None
    if event is None or event.custody_id != custody.id:
        raise HTTPException(404, "treatment event not found")
    _may_record(who, event.kind)
    return event


def _as_typed(event: TreatmentEvent) -> TreatmentForm:
    """An event's plain facts as the form shows them; its sealed notes stay sealed."""
    facts = {}
    for name in facts_of(event.kind):
        value = getattr(event, name)
        if isinstance(value, bool):
            facts[name] = "yes" if value else "no"
        elif value is not None:
            facts[name] = value.isoformat() if isinstance(value, date) else str(value)
    return TreatmentForm(event.kind, event.occurred_on.isoformat(), facts)


@router.get(TREATMENT + "/correct")
def correct_form(
    request: Request,
    person_id: str,
    custody_id: str,
    db: DbSession,
    who: Recorder,
    event: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The form to correct an event, filled with its plain facts."""
    person, custody = _custody(db, person_id, custody_id)
    old = _event(db, custody, who, event)
    return _form_page(request, db, person, custody, who, _as_typed(old), correcting=old)


@router.post(TREATMENT + "/correct")
def correct_treatment(
    request: Request,
    person_id: str,
    custody_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Recorder,
    posted: Posted,
    event: Field = "",
) -> Response:
    """Record the correction: a new event that supersedes the old, which is kept."""
    person, custody = _custody(db, person_id, custody_id)
    old = _event(db, custody, who, event)
    typed = posted.typed(old.kind)
    problems = _save(db, rt, who, custody, typed, old)
    if problems:
        return _form_page(
            request, db, person, custody, who, typed, correcting=old, problems=problems
        )
    return RedirectResponse(f"/people/{person.id}#treatment-{custody.id}", status_code=303)

"""`/api/v1`: treatment events of a custody, and the GC III duties they meet. Events are
recorded in the caller's own role; their sealed notes never come out here, only through
the purpose-bound reveal (`disclosure.api`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict

from safeconduct import clock
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors, invalid
from safeconduct.schemas_common import check_event_date
from safeconduct.treatment import engine, policy, reports, service
from safeconduct.treatment.policy import DutyState
from safeconduct.treatment.schemas import TreatmentEventCreate, TreatmentEventRead

router = APIRouter(tags=["treatment"], responses=GUARDED)
# Roles that record no kind at all are stopped here; a role that records some kinds but
# not the one asked is refused by the service, on `kind`.
Writer = Annotated[Principal, Depends(Requires(Permission.TREATMENT_WRITE))]
Reader = Annotated[Principal, Depends(Requires(Permission.TREATMENT_READ))]
DutyReader = Annotated[Principal, Depends(Requires(Permission.DUTY_READ))]

OVERDUE_FILE = "overdue-duties.csv"  # fixed: no place, no day in it
STATE_ORDER = {state: index for index, state in enumerate(DutyState)}
Place = Annotated[
    str | None, Query(min_length=1, max_length=200, description="a place of internment")
]
At = Annotated[date | None, Query(description="the day the duties are counted on; today if not")]


class DutyStateRead(BaseModel):
    """One duty's state for one custody."""

    model_config = ConfigDict(extra="forbid")

    duty: str
    article: str  # of GC III
    state: DutyState


class CustodyDuties(BaseModel):
    """The state of each duty of a custody on a day; none once the custody has ended."""

    model_config = ConfigDict(extra="forbid")

    custody_id: str
    on: date
    duties: list[DutyStateRead]


class DutyCount(BaseModel):
    """How many custodies at a place are in one state of one duty."""

    model_config = ConfigDict(extra="forbid")

    place: str
    duty: str
    article: str
    state: DutyState
    count: int


class DutyCounts(BaseModel):
    """Counts per place, duty and state on a day: no names, no ids."""

    model_config = ConfigDict(extra="forbid")

    on: date
    place: str | None
    counts: list[DutyCount]


def _found(db: DbSession, custody_id: str) -> Custody:
    custody = custody_service.get(db, custody_id=custody_id)
    if custody is None:
        raise HTTPException(404, "custody record not found")
    return custody


def _day(at: date | None) -> date:
    """The day asked, or today; one GC III governs, and not ahead of the clock."""
    if at is None:
        return clock.today()
    try:
        return check_event_date(at)
    except ValueError as exc:
        raise invalid(("query", "at"), str(exc)) from None


@router.post(
    "/custodies/{custody_id}/treatment-events",
    response_model=TreatmentEventRead,
    status_code=201,
    responses=errors(404, 410),
)
def record_event(
    custody_id: str, body: TreatmentEventCreate, db: DbSession, rt: RuntimeDep, who: Writer
) -> TreatmentEventRead:
    """Record a fact of a person's treatment, in the caller's role: a kind the role does not
    record is refused on `kind`. Notes are sealed before they are stored."""
    custody = _found(db, custody_id)
    try:
        event = service.record_event(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            role=who.role,
            custody=custody,
            event_in=body,
        )
    except service.InvalidFieldError as exc:
        raise invalid(("body", *exc.field), exc.message) from None
    return TreatmentEventRead.model_validate(event)


@router.get(
    "/custodies/{custody_id}/treatment-events",
    response_model=list[TreatmentEventRead],
    responses=errors(404),
)
def list_events(custody_id: str, db: DbSession, _: Reader) -> list[TreatmentEventRead]:
    """A custody's treatment events by day, corrections and the events they replace among
    them; never their notes."""
    custody = _found(db, custody_id)
    return [TreatmentEventRead.model_validate(e) for e in service.events(db, custody_id=custody.id)]


@router.post(
    "/treatment-events/{event_id}/corrections",
    response_model=TreatmentEventRead,
    status_code=201,
    responses=errors(404, 410),
)
def correct_event(
    event_id: str, body: TreatmentEventCreate, db: DbSession, rt: RuntimeDep, who: Writer
) -> TreatmentEventRead:
    """Correct an event by a new one of its kind that supersedes it, in the caller's role;
    the event itself is kept. An event is corrected once (then correct the correction)."""
    if service.get(db, event_id=event_id) is None:
        raise HTTPException(404, "treatment event not found")
    try:
        event = service.correct_event(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            role=who.role,
            event_id=event_id,
            event_in=body,
        )
    except service.InvalidFieldError as exc:
        raise invalid(("body", *exc.field), exc.message) from None
    return TreatmentEventRead.model_validate(event)


@router.get("/custodies/{custody_id}/duties", response_model=CustodyDuties, responses=errors(404))
def custody_duties(custody_id: str, db: DbSession, rt: RuntimeDep, _: Reader) -> CustodyDuties:
    """The state of each GC III duty of a custody today, with its article."""
    custody = _found(db, custody_id)
    today = clock.today()
    terms = policy.terms_of(rt.settings)
    rows = engine.states(db, today=today, terms=terms, custody_id=custody.id)
    found = {r.duty: r.state for r in rows}
    duties = [
        DutyStateRead(duty=d.code, article=d.article, state=found[d.code])
        for d in policy.duties(terms)
        if d.code in found
    ]
    return CustodyDuties(custody_id=custody.id, on=today, duties=duties)


@router.get("/duties", response_model=DutyCounts)
def duty_counts(
    db: DbSession, rt: RuntimeDep, _: DutyReader, at: At = None, place: Place = None
) -> DutyCounts:
    """How many custodies are in each state of each duty, per place of internment, on a
    day (today unless `at` says otherwise); of one place if `place` is given."""
    day = _day(at)
    terms = policy.terms_of(rt.settings)
    articles = {d.code: d.article for d in policy.duties(terms)}
    order = {code: index for index, code in enumerate(articles)}
    counted = engine.counts(db, today=day, terms=terms)
    counts = [
        DutyCount(place=p, duty=d, article=articles.get(d, ""), state=s, count=n)
        for (p, d, s), n in counted.items()
        if place is None or p == place
    ]
    counts.sort(key=lambda c: (c.place, order.get(c.duty, len(order)), STATE_ORDER[c.state]))
    return DutyCounts(on=day, place=place, counts=counts)


@router.get(
    "/duties/overdue.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def overdue_csv(
    db: DbSession, rt: RuntimeDep, _: DutyReader, at: At = None, place: Place = None
) -> Response:
    """The duties overdue or escalated, per place of internment, as CSV for the protecting
    power: counts only. Cells a spreadsheet would run as formulas are neutralised."""
    lines = reports.overdue(db, today=_day(at), terms=policy.terms_of(rt.settings), place=place)
    return Response(
        content=reports.overdue_csv(lines),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{OVERDUE_FILE}"',
            "Cache-Control": "no-store",
        },
    )

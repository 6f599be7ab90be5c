"""The obligations engine: the state of every duty for every person in custody on a day,
in one set-based query over the whole population (a UNION of one SELECT per duty), the
same on SQLite and PostgreSQL. Never a loop over people: the population is 100,000.

The day is a parameter, so a report can be run for any day and tests move the clock. Each
duty's thresholds are computed once, in Python, from that day (`policy.bounds`); the SQL
only compares columns with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    FromClause,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from safeconduct.custody.models import Custody, CustodyEvent, CustodyEventKind
from safeconduct.treatment import policy
from safeconduct.treatment.models import TreatmentEvent, TreatmentKind
from safeconduct.treatment.policy import DEFAULT_TERMS, Duty, DutyState, Start, Term, Terms, Test

# A custody ends with these; its duties end with it.
ENDS = (CustodyEventKind.RELEASE, CustodyEventKind.REPATRIATION, CustodyEventKind.DEATH)


class DaysBetween(FunctionElement[int]):
    """Whole days from the second date to the first: the one piece of date arithmetic the
    dialects spell differently."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(DaysBetween)
def _days_between(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"({later} - {earlier})"


@compiles(DaysBetween, "sqlite")
def _days_between_sqlite(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


@dataclass(frozen=True, slots=True)
class DutyRow:
    """One duty's state for one custody on the day asked."""

    custody_id: str
    person_id: str
    place: str
    duty: str
    state: DutyState


def _const(text: str) -> ColumnElement[str]:
    # Codes from policy, written into the SQL rather than bound: PostgreSQL cannot type a
    # bare parameter in a UNION's select list. Only [a-z_] ever reaches here.
    if not text.replace("_", "").isalpha() or not text.islower():
        raise ValueError("not a code")
    return literal_column(f"'{text}'", String)


def _day(value: date) -> ColumnElement[date]:
    return literal(value, Date())


# Subqueries, not CTEs: PostgreSQL materialises a CTE named more than once, without its
# indexes, and joined it row by row (62 s for 10,000 custodies, against 1.7 s).


def _active(today: date) -> Subquery:
    """Custodies begun by the day and not ended on or before it."""
    ended = exists().where(
        CustodyEvent.custody_id == Custody.id,
        CustodyEvent.kind.in_([k.value for k in ENDS]),
        CustodyEvent.occurred_on <= _day(today),
    )
    return (
        select(
            Custody.id.label("custody_id"),
            Custody.person_id,
            Custody.place_of_internment.label("place"),
            Custody.since,
        )
        .where(Custody.since <= _day(today), ~ended)
        .subquery("active")
    )


def _effective(today: date) -> Subquery:
    """The events in force on the day: happened by then, not superseded by a correction,
    and recorded in a role that may record their kind."""
    t, later = TreatmentEvent, aliased(TreatmentEvent)
    allowed = or_(
        *(
            and_(t.kind == kind.value, t.role.in_(sorted(roles)))
            for kind, roles in policy.RECORDED_BY.items()
        )
    )
    superseded = exists().where(later.supersedes_id == t.id)
    columns = [c for c in t.__table__.c if c.key != "notes"]
    stmt = select(*columns).where(t.occurred_on <= _day(today), ~superseded, allowed)
    return stmt.subquery("effective")


def _illness_start(eff: Subquery) -> FromClause:
    """The first day of each custody's current serious illness: the earliest "seriously ill"
    after the latest "no longer". A custody with none has no row (not applicable). On one
    day, "no longer" wins: a recovery recorded beside a relapse ends the episode."""
    status = eff.c.kind == TreatmentKind.HEALTH_STATUS.value
    last_well = (
        select(eff.c.custody_id, func.max(eff.c.occurred_on).label("day"))
        .where(status, eff.c.seriously_ill == false())
        .group_by(eff.c.custody_id)
        .subquery("last_well")
    )
    return (
        select(eff.c.custody_id, func.min(eff.c.occurred_on).label("start"))
        .outerjoin(last_well, last_well.c.custody_id == eff.c.custody_id)
        .where(
            status,
            eff.c.seriously_ill == true(),
            or_(last_well.c.day.is_(None), eff.c.occurred_on > last_well.c.day),
        )
        .group_by(eff.c.custody_id)
        .subquery("illness")
    )


def _trial_start(eff: Subquery) -> FromClause:
    """Each custody's latest trial date set (Art. 104); none, no row."""
    return (
        select(eff.c.custody_id, func.max(eff.c.trial_on).label("start"))
        .where(eff.c.kind == TreatmentKind.PROCEEDINGS.value, eff.c.trial_on.is_not(None))
        .group_by(eff.c.custody_id)
        .subquery("trial")
    )


def _passes(duty: Duty, eff: Subquery) -> ColumnElement[bool]:
    """What an event of the meeting kind must also show."""
    if duty.test is Test.PRIVATE_INTERVIEW:
        return eff.c.private_interview == true()
    if duty.test is Test.FULL_MAIL_OFFER:
        return and_(eff.c.letters >= policy.MONTHLY_LETTERS, eff.c.cards >= policy.MONTHLY_CARDS)
    if duty.test is Test.TIMELY_NOTICE:
        days = DaysBetween(eff.c.trial_on, eff.c.notice_on)
        return and_(eff.c.notice_on.is_not(None), days >= policy.TRIAL_NOTICE_DAYS)
    return true()


def _duty_select(duty: Duty, today: date, active: Subquery, eff: Subquery) -> Select[Any]:
    """One duty's state for every active custody."""
    started: FromClause = active
    start: ColumnElement[date] = active.c.since
    if duty.starts is Start.SERIOUS_ILLNESS:
        started = _illness_start(eff)
    elif duty.starts is Start.TRIAL:
        started = _trial_start(eff)
    base: FromClause = active
    if started is not active:
        base = active.outerjoin(started, started.c.custody_id == active.c.custody_id)
        start = started.c.start
    # A trial's notice belongs to that trial; any other duty counts events from its start.
    belongs = (
        eff.c.trial_on == start if duty.term is Term.DAYS_BEFORE else eff.c.occurred_on >= start
    )
    # From the custodies the duty has started for, to their events: the planner then looks
    # events up by custody, not custodies up by kind of event.
    last = (
        select(started.c.custody_id, func.max(eff.c.occurred_on).label("day"))
        .select_from(started)
        .join(eff, eff.c.custody_id == started.c.custody_id)
        .where(eff.c.kind == duty.met_by.value, _passes(duty, eff), belongs)
        .group_by(started.c.custody_id)
        .subquery(f"last_{duty.code}")
    )
    bounds = policy.bounds(duty, today)
    met = (
        last.c.day.is_not(None) if bounds.met_from is None else last.c.day >= _day(bounds.met_from)
    )
    anchor = start if duty.term is Term.DAYS_BEFORE else func.coalesce(last.c.day, start)
    state = case(
        (start.is_(None), _const(DutyState.NOT_APPLICABLE)),
        (met, _const(DutyState.MET)),
        (anchor >= _day(bounds.due_from), _const(DutyState.DUE)),
        (anchor >= _day(bounds.overdue_from), _const(DutyState.OVERDUE)),
        else_=_const(DutyState.ESCALATED),
    )
    return select(
        active.c.custody_id,
        active.c.person_id,
        active.c.place,
        _const(duty.code).label("duty"),
        state.label("state"),
    ).select_from(base.outerjoin(last, last.c.custody_id == active.c.custody_id))


def query(today: date, terms: Terms = DEFAULT_TERMS) -> CompoundSelect[Any]:
    """Every duty's state for every custody active on `today`: custody_id, person_id, place,
    duty, state."""
    active, eff = _active(today), _effective(today)
    return union_all(*(_duty_select(d, today, active, eff) for d in policy.duties(terms)))


def states(session: Session, *, today: date, terms: Terms = DEFAULT_TERMS) -> list[DutyRow]:
    """Every duty's state for every person in custody on `today`, by custody then duty."""
    found = query(today, terms).subquery("duties")
    stmt = select(found).order_by(found.c.custody_id, found.c.duty)
    return [
        DutyRow(r.custody_id, r.person_id, r.place, r.duty, DutyState(r.state))
        for r in session.execute(stmt)
    ]


def counts(
    session: Session, *, today: date, terms: Terms = DEFAULT_TERMS
) -> dict[tuple[str, str, DutyState], int]:
    """How many custodies are in each state of each duty, per place of internment:
    {(place, duty, state): count}, counted by the store."""
    found = query(today, terms).subquery("duties")
    stmt = select(found.c.place, found.c.duty, found.c.state, func.count()).group_by(
        found.c.place, found.c.duty, found.c.state
    )
    return {(r[0], r[1], DutyState(r[2])): int(r[3]) for r in session.execute(stmt)}

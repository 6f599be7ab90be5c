"""The obligations engine: the state of every duty for every person in custody on a day,
in one set-based query over the whole population, the same on SQLite and PostgreSQL.
Never a loop over people: the population is 100,000.

A duty's state on a day follows from a few facts per custody: when the duty started and
the last day an event met it (`facts`), the custody's life (from its own table and
events) and the day's thresholds (`policy.bounds`, computed once in Python; the SQL only
compares columns with them). The facts are read from the events as they stood on the day
(exact, a pass over every event), or from the duty marks the service keeps on every write
(one row per custody): the same facts when no event is dated after the day, which is
every report of today. `exact=None` picks; True reads the events, False the marks (a test
of the marks on custodies whose every event is on or before the day)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, reduce
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Executable,
    FromClause,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from safeconduct.custody.models import Custody, CustodyEvent, CustodyEventKind, CustodyStatus
from safeconduct.treatment import marks, policy
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


@dataclass(frozen=True, slots=True)
class Standing:
    """Every duty's state for one custody on the day asked; duties that do not apply to a
    custody in its state (the duties after death to a living person) are absent."""

    custody_id: str
    person_id: str
    place: str
    states: Mapping[str, DutyState]


def _const(text: str) -> ColumnElement[str]:
    # Codes from policy, written into the SQL rather than bound: PostgreSQL cannot type a
    # bare parameter in a UNION's select list. Only [a-z_] ever reaches here.
    if not text.replace("_", "").isalpha() or not text.islower():
        raise ValueError("not a code")
    return literal_column(f"'{text}'", String)


def _day(value: date) -> ColumnElement[date]:
    return literal(value, Date())


NO_DAY: ColumnElement[date] = cast(null(), Date)
STATES = {s.value: s for s in DutyState}
# A state as one letter, for the packed column (`unpack`); "-": the duty does not apply.
LETTERS = {
    DutyState.MET: "m",
    DutyState.DUE: "d",
    DutyState.OVERDUE: "o",
    DutyState.ESCALATED: "e",
    DutyState.NOT_APPLICABLE: "n",
}
BY_LETTER = {letter: state for state, letter in LETTERS.items()}
ABSENT = "-"

# --- the facts: what the events say of each duty, per custody ---


def _effective(cutoff: date | None, custody_id: ColumnElement[str] | None) -> Subquery:
    """The events in force (on the cutoff day, when given): not superseded by a correction,
    and recorded in a role that may record their kind. (No join here: SQLite then could not
    flatten it into the lookups by custody that `_illness` and `_trial_met` make.)"""
    t, later = TreatmentEvent, aliased(TreatmentEvent)
    allowed = or_(
        *(
            and_(t.kind == kind.value, t.role.in_(sorted(roles)))
            for kind, roles in policy.RECORDED_BY.items()
        )
    )
    superseded = exists().where(later.supersedes_id == t.id)
    columns = [c for c in t.__table__.c if c.key != "notes"]
    stmt = select(*columns).where(~superseded, allowed)
    if cutoff is not None:
        stmt = stmt.where(t.occurred_on <= _day(cutoff))
    if custody_id is not None:
        stmt = stmt.where(t.custody_id == custody_id)
    return stmt.subquery("effective")


def _passes(duty: Duty, eff: Subquery) -> ColumnElement[bool]:
    """What an event of the meeting kind must also show."""
    if duty.test is Test.PRIVATE_INTERVIEW:
        return eff.c.private_interview == true()
    if duty.test is Test.FULL_MAIL_OFFER:
        return and_(eff.c.letters >= policy.MONTHLY_LETTERS, eff.c.cards >= policy.MONTHLY_CARDS)
    if duty.test is Test.TIMELY_NOTICE:
        days = DaysBetween(eff.c.trial_on, eff.c.notice_on)
        return and_(eff.c.notice_on.is_not(None), days >= policy.TRIAL_NOTICE_DAYS)
    if duty.test is Test.CONSENT_HEARD:
        return eff.c.consent.is_not(None)
    return true()


def _meets(duty: Duty, eff: Subquery) -> ColumnElement[bool]:
    return and_(eff.c.kind == duty.met_by.value, _passes(duty, eff))


def _when(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((condition, value), else_=null())


def _firsts(eff: Subquery) -> Subquery:
    """One pass over the events: per custody, the last day each duty was met (by any event
    of the meeting kind that passes its test; `facts` keeps it only when on or after the
    custody began, the state compares it with a transfer or a death), the latest trial set,
    and what death certificates say."""
    k = TreatmentKind
    certificate = eff.c.kind == k.DEATH_CERTIFICATE.value
    explains = and_(eff.c.cause_known == true(), eff.c.other_person_involved == false())
    one = literal(1, Integer())
    return (
        select(
            eff.c.custody_id,
            *(
                func.max(_when(_meets(d, eff), eff.c.occurred_on)).label(d.code)
                for d in policy.duties()
                if d.starts not in (Start.TRIAL, Start.SERIOUS_ILLNESS)
            ),
            func.max(_when(eff.c.kind == k.PROCEEDINGS.value, eff.c.trial_on)).label("trial"),
            func.max(_when(and_(certificate, explains), one)).label("explained"),
            func.max(_when(and_(certificate, ~explains), one)).label("unexplained"),
        )
        .group_by(eff.c.custody_id)
        .subquery("firsts")
    )


def _illness(eff: Subquery) -> Subquery:
    """The first day of each custody's current serious illness: the earliest "seriously ill"
    with no "no longer" on or after its day (on one day, "no longer" wins: a recovery
    recorded beside a relapse ends the episode). Few events are either: the lookup of a
    recovery is by custody."""
    k, well = TreatmentKind.HEALTH_STATUS.value, aliased(eff)
    recovered = exists().where(
        well.c.custody_id == eff.c.custody_id,
        well.c.kind == k,
        well.c.seriously_ill == false(),
        well.c.occurred_on >= eff.c.occurred_on,
    )
    return (
        select(eff.c.custody_id, func.min(eff.c.occurred_on).label("start"))
        .where(eff.c.kind == k, eff.c.seriously_ill == true(), ~recovered)
        .group_by(eff.c.custody_id)
        .subquery("illness")
    )


def _illness_met(eff: Subquery, illness: Subquery) -> Subquery:
    """The last day each duty of the seriously ill was met in the current illness."""
    after = eff.c.occurred_on >= illness.c.start
    return (
        select(
            eff.c.custody_id,
            *(
                func.max(_when(and_(_meets(d, eff), after), eff.c.occurred_on)).label(d.code)
                for d in policy.duties()
                if d.starts is Start.SERIOUS_ILLNESS
            ),
        )
        .join(illness, illness.c.custody_id == eff.c.custody_id)
        .group_by(eff.c.custody_id)
        .subquery("illness_met")
    )


def _trial_met(duty: Duty, eff: Subquery) -> Subquery:
    """The last timely notice of each custody's latest trial (a notice belongs to its
    trial): proceedings are few, and a later trial is looked up by custody."""
    other = aliased(eff)
    later_trial = exists().where(
        other.c.custody_id == eff.c.custody_id,
        other.c.kind == TreatmentKind.PROCEEDINGS.value,
        other.c.trial_on > eff.c.trial_on,
    )
    return (
        select(eff.c.custody_id, func.max(eff.c.occurred_on).label("day"))
        .where(_meets(duty, eff), ~later_trial)
        .group_by(eff.c.custody_id)
        .subquery("trial_met")
    )


def facts(
    *, cutoff: date | None = None, custody_id: ColumnElement[str] | None = None
) -> Select[Any]:
    """Per custody with events (all, or one): each duty's start where events start it, the
    last day it was met, and whether certificates explain a death; in the columns of the
    duty marks. Only events on or before `cutoff` count, when given."""
    eff = _effective(cutoff, custody_id)
    firsts = _firsts(eff)
    illness = _illness(eff)
    ill_met = _illness_met(eff, illness)
    trial_duty = next(d for d in policy.duties() if d.starts is Start.TRIAL)
    trial_met = _trial_met(trial_duty, eff)
    columns: list[ColumnElement[Any]] = [firsts.c.custody_id]
    for duty in policy.duties():
        start: ColumnElement[date] = NO_DAY
        if duty.starts is Start.SERIOUS_ILLNESS:
            start = illness.c.start
        elif duty.starts is Start.TRIAL:
            start = firsts.c.trial
        met: ColumnElement[date]
        if duty.starts is Start.TRIAL:
            met = trial_met.c.day
        elif duty.starts is Start.SERIOUS_ILLNESS:
            met = ill_met.c[duty.code]
        elif duty.starts is Start.CAPTURE:  # nothing before the custody began counts
            met = _when(firsts.c[duty.code] >= Custody.since, firsts.c[duty.code])
        else:
            met = firsts.c[duty.code]
        columns += [
            start.label(marks.start_column(duty.code)),
            met.label(marks.met_column(duty.code)),
        ]
    explained = and_(firsts.c.explained.is_not(None), firsts.c.unexplained.is_(None))
    columns.append(case((explained, true()), else_=false()).label(marks.EXPLAINED))
    joined = firsts.join(Custody, Custody.id == firsts.c.custody_id)
    joined = joined.outerjoin(illness, illness.c.custody_id == firsts.c.custody_id)
    joined = joined.outerjoin(ill_met, ill_met.c.custody_id == firsts.c.custody_id)
    joined = joined.outerjoin(trial_met, trial_met.c.custody_id == firsts.c.custody_id)
    return select(*columns).select_from(joined)


# --- the custody's life on the day ---


def _events_by(kind: CustodyEventKind, today: date, name: str) -> Subquery:
    """Each custody's latest event of a kind on or before the day."""
    e = CustodyEvent
    return (
        select(e.custody_id, func.max(e.occurred_on).label("day"))
        .where(e.kind == kind.value, e.occurred_on <= _day(today))
        .group_by(e.custody_id)
        .subquery(name)
    )


def _held_on(today: date, *, exact: bool) -> ColumnElement[bool]:
    """Held (interned or in hospital) on the day: begun, not ended, not at large. From the
    events as they stood on the day when `exact`, else from the status, which is the same
    when no event is dated after the day."""
    c, e, later = Custody, CustodyEvent, aliased(CustodyEvent)
    begun = c.since <= _day(today)
    if not exact:
        return and_(
            begun, c.status.in_([CustodyStatus.HELD.value, CustodyStatus.HOSPITALISED.value])
        )
    on_day = e.occurred_on <= _day(today)
    ended = exists().where(e.custody_id == c.id, e.kind.in_([k.value for k in ENDS]), on_day)
    recaptured = exists().where(
        later.custody_id == e.custody_id,
        later.kind == CustodyEventKind.RECAPTURE.value,
        later.number > e.number,
        later.occurred_on <= _day(today),
    )
    at_large = exists().where(
        e.custody_id == c.id, e.kind == CustodyEventKind.ESCAPE.value, on_day, ~recaptured
    )
    return and_(begun, ~ended, ~at_large)


# --- states ---


# Duties whose marks hold only what met them since their start: the state need not compare.
MET_SINCE_START = frozenset({Start.CAPTURE, Start.SERIOUS_ILLNESS, Start.TRIAL})


def _state(
    duty: Duty,
    today: date,
    start: ColumnElement[date],
    met: ColumnElement[date],
    name: Callable[[DutyState], str],
) -> ColumnElement[str]:
    """A duty's state from its start and the last day it was met (see `policy.Bounds`).
    Written short: SQLite evaluates it for every duty of 100,000 custodies."""
    bounds = policy.bounds(duty, today)
    last = met if duty.starts in MET_SINCE_START else _when(met >= start, met)
    done: ColumnElement[bool]
    if duty.term is Term.DAYS_BEFORE:  # a notice belongs to its trial: met is met
        done, anchor = last.is_not(None), start
    else:
        done = last.is_not(None) if bounds.met_from is None else last >= _day(bounds.met_from)
        anchor = func.coalesce(last, start)
    said = {state: _const(name(state)) for state in DutyState}
    na = said[DutyState.NOT_APPLICABLE]
    whens = [] if duty.starts is Start.CAPTURE else [(start.is_(None), na)]
    return case(
        *whens,
        (done, said[DutyState.MET]),
        (anchor >= _day(bounds.due_from), said[DutyState.DUE]),
        (anchor >= _day(bounds.overdue_from), said[DutyState.OVERDUE]),
        else_=said[DutyState.ESCALATED],
    )


def _facts_on(today: date, exact: bool) -> FromClause:
    if exact:  # a CTE: both halves of the union read it, and it is made once
        return facts(cutoff=today).cte("facts")
    return marks.duty_marks


def _standing_selects(today: date, terms: Terms, exact: bool, packed: bool) -> list[Select[Any]]:
    """The custodies held on the day, and those who died by it, each with a column per
    duty (NULL where the duty does not apply to a custody in that state), or, `packed`, one
    column of a letter per duty (`LETTERS`; "-" where it does not apply)."""
    c, f = Custody, _facts_on(today, exact)
    transfer = _events_by(CustodyEventKind.TRANSFER, today, "transfer")
    death = _events_by(CustodyEventKind.DEATH, today, "death")
    explained = f.c[marks.EXPLAINED] == true()
    starts: dict[Start, ColumnElement[date]] = {
        Start.CAPTURE: c.__table__.c.since,
        Start.TRANSFER: transfer.c.day,
        Start.DEATH: death.c.day,
        Start.UNEXPLAINED_DEATH: case((explained, NO_DAY), else_=death.c.day),
    }

    def column(duty: Duty, living: bool) -> ColumnElement[str]:
        if (duty.starts in policy.AFTER_DEATH) == living:
            return literal_column(f"'{ABSENT}'", String) if packed else cast(null(), String)
        start = starts.get(duty.starts, f.c[marks.start_column(duty.code)])
        name = LETTERS.__getitem__ if packed else str
        return _state(duty, today, start, f.c[marks.met_column(duty.code)], name)

    selects: list[Select[Any]] = []
    for living in (True, False):
        every = [column(d, living) for d in policy.duties(terms)]
        if packed:  # one short string per custody: 100,000 rows, not 1,200,000 values
            cols = [reduce(operator.add, every).label("packed")]
        else:
            cols = [col.label(d.code) for col, d in zip(every, policy.duties(terms), strict=True)]
        base = c.__table__.outerjoin(f, f.c.custody_id == c.id)
        if living:
            base = base.outerjoin(transfer, transfer.c.custody_id == c.id)
            where = _held_on(today, exact=exact)
        else:
            base = base.join(death, death.c.custody_id == c.id)
            where = c.since <= _day(today)
        head: list[ColumnElement[Any]] = [
            c.id.label("custody_id"),
            c.__table__.c.person_id,
            c.place_of_internment.label("place"),
        ]
        selects.append(select(*head, *cols).select_from(base).where(where))
    return selects


def _fresh(session: Session, today: date) -> bool:
    """Whether nothing is dated after the day: then the marks and the status say what the
    events said on it."""
    later = (
        select(TreatmentEvent.id).where(TreatmentEvent.occurred_on > _day(today)),
        select(CustodyEvent.id).where(CustodyEvent.occurred_on > _day(today)),
        select(Custody.id).where(Custody.since > _day(today)),
    )
    return all(session.execute(q.limit(1)).first() is None for q in later)


def query(
    session: Session,
    today: date,
    terms: Terms = DEFAULT_TERMS,
    *,
    exact: bool | None = None,
    packed: bool = False,
) -> CompoundSelect[Any]:
    """Every custody held on the day or dead by it, with a column of each duty's state:
    custody_id, person_id, place, then one column per duty code (or `packed`)."""
    if exact is None:
        exact = not _fresh(session, today)
    return union_all(*_standing_selects(today, terms, exact, packed))


@cache
def unpack(packed: str, codes: tuple[str, ...]) -> Mapping[str, DutyState]:
    """{duty: state} from a packed column; the same few hundred mixes recur, so each is
    decoded once and shared, read-only."""
    found = {c: BY_LETTER[ch] for c, ch in zip(codes, packed, strict=True) if ch != ABSENT}
    return MappingProxyType(found)


def standings(
    session: Session,
    *,
    today: date,
    terms: Terms = DEFAULT_TERMS,
    exact: bool | None = None,
    custody_id: str | None = None,
) -> list[Standing]:
    """Every duty's state for every custody held on `today` or dead by it, by custody."""
    found = query(session, today, terms, exact=exact, packed=True).subquery("standing")
    stmt = select(found).order_by(found.c.custody_id)
    if custody_id is not None:
        stmt = stmt.where(found.c.custody_id == custody_id)
    codes = tuple(d.code for d in policy.duties(terms))
    return [Standing(r[0], r[1], r[2], unpack(r[3], codes)) for r in session.execute(stmt)]


def states(
    session: Session,
    *,
    today: date,
    terms: Terms = DEFAULT_TERMS,
    exact: bool | None = None,
    custody_id: str | None = None,
    place: str | None = None,
    duty: str | None = None,
    state: DutyState | None = None,
) -> list[DutyRow]:
    """Each duty's state for each custody held on `today` (or dead by it, for the duties
    after death), by custody then duty; narrowed to a custody, a place, a duty or a state."""
    found = query(session, today, terms, exact=exact).subquery("standing")
    # (position after the three leading columns, code) of each duty asked for, in order
    picked = [(at, d.code) for at, d in enumerate(policy.duties(terms)) if duty in (None, d.code)]
    stmt = select(found).order_by(found.c.custody_id)
    if custody_id is not None:
        stmt = stmt.where(found.c.custody_id == custody_id)
    if place is not None:
        stmt = stmt.where(found.c.place == place)
    if picked and duty is not None and state is not None:
        stmt = stmt.where(found.c[duty] == state.value)
    rows = []
    for r in session.execute(stmt):
        for at, code in picked:
            value = r[3 + at]
            if value is not None and (state is None or value == state.value):
                rows.append(DutyRow(r[0], r[1], r[2], code, STATES[value]))
    return rows


def counts(
    session: Session, *, today: date, terms: Terms = DEFAULT_TERMS, exact: bool | None = None
) -> dict[tuple[str, str, DutyState], int]:
    """How many custodies are in each state of each duty, per place of internment:
    {(place, duty, state): count}, counted by the store."""
    found = query(session, today, terms, exact=exact, packed=True).subquery("standing")
    stmt = select(found.c.place, found.c.packed, func.count()).group_by(
        found.c.place, found.c.packed
    )
    codes = tuple(d.code for d in policy.duties(terms))
    counted: dict[tuple[str, str, DutyState], int] = {}
    for place, packed, n in session.execute(stmt):
        for code, state in unpack(packed, codes).items():
            counted[place, code, state] = counted.get((place, code, state), 0) + int(n)
    return counted


# --- keeping the marks ---


@cache
def _refresh_statements() -> tuple[Executable, Executable, Executable]:
    """Lock, clear and make one custody's marks: built and compiled once, run on every
    write with the custody's id bound."""
    table, custody_id = marks.duty_marks, bindparam("custody_id", type_=String())
    # FOR NO KEY UPDATE: the event's insert holds KEY SHARE on the custody already (its
    # foreign key), which this lock does not wait for; two writers' locks wait on each other.
    lock = select(Custody.id).where(Custody.id == custody_id).with_for_update(key_share=True)
    clear = delete(table).where(table.c.custody_id == custody_id)
    make = insert(table).from_select(list(table.c.keys()), facts(custody_id=custody_id))
    return lock, clear, make


def refresh(session: Session, custody_id: str) -> None:
    """Make a custody's duty marks again from its events, after a write. The custody's row
    is locked first: two writers for one custody then refresh one after the other, each
    reading the other's committed events (PostgreSQL; SQLite has one writer anyway)."""
    for statement in _refresh_statements():
        session.execute(statement, {"custody_id": custody_id})


def refresh_many(session: Session, custody_ids: Select[Any]) -> None:
    """Make the duty marks of many custodies again in three statements, after a write that
    touched them all (a batch sent to the CTA): lock them as `refresh` locks one, clear
    their marks, make them again from their events."""
    table = marks.duty_marks
    inside: ColumnElement[bool] = Custody.id.in_(custody_ids)
    session.execute(select(Custody.id).where(inside).with_for_update(key_share=True))
    session.execute(delete(table).where(table.c.custody_id.in_(custody_ids)))
    session.execute(insert(table).from_select(list(table.c.keys()), facts().where(inside)))


def rebuild(session: Session) -> int:
    """Make every custody's duty marks again from the events; return how many custodies
    have marks."""
    table = marks.duty_marks
    session.execute(delete(table))
    session.execute(insert(table).from_select(list(table.c.keys()), facts()))
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def week_ends(today: date, weeks: int) -> list[date]:
    """The last day of each of the `weeks` weeks up to `today`, oldest first."""
    return [today - timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]


def trend(
    session: Session, *, today: date, weeks: int = 12, terms: Terms = DEFAULT_TERMS
) -> list[tuple[date, dict[tuple[str, DutyState], int]]]:
    """How many custodies were in each state of each duty at the end of each of the last
    `weeks` weeks, oldest first: [(day, {(duty, state): count})]."""
    found: list[tuple[date, dict[tuple[str, DutyState], int]]] = []
    for day in week_ends(today, weeks):
        totals: dict[tuple[str, DutyState], int] = {}
        for (_place, duty, state), n in counts(session, today=day, terms=terms).items():
            totals[duty, state] = totals.get((duty, state), 0) + n
        found.append((day, totals))
    return found

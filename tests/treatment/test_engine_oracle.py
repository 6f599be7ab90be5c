"""The set-based engine agrees with a plain per-custody reference, written here from the
duties as GC III and the issue state them, over generated populations and histories
(corrections, transfers, escapes, deaths and ends of custody among them), on SQLite and
PostgreSQL: read from the events as they stood on each day, and from the duty marks the
service keeps (which a rebuild from the events makes the same)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from safeconduct.accounts.policy import Role
from safeconduct.custody.models import CustodyEventKind
from safeconduct.runtime import Runtime
from safeconduct.treatment import engine
from safeconduct.treatment.marks import duty_marks
from tests.treatment.conftest import add_custody, correct, end, record
from tests.treatment.reference import Event, Life, reference

START = date(2026, 1, 1)
# Days after the capture; a few favoured, so that events share a day (ties) often.
OFFSET = st.sampled_from([0, 7, 30]) | st.integers(0, 100)
ROLE = {
    "capture_card": Role.REGISTRAR,
    "cta_notification": Role.REGISTRAR,
    "proceedings": Role.REGISTRAR,
    "medical_examination": Role.MEDICAL,
    "health_status": Role.MEDICAL,
    "health_report": Role.MEDICAL,
    "mail_offered": Role.WELFARE,
    "visit": Role.WELFARE,
    "medical_commission": Role.MEDICAL,
    "transfer_notice": Role.REGISTRAR,
    "death_certificate": Role.MEDICAL,
    "death_notification": Role.REGISTRAR,
    "death_inquiry": Role.REGISTRAR,
}
ENDINGS = (CustodyEventKind.RELEASE, CustodyEventKind.ESCAPE, CustodyEventKind.DEATH)


# --- generated histories ---


def _facts(kind: str, since: date) -> st.SearchStrategy[dict[str, object]]:
    if kind == "mail_offered":
        return st.fixed_dictionaries({"letters": st.integers(0, 3), "cards": st.integers(2, 5)})
    if kind == "visit":
        return st.fixed_dictionaries({"private_interview": st.booleans()})
    if kind == "health_status":
        return st.fixed_dictionaries({"seriously_ill": st.booleans()})
    if kind == "proceedings":
        day = st.integers(0, 60).map(lambda n: (since + timedelta(n)).isoformat())
        return st.fixed_dictionaries({"trial_on": day, "notice_on": st.none() | day})
    if kind == "medical_commission":
        return st.fixed_dictionaries({"consent": st.none() | st.booleans()})
    if kind == "death_certificate":
        flags = {"cause_known": st.booleans(), "other_person_involved": st.booleans()}
        return st.fixed_dictionaries(flags)
    return st.just({})


@st.composite
def _event(draw: st.DrawFn, since: date) -> list[Event]:
    """An event and its corrections, in the order they were recorded."""
    kind = draw(st.sampled_from(sorted(ROLE)))
    chain = draw(st.integers(1, 3))
    return [
        Event(kind, since + timedelta(draw(OFFSET)), draw(_facts(kind, since)))
        for _ in range(chain)
    ]


@dataclass
class Spec:
    since: date
    transferred: int | None  # days after the capture
    ended: int | None  # days after the transfer, or the capture
    ending: CustodyEventKind
    chains: list[list[Event]]


@st.composite
def _life(draw: st.DrawFn) -> Spec:
    since = START + timedelta(draw(st.integers(0, 90)))
    transferred = draw(st.none() | st.integers(0, 60))
    ended = draw(st.none() | st.integers(1, 200))
    ending = draw(st.sampled_from(ENDINGS))
    return Spec(since, transferred, ended, ending, draw(st.lists(_event(since), max_size=6)))


def _build(rt: Runtime, spec: Spec) -> tuple[str, Life]:
    since, chains = spec.since, spec.chains
    custody = add_custody(rt, since).id
    moved = None if spec.transferred is None else since + timedelta(spec.transferred)
    if moved is not None:
        end(rt, custody, moved, CustodyEventKind.TRANSFER)
    for chain in chains:
        first = chain[0]
        latest = record(
            rt, custody, ROLE[first.kind], kind=first.kind, occurred_on=first.day, **first.facts
        )
        for fix in chain[1:]:
            latest = correct(
                rt, latest.id, ROLE[fix.kind], kind=fix.kind, occurred_on=fix.day, **fix.facts
            )
    end_day = None if spec.ended is None else (moved or since) + timedelta(spec.ended)
    if end_day is not None:
        end(rt, custody, end_day, spec.ending)
    steps = [(moved, CustodyEventKind.TRANSFER)] if moved is not None else []
    steps += [(end_day, spec.ending)] if end_day is not None else []
    return custody, Life(since, steps, [chain[-1] for chain in chains])


def _days(life: Life) -> set[date]:
    return {life.since, *(e.day for e in life.events), *(day for day, _kind in life.steps)}


def _edges(lives: dict[str, Life]) -> list[date]:
    """The days on either side of every threshold the histories set: where an engine that
    is off by one goes wrong. Every one is checked."""
    anchors: set[date] = set()
    for life in lives.values():
        anchors |= _days(life)
        trials = [e.facts.get("trial_on") for e in life.events]
        anchors |= {date.fromisoformat(str(t)) - timedelta(21) for t in trials if t}
    near = (0, 1, 6, 7, 8, 14, 15, 30, 31, 60, 61, 90, 91, 120, 121)
    days = {a + timedelta(n) for a in anchors for n in near}
    for a in anchors:  # the calendar months' edges after each
        for n in range(1, 4):
            first = date(a.year + (a.month + n - 1) // 12, (a.month + n - 1) % 12 + 1, 1)
            days |= {first, first - timedelta(1)}
    return sorted(days)


def _engine(rt: Runtime, today: date, *, exact: bool | None) -> dict[tuple[str, str], str]:
    with rt.sessions() as s:
        rows = engine.states(s, today=today, exact=exact)
    return {(r.custody_id, r.duty): r.state.value for r in rows}


def _marks(rt: Runtime) -> set[tuple[object, ...]]:
    with rt.sessions() as s:
        return {tuple(row) for row in s.execute(select(duty_marks))}


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(population=st.lists(_life(), min_size=1, max_size=2))
def test_the_engine_agrees_with_the_reference(rt: Runtime, population: list[Spec]) -> None:
    lives = dict(_build(rt, spec) for spec in population)
    last = max(day for life in lives.values() for day in _days(life))
    for today in _edges(lives):
        expected = {
            (c, d): s for c, life in lives.items() for d, s in reference(life, today).items()
        }
        # The events as they stood, read on any day; the marks, from the last day on (before
        # it they hold what came after). None: the engine picks.
        for exact in (True, False, None) if today >= last else (True, None):
            found = _engine(rt, today, exact=exact)
            assert {k: v for k, v in found.items() if k[0] in lives} == expected, (today, exact)
    # The marks kept on every write are those a rebuild makes from the events.
    kept = _marks(rt)
    with rt.transaction() as s:
        engine.rebuild(s)
    assert _marks(rt) == kept

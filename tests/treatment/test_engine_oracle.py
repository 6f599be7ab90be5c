"""The set-based engine agrees with a plain per-custody reference, written here from the
duties as GC III and the issue state them, over generated populations and histories
(corrections and ends of custody among them), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.accounts.policy import Role
from safeconduct.custody.models import CustodyEventKind
from safeconduct.runtime import Runtime
from tests.treatment.conftest import add_custody, correct, end, record, states

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
}


@dataclass
class Event:
    kind: str
    day: date
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Life:
    since: date
    ended: date | None
    events: list[Event]  # in force: the last of each chain of corrections


# --- the reference: one custody at a time, dates as a person would reason about them ---


def _months(day: date) -> int:
    return day.year * 12 + day.month


def _once(start: date, days: list[date], today: date, within: int, grace: int) -> str:
    if days:
        return "met"
    if today <= start + timedelta(within):
        return "due"
    return "overdue" if today <= start + timedelta(within + grace) else "escalated"


def _rolling(start: date, days: list[date], today: date, every: int, grace: int) -> str:
    days = [d for d in days if d >= start]
    if any(d > today - timedelta(every) for d in days):
        return "met"
    return _once(max(days, default=start), [], today, every, grace)


def _monthly(start: date, days: list[date], today: date) -> str:
    if any(_months(d) == _months(today) for d in days):
        return "met"
    behind = _months(today) - _months(max(days, default=start))
    return "due" if behind <= 1 else "overdue" if behind == 2 else "escalated"


def _health(events: list[Event], today: date) -> str:
    status = [(e.day, e.facts["seriously_ill"]) for e in events if e.kind == "health_status"]
    well = max((d for d, ill in status if not ill), default=date.min)
    ill = [d for d, sick in status if sick and d > well]
    if not ill:
        return "not_applicable"
    reports = [e.day for e in events if e.kind == "health_report"]
    return _rolling(min(ill), reports, today, 7, 7)


def _trial(events: list[Event], today: date) -> str:
    cases = [e.facts for e in events if e.kind == "proceedings" and e.facts.get("trial_on")]
    if not cases:
        return "not_applicable"
    trial = max(date.fromisoformat(str(c["trial_on"])) for c in cases)
    for c in cases:
        notice = c.get("notice_on")
        same = date.fromisoformat(str(c["trial_on"])) == trial
        if same and notice and (trial - date.fromisoformat(str(notice))).days >= 21:
            return "met"
    if today <= trial - timedelta(21):
        return "due"
    return "overdue" if today <= trial - timedelta(7) else "escalated"


def reference(life: Life, today: date) -> dict[str, str]:
    """Every duty's state for one custody, or nothing outside its custody."""
    if today < life.since or (life.ended is not None and life.ended <= today):
        return {}
    now = [e for e in life.events if e.day <= today]

    def days(kind: str, **least: int) -> list[date]:
        """Days of the kind's events whose facts reach each least value (True counts 1)."""
        return [
            e.day
            for e in now
            if e.kind == kind and all(int(e.facts[f]) >= n for f, n in least.items())
        ]

    return {
        "capture_card": _once(life.since, days("capture_card"), today, 7, 7),
        "cta_notification": _once(life.since, days("cta_notification"), today, 7, 7),
        "medical_inspection": _monthly(life.since, days("medical_examination"), today),
        "correspondence": _monthly(life.since, days("mail_offered", letters=2, cards=4), today),
        "neutral_visit": _rolling(life.since, days("visit", private_interview=1), today, 90, 30),
        "health_report": _health(now, today),
        "trial_notice": _trial(now, today),
    }


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


@st.composite
def _life(draw: st.DrawFn) -> tuple[date, int | None, list[list[Event]]]:
    since = START + timedelta(draw(st.integers(0, 90)))
    ended = draw(st.none() | st.integers(1, 200))
    return since, ended, draw(st.lists(_event(since), max_size=5))


def _build(
    rt: Runtime, since: date, ended: int | None, chains: list[list[Event]]
) -> tuple[str, Life]:
    custody = add_custody(rt, since).id
    for chain in chains:
        first = chain[0]
        latest = record(
            rt, custody, ROLE[first.kind], kind=first.kind, occurred_on=first.day, **first.facts
        )
        for fix in chain[1:]:
            latest = correct(
                rt, latest.id, ROLE[fix.kind], kind=fix.kind, occurred_on=fix.day, **fix.facts
            )
    end_day = None if ended is None else since + timedelta(ended)
    if end_day is not None:
        end(rt, custody, end_day, CustodyEventKind.RELEASE)
    return custody, Life(since, end_day, [chain[-1] for chain in chains])


def _edges(lives: dict[str, Life]) -> list[date]:
    """The days on either side of every threshold the histories set: where an engine that
    is off by one goes wrong. Every one is checked."""
    anchors: set[date] = set()
    for life in lives.values():
        anchors |= {life.since, *(e.day for e in life.events)}
        anchors |= {life.ended} if life.ended else set()
        trials = [e.facts.get("trial_on") for e in life.events]
        anchors |= {date.fromisoformat(str(t)) - timedelta(21) for t in trials if t}
    near = (0, 1, 6, 7, 8, 14, 15, 90, 91, 120, 121)
    days = {a + timedelta(n) for a in anchors for n in near}
    for a in anchors:  # the calendar months' edges after each
        for n in range(1, 4):
            first = date(a.year + (a.month + n - 1) // 12, (a.month + n - 1) % 12 + 1, 1)
            days |= {first, first - timedelta(1)}
    return sorted(days)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(population=st.lists(_life(), min_size=1, max_size=2))
def test_the_engine_agrees_with_the_reference(
    rt: Runtime, population: list[tuple[date, int | None, list[list[Event]]]]
) -> None:
    lives = dict(_build(rt, *spec) for spec in population)
    for today in _edges(lives):
        found = states(rt, today)
        engine = {(c, d): s.value for (c, d), s in found.items() if c in lives}
        expected = {
            (c, d): s for c, life in lives.items() for d, s in reference(life, today).items()
        }
        assert engine == expected, today

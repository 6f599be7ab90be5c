"""A plain per-custody reference for the duties engine, written from the duties as GC III
and issue 10 state them, one custody at a time, dates as a person would reason about them.
The property test holds the engine to it; `bench/duties.py` times it as the baseline
(`life_of` reads one custody from the store, as a per-person implementation would)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.custody.models import Custody, CustodyEvent, CustodyEventKind
from safeconduct.treatment.models import TreatmentEvent, TreatmentKind
from safeconduct.treatment.policy import ALL_FACTS, RECORDED_BY

K = CustodyEventKind
HELD_AFTER = {K.TRANSFER, K.HOSPITALISATION, K.DISCHARGE, K.RECAPTURE}


@dataclass
class Event:
    kind: str
    day: date
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Life:
    since: date
    steps: list[tuple[date, CustodyEventKind]]  # the custody's events, in order
    events: list[Event]  # in force: the last of each chain of corrections


# --- the reference: one custody at a time, dates as a person would reason about them ---


def _months(day: date) -> int:
    return day.year * 12 + day.month


def _once(start: date, days: list[date], today: date, within: int, grace: int) -> str:
    if any(d >= start for d in days):
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


def _illness(events: list[Event]) -> date | None:
    status = [(e.day, e.facts["seriously_ill"]) for e in events if e.kind == "health_status"]
    well = max((d for d, ill in status if not ill), default=date.min)
    return min((d for d, sick in status if sick and d > well), default=None)


def _health(events: list[Event], today: date) -> str:
    ill = _illness(events)
    if ill is None:
        return "not_applicable"
    reports = [e.day for e in events if e.kind == "health_report"]
    return _rolling(ill, reports, today, 7, 7)


def _commission(events: list[Event], today: date) -> str:
    """Art. 110: before a mixed medical commission within 60 days, consent heard."""
    ill = _illness(events)
    if ill is None:
        return "not_applicable"
    heard = [
        e.day
        for e in events
        if e.kind == "medical_commission" and e.facts.get("consent") is not None
    ]
    return _once(ill, heard, today, 60, 30)


def _after_death(died: date, events: list[Event], today: date) -> dict[str, str]:
    """Arts. 120-121: certificate and notification within 7 days; an inquiry within 30
    unless every certificate gives the cause and no one else's part in it."""
    certificates = [e.facts for e in events if e.kind == "death_certificate"]
    explained = bool(certificates) and all(
        c["cause_known"] and not c["other_person_involved"] for c in certificates
    )

    def days(kind: str) -> list[date]:
        return [e.day for e in events if e.kind == kind]

    return {
        "death_certificate": _once(died, days("death_certificate"), today, 7, 7),
        "death_notification": _once(died, days("death_notification"), today, 7, 7),
        "death_inquiry": "not_applicable"
        if explained
        else _once(died, days("death_inquiry"), today, 30, 30),
    }


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
    """Every duty's state for one custody: the duties of a custody while it is held (not
    begun, ended or at large: none), those after death once the person has died."""
    now = [e for e in life.events if e.day <= today]
    steps = [(day, kind) for day, kind in life.steps if day <= today]
    if today < life.since:
        return {}
    died = [day for day, kind in steps if kind is K.DEATH]
    if died:
        return _after_death(died[0], now, today)
    if steps and steps[-1][1] not in HELD_AFTER:
        return {}  # released, repatriated or at large
    moved = max((day for day, kind in steps if kind is K.TRANSFER), default=None)

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
        "medical_commission": _commission(now, today),
        "transfer_notice": "not_applicable"
        if moved is None or moved > today
        else _once(moved, days("transfer_notice"), today, 7, 7),
    }


def life_of(session: Session, custody_id: str) -> Life:
    """One custody as the reference reads it, from the store: its steps and its events in
    force (not superseded, recorded in a role that may record their kind)."""
    custody = session.get(Custody, custody_id)
    assert custody is not None
    steps = session.execute(
        select(CustodyEvent.occurred_on, CustodyEvent.kind)
        .where(CustodyEvent.custody_id == custody_id)
        .order_by(CustodyEvent.number)
    ).all()
    rows = session.scalars(
        select(TreatmentEvent).where(TreatmentEvent.custody_id == custody_id)
    ).all()
    replaced = {r.supersedes_id for r in rows}
    events = [
        Event(
            r.kind,
            r.occurred_on,
            {f: getattr(r, f) for f in ALL_FACTS if getattr(r, f) is not None},
        )
        for r in rows
        if r.id not in replaced and r.role in RECORDED_BY[TreatmentKind(r.kind)]
    ]
    return Life(custody.since, [(d, K(k)) for d, k in steps], events)

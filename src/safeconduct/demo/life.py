"""Custody life for the demo: after the bureau's days are simulated, some custodies see a
transfer, a stay in hospital, a release, an escape or a death, so the demo shows every
status. Drawn from a generator of its own and blind to how anyone came into custody: a
person's later life must never hint at whether they surrendered."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from safeconduct import clock
from safeconduct.audit.actors import Actor
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyEventKind
from safeconduct.custody.schemas import CustodyEventCreate, DeathDetails
from safeconduct.demo.synthetic import CAMPS
from safeconduct.runtime import Runtime

K = CustodyEventKind
# (share of custodies, the steps they go through)
PATHS: tuple[tuple[float, tuple[K, ...]], ...] = (
    (0.15, (K.TRANSFER,)),
    (0.03, (K.HOSPITALISATION, K.DISCHARGE)),
    (0.02, (K.HOSPITALISATION,)),
    (0.02, (K.RELEASE,)),
    (0.01, (K.TRANSFER, K.REPATRIATION)),
    (0.01, (K.ESCAPE, K.RECAPTURE)),
    (0.005, (K.DEATH,)),
)
REASONS = {
    K.TRANSFER: "camp capacity",
    K.HOSPITALISATION: "referred by the camp doctor",
    K.DISCHARGE: "fit to return",
    K.RELEASE: "released on parole",
    K.REPATRIATION: "exchange",
    K.ESCAPE: "absent at roll call",
    K.RECAPTURE: "found near the camp",
    K.DEATH: "reported by the camp doctor",
}
PLACES = {K.TRANSFER: CAMPS, K.HOSPITALISATION: ("Hospital Ward 4",), K.RECAPTURE: CAMPS}


@dataclass(frozen=True)
class Step:
    custody_id: str
    kind: K
    day: date


def _path(rng: random.Random) -> tuple[K, ...]:
    draw = rng.random()
    for share, path in PATHS:
        if draw < share:
            return path
        draw -= share
    return ()


def _steps(rng: random.Random, custodies: list[tuple[str, date]], end: date) -> list[Step]:
    steps = []
    for custody_id, since in custodies:
        day = since
        for kind in _path(rng):
            room = (end - day).days
            if room < 1:
                break
            day += timedelta(days=rng.randint(1, max(1, min(room, 20))))
            steps.append(Step(custody_id, kind, day))
    return sorted(steps, key=lambda s: (s.day, s.custody_id))


def add_custody_life(rt: Runtime, *, actor: Actor, seed_value: int, end: datetime) -> int:
    """Record the drawn events, dated when they happened and recorded on the last day (as a
    bureau catching up would: the audit log's days never run backwards); return how many."""
    rng = random.Random(seed_value + 2)  # noqa: S311 - synthetic data, not secrets
    with rt.sessions() as session:
        rows = session.execute(select(Custody.id, Custody.since).order_by(Custody.id)).all()
    steps = _steps(rng, [(r.id, r.since) for r in rows], end.date())
    with clock.using(clock.ManualClock(end)):
        for step in steps:
            _record(rt, rng, actor, step)
    return len(steps)


def _record(rt: Runtime, rng: random.Random, actor: Actor, step: Step) -> None:
    places = PLACES.get(step.kind)
    event = CustodyEventCreate(
        kind=step.kind,
        occurred_on=step.day,
        reason=REASONS[step.kind],
        place=rng.choice(places) if places else None,
        details=DeathDetails(place="camp infirmary", cause="not recorded in the demo")
        if step.kind is K.DEATH
        else None,
    )
    with rt.transaction() as session:
        custody = session.get(Custody, step.custody_id)
        assert custody is not None
        custody_service.record_event(
            session,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=actor,
            custody=custody,
            event_in=event,
        )

"""Treatment for the demo: after the custodies and their lives are in the store, each
custody gets the treatment events a detaining power records under GC III, from the day it
began to the last day of the demo, through the treatment service in the roles that record
them.

Most duties are met, as in a bureau that mostly works: a capture card within days of
capture (Art. 70), a monthly examination (Art. 31) and mail offer (Art. 71), a visit of the
neutral delegates to each place every two or three months (Art. 126). Some are not: a few
cards late or never sent, a month without an examination, a short mail offer, a health
report that stopped, a trial notice given too late. So the dashboard shows every state.

Pure planning first (`plan`), then recording (`add_treatment`). What a custody gets is drawn
from a generator keyed on the custody's own plain, stable attributes and is blind to how
anyone came into custody: a person's treatment must never hint at whether they surrendered.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct import clock
from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor, account_actor
from safeconduct.custody.models import Custody, CustodyEvent, CustodyEventKind
from safeconduct.custody.policy import MOVES_INTERNMENT
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from safeconduct.treatment import service
from safeconduct.treatment.models import TreatmentKind
from safeconduct.treatment.policy import MONTHLY_CARDS, MONTHLY_LETTERS, month_start
from safeconduct.treatment.schemas import TreatmentEventCreate

K = TreatmentKind
C = CustodyEventKind

# Who records each kind in the demo: the one role `policy.RECORDED_BY` allows, and for a
# visit the neutral delegate (who may record it, as may welfare).
ROLE_OF: dict[K, Role] = {
    K.MEDICAL_EXAMINATION: Role.MEDICAL,
    K.HEALTH_STATUS: Role.MEDICAL,
    K.HEALTH_REPORT: Role.MEDICAL,
    K.MEDICAL_COMMISSION: Role.MEDICAL,
    K.DEATH_CERTIFICATE: Role.MEDICAL,
    K.CAPTURE_CARD: Role.REGISTRAR,
    K.CTA_NOTIFICATION: Role.REGISTRAR,
    K.PROCEEDINGS: Role.REGISTRAR,
    K.TRANSFER_NOTICE: Role.REGISTRAR,
    K.DEATH_NOTIFICATION: Role.REGISTRAR,
    K.DEATH_INQUIRY: Role.REGISTRAR,
    K.MAIL_OFFERED: Role.WELFARE,
    K.COMPLAINT: Role.WELFARE,
    K.LABOUR: Role.WELFARE,
    K.VISIT: Role.VERIFIER,
}
AFTER_DEATH = frozenset({K.DEATH_CERTIFICATE, K.DEATH_NOTIFICATION, K.DEATH_INQUIRY})
HOSPITAL = "Hospital Ward 4"
# Custodies recorded per transaction: few commits, and sessions that stay small.
BATCH = 20

# Synthetic notes, sealed with the event: nothing here is about a real person.
EXAM_NOTES = (
    "No complaints; fit for light work.",
    "Healing well; dressing changed.",
    "Dental pain; referred to the camp dentist.",
    "Lost weight since last month; extra rations advised.",
    "Cough; to be seen again next week.",
)
COMPLAINTS = (
    "About the food rations.",
    "About the cold in the barracks at night.",
    "About delays in the mail.",
    "About the hours of the work detail.",
    "Asks for a chaplain to visit.",
)
DEATH_CAUSES = ("heart failure", "complications of pneumonia", "sepsis after a wound")

# Shares of the population drawn for the rarer courses (at least a few each, if they fit).
ILL_SHARE, PROCEEDINGS_SHARE = 0.02, 0.03
ILL_COURSES = ("lapsed_long", "lapsed", "reported", "recovered", "reported")
PROCEEDINGS_COURSES = ("late", "soon", "far", "timely", "disciplinary", "late")


@dataclass(frozen=True)
class Life:
    """What the plan needs of a custody: its days, place and the steps of its life."""

    custody_id: str
    key: str  # plain and stable: seeds the custody's own generator
    since: date
    place: str
    place_from: date  # the day the person came to `place`
    ends: date | None = None  # release, repatriation or death
    died: date | None = None
    away: tuple[tuple[date, date], ...] = ()  # [from, to): escaped
    hospital: tuple[date, date | None] | None = None  # the first stay: in, out (if yet)
    in_hospital: tuple[tuple[date, date], ...] = ()  # [from, to): every stay
    transfers: tuple[date, ...] = ()


@dataclass(frozen=True)
class Planned:
    """One event to record."""

    custody_id: str
    kind: K
    day: date
    facts: dict[str, object] = field(default_factory=dict)


@dataclass
class _Plan:
    """A custody's events, kept only when the day fits its life: from its first day to its
    end (a death's events after it) and never past today, nor while the person was away."""

    life: Life
    today: date
    rng: random.Random
    out: list[Planned]

    @property
    def last(self) -> date:
        return min(self.today, self.life.ends or self.today)

    def fits(self, kind: K, day: date) -> bool:
        if day > self.today or day < self.life.since:
            return False
        if kind in AFTER_DEATH:
            return self.life.died is not None and day >= self.life.died
        escaped = any(a <= day < b for a, b in self.life.away)
        return day <= self.last and not escaped

    def add(self, kind: K, day: date, **facts: object) -> None:
        if self.fits(kind, day):
            self.out.append(Planned(self.life.custody_id, kind, day, facts))

    def between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))


def _months(first: date, last: date) -> list[date]:
    """The first day of every calendar month from `first`'s to `last`'s."""
    found, month = [], month_start(first)
    while month <= last:
        found.append(month)
        month = month_start(month + timedelta(days=31))
    return found


def _month_end(month: date) -> date:
    return month_start(month + timedelta(days=31)) - timedelta(days=1)


def _first_day(p: _Plan, month: date, spread: int) -> date:
    """A day early in the month, or soon after arrival in the month of capture."""
    start = max(month, p.life.since)
    return start + timedelta(days=p.rng.randint(0 if start == month else 1, spread))


def _registration(p: _Plan) -> None:
    """Art. 70 capture card and Art. 122 notification: most within days, a few late or
    never sent."""
    since, draw = p.life.since, p.rng.random()
    if draw < 0.85:
        p.add(K.CAPTURE_CARD, since + timedelta(days=p.rng.randint(0, 4)))
    elif draw < 0.93:
        p.add(K.CAPTURE_CARD, since + timedelta(days=p.rng.randint(8, 20)))
    draw = p.rng.random()
    if draw < 0.88:
        p.add(K.CTA_NOTIFICATION, since + timedelta(days=p.rng.randint(1, 6)))
    elif draw < 0.94:
        p.add(K.CTA_NOTIFICATION, since + timedelta(days=p.rng.randint(9, 25)))


def _examinations(p: _Plan) -> None:
    """Art. 31: an examination every month, the first on arrival; a few months missed, a
    few examinations with a weight and a note."""
    weight = p.rng.uniform(58, 92)
    for n, month in enumerate(_months(p.life.since, p.last)):
        day = _first_day(p, month, 3) if n == 0 else month + timedelta(p.rng.randint(0, 27))
        if n and p.rng.random() < 0.07:
            continue
        notes = None
        if p.rng.random() < 0.08:
            weight += p.rng.uniform(-2.5, 1.0)
            text = p.rng.choice(EXAM_NOTES)
            notes = {"text": text, "weight_kg": round(weight, 1)}
        p.add(K.MEDICAL_EXAMINATION, day, notes=notes)


def _mail(p: _Plan) -> None:
    """Art. 71: two letters and four cards offered each month, a few short or missed. (What
    is sent and received meets no duty: left out, to keep the demo quick to fill.)"""
    for month in _months(p.life.since, p.last):
        draw, day = p.rng.random(), _first_day(p, month, 9)
        if draw < 0.05:
            continue
        letters, cards = MONTHLY_LETTERS, MONTHLY_CARDS
        if draw < 0.17:
            letters, cards = p.rng.choice(((1, 4), (2, 2), (1, 2)))
        p.add(K.MAIL_OFFERED, day, letters=letters, cards=cards)


def _labour(p: _Plan) -> None:
    """Arts. 49-57: about four in ten work; the hours of each month at its end."""
    if p.life.place == HOSPITAL or p.rng.random() >= 0.4:
        return
    per_day = p.rng.randint(4, 8)
    for month in _months(p.life.since, p.last):
        end = _month_end(month)
        days = (end - max(month, p.life.since)).days + 1
        p.add(K.LABOUR, end, hours=min(744, days * 5 * per_day // 7))


def _complaints(p: _Plan) -> None:
    """Art. 78: a few complain, once or twice."""
    if p.rng.random() >= 0.06:
        return
    for _ in range(p.rng.randint(1, 2)):
        text = p.rng.choice(COMPLAINTS)
        p.add(K.COMPLAINT, p.between(p.life.since, p.last), notes={"text": text})


def _transfers(p: _Plan) -> None:
    """Art. 48: the new address made known after a transfer, mostly within days."""
    for day in p.life.transfers:
        draw = p.rng.random()
        if draw < 0.8:
            p.add(K.TRANSFER_NOTICE, day + timedelta(days=p.rng.randint(0, 3)))
        elif draw < 0.9:
            p.add(K.TRANSFER_NOTICE, day + timedelta(days=p.rng.randint(8, 16)))


def _death(p: _Plan) -> None:
    """Arts. 120-121: certificate and notification; an inquiry where the cause is unknown
    or someone else may have had a part in it."""
    died = p.life.died
    if died is None:
        return
    known, other = p.rng.random() < 0.6, p.rng.random() < 0.1
    cause = p.rng.choice(DEATH_CAUSES) if known else "not established"
    p.add(
        K.DEATH_CERTIFICATE,
        died + timedelta(days=p.rng.randint(0, 3)),
        cause_known=known,
        other_person_involved=other,
        notes={"text": f"Cause of death: {cause}."},
    )
    late = p.rng.random() < 0.2
    p.add(K.DEATH_NOTIFICATION, died + timedelta(days=p.rng.randint(9, 14) if late else 1))
    if (not known or other) and p.rng.random() < 0.75:
        p.add(K.DEATH_INQUIRY, died + timedelta(days=p.rng.randint(5, 25)))


def _illness(p: _Plan, start: date, course: str, recovered: date | None = None) -> None:
    """Art. 30 seriously ill, Art. 122 weekly health reports while so, Art. 110 before a
    mixed medical commission with consent heard. A lapsed course stops reporting a week or
    two (`lapsed`) or over two weeks (`lapsed_long`) before today."""
    p.add(K.HEALTH_STATUS, start, seriously_ill=True)
    if course == "recovered" and recovered is None:
        recovered = start + timedelta(days=p.rng.randint(14, 40))
    stop = {"lapsed_long": p.today - timedelta(15), "lapsed": p.today - timedelta(8)}.get(
        course, recovered or p.today
    )
    day = start + timedelta(days=p.rng.randint(1, 4))
    while day <= stop:
        p.add(K.HEALTH_REPORT, day)
        day += timedelta(days=p.rng.choice((6, 7, 7, 7)))
    if recovered is not None:
        p.add(K.HEALTH_STATUS, recovered, seriously_ill=False)
    commission = start + timedelta(days=p.rng.randint(20, 55))
    if (recovered is None or commission < recovered) and p.rng.random() < 0.85:
        p.add(K.MEDICAL_COMMISSION, commission, consent=p.rng.random() < 0.8)


def _proceedings(p: _Plan, course: str) -> None:
    """Arts. 82-108: judicial proceedings with a trial date, and the protecting power's
    notice (Art. 104) three weeks ahead; one or two too late, two not yet given."""
    since, today = p.life.since, p.today
    if course == "disciplinary":
        p.add(K.PROCEEDINGS, p.between(since, today))
        return
    notice: date | None = None
    if course == "late":
        notice = p.between(max(since + timedelta(1), today - timedelta(20)), today - timedelta(8))
        trial = notice + timedelta(days=p.rng.randint(7, 14))
    elif course == "timely":
        notice = p.between(since + timedelta(1), today)
        trial = notice + timedelta(days=p.rng.randint(21, 50))
    else:
        far = course == "far"
        trial = today + timedelta(days=p.rng.randint(25, 50) if far else p.rng.randint(8, 18))
    p.add(K.PROCEEDINGS, p.between(since, notice or today), trial_on=trial)
    if notice is not None:
        p.add(K.PROCEEDINGS, notice, trial_on=trial, notice_on=notice)


def _visit_days(lives: list[Life], rng: random.Random, today: date) -> dict[str, list[date]]:
    """Art. 126: the delegates visit each place every two or three months."""
    if not lives:
        return {}
    first = min(life.since for life in lives)
    days: dict[str, list[date]] = {}
    for place in sorted({life.place for life in lives}):
        day, found = first + timedelta(days=rng.randint(14, 75)), []
        while day <= today:
            found.append(day)
            day += timedelta(days=rng.randint(60, 90))
        days[place] = found
    return days


def _visits(p: _Plan, days: list[date]) -> None:
    """Those at the place on the day are seen, most in an interview without witnesses."""
    for day in days:
        in_hospital = any(a <= day < b for a, b in p.life.in_hospital)
        if day >= p.life.place_from and not in_hospital and p.rng.random() < 0.95:
            p.add(K.VISIT, day, private_interview=p.rng.random() < 0.9)


def _pick(
    rng: random.Random,
    lives: list[Life],
    share: float,
    courses: tuple[str, ...],
    old: int,
    today: date,
) -> dict[str, str]:
    """Draw a few custodies held all along and at least `old` days, each with a course."""
    eligible = [
        life
        for life in lives
        if life.ends is None
        and not (life.away or life.in_hospital)
        and (today - life.since).days >= old
    ]
    count = min(len(eligible), max(len(courses), round(share * len(lives))))
    chosen = rng.sample(eligible, count)
    return {life.custody_id: courses[i % len(courses)] for i, life in enumerate(chosen)}


def plan(lives: list[Life], *, seed_value: int, today: date) -> list[Planned]:
    """Every event to record for these custodies up to `today`, by custody then day."""
    lives = sorted(lives, key=lambda life: (life.since, life.key))
    rng = random.Random(seed_value + 3)  # noqa: S311 - synthetic data, not secrets
    visits = _visit_days(lives, rng, today)
    held = [life for life in lives if life.since <= today]
    ill = _pick(rng, held, ILL_SHARE, ILL_COURSES, 20, today)
    tried = _pick(rng, held, PROCEEDINGS_SHARE, PROCEEDINGS_COURSES, 12, today)
    out: list[Planned] = []
    for life in held:
        own = random.Random(f"{seed_value}/{life.key}")  # noqa: S311
        p = _Plan(life, today, own, out)
        for step in (_registration, _examinations, _mail, _labour, _complaints):
            step(p)
        _transfers(p)
        _death(p)
        _visits(p, visits.get(life.place, []))
        _ill(p, ill.get(life.custody_id))
        if life.custody_id in tried:
            _proceedings(p, tried[life.custody_id])
    return sorted(out, key=lambda e: (e.custody_id, e.day))


def _ill(p: _Plan, course: str | None) -> None:
    """The drawn illnesses, and most of the hospitalised (from the day they went in)."""
    if course is not None:
        _illness(p, p.between(p.life.since, p.today - timedelta(20)), course)
    elif p.life.hospital is not None and p.rng.random() < 0.7:
        _illness(p, p.life.hospital[0], "reported", recovered=p.life.hospital[1])


def _stays(steps: list[CustodyEvent], enter: C, leave: C, today: date) -> list[tuple[date, date]]:
    """The spans [from, to) between each `enter` and the `leave` after it (or tomorrow)."""
    spans, began = [], None
    for step in steps:
        if step.kind == enter.value:
            began = step.occurred_on
        elif step.kind == leave.value and began is not None:
            spans.append((began, step.occurred_on))
            began = None
    if began is not None:
        spans.append((began, today + timedelta(days=1)))
    return spans


def _life(row: tuple[str, date, str, str], steps: list[CustodyEvent], today: date) -> Life:
    custody_id, since, place, key = row
    ends = [s.occurred_on for s in steps if s.kind in (C.RELEASE, C.REPATRIATION, C.DEATH)]
    moves = [s.occurred_on for s in steps if s.kind in MOVES_INTERNMENT and s.place]
    hospital = _stays(steps, C.HOSPITALISATION, C.DISCHARGE, today)
    stay = None
    if hospital:
        left: date | None = hospital[0][1]
        stay = (hospital[0][0], None if left is None or left > today else left)
    return Life(
        custody_id,
        key,
        since,
        place,
        place_from=max(moves, default=since),
        ends=min(ends, default=None),
        died=next((s.occurred_on for s in steps if s.kind == C.DEATH), None),
        away=tuple(_stays(steps, C.ESCAPE, C.RECAPTURE, today)),
        hospital=stay,
        in_hospital=tuple(hospital),
        transfers=tuple(s.occurred_on for s in steps if s.kind == C.TRANSFER),
    )


def lives(session: Session, *, today: date) -> list[Life]:
    """The custodies of people not erased, with the steps of their lives."""
    rows = session.execute(
        select(
            Custody.id,
            Custody.since,
            Custody.place_of_internment,
            Person.service_number,
            Person.surname,
            Person.given_names,
        )
        .join(Person, Person.id == Custody.person_id)
        .where(Person.erased_on.is_(None))
    ).all()
    steps: dict[str, list[CustodyEvent]] = {}
    for step in session.scalars(select(CustodyEvent).order_by(CustodyEvent.number)):
        steps.setdefault(step.custody_id, []).append(step)
    return [
        _life((r[0], r[1], r[2], f"{r[3]}/{r[4]}/{r[5]}/{r[1]}"), steps.get(r[0], []), today)
        for r in rows
    ]


def _actors(session: Session) -> dict[Role, Actor]:
    """The demo accounts of the recording roles, if present; else simulated staff."""
    found: dict[Role, Actor] = {}
    for role in set(ROLE_OF.values()):
        account = accounts.get_by_username(session, username=role.value)
        if account is not None and account.role == role.value:
            found[role] = account_actor(account.id, "demo:seed")
        else:
            found[role] = account_actor(f"demo-{role.value}-1", "session:demo")
    return found


def add_treatment(rt: Runtime, *, seed_value: int, end: datetime) -> int:
    """Record the planned events through the treatment service, dated when they happened
    and recorded on the last day (as `life` records custody events), all in one
    transaction; return how many."""
    today = end.date()
    with rt.sessions() as session:
        planned = plan(lives(session, today=today), seed_value=seed_value, today=today)
        actors = _actors(session)
    by_custody: dict[str, list[Planned]] = {}
    for event in planned:
        by_custody.setdefault(event.custody_id, []).append(event)
    groups = list(by_custody.values())
    batches = [[e for g in groups[i : i + BATCH] for e in g] for i in range(0, len(groups), BATCH)]
    with clock.using(clock.ManualClock(end)):
        for batch in batches:
            _record(rt, actors, batch)
    return len(planned)


def _record(rt: Runtime, actors: dict[Role, Actor], batch: list[Planned]) -> None:
    with rt.transaction() as session:
        custody: Custody | None = None
        for event in batch:
            if custody is None or custody.id != event.custody_id:
                custody = session.get(Custody, event.custody_id)
                assert custody is not None
            role = ROLE_OF[event.kind]
            service.record_event(
                session,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=actors[role],
                role=role,
                custody=custody,
                event_in=TreatmentEventCreate.model_validate(
                    {"kind": event.kind, "occurred_on": event.day, **event.facts}
                ),
            )

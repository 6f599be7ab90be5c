"""Wishes and exchanges for the demo: after treatment, many of those held have told welfare
whether they want to go home, the neutral verifier has heard most of those in private, a
few changed their minds, and two exchanges are under way: one approved and then
invalidated by a change of mind, one a draft a colleague built, waiting for a second
officer. So every screen of guarantee 3 has something on it.

What a person says is drawn from a generator keyed on their stable plain attributes (the
service number), blind to how they came into custody: the demo must not tie a wish to a
surrender, though in life the two go together (see the repatriation notes)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import account_actor
from safeconduct.custody.models import Custody
from safeconduct.demo.accounts import acting_as
from safeconduct.people.models import Person
from safeconduct.repatriation import exchange
from safeconduct.repatriation import service as wishes
from safeconduct.repatriation.models import ExchangeEvent, StayPlan, Wish
from safeconduct.repatriation.policy import PRESENT
from safeconduct.repatriation.schemas import ExchangeEventCreate, InterviewCreate, StatementCreate
from safeconduct.runtime import Runtime

NOTES = (
    "Спрашивал о семье, хочет домой.",
    "Боится преследования дома.",
    "Ще не вирішив, просить час подумати.",
    "Asked whether his unit would know.",
)
# Of those asked: how often each wish is said. About one in ten does not want to return.
SAID = ((Wish.RETURN, 0.80), (Wish.STAY, 0.11), (Wish.UNDECIDED, 0.09))


def _held(session: Session) -> list[tuple[str, str, date]]:
    stmt = (
        select(Person.id, Person.service_number, Custody.since)
        .join(Custody, Custody.person_id == Person.id)
        .where(Person.erased_on.is_(None), Custody.status.in_([s.value for s in PRESENT]))
        .order_by(Person.id)
    )
    return [(pid, number or pid, since) for pid, number, since in session.execute(stmt)]


def _wish(rng: random.Random) -> Wish:
    pick = rng.random()
    for wish, share in SAID:
        if pick < share:
            return wish
        pick -= share
    return Wish.RETURN


def _day(rng: random.Random, since: date, today: date, within: int) -> date:
    earliest = max(since, today - timedelta(days=within))
    return earliest + timedelta(days=rng.randint(0, max(0, (today - earliest).days)))


def _hear(rt: Runtime, s: Session, people: list[tuple[str, str, date]], today: date) -> None:
    welfare = acting_as(s, Role.WELFARE, "demo-welfare-1")
    verifier = acting_as(s, Role.VERIFIER, "demo-verifier-1")
    for pid, number, since in people:
        rng = random.Random(f"wish:{number}")  # noqa: S311 - synthetic data, not secrets
        if rng.random() > 0.7:
            continue  # not asked yet
        said = _wish(rng)
        note = rng.choice(NOTES) if rng.random() < 0.3 else None
        stated = StatementCreate(wish=said, stated_on=_day(rng, since, today, 120), note=note)
        wishes.record_statement(
            s, keyring=rt.keyring, audit=rt.audit, actor=welfare, role=Role.WELFARE,
            person_id=pid, statement_in=stated,
        )  # fmt: skip
        if rng.random() > 0.8:
            continue  # not yet heard by the verifier
        found = said if rng.random() < 0.9 else _wish(rng)
        risk = found is Wish.STAY and rng.random() < 0.5
        heard = InterviewCreate(
            wish=found, held_on=_day(rng, stated.stated_on, today, 50),
            without_witnesses=rng.random() < 0.95, interpreter=rng.random() < 0.3,
            language=rng.choice(["ru", "uk"]), risk_on_return=risk,
            risk_reasons="Угроза уголовного преследования." if risk else None,
            notes="Беседа без свидетелей, слова подтверждены.",
        )  # fmt: skip
        wishes.record_interview(
            s, keyring=rt.keyring, audit=rt.audit, actor=verifier, person_id=pid,
            interview_in=heard,
        )  # fmt: skip
        if found is Wish.STAY and rng.random() < 0.6:
            plan = rng.choice(list(StayPlan))
            wishes.set_stay_plan(s, audit=rt.audit, actor=verifier, person_id=pid, plan=plan)


def _hear_again(rt: Runtime, s: Session, event: ExchangeEvent, today: date) -> None:
    """The verifier's schedule worked through: whoever on the list was heard too long before
    the exchange is heard again, in private, and still wants to go home."""
    verifier = acting_as(s, Role.VERIFIER, "demo-verifier-1")
    for member in exchange.view(s, event=event).members:
        if member.reason is not None and member.reason.value == "stale":
            heard = InterviewCreate(
                wish=Wish.RETURN, held_on=today, without_witnesses=True, interpreter=False,
                language="ru", notes="Подтвердил желание вернуться.",
            )  # fmt: skip
            wishes.record_interview(
                s, keyring=rt.keyring, audit=rt.audit, actor=verifier,
                person_id=member.person_id, interview_in=heard,
            )  # fmt: skip


def _exchanges(rt: Runtime, s: Session, today: date) -> None:
    colleague = account_actor("demo-exchange-2", "session:demo")
    officer = acting_as(s, Role.EXCHANGE, "demo-exchange-1")
    window = rt.settings.exchange_window_days

    def event(days: int, sick: int, officers: int, enlisted: int) -> ExchangeEvent:
        return exchange.create_event(
            s, audit=rt.audit, actor=colleague, window_days=window,
            event_in=ExchangeEventCreate(
                counterpart="ICRC-facilitated exchange", planned_on=today + timedelta(days=days),
                quota_wounded_sick=sick, quota_officer=officers, quota_enlisted=enlisted,
            ),
        )  # fmt: skip

    approved = event(12, 2, 2, 8)
    built = exchange.build(s, audit=rt.audit, actor=colleague, event=approved)
    _hear_again(rt, s, approved, today)
    if built:
        exchange.approve(
            s, audit=rt.audit, actor=officer, signer=rt.audit.signer, event=approved,
            version=approved.version,
        )  # fmt: skip
        welfare = acting_as(s, Role.WELFARE, "demo-welfare-1")
        wishes.record_statement(
            s, keyring=rt.keyring, audit=rt.audit, actor=welfare, role=Role.WELFARE,
            person_id=built[-1].person_id,
            statement_in=StatementCreate(wish=Wish.UNDECIDED, stated_on=today),
        )  # fmt: skip
    draft = event(25, 2, 2, 6)
    exchange.build(s, audit=rt.audit, actor=colleague, event=draft)


def add_repatriation(rt: Runtime, *, end: datetime) -> None:
    """Record the wishes, interviews, plans and exchanges, dated up to the last day."""
    today = end.date()
    with clock.using(clock.ManualClock(end)), rt.transaction() as s:
        _hear(rt, s, _held(s), today)
        _exchanges(rt, s, today)

"""Repatriation test helpers: people in custody, wishes heard and verified through the
service, exchange events and their lists, all on an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import SurrenderMode
from safeconduct.repatriation import exchange
from safeconduct.repatriation import service as wish_service
from safeconduct.repatriation.models import ExchangeEvent, Wish, WishRecord
from safeconduct.repatriation.schemas import ExchangeEventCreate, InterviewCreate, StatementCreate
from safeconduct.runtime import Runtime
from tests import factories
from tests.factories import ACTOR

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)
TODAY = NOW.date()
BUILDER = Actor("account:builder", "test:credential")
APPROVER = Actor("account:approver", "test:credential")
VERIFIER = Actor("account:verifier", "test:credential")


@pytest.fixture(autouse=True)
def manual_clock() -> Iterator[clock.ManualClock]:
    moved = clock.ManualClock(NOW)
    with clock.using(moved):
        yield moved


def held(
    rt: Runtime, surname: str = "KOVALENKO", since: date = date(2027, 1, 10), **fields: str
) -> Custody:
    """A person in custody since a day."""
    person = factories.add_person(rt, surname, **fields)
    return factories.add_custody(rt, person, mode=SurrenderMode.CAPTURED, since=since)


def interview(
    rt: Runtime,
    person_id: str,
    wish: Wish = Wish.RETURN,
    *,
    held_on: date | None = None,
    private: bool = True,
    notes: str | None = None,
    risk: str | None = None,
) -> WishRecord:
    with rt.transaction() as s:
        return wish_service.record_interview(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=VERIFIER,
            person_id=person_id,
            interview_in=InterviewCreate(
                wish=wish,
                held_on=held_on or clock.today(),
                without_witnesses=private,
                interpreter=False,
                language="ru",
                risk_on_return=risk is not None,
                risk_reasons=risk,
                notes=notes,
            ),
        )


def statement(
    rt: Runtime, person_id: str, wish: Wish, *, note: str | None = None, role: Role = Role.WELFARE
) -> WishRecord:
    with rt.transaction() as s:
        return wish_service.record_statement(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            role=role,
            person_id=person_id,
            statement_in=StatementCreate(wish=wish, stated_on=clock.today(), note=note),
        )


def new_event(
    rt: Runtime, planned_on: date, *, sick: int = 5, officers: int = 5, enlisted: int = 5
) -> ExchangeEvent:
    with rt.transaction() as s:
        return exchange.create_event(
            s,
            audit=rt.audit,
            actor=BUILDER,
            event_in=ExchangeEventCreate(
                counterpart="Counterpart",
                planned_on=planned_on,
                quota_wounded_sick=sick,
                quota_officer=officers,
                quota_enlisted=enlisted,
            ),
            window_days=rt.settings.exchange_window_days,
        )


def build(rt: Runtime, event_id: str) -> list[str]:
    with rt.transaction() as s:
        event = s.get(ExchangeEvent, event_id)
        assert event is not None
        return [m.person_id for m in exchange.build(s, audit=rt.audit, actor=BUILDER, event=event)]


def approve(rt: Runtime, event_id: str, actor: Actor = APPROVER) -> None:
    with rt.transaction() as s:
        event = s.get(ExchangeEvent, event_id)
        assert event is not None
        exchange.approve(
            s,
            audit=rt.audit,
            actor=actor,
            signer=rt.audit.signer,
            event=event,
            version=event.version,
        )

"""Treatment test helpers: custodies begun on a chosen day, events recorded and corrected
through the service, and the engine's states read back per custody."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.custody.models import Custody, CustodyEventKind
from safeconduct.custody.policy import NEEDS_PLACE
from safeconduct.custody.schemas import (
    CustodyEventCreate,
    SurrenderMode,
)
from safeconduct.runtime import Runtime
from safeconduct.treatment import engine
from safeconduct.treatment import service as treatment_service
from safeconduct.treatment.models import TreatmentEvent
from safeconduct.treatment.policy import DEFAULT_TERMS, DutyState, Terms
from safeconduct.treatment.schemas import TreatmentEventCreate
from tests import factories
from tests.factories import ACTOR, add_custody_event, add_person

# Every event day in these tests lies before this: the schema refuses days in the future.
NOW = datetime(2027, 6, 30, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with clock.using(clock.ManualClock(NOW)):
        yield


def add_custody(rt: Runtime, since: date, surname: str = "KOVALENKO") -> Custody:
    """A person in custody since a day."""
    person = add_person(rt, surname)
    return factories.add_custody(rt, person, mode=SurrenderMode.CAPTURED, since=since)


def end(rt: Runtime, custody_id: str, day: date, kind: CustodyEventKind) -> None:
    """A step in a custody's life on a day: an end (release, repatriation, death), an
    escape, or a transfer (to Camp 2)."""
    add_custody_event(
        rt,
        custody_id,
        CustodyEventCreate(
            kind=kind,
            occurred_on=day,
            reason="custody over",
            place="Camp 2" if kind in NEEDS_PLACE else None,
        ),
    )


def record(rt: Runtime, custody_id: str, role: Role, **fields: object) -> TreatmentEvent:
    """Record one event through the service, in its own transaction."""
    with rt.transaction() as s:
        custody = s.get(Custody, custody_id)
        assert custody is not None
        return treatment_service.record_event(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            role=role,
            custody=custody,
            event_in=TreatmentEventCreate.model_validate(fields),
        )


def correct(rt: Runtime, event_id: str, role: Role, **fields: object) -> TreatmentEvent:
    """Correct one event through the service, in its own transaction."""
    with rt.transaction() as s:
        return treatment_service.correct_event(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            role=role,
            event_id=event_id,
            event_in=TreatmentEventCreate.model_validate(fields),
        )


def states(
    rt: Runtime, today: date, terms: Terms = DEFAULT_TERMS
) -> dict[tuple[str, str], DutyState]:
    """{(custody id, duty): state} on a day, as the engine computes it."""
    with rt.sessions() as s:
        return {(r.custody_id, r.duty): r.state for r in engine.states(s, today=today, terms=terms)}


def state(
    rt: Runtime, custody_id: str, duty: str, today: date, terms: Terms = DEFAULT_TERMS
) -> str:
    """One duty's state for one custody on a day, as a plain string; "-" for no row."""
    found = states(rt, today, terms).get((custody_id, duty))
    return "-" if found is None else found.value

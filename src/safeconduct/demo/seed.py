"""Fill a store with synthetic people through the same services the API uses."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.custody import service as custody_service
from safeconduct.custody.schemas import Circumstances, CustodyCreate, SurrenderMode
from safeconduct.demo.synthetic import DemoPerson, generate
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import Channel, RequestStatus
from safeconduct.intake.schemas import SurrenderRequestCreate
from safeconduct.people import service as people_service
from safeconduct.people.schemas import PersonCreate
from safeconduct.runtime import Runtime

ACTOR = Actor("system:demo")
BATCH = 250


def _request(session: Session, rt: Runtime, p: DemoPerson, *, accepted: bool) -> str:
    request = intake_service.create(
        session,
        keyring=rt.keyring,
        audit=rt.audit,
        actor=ACTOR,
        request_in=SurrenderRequestCreate(
            channel=Channel(p.channel), contact=p.contact, content=p.message
        ),
    )
    if accepted:
        for status in (RequestStatus.IN_REVIEW, RequestStatus.ACCEPTED, RequestStatus.CLOSED):
            intake_service.move(
                session, audit=rt.audit, actor=ACTOR, request=request, status=status
            )
    return request.id


def _person(session: Session, rt: Runtime, p: DemoPerson) -> None:
    person = people_service.create(
        session,
        audit=rt.audit,
        actor=ACTOR,
        person_in=PersonCreate(
            surname=p.surname,
            given_names=p.given_names,
            patronymic=p.patronymic,
            date_of_birth=p.date_of_birth,
            place_of_birth=p.place_of_birth,
            rank=p.rank,
            service_number=p.service_number,
            sex=p.sex,
            name_original_script=p.name_original_script,
        ),
    )
    request_id = _request(session, rt, p, accepted=True) if p.voluntary else None
    circumstances = Circumstances(
        mode=SurrenderMode.VOLUNTARY if p.voluntary else SurrenderMode.CAPTURED,
        place=p.place,
        occurred_at=p.occurred_at,
        how=p.how,
        request_id=request_id,
    )
    custody_service.create(
        session,
        keyring=rt.keyring,
        audit=rt.audit,
        actor=ACTOR,
        custody_in=CustodyCreate(
            person_id=person.id,
            since=p.custody_since,
            place_of_internment=p.camp,
            circumstances=circumstances,
        ),
    )


def seed(
    rt: Runtime, *, people: int, seed_value: int = 7, progress: Callable[[int], None] | None = None
) -> int:
    """Add `people` synthetic people in custody and a queue of open requests; return the count."""
    population = generate(seed_value, people)
    for start in range(0, len(population), BATCH):
        chunk = population[start : start + BATCH]
        with rt.transaction() as session:
            for p in chunk:
                _person(session, rt, p)
        if progress is not None:
            progress(len(chunk))
    # A short queue of requests still waiting for intake.
    with rt.transaction() as session:
        for p in generate(seed_value + 1, max(3, people // 50)):
            _request(session, rt, p, accepted=False)
        rt.audit.checkpoint(session)
    return len(population)

"""The simulated bureau's staff at work: each step is one unit of work through the services,
in its own transaction, at the time the clock says."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts.service import Principal
from safeconduct.audit.actors import Actor
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import Circumstances, CustodyCreate, SurrenderMode
from safeconduct.demo.synthetic import CAMPS, HOW_CAPTURED, HOW_VOLUNTARY, DemoPerson
from safeconduct.demo.timeline import Workload
from safeconduct.disclosure import service as disclosure
from safeconduct.disclosure.policy import Purpose
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import Channel, RequestStatus, SurrenderRequest
from safeconduct.intake.schemas import SurrenderRequestCreate
from safeconduct.people import service as people_service
from safeconduct.people.schemas import PersonCreate
from safeconduct.runtime import Runtime

# Why an officer ends a request; the same words each time, so the demo draws no more
# random numbers than it did before reasons were asked for.
REASONS = {
    RequestStatus.REJECTED: "no safe way to arrange the crossing",
    RequestStatus.WITHDRAWN: "the applicant withdrew on a call back",
}


@dataclass(frozen=True)
class Staff:
    """Who works the simulated bureau."""

    intake: list[Principal]
    registrars: list[Principal]
    verifiers: list[Principal]
    system: Actor


@dataclass
class SeedResult:
    """How many people were registered, and the truth the store keeps sealed."""

    people: int = 0
    voluntary: dict[str, bool] = field(default_factory=dict)  # person id -> surrendered
    links: dict[str, str] = field(default_factory=dict)  # request id -> person id

    def remember(self, person_id: str, request_id: str | None) -> None:
        self.people += 1
        self.voluntary[person_id] = request_id is not None
        if request_id is not None:
            self.links[request_id] = person_id


@dataclass(frozen=True)
class Arrival:
    """Someone in custody on the way to a camp."""

    reaches_camp: datetime
    occurred_at: datetime
    request_id: str | None  # the accepted request, for a surrender


@dataclass
class Worker:
    """Carries out the timeline's events and remembers what the store keeps sealed."""

    rt: Runtime
    rng: random.Random
    staff: Staff
    workload: Workload
    sim_clock: clock.ManualClock  # the simulation's time, which `seed` put in force
    persons: Iterator[DemoPerson]
    requests: Iterator[DemoPerson]
    accepted: dict[str, datetime] = field(default_factory=dict)
    awaiting: list[Arrival] = field(default_factory=list)
    custodies: list[str] = field(default_factory=list)

    def take_request(self) -> str:
        """A request arrives: through a channel, or by phone to an intake officer."""
        p = next(self.requests)
        channel = Channel(p.channel)
        actor = (
            self.rng.choice(self.staff.intake).actor
            if channel is Channel.PHONE
            else Actor(f"channel:{channel.value}")
        )
        body = SurrenderRequestCreate(channel=channel, contact=p.contact, content=p.message)
        with self.rt.transaction() as s:
            request = intake_service.create(
                s, keyring=self.rt.keyring, audit=self.rt.audit, actor=actor, request_in=body
            )
            return request.id

    def _move(self, request_id: str, status: RequestStatus, actor: Actor) -> None:
        with self.rt.transaction() as s:
            request = s.get(SurrenderRequest, request_id)
            assert request is not None
            intake_service.move(
                s,
                keyring=self.rt.keyring,
                audit=self.rt.audit,
                actor=actor,
                request=request,
                status=status,
                reason=REASONS.get(status),
            )

    def review(self, request_id: str) -> None:
        """An officer takes the request up and, most often, reads it to call back."""
        officer = self.rng.choice(self.staff.intake)
        self._move(request_id, RequestStatus.IN_REVIEW, officer.actor)
        if self.rng.random() < 0.7:
            with self.rt.transaction() as s:
                request = s.get(SurrenderRequest, request_id)
                assert request is not None
                disclosure.reveal_request(
                    s,
                    keyring=self.rt.keyring,
                    audit=self.rt.audit,
                    who=officer,
                    request=request,
                    purpose=Purpose.INTAKE_FOLLOW_UP.value,
                    reason="call back the applicant",
                )

    def decide(self, request_id: str) -> bool:
        """Accept, reject, or see the applicant withdraw; tell whether it was accepted."""
        officer = self.rng.choice(self.staff.intake)
        draw = self.rng.random()
        if draw < self.workload.accept_share:
            self._move(request_id, RequestStatus.ACCEPTED, officer.actor)
            self.accepted[request_id] = clock.now()
            return True
        outcome = RequestStatus.REJECTED if draw < 0.8 else RequestStatus.WITHDRAWN
        self._move(request_id, outcome, officer.actor)
        return False

    def arrive(self, reaches_camp: datetime, request_id: str | None) -> None:
        self.awaiting.append(Arrival(reaches_camp, clock.now(), request_id))

    def close_batch(self, accepted_before: datetime) -> None:
        """The nightly job: accepted requests past their hold are closed, whatever came of
        them, so a request's closing says nothing about a registration."""
        due = sorted(r for r, at in self.accepted.items() if at <= accepted_before)
        for request_id in due:
            self._move(request_id, RequestStatus.CLOSED, self.staff.system)
            del self.accepted[request_id]

    def session(self, now: datetime, *, limit: int, result: SeedResult) -> int:
        """A registrar registers everyone who has reached the camp, in no set order."""
        arrived = [a for a in self.awaiting if a.reaches_camp <= now]
        ready, later = arrived[: max(0, limit)], arrived[max(0, limit) :]
        self.awaiting = later + [a for a in self.awaiting if a.reaches_camp > now]
        self.rng.shuffle(ready)
        registrar = self.rng.choice(self.staff.registrars)
        moving = now
        for arrival in ready:
            moving += timedelta(minutes=self.rng.randrange(3, 15))
            self.sim_clock.set(moving)
            self._register(registrar, arrival, result)
        return len(ready)

    def _register(self, registrar: Principal, arrival: Arrival, result: SeedResult) -> None:
        p = next(self.persons)
        voluntary = arrival.request_id is not None
        circumstances = Circumstances(
            mode=SurrenderMode.VOLUNTARY if voluntary else SurrenderMode.CAPTURED,
            place=p.place,
            occurred_at=arrival.occurred_at,
            how=self.rng.choice(HOW_VOLUNTARY if voluntary else HOW_CAPTURED),
            request_id=arrival.request_id,
        )
        with self.rt.transaction() as s:
            person = people_service.create(
                s, audit=self.rt.audit, actor=registrar.actor, person_in=_identity(p)
            )
            custody = custody_service.create(
                s,
                keyring=self.rt.keyring,
                audit=self.rt.audit,
                actor=registrar.actor,
                custody_in=CustodyCreate(
                    person_id=person.id,
                    since=arrival.occurred_at.date(),
                    place_of_internment=self.rng.choice(CAMPS),
                    circumstances=circumstances,
                ),
            )
            self.custodies.append(custody.id)
            result.remember(person.id, arrival.request_id)

    def delegate_read(self) -> None:
        """A delegate opens someone's circumstances to weigh the risk on return."""
        if not self.custodies:
            return
        custody_id = self.rng.choice(self.custodies)
        with self.rt.transaction() as s:
            custody = s.scalars(select(Custody).where(Custody.id == custody_id)).one()
            disclosure.reveal_circumstances(
                s,
                keyring=self.rt.keyring,
                audit=self.rt.audit,
                who=self.rng.choice(self.staff.verifiers),
                custody=custody,
                purpose=Purpose.PROTECTION_ASSESSMENT.value,
                reason="risk on return before an exchange",
            )


def _identity(p: DemoPerson) -> PersonCreate:
    return PersonCreate(
        surname=p.surname,
        given_names=p.given_names,
        patronymic=p.patronymic,
        date_of_birth=p.date_of_birth,
        place_of_birth=p.place_of_birth,
        rank=p.rank,
        service_number=p.service_number,
        sex=p.sex,
        name_original_script=p.name_original_script,
    )

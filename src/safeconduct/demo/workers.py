"""The simulated bureau's staff at work: each step is one unit of work through the services,
in its own transaction, at the time the clock says.

Requests arrive as they do in production: those from the web form, a bot or a webhook through
the public face (sealed to the intake key, a ticket and a codename), taken into the queue by
the operator face's ingest job; a call is entered by an intake officer, who may read the
caller a codename. Officers reply to codename holders, applicants write again. The choices
of these channel paths are drawn from their own random stream (`paths`), so the people,
requests and decisions are the same as without them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts.service import Principal
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.channels import retention
from safeconduct.channels import service as channels
from safeconduct.channels.models import PublicStatus
from safeconduct.channels.policy import LANGUAGES, SubmissionFields
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
from safeconduct.runtime import NO_CHECKPOINTS, ChannelKeys, Runtime

# Why an officer ends a request; the same words each time, so the demo draws no more
# random numbers than it did before reasons were asked for.
REASONS = {
    RequestStatus.REJECTED: "no safe way to arrange the crossing",
    RequestStatus.WITHDRAWN: "the applicant withdrew on a call back",
}
# The channel paths' shares: callers read a codename, requests replied to in review.
CODENAME_BY_PHONE = 0.6
REPLY_SHARE = 0.5
REPLY = "We have your request. Keep your phone on: we will call within two days."
MESSAGE = "Still here. The road north is quiet at night."


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
    # The channel paths' own random stream (see the module's docstring).
    paths: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311
    accepted: dict[str, datetime] = field(default_factory=dict)
    awaiting: list[Arrival] = field(default_factory=list)
    custodies: list[str] = field(default_factory=list)
    codenames: dict[str, str] = field(default_factory=dict)  # what each applicant holds

    def _keys(self) -> ChannelKeys | None:
        """The channel keys, if this store has them all (the demo and tests do)."""
        keys = self.rt.channels
        return keys if keys is not None and keys.intake is not None else None

    def take_request(self) -> str:
        """A request arrives: through a channel, or by phone to an intake officer."""
        p = next(self.requests)
        channel = Channel(p.channel)
        keys = self._keys()
        if channel is Channel.PHONE:
            request_id = self._enter(channel, p, self.rng.choice(self.staff.intake).actor, keys)
            if keys is not None and self.paths.random() < CODENAME_BY_PHONE:
                self._read_out_codename(request_id, keys)
            return request_id
        if keys is None:
            return self._enter(channel, p, Actor(f"channel:{channel.value}"), None)
        return self._submit(channel, p, keys)

    def _enter(
        self, channel: Channel, p: DemoPerson, actor: Actor, keys: ChannelKeys | None
    ) -> str:
        body = SurrenderRequestCreate(channel=channel, contact=p.contact, content=p.message)
        index = None if keys is None else channels.contact_index(keys, p.contact)
        with self.rt.transaction() as s:
            request = intake_service.create(
                s,
                keyring=self.rt.keyring,
                audit=self.rt.audit,
                actor=actor,
                request_in=body,
                contact_index=index,
            )
            return request.id

    def _read_out_codename(self, request_id: str, keys: ChannelKeys) -> None:
        with self.rt.transaction() as s:
            request = s.get(SurrenderRequest, request_id)
            assert request is not None
            issued = channels.issue_codename(s, keyring=self.rt.keyring, keys=keys,
                                             request=request)  # fmt: skip
        self.codenames[request_id] = issued.codename

    def _public_audit(self, keys: ChannelKeys) -> AuditLog:
        # The public face's log: appended under the channel key, as in open_public_runtime.
        return AuditLog(keys.signer, NO_CHECKPOINTS)

    def _submit(self, channel: Channel, p: DemoPerson, keys: ChannelKeys) -> str:
        """The public face takes the request in; the operator face's ingest job queues it."""
        fields = SubmissionFields(
            contact=p.contact, language=self.paths.choice(LANGUAGES), message=p.message
        )
        with self.rt.transaction() as s:
            issued = channels.submit(
                s, keys=keys, audit=self._public_audit(keys), channel=channel, fields=fields
            )
        self._ingest(keys)
        self.codenames[issued.ticket_id] = issued.codename
        return issued.ticket_id

    def _ingest(self, keys: ChannelKeys) -> None:
        with self.rt.transaction() as s:
            channels.ingest(s, keyring=self.rt.keyring, keys=keys, audit=self.rt.audit)

    def writes_again(self, request_id: str) -> bool:
        """Whether this applicant will write again (only a codename holder can)."""
        return request_id in self.codenames and self.paths.random() < 0.3

    def write_again(self, request_id: str) -> None:
        """The applicant writes again from the status page; a closed request takes nothing."""
        keys = self._keys()
        codename = self.codenames.get(request_id)
        if keys is None or codename is None:
            return
        with self.rt.transaction() as s:
            ticket = channels.find_ticket(s, keys=keys, typed=codename)
            if ticket is None or ticket.public_status == PublicStatus.CLOSED.value:
                return
            channels.write_again(s, keys=keys, audit=self._public_audit(keys), ticket=ticket,
                                 text=MESSAGE, channel=Channel.WEB_FORM)  # fmt: skip
        self._ingest(keys)

    def _reply(self, officer: Principal, request_id: str) -> None:
        """The officer answers a codename holder on the status page."""
        if request_id not in self.codenames or self.paths.random() >= REPLY_SHARE:
            return
        with self.rt.transaction() as s:
            request = s.get(SurrenderRequest, request_id)
            assert request is not None
            channels.reply(s, keyring=self.rt.keyring, audit=self.rt.audit, actor=officer.actor,
                           request=request, text=REPLY)  # fmt: skip

    def destroy_channel_data(self) -> None:
        """The daily retention job (see channels.retention), when the workload runs it."""
        if self.workload.retention_days is None:
            return
        # `run`, not `run_all`: the space reclaimed after it is the files' business, and
        # a VACUUM a simulated night would only slow the simulation.
        with self.rt.transaction() as s:
            retention.run(self.rt, s, days=self.workload.retention_days)

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
        self._reply(officer, request_id)

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

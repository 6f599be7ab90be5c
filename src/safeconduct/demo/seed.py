"""Fill a store by running a simulated bureau through the same services the API uses.

Time is a `ManualClock` moved from event to event (see `timeline`), so what lands in the
store (days, audit order, who did what) is what real use would leave, with one difference:
the truth of who surrendered is returned too, for tests that attack the store with it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from safeconduct import clock
from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.accounts.service import Principal
from safeconduct.audit.actors import Actor
from safeconduct.demo.bureau import add_bureau
from safeconduct.demo.inquiries import add_inquiries
from safeconduct.demo.life import add_custody_life
from safeconduct.demo.repatriation import add_repatriation
from safeconduct.demo.synthetic import generate
from safeconduct.demo.timeline import (
    DAY,
    Agenda,
    Event,
    Kind,
    Workload,
    crossing_delay,
    decision_delay,
    message_delay,
    plan,
    review_delay,
    transport_delay,
)
from safeconduct.demo.treatment import add_treatment
from safeconduct.demo.workers import SeedResult, Staff, Worker
from safeconduct.disclosure.policy import opens_sealed
from safeconduct.runtime import Runtime

__all__ = ["SeedResult", "Staff", "Workload", "seed"]

# The nightly job that closes accepted requests, whoever runs the bureau.
SCHEDULE = Actor("system:schedule")


def default_staff() -> Staff:
    """Two intake officers, three registrars, one delegate; each with a session."""

    def crew(role: Role, n: int) -> list[Principal]:
        return [
            # Simulated staff stand for accounts an auditor has approved.
            Principal(
                f"demo-{role.value}-{i}",
                f"{role.value}{i}",
                role,
                credential="session:demo",
                sealed_approved=True,
            )
            for i in range(1, n + 1)
        ]

    return Staff(
        intake=crew(Role.INTAKE, 2),
        registrars=crew(Role.REGISTRAR, 3),
        verifiers=crew(Role.VERIFIER, 1),
        system=SCHEDULE,
    )


def staff_from_accounts(rt: Runtime) -> Staff | None:
    """The demo accounts of intake, registrar and verifier as the bureau's staff, if present."""
    found: dict[Role, Principal] = {}
    with rt.sessions() as s:
        for role in (Role.INTAKE, Role.REGISTRAR, Role.VERIFIER):
            account = accounts.get_by_username(s, username=role.value)
            if account is None or account.role != role.value:
                return None
            if opens_sealed(role) and not account.sealed_access_approved:
                return None  # it could not do its work: an auditor has not approved it
            found[role] = Principal(
                account.id, account.username, role, credential="demo:seed", sealed_approved=True
            )
    return Staff(
        intake=[found[Role.INTAKE]],
        registrars=[found[Role.REGISTRAR]],
        verifiers=[found[Role.VERIFIER]],
        system=SCHEDULE,
    )


def seed(
    rt: Runtime,
    *,
    people: int,
    seed_value: int = 7,
    progress: Callable[[int], None] | None = None,
    staff: Staff | None = None,
    workload: Workload | None = None,
    end: datetime | None = None,
    treatment: bool = False,
) -> SeedResult:
    """Run the bureau until `people` are registered (or its days run out), then their
    custodies' lives and, with `treatment`, their treatment and wishes (`demo.treatment`,
    `demo.repatriation`: what the `demo` command fills; off by default, for the tests that
    seed thousands); return the truth."""
    workload = workload or Workload()
    rng = random.Random(seed_value)  # noqa: S311 - synthetic data, not secrets
    per_day = workload.captures_per_day * 1.08
    days = math.ceil(people / per_day) + 3 if people else 1
    end = end or clock.now()
    start = end - days * DAY
    moving = clock.ManualClock(start)
    worker = Worker(
        rt,
        rng,
        staff or default_staff(),
        workload,
        sim_clock=moving,
        persons=iter(generate(seed_value, people * 2 + 10)),
        requests=iter(generate(seed_value + 1, int(workload.requests_per_day * days * 1.3) + 20)),
        paths=random.Random(seed_value + 2),  # noqa: S311
    )
    agenda = plan(rng, workload, start, days)
    result = SeedResult()
    with clock.using(moving):
        while (event := agenda.pop()) is not None and result.people < people:
            moving.set(event.at)
            _run(worker, agenda, event, result, people, progress)
        recorder = worker.staff.registrars[0].actor if worker.staff.registrars else None
        add_custody_life(rt, actor=recorder or worker.staff.system, seed_value=seed_value, end=end)
        if treatment:
            add_treatment(rt, seed_value=seed_value, end=end)
            add_repatriation(rt, end=end)
            add_bureau(rt)
            add_inquiries(rt)
        with rt.transaction() as session:
            rt.audit.checkpoint(session)  # a signed mark at the end of what was seeded
    return result


def _take_request(worker: Worker, agenda: Agenda, now: datetime) -> None:
    review_at = now + review_delay(worker.rng)  # drawn first, as it always was
    request_id = worker.take_request()
    agenda.add(review_at, Kind.REVIEW, request_id)
    if worker.writes_again(request_id):
        agenda.add(now + message_delay(worker.paths), Kind.MESSAGE, request_id)


def _run(
    worker: Worker,
    agenda: Agenda,
    event: Event,
    result: SeedResult,
    target: int,
    progress: Callable[[int], None] | None,
) -> None:
    rng, now = worker.rng, event.at
    if event.kind is Kind.REQUEST:
        _take_request(worker, agenda, now)
    elif event.kind is Kind.REVIEW and event.ref is not None:
        worker.review(event.ref)
        agenda.add(now + decision_delay(rng), Kind.DECIDE, event.ref)
    elif event.kind is Kind.DECIDE and event.ref is not None:
        if worker.decide(event.ref) and rng.random() < worker.workload.surrender_share:
            agenda.add(now + crossing_delay(rng), Kind.SURRENDER, event.ref)
    elif event.kind in (Kind.CAPTURE, Kind.SURRENDER):
        worker.arrive(now + transport_delay(rng), event.ref)
    elif event.kind is Kind.SESSION:
        registered = worker.session(now, limit=target - result.people, result=result)
        if progress is not None and registered:
            progress(registered)
    else:
        _routine(worker, event)


def _routine(worker: Worker, event: Event) -> None:
    """The events that schedule nothing further."""
    if event.kind is Kind.CLOSE_BATCH:
        worker.close_batch(event.at - timedelta(days=worker.workload.hold_days))
        worker.destroy_channel_data()
    elif event.kind is Kind.DELEGATE_READ:
        worker.delegate_read()
    elif event.kind is Kind.MESSAGE and event.ref is not None:
        worker.write_again(event.ref)

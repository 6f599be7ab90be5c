"""Guarantee 3 as a stateful property: over random sequences of statements, interviews,
clock moves, list builds, additions, removals, approvals, reopenings, reschedulings,
deaths, transfers, escapes, releases and exports, no approved or exported list ever holds
a person who may not be exchanged at that moment, and every invalidation names exactly the
people who became ineligible. Eligibility is the plain rule of `reference`, not the engine.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from safeconduct import clock
from safeconduct.custody import policy as custody_policy
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyEventKind, CustodyStatus
from safeconduct.custody.schemas import CustodyEventCreate
from safeconduct.people.ranks import RANKS
from safeconduct.repatriation import documents, exchange
from safeconduct.repatriation.models import (
    EventStatus,
    ExchangeEvent,
    ExchangeList,
    ExchangeListMember,
    Invalidation,
    ListStatus,
    RemovalReason,
    Wish,
)
from safeconduct.runtime import Runtime
from tests.factories import ACTOR
from tests.repatriation import reference
from tests.repatriation.conftest import (
    APPROVER,
    BUILDER,
    NOW,
    held,
    interview,
    new_event,
    statement,
)

pytestmark = pytest.mark.slow
MOVES = [
    CustodyEventKind.DEATH,
    CustodyEventKind.TRANSFER,
    CustodyEventKind.ESCAPE,
    CustodyEventKind.RECAPTURE,
    CustodyEventKind.RELEASE,
    CustodyEventKind.HOSPITALISATION,
    CustodyEventKind.DISCHARGE,
]
SECOND = "account:second-approver"
# Over the whole run, so the test fails if the sequences never reach what it is about.
REACHED = {"exports": 0, "approved checks": 0, "invalidated checks": 0}


def _members(s: Any, list_id: str) -> list[ExchangeListMember]:
    stmt = select(ExchangeListMember).where(
        ExchangeListMember.list_id == list_id, ExchangeListMember.removed_on.is_(None)
    )
    return list(s.scalars(stmt))


class ListsMachine(RuleBasedStateMachine):
    """One store for the whole run; each machine looks only at its own people and events."""

    rt: Runtime
    moved: clock.ManualClock

    people = Bundle("people")
    events = Bundle("events")

    def __init__(self) -> None:
        super().__init__()
        self.moved.set(NOW)
        self.event_ids: list[str] = []
        # What the last check saw: per list, its status, approvals and the names given.
        self.seen: dict[str, tuple[str, int, set[str]]] = {}

    # -- people and what they say ------------------------------------------------------
    @initialize(target=people, ranks=st.lists(st.sampled_from(RANKS), min_size=3, max_size=3))
    def an_approved_list(self, ranks: list[str]) -> MultipleResults[str]:
        """Every run starts from an approved list of three who want to go home, so that
        what follows (a change of mind, a death, an export) meets one."""
        ready = [self._person(60 + i, rank) for i, rank in enumerate(ranks)]
        for person in ready:
            self.verified_return_today(person)
        self.first = new_event(self.rt, clock.today() + timedelta(days=10))
        self.event_ids.append(self.first.id)
        self.build_and_approve(self.first.id)
        return multiple(*ready)

    @rule(fmt=st.sampled_from([documents.ExportFormat.JSON, documents.ExportFormat.CSV]))
    def export_the_first(self, fmt: documents.ExportFormat) -> None:
        self._export(self.first.id, fmt)

    @rule()
    def approve_the_first_again(self) -> None:
        self.build(self.first.id)
        self._approve(self.first.id, APPROVER)

    @rule(target=people, since=st.integers(20, 200), rank=st.sampled_from(RANKS))
    def person(self, since: int, rank: str) -> str:
        return self._person(since, rank)

    def _person(self, since: int, rank: str) -> str:
        custody = held(self.rt, "P", since=clock.today() - timedelta(days=since), rank=rank)
        return custody.person_id

    def _present(self, person_id: str) -> bool:
        with self.rt.transaction() as s:
            custody = s.scalars(select(Custody).where(Custody.person_id == person_id)).first()
            return custody is not None

    @rule(person=people, wish=st.sampled_from(Wish))
    def say(self, person: str, wish: Wish) -> None:
        statement(self.rt, person, wish)

    @rule(person=people)
    def verified_return_today(self, person: str) -> None:
        # The common case, so that sequences reach approvals and exports.
        interview(self.rt, person, Wish.RETURN, held_on=clock.today())

    @rule(
        person=people,
        wish=st.sampled_from([Wish.RETURN, Wish.RETURN, Wish.STAY, Wish.UNDECIDED]),
        private=st.booleans(),
        days_ago=st.integers(0, 45),
    )
    def hear(self, person: str, wish: Wish, private: bool, days_ago: int) -> None:
        with self.rt.transaction() as s:
            since = s.scalars(select(Custody.since).where(Custody.person_id == person)).first()
        assert since is not None
        day = max(since, clock.today() - timedelta(days=days_ago))
        interview(self.rt, person, wish, held_on=day, private=private)

    @rule(days=st.integers(1, 12))
    def time_passes(self, days: int) -> None:
        self.moved.advance(timedelta(days=days))

    @rule(person=people, kind=st.sampled_from(MOVES))
    def custody_event(self, person: str, kind: CustodyEventKind) -> None:
        with self.rt.transaction() as s:
            custody = s.scalars(select(Custody).where(Custody.person_id == person)).one()
            if not custody_policy.can_follow(CustodyStatus(custody.status), kind):
                return
            custody_service.record_event(
                s,
                keyring=self.rt.keyring,
                audit=self.rt.audit,
                actor=ACTOR,
                custody=custody,
                event_in=CustodyEventCreate(
                    kind=kind,
                    occurred_on=clock.today(),
                    reason="moved on",
                    place=f"Camp {clock.today().isoformat()}"
                    if kind in custody_policy.NEEDS_PLACE
                    else None,
                ),
            )

    # -- exchanges -------------------------------------------------------------------
    @rule(target=events, ahead=st.integers(1, 40), quota=st.integers(1, 4))
    def event(self, ahead: int, quota: int) -> str:
        made = new_event(
            self.rt,
            clock.today() + timedelta(days=ahead),
            sick=quota,
            officers=quota,
            enlisted=quota,
        )
        self.event_ids.append(made.id)
        return made.id

    def _try(self, event_id: str, call: Any) -> Any:
        with self.rt.transaction() as s:
            event = s.get(ExchangeEvent, event_id)
            assert event is not None
            try:
                return call(s, event)
            except exchange.ListConflictError:
                s.rollback()
                return None

    @rule(event=events)
    def build(self, event: str) -> None:
        added = self._try(
            event, lambda s, e: exchange.build(s, audit=self.rt.audit, actor=BUILDER, event=e)
        )
        for member in added or []:
            self._check_may_be_on_draft(member.person_id)

    @rule(event=events, person=people)
    def add(self, event: str, person: str) -> None:
        added = self._try(
            event,
            lambda s, e: exchange.add(
                s, audit=self.rt.audit, actor=BUILDER, event=e, person_id=person
            ),
        )
        if added is not None:
            self._check_may_be_on_draft(person)

    def _check_may_be_on_draft(self, person: str) -> None:
        # A draft takes those fresh for today; the planned day is the approval's test.
        with self.rt.transaction() as s:
            assert reference.may_be_exchanged(
                s,
                person,
                exchange_on=clock.today(),
                window_days=self.rt.settings.exchange_window_days,
            )

    @rule(event=events, person=people, reason=st.sampled_from(RemovalReason))
    def remove(self, event: str, person: str, reason: RemovalReason) -> None:
        self._try(
            event,
            lambda s, e: exchange.remove(
                s, audit=self.rt.audit, actor=BUILDER, event=e, person_id=person, reason=reason
            ),
        )

    @rule(event=events, second=st.booleans())
    def approve(self, event: str, second: bool) -> None:
        who = APPROVER if not second else APPROVER.__class__(SECOND, "test:credential")
        self._approve(event, who)

    @rule(event=events)
    def build_and_approve(self, event: str) -> None:
        self.build(event)
        self._approve(event, APPROVER)

    def _approve(self, event: str, who: Any) -> None:
        self._try(
            event,
            lambda s, e: exchange.approve(
                s, audit=self.rt.audit, actor=who, signer=self.rt.audit.signer, event=e,
                version=e.version,
            ),
        )  # fmt: skip

    @rule(event=events)
    def approve_own(self, event: str) -> None:
        # The builder never approves: refused whatever else holds.
        approved = self._try(
            event,
            lambda s, e: exchange.approve(
                s, audit=self.rt.audit, actor=BUILDER, signer=self.rt.audit.signer, event=e,
                version=e.version,
            ),
        )  # fmt: skip
        assert approved is None

    @rule(event=events)
    def reopen(self, event: str) -> None:
        self._try(
            event, lambda s, e: exchange.reopen(s, audit=self.rt.audit, actor=BUILDER, event=e)
        )

    @rule(event=events, ahead=st.integers(0, 60))
    def reschedule(self, event: str, ahead: int) -> None:
        self._try(
            event,
            lambda s, e: exchange.reschedule(
                s, audit=self.rt.audit, actor=BUILDER, event=e,
                planned_on=clock.today() + timedelta(days=ahead), version=e.version,
            ),
        )  # fmt: skip

    @rule(
        event=events, fmt=st.sampled_from([documents.ExportFormat.JSON, documents.ExportFormat.CSV])
    )
    def export(self, event: str, fmt: documents.ExportFormat) -> None:
        self._export(event, fmt)

    @rule(
        event=events, fmt=st.sampled_from([documents.ExportFormat.JSON, documents.ExportFormat.CSV])
    )
    def approve_and_export(self, event: str, fmt: documents.ExportFormat) -> None:
        self._approve(event, APPROVER)
        self._export(event, fmt)

    def _export(self, event: str, fmt: documents.ExportFormat) -> None:
        with self.rt.transaction() as s:
            ev = s.get(ExchangeEvent, event)
            assert ev is not None
            done = exchange.export(s, audit=self.rt.audit, actor=BUILDER, event=ev, fmt=fmt)
            if isinstance(done, exchange.ListConflictError):
                return
            REACHED["exports"] += 1
            check = documents.verify(done.content, self._keys())
            assert check.ok
            assert check.signed is not None
            lst = exchange.list_of(s, ev)
            on_list = _members(s, lst.id)
            # Everyone in the file is on the list, and everyone on it may be exchanged now.
            assert len(check.signed.document["people"]) == len(on_list)
            for member in on_list:
                assert reference.may_be_exchanged(
                    s, member.person_id, exchange_on=ev.planned_on, window_days=ev.window_days,
                    custody_id=member.custody_id, place=member.place,
                ), "an exported list holds someone who may not be exchanged"  # fmt: skip

    def _keys(self) -> list[Any]:
        assert self.rt.settings.channel_keys_file is not None
        from safeconduct.security.statements import read_key_set

        return read_key_set(self.rt.settings.channel_keys_file)

    # -- the guarantee -----------------------------------------------------------------
    @invariant()
    def approved_lists_hold_only_the_eligible_and_invalidations_name_exactly(self) -> None:
        with self.rt.transaction() as s:
            for event_id in self.event_ids:
                event = s.get(ExchangeEvent, event_id)
                assert event is not None
                lst = exchange.list_of(s, event)
                self._check_list(s, event, lst)

    def _check_list(self, s: Any, event: ExchangeEvent, lst: ExchangeList) -> None:
        on_list = _members(s, lst.id)
        ineligible = {
            m.person_id
            for m in on_list
            if not reference.may_be_exchanged(
                s, m.person_id, exchange_on=event.planned_on, window_days=event.window_days,
                custody_id=m.custody_id, place=m.place,
            )
        }  # fmt: skip
        stmt = select(Invalidation.person_id).where(
            Invalidation.list_id == lst.id, Invalidation.approval == lst.approvals
        )
        named = set(s.scalars(stmt))
        before = self.seen.get(lst.id)
        watched = event.status == EventStatus.OPEN.value
        if watched and lst.status == ListStatus.APPROVED.value:
            REACHED["approved checks"] += 1
            assert not ineligible, "an approved list holds someone who may not be exchanged"
            assert not named
        if watched and lst.status == ListStatus.INVALIDATED.value:
            # Named: everyone who became ineligible while it was approved, no one else.
            was_named = before[2] if before is not None and before[1] == lst.approvals else set()
            assert named - was_named <= ineligible
            assert ineligible - was_named <= named
            assert named, "an invalidated list names no one"
            REACHED["invalidated checks"] += 1
        self.seen[lst.id] = (lst.status, lst.approvals, named)


@pytest.mark.parametrize("steps", [40])
def test_no_list_ever_holds_the_wrong_person(
    rt: Runtime, manual_clock: clock.ManualClock, steps: int
) -> None:
    ListsMachine.rt = rt
    ListsMachine.moved = manual_clock
    REACHED.update(dict.fromkeys(REACHED, 0))
    run_state_machine_as_test(
        ListsMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print(REACHED)
    assert all(REACHED.values()), REACHED

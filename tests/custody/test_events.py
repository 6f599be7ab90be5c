"""Custody events through the service and the API, on SQLite and PostgreSQL: each event moves
the custody along as the state machine says, refused moves change nothing, a death's place
and cause are sealed, two writers at once never both move from one state."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.custody import policy
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyEvent, CustodyEventKind
from safeconduct.custody.schemas import (
    Circumstances,
    CustodyCreate,
    CustodyEventCreate,
    SurrenderMode,
)
from safeconduct.intake.models import RequestStatus
from safeconduct.runtime import Runtime
from safeconduct.security.sealing import FieldRef
from tests.custody.conftest import accepted_request, record
from tests.factories import ACTOR, add_custody, add_person

Api = tuple[TestClient, Callable[[Role], dict[str, str]]]
# Since 2026-03-01 (the factory's custody) and before the clock's today.
DAY = "2026-03-05"


def _state(rt: Runtime, custody_id: str) -> tuple[str, str, int, int]:
    """The custody's status and place, its number of events, and the audit log's length."""
    with rt.sessions() as s:
        custody = s.get(Custody, custody_id)
        assert custody is not None
        events = s.scalar(select(func.count()).where(CustodyEvent.custody_id == custody_id))
        audit = s.scalar(select(func.count()).select_from(AuditEntry))
        return custody.status, custody.place_of_internment, events or 0, audit or 0


def _place(kind: str) -> dict[str, str]:
    """A place for the events that need one."""
    return {"place": "Camp 9"} if CustodyEventKind(kind) in policy.NEEDS_PLACE else {}


def _custody_audit(rt: Runtime) -> str:
    """What the audit log says about custodies."""
    with rt.sessions() as s:
        return " ".join(
            f"{e.action} {e.subject_id} {e.purpose}"
            for e in s.scalars(select(AuditEntry).where(AuditEntry.subject_type == "custody"))
        )


def test_a_life_in_custody_moves_status_and_place(rt: Runtime) -> None:
    custody = add_custody(rt, add_person(rt))
    first = record(rt, custody.id, kind="transfer", place="Camp 2", occurred_on="2026-03-02")
    assert (first.number, first.actor, first.place) == (1, ACTOR.name, "Camp 2")
    assert _state(rt, custody.id)[:3] == ("held", "Camp 2", 1)
    record(rt, custody.id, kind="hospitalisation", place="Hospital Ward 4")
    # In hospital the person stays interned where they were.
    assert _state(rt, custody.id)[:3] == ("hospitalised", "Camp 2", 2)
    record(rt, custody.id, kind="discharge")
    record(rt, custody.id, kind="escape")
    record(rt, custody.id, kind="recapture", place="Camp North-1")
    assert _state(rt, custody.id)[:3] == ("held", "Camp North-1", 5)
    last = record(rt, custody.id, kind="release", occurred_on="2026-03-06")
    assert last.number == 6
    assert _state(rt, custody.id)[0] == "released"
    with rt.sessions() as s:
        tags = [
            (e.action, e.subject_id, e.purpose)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "custody:event"))
        ]
    kinds = ["transfer", "hospitalisation", "discharge", "escape", "recapture", "release"]
    assert tags == [("custody:event", custody.id, kind) for kind in kinds]


@pytest.mark.parametrize(
    ("before", "kind"),
    [
        (["release"], "release"),
        (["death"], "release"),
        ([], "discharge"),
        ([], "recapture"),
        (["escape"], "transfer"),
        (["repatriation"], "death"),
    ],
)
def test_a_refused_move_changes_nothing(rt: Runtime, before: list[str], kind: str) -> None:
    custody = add_custody(rt, add_person(rt))
    for done in before:
        record(rt, custody.id, kind=done)
    was = _state(rt, custody.id)
    with pytest.raises(policy.RefusedMoveError) as refused:
        record(rt, custody.id, kind=kind, **_place(kind))
    assert refused.value.current.value == was[0]
    assert refused.value.kind.value == kind
    assert _state(rt, custody.id) == was


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(list(CustodyEventKind)), min_size=1, max_size=8))
def test_the_stored_status_is_the_replay_of_the_stored_events(
    rt: Runtime, kinds: list[CustodyEventKind]
) -> None:
    custody = add_custody(rt, add_person(rt))
    for kind in kinds:
        with contextlib.suppress(policy.RefusedMoveError):
            record(rt, custody.id, kind=kind.value, **_place(kind.value))
    with rt.sessions() as s:
        stored = s.get(Custody, custody.id)
        assert stored is not None
        events = custody_service.events(s, custody_id=custody.id)
    assert [e.number for e in events] == list(range(1, len(events) + 1))
    assert policy.replay(CustodyEventKind(e.kind) for e in events).value == stored.status


@pytest.mark.parametrize(
    ("before", "day", "problem"),
    [([], "2026-02-28", "custody began"), (["2026-03-10"], "2026-03-09", "previous event")],
)
def test_an_event_day_is_not_before_the_custody_or_the_last_event(
    rt: Runtime, before: list[str], day: str, problem: str
) -> None:
    custody = add_custody(rt, add_person(rt))
    for done in before:
        record(rt, custody.id, kind="transfer", place="Camp 2", occurred_on=done)
    was = _state(rt, custody.id)
    with pytest.raises(custody_service.InvalidFieldError) as refused:
        record(rt, custody.id, kind="release", occurred_on=day)
    assert refused.value.field == ("occurred_on",)
    assert problem in refused.value.message
    assert _state(rt, custody.id) == was


def test_an_event_asked_after_a_stale_one_is_refused(rt: Runtime) -> None:
    custody = add_custody(rt, add_person(rt))
    record(rt, custody.id, kind="transfer", place="Camp 2", after=0)
    was = _state(rt, custody.id)
    with pytest.raises(policy.RefusedMoveError) as refused:
        record(rt, custody.id, kind="transfer", place="Camp 3", after=0)
    assert refused.value.changed
    assert _state(rt, custody.id) == was
    assert record(rt, custody.id, kind="transfer", place="Camp 3", after=1).number == 2


def test_a_death_seals_its_place_and_cause_at_one_size(rt: Runtime) -> None:
    short = add_custody(rt, add_person(rt))
    long = add_custody(rt, add_person(rt, "SECONDPERSON"))
    record(rt, short.id, kind="death", reason="camp doctor's report")
    details = {"place": "WARD-PLANTED-7", "cause": "CAUSE-PLANTED-" + "ж" * 186}
    event = record(rt, long.id, kind="death", reason="camp doctor's report", details=details)
    assert event.place is None
    with rt.sessions() as s:
        sizes = {len(e.details.envelope) for e in s.scalars(select(CustodyEvent)) if e.details}
        stored = s.get(CustodyEvent, event.id)
        assert stored is not None
        assert stored.details is not None
        opened = rt.keyring.open(
            s, sealed=stored.details, field=FieldRef("custody_events", "details", event.id)
        )
        # Nothing of them in a plain column of any table.
        dump = " ".join(
            str(row)
            for table in ("custody_events", "custodies", "audit_entries")
            for row in s.execute(text(f"SELECT * FROM {table}"))
        )
    assert len(sizes) == 1
    assert json.loads(opened)["cause"] == details["cause"]
    assert "PLANTED" not in dump
    assert _state(rt, long.id)[0] == "deceased"


def test_erasure_blanks_event_reasons_and_places(rt: Runtime) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person)
    other = add_custody(rt, add_person(rt, "OTHER"))
    record(rt, custody.id, kind="transfer", place="Camp 2", reason="moved for treatment")
    record(rt, other.id, kind="transfer", place="Camp 5", reason="kept as it is")
    with rt.transaction() as s:
        assert custody_service.blank_events(s, person_id=person.id) == 1
    with rt.sessions() as s:
        mine = custody_service.events(s, custody_id=custody.id)
        theirs = custody_service.events(s, custody_id=other.id)
    assert [(e.reason, e.place, e.kind) for e in mine] == [(None, None, "transfer")]
    assert [(e.reason, e.place) for e in theirs] == [("kept as it is", "Camp 5")]


def test_an_erased_persons_custody_takes_no_event(rt: Runtime) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person)
    with rt.transaction() as s:
        row = s.get(type(person), person.id)
        assert row is not None
        row.erased_on = date(2026, 3, 4)
    with pytest.raises(custody_service.ErasedError):
        record(rt, custody.id, kind="release")


def test_the_unique_number_is_the_last_guard_and_answers_a_refusal(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    custody = add_custody(rt, add_person(rt))
    record(rt, custody.id, kind="transfer", place="Camp 2")
    # As if another writer's event were not seen: the insert collides with number 1.
    monkeypatch.setattr(custody_service, "_latest", lambda _s, _c: None)
    with rt.transaction() as s:
        row = s.get(Custody, custody.id)
        assert row is not None
        with pytest.raises(policy.RefusedMoveError) as refused:
            custody_service.record_event(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=ACTOR,
                custody=row,
                event_in=CustodyEventCreate(
                    kind=CustodyEventKind.RELEASE, occurred_on=date(2026, 3, 6), reason="end"
                ),
            )
        assert refused.value.changed
        # The transaction is still usable after the collision: only the insert was undone.
        assert s.scalar(select(func.count()).select_from(CustodyEvent)) == 1
    assert _state(rt, custody.id)[:3] == ("held", "Camp 2", 1)


def _race(rt: Runtime, custody_id: str, bodies: list[dict[str, object]]) -> list[str]:
    """Two writers record an event on one custody at once: the first holds its transaction
    open while the second starts. Return what happened to each, in order."""
    results: list[str] = ["", ""]
    first_in = threading.Event()

    def write(index: int) -> None:
        if index == 1:
            first_in.wait(10)
        try:
            with rt.transaction() as s:
                custody = s.get(Custody, custody_id)
                assert custody is not None
                custody_service.record_event(
                    s,
                    keyring=rt.keyring,
                    audit=rt.audit,
                    actor=ACTOR,
                    custody=custody,
                    event_in=CustodyEventCreate.model_validate(
                        {"occurred_on": DAY, "reason": "at once", **bodies[index]}
                    ),
                )
                if index == 0:
                    first_in.set()
                    threading.Event().wait(0.5)  # the other writer arrives meanwhile
            results[index] = "recorded"
        except policy.RefusedMoveError as refused:
            results[index] = "changed" if refused.changed else "refused"

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_releases_at_once_release_once(rt: Runtime) -> None:
    custody = add_custody(rt, add_person(rt))
    assert _race(rt, custody.id, [{"kind": "release"}, {"kind": "release"}]) == [
        "recorded",
        "refused",
    ]
    assert _state(rt, custody.id)[:3] == ("released", "Camp 1", 1)


def test_two_events_from_one_seen_state_apply_once(rt: Runtime) -> None:
    custody = add_custody(rt, add_person(rt))
    bodies: list[dict[str, object]] = [
        {"kind": "transfer", "place": "Camp 2", "after": 0},
        {"kind": "hospitalisation", "place": "Ward 4", "after": 0},
    ]
    assert _race(rt, custody.id, bodies) == ["recorded", "changed"]
    assert _state(rt, custody.id)[:3] == ("held", "Camp 2", 1)


def _custody_in(person_id: str, request_id: str | None) -> CustodyCreate:
    return CustodyCreate(
        person_id=person_id,
        since=date(2026, 3, 1),
        place_of_internment="Camp 1",
        circumstances=Circumstances(mode=SurrenderMode.VOLUNTARY, request_id=request_id),
    )


def test_a_custody_names_an_accepted_request_only_in_its_sealed_circumstances(
    rt: Runtime,
) -> None:
    person = add_person(rt)
    request = accepted_request(rt, "R-7KQ4")
    with rt.transaction() as s:
        custody = custody_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            custody_in=_custody_in(person.id, request.id),
        )
        dump = " ".join(str(row) for row in s.execute(text("SELECT * FROM custodies")))
    assert request.id not in dump
    assert "custody:create" in _custody_audit(rt)
    assert request.id not in _custody_audit(rt)
    with rt.sessions() as s:
        opened = rt.keyring.open(
            s,
            sealed=custody.circumstances,
            field=FieldRef("custodies", "circumstances", custody.id),
        )
    assert request.id.encode() in opened


def test_naming_a_request_sends_the_store_the_same_statements(rt: Runtime) -> None:
    """What the database sees (statement logs, their order) is the same for a custody that
    names a request and one that does not: no query looks a request up by its id."""
    request = accepted_request(rt, "R-SAME")
    seen: list[str] = []

    def listen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        seen.append(statement)

    runs = []
    for request_id in (request.id, None):
        person = add_person(rt)
        seen.clear()
        sa_event.listen(rt.engine, "before_cursor_execute", listen)
        try:
            with rt.transaction() as s:
                custody_service.create(
                    s,
                    keyring=rt.keyring,
                    audit=rt.audit,
                    actor=ACTOR,
                    custody_in=_custody_in(person.id, request_id),
                )
        finally:
            sa_event.remove(rt.engine, "before_cursor_execute", listen)
        runs.append(list(seen))
    assert runs[0] == runs[1]
    assert any("surrender_requests" in statement for statement in runs[0])


@pytest.mark.parametrize("status", [s for s in RequestStatus if s is not RequestStatus.ACCEPTED])
def test_a_request_that_is_not_accepted_is_refused(rt: Runtime, status: RequestStatus) -> None:
    person = add_person(rt)
    request = accepted_request(rt, status=status)
    with rt.sessions() as s:
        before = s.scalar(select(func.count()).select_from(Custody))
    for request_id in (request.id, "00000000-0000-4000-8000-000000000000"):
        with rt.transaction() as s, pytest.raises(custody_service.InvalidFieldError) as refused:
            custody_service.create(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=ACTOR,
                custody_in=_custody_in(person.id, request_id),
            )
        assert refused.value.field == ("circumstances", "request_id")
        assert request_id not in str(refused.value)
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Custody)) == before


def test_the_chooser_offers_accepted_requests_by_reference_only(rt: Runtime) -> None:
    b = accepted_request(rt, "R-BBBB")
    a = accepted_request(rt, "R-AAAA")
    unnamed = accepted_request(rt, None)
    accepted_request(rt, "R-CCCC", status=RequestStatus.CLOSED)
    accepted_request(rt, "R-DDDD", status=RequestStatus.IN_REVIEW)
    with rt.sessions() as s:
        offered = custody_service.linkable_requests(s)
    assert [(c.id, c.reference) for c in offered] == [
        (a.id, "R-AAAA"),
        (b.id, "R-BBBB"),
        (unnamed.id, None),
    ]
    # Nothing else about a request: the registrar may not read the queue.
    assert set(offered[0].model_dump()) == {"id", "reference"}


# The API: the same use cases, JSON in and out.


def _url(custody_id: str) -> str:
    return f"/api/v1/custodies/{custody_id}/events"


def test_the_api_records_and_lists_events(rt: Runtime, api: Api) -> None:
    client, headers = api
    custody = add_custody(rt, add_person(rt))
    body = {"kind": "transfer", "occurred_on": DAY, "reason": "overcrowding", "place": "Camp 2"}
    made = client.post(_url(custody.id), json=body, headers=headers(Role.REGISTRAR))
    assert made.status_code == 201, made.text
    assert made.json()["number"] == 1
    assert made.json()["kind"] == "transfer"
    death = {"kind": "death", "occurred_on": DAY, "reason": "report", "details": {"cause": "Z"}}
    assert client.post(_url(custody.id), json=death, headers=headers(Role.REGISTRAR)).is_success
    listed = client.get(_url(custody.id), headers=headers(Role.MEDICAL))
    assert listed.status_code == 200
    assert [e["kind"] for e in listed.json()] == ["transfer", "death"]
    assert all("details" not in e for e in listed.json())
    read = client.get(f"/api/v1/custodies/{custody.id}", headers=headers(Role.MEDICAL))
    assert (read.json()["status"], read.json()["place_of_internment"]) == ("deceased", "Camp 2")


def test_the_api_answers_a_refused_move_with_409_naming_both_states(rt: Runtime, api: Api) -> None:
    client, headers = api
    custody = add_custody(rt, add_person(rt))
    record(rt, custody.id, kind="death")
    registrar = headers(Role.REGISTRAR)
    was = _state(rt, custody.id)
    body = {"kind": "release", "occurred_on": DAY, "reason": "exchange"}
    refused = client.post(_url(custody.id), json=body, headers=registrar)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert (detail["current"], detail["event"], detail["asked"]) == (
        "deceased",
        "release",
        "released",
    )
    assert not detail["changed"]
    assert _state(rt, custody.id) == was


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "transfer", "occurred_on": DAY, "reason": "moved"}, "body.place"),
        ({"kind": "release", "occurred_on": "2026-02-01", "reason": "end"}, "body.occurred_on"),
        ({"kind": "release", "occurred_on": DAY, "reason": ""}, "body.reason"),
        ({"kind": "parole", "occurred_on": DAY, "reason": "end"}, "body.kind"),
    ],
)
def test_the_api_names_the_wrong_field(
    rt: Runtime, api: Api, body: dict[str, str], field: str
) -> None:
    client, headers = api
    custody = add_custody(rt, add_person(rt))
    answer = client.post(_url(custody.id), json=body, headers=headers(Role.REGISTRAR))
    assert answer.status_code == 422
    assert [p["field"] for p in answer.json()["detail"]] == [field]


def test_the_api_refuses_a_custody_naming_a_request_not_accepted(rt: Runtime, api: Api) -> None:
    client, headers = api
    person = add_person(rt)
    request = accepted_request(rt, status=RequestStatus.RECEIVED)
    body = {
        "person_id": person.id,
        "since": "2026-03-01",
        "place_of_internment": "Camp 1",
        "circumstances": {"mode": "voluntary", "request_id": request.id},
    }
    answer = client.post("/api/v1/custodies", json=body, headers=headers(Role.REGISTRAR))
    assert answer.status_code == 422
    assert [p["field"] for p in answer.json()["detail"]] == ["body.circumstances.request_id"]
    assert request.id not in answer.text


def test_the_api_answers_404_for_an_unknown_custody(api: Api) -> None:
    client, headers = api
    url = _url("00000000-0000-4000-8000-000000000000")
    assert client.get(url, headers=headers(Role.REGISTRAR)).status_code == 404
    body = {"kind": "release", "occurred_on": DAY, "reason": "end"}
    assert client.post(url, json=body, headers=headers(Role.REGISTRAR)).status_code == 404


@pytest.mark.parametrize(
    ("events", "reopens"),
    [
        ([], False),
        ([{"kind": "hospitalisation", "place": "Ward 4"}], False),
        ([{"kind": "escape"}], False),
        ([{"kind": "release"}], True),
        ([{"kind": "repatriation"}], True),
        ([{"kind": "death"}], True),
    ],
)
def test_a_person_has_one_custody_that_has_not_ended(
    rt: Runtime, events: list[dict[str, str]], reopens: bool
) -> None:
    # A return, a transfer or a recapture is an event on the open custody, never a second one.
    person = add_person(rt)
    first = add_custody(rt, person)
    for fields in events:
        record(rt, first.id, **fields)
    if reopens:
        second = add_custody(rt, person)
        assert second.id != first.id
        return
    with pytest.raises(custody_service.InvalidFieldError) as refused:
        add_custody(rt, person)
    assert refused.value.field == ("person_id",)
    with rt.sessions() as s:
        assert len(custody_service.list_for_person(s, person_id=person.id)) == 1

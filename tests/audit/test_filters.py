"""Filtering the audit log by actor, action, record and days, in the service and in the API
(on SQLite and PostgreSQL); the export keeps no typed text in its own entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit import service
from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.service import EntryFilter
from safeconduct.audit.tags import AuditAction
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import add_token

ALICE = Actor("account:11111111-1111-4111-8111-111111111111", "session:aaaa")
BOB = Actor("account:22222222-2222-4222-8222-222222222222", "session:bbbb")
RECORD = "33333333-3333-4333-8333-333333333333"
OTHER = "44444444-4444-4444-8444-444444444444"
FIRST = date(2026, 3, 1)


def _record(rt: Runtime, day: date, actor: Actor, tag: AuditAction, subject: str) -> None:
    noon = clock.ManualClock(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
    with clock.using(noon), rt.transaction() as s:
        rt.audit.record(s, actor=actor, tag=tag, subject_id=subject)


def _fill(rt: Runtime) -> None:
    """Five days of entries: Alice creates persons, Bob opens circumstances of RECORD."""
    for offset in range(5):
        day = FIRST + timedelta(days=offset)
        _record(rt, day, ALICE, AuditAction.PERSON_CREATE, OTHER)
        _record(rt, day, BOB, AuditAction.CIRCUMSTANCES_OPEN, RECORD)


def _seqs(rt: Runtime, criteria: EntryFilter) -> list[int]:
    with rt.sessions() as s:
        rows = service.list_entries(s, criteria=criteria, limit=None)
        assert service.count_entries(s, criteria=criteria) == len(rows)
        return [r.seq for r in rows]


def test_each_filter_narrows_and_they_combine(rt: Runtime) -> None:
    _fill(rt)
    assert len(_seqs(rt, EntryFilter())) == 10
    assert _seqs(rt, EntryFilter(actors=frozenset({ALICE.name}))) == [9, 7, 5, 3, 1]
    assert _seqs(rt, EntryFilter(action=AuditAction.CIRCUMSTANCES_OPEN.value)) == [10, 8, 6, 4, 2]
    assert _seqs(rt, EntryFilter(record=RECORD)) == [10, 8, 6, 4, 2]
    days = EntryFilter(since=FIRST + timedelta(days=1), until=FIRST + timedelta(days=2))
    assert _seqs(rt, days) == [6, 5, 4, 3]
    both = EntryFilter(actors=frozenset({BOB.name}), since=FIRST + timedelta(days=4))
    assert _seqs(rt, both) == [10]
    assert _seqs(rt, EntryFilter(actors=frozenset({"nobody"}))) == []
    assert _seqs(rt, EntryFilter(until=date.max)) == _seqs(rt, EntryFilter())


def test_day_bounds_hold_for_entries_that_keep_a_full_timestamp(rt: Runtime) -> None:
    """Older entries keep a full timestamp in `at`: a day filter includes them on their day."""
    _fill(rt)
    with rt.transaction() as s:
        s.execute(
            update(AuditEntry)
            .where(AuditEntry.seq.in_([3, 4]))
            .values(at=(FIRST + timedelta(days=1)).isoformat() + "T23:59:59.999999+00:00")
        )
    day = FIRST + timedelta(days=1)
    assert _seqs(rt, EntryFilter(since=day, until=day)) == [4, 3]
    assert _seqs(rt, EntryFilter(until=FIRST)) == [2, 1]
    assert _seqs(rt, EntryFilter(since=day + timedelta(days=1))) == [10, 9, 8, 7, 6, 5]


def test_a_day_filter_keeps_exactly_the_entries_of_those_days(rt: Runtime) -> None:
    """Property: for any bounds, the entries listed are those whose day (the first ten
    characters of `at`, whichever form it has) lies within them."""
    _fill(rt)
    with rt.transaction() as s:
        s.execute(
            update(AuditEntry).where(AuditEntry.seq % 3 == 0).values(at=AuditEntry.at + "T08:00:00")
        )
    with rt.sessions() as s:
        stored = {e.seq: e.at[:10] for e in s.scalars(select(AuditEntry))}
    days = st.one_of(st.none(), st.dates(FIRST - timedelta(days=2), FIRST + timedelta(days=7)))

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(since=days, until=days)
    def check(since: date | None, until: date | None) -> None:
        expected = sorted(
            (
                seq
                for seq, day in stored.items()
                if (since is None or day >= since.isoformat())
                and (until is None or day <= until.isoformat())
            ),
            reverse=True,
        )
        assert _seqs(rt, EntryFilter(since=since, until=until)) == expected

    check()


def test_paging_walks_the_filtered_entries(rt: Runtime) -> None:
    _fill(rt)
    criteria = EntryFilter(actors=frozenset({ALICE.name}))
    with rt.sessions() as s:
        pages = [
            [e.seq for e in service.list_entries(s, criteria=criteria, offset=o, limit=2)]
            for o in (0, 2, 4)
        ]
    assert pages == [[9, 7], [5, 3], [1]]


def test_the_summary_keeps_codes_and_logged_ids_never_typed_text() -> None:
    typed = EntryFilter(
        actors=frozenset({"KOVALENKO Petro"}),
        action="Kovalenko",
        record="Kovalenko, born 1990",
        since=FIRST,
        until=FIRST,
    )
    summary = typed.summary(logged=set())
    assert summary == "actor=other,action=other,record=other,from=2026-03-01,to=2026-03-01"
    assert "KOVALENKO" not in summary.upper().replace("OTHER", "")
    known = EntryFilter(actors=frozenset({ALICE.name}), action="person:create", record=RECORD)
    assert known.summary(logged={ALICE.name, RECORD}) == (
        f"actor={ALICE.name},action=person:create,record={RECORD}"
    )
    assert EntryFilter().summary(logged=set()) == "all"


def test_an_export_lists_the_entries_and_is_logged_without_typed_text(rt: Runtime) -> None:
    _fill(rt)
    criteria = EntryFilter(
        actors=frozenset({BOB.name, "Petro Kovalenko"}), record=RECORD, since=FIRST
    )
    with rt.transaction() as s:
        rows = service.export(s, audit=rt.audit, actor=ALICE, criteria=criteria)
    assert [r.seq for r in rows] == [10, 8, 6, 4, 2]
    with rt.sessions() as s:
        newest = service.list_entries(s, limit=1)[0]
    assert newest.action == AuditAction.AUDIT_EXPORT.value
    assert newest.actor == ALICE.name
    assert newest.purpose == f"actor={BOB.name},record={RECORD},from=2026-03-01,entries=5"


def test_the_purpose_code_is_the_known_code_before_the_reason() -> None:
    codes = {"protection_assessment", "accepted"}
    assert service.purpose_code("protection_assessment: asked by X", codes) == (
        "protection_assessment"
    )
    assert service.purpose_code("accepted", codes) == "accepted"
    assert service.purpose_code("Kovalenko: he asked", codes) == ""
    assert service.purpose_code("a free reason without a code", codes) == ""
    assert service.purpose_code(None, codes) == ""


def _api(rt: Runtime) -> tuple[TestClient, dict[str, str]]:
    token, _row = add_token(rt, "filter-auditor", Role.AUDITOR)
    client = TestClient(create_app(rt), base_url="https://testserver")
    return client, {"Authorization": f"Bearer {token}"}


def test_the_api_filters_with_the_same_criteria(rt: Runtime) -> None:
    _fill(rt)
    client, headers = _api(rt)
    everything = client.get("/api/v1/audit/entries", headers=headers).json()
    assert everything["total"] > 10  # the auditor's own account and token are logged too
    answer = client.get(
        "/api/v1/audit/entries",
        params={"action": "circumstances:open", "from": "2026-03-02", "to": "2026-03-03"},
        headers=headers,
    ).json()
    assert [e["seq"] for e in answer["items"]] == [6, 4]
    assert answer["total"] == 2
    by_record = client.get(
        "/api/v1/audit/entries", params={"record": RECORD, "size": 2, "page": 2}, headers=headers
    ).json()
    assert ([e["seq"] for e in by_record["items"]], by_record["total"]) == ([6, 4], 5)
    by_actor = client.get(
        "/api/v1/audit/entries", params={"actor": ALICE.name}, headers=headers
    ).json()
    assert by_actor["total"] == 5


def test_the_api_finds_an_actor_by_username(rt: Runtime) -> None:
    client, headers = _api(rt)
    answer = client.get(
        "/api/v1/audit/entries", params={"actor": "filter-auditor"}, headers=headers
    ).json()
    assert answer["total"] >= 2  # its invitation used, its token made
    assert {e["actor"] for e in answer["items"]} == {answer["items"][0]["actor"]}
    assert answer["items"][0]["actor"].startswith("account:")


def test_the_api_names_a_wrong_filter(rt: Runtime) -> None:
    client, headers = _api(rt)
    bad_action = client.get("/api/v1/audit/entries?action=person:fly", headers=headers)
    assert bad_action.status_code == 422
    assert bad_action.json()["detail"][0]["field"] == "query.action"
    bad_day = client.get("/api/v1/audit/entries?from=2026-02-30", headers=headers)
    assert bad_day.status_code == 422
    assert bad_day.json()["detail"][0]["field"] == "query.from"
    backwards = client.get("/api/v1/audit/entries?from=2026-03-02&to=2026-03-01", headers=headers)
    assert backwards.status_code == 422
    assert backwards.json()["detail"].startswith("to:")

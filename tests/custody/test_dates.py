"""Custody dates: not before GC III, not more than a day ahead, moments with their zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import Circumstances, CustodyCreate, SurrenderMode
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import add_person, add_token

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _custody(since: object = "2026-05-01", occurred_at: object = None) -> dict[str, Any]:
    return {
        "person_id": "p-1",
        "since": since,
        "place_of_internment": "Camp 1",
        "circumstances": {"mode": "captured", "occurred_at": occurred_at},
    }


def _refused(body: dict[str, Any]) -> set[tuple[str | int, ...]]:
    with clock.using(clock.ManualClock(NOW)), pytest.raises(ValidationError) as caught:
        CustodyCreate.model_validate(body)
    return {tuple(e["loc"]) for e in caught.value.errors()}


@pytest.mark.parametrize(
    "since",
    ["0001-01-01", "1949-08-11", "2026-06-03", "9999-12-31", "２０２６-01-01", "2026-0٥-01"],
)
def test_an_implausible_or_foreign_since_is_refused(since: str) -> None:
    assert _refused(_custody(since=since)) == {("since",)}


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2026-05-01T10:00:00",  # no zone
        "1949-08-11T23:59:59Z",
        "0001-01-01T00:00:00+12:00",
        "2026-06-02T12:00:01Z",
        "9999-12-31T23:59:59-23:59",
        "2026-05-0١T10:00:00Z",
    ],
)
def test_an_implausible_or_zoneless_moment_is_refused(occurred_at: str) -> None:
    assert _refused(_custody(occurred_at=occurred_at)) == {("circumstances", "occurred_at")}


@pytest.mark.parametrize(
    ("since", "occurred_at"),
    [
        ("1949-08-12", "1949-08-12T00:00:00+00:00"),
        ("2026-06-02", "2026-06-02T12:00:00Z"),  # a day ahead: clocks and zones disagree
        ("2026-05-01", "2026-05-01T10:00:00+03:00"),
    ],
)
def test_plausible_dates_are_accepted(since: str, occurred_at: str) -> None:
    with clock.using(clock.ManualClock(NOW)):
        made = CustodyCreate.model_validate(_custody(since=since, occurred_at=occurred_at))
    assert made.since == date.fromisoformat(since)


def test_the_bound_follows_the_clock_in_force() -> None:
    later = clock.ManualClock(NOW + timedelta(days=30))
    with clock.using(later):
        CustodyCreate.model_validate(_custody(since="2026-07-01"))
    assert _refused(_custody(since="2026-07-01")) == {("since",)}


def test_circumstances_built_in_code_are_checked_as_new() -> None:
    naive = datetime(2026, 5, 1, 10)  # noqa: DTZ001 - the case under test
    made = Circumstances(mode=SurrenderMode.VOLUNTARY, occurred_at=naive)
    body = _custody() | {"circumstances": made}
    assert _refused(body) == {("circumstances", "occurred_at")}


def test_a_stored_shape_still_reads() -> None:
    # Sealed before the rule: a reveal must still open it, never fail.
    old = Circumstances.model_validate_json(
        '{"mode": "captured", "occurred_at": "0001-01-01T00:00:00"}'
    )
    assert old.occurred_at is not None


def _count(rt: Runtime, what: Any) -> int:
    with rt.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"since": "0001-01-01"}, "body.since"),
        ({"since": "19٤٩-09-01"}, "body.since"),
        ({"since": (clock.today() + timedelta(days=2)).isoformat()}, "body.since"),
        (
            {"circumstances": {"mode": "voluntary", "occurred_at": "2026-05-01T10:00:00"}},
            "body.circumstances.occurred_at",
        ),
        (
            {"circumstances": {"mode": "voluntary", "occurred_at": "1900-05-01T10:00:00Z"}},
            "body.circumstances.occurred_at",
        ),
    ],
)
def test_the_api_answers_422_naming_the_field_and_stores_nothing(
    rt: Runtime, change: dict[str, Any], field: str
) -> None:
    person = add_person(rt)
    token, _ = add_token(rt, "registrar-dates", Role.REGISTRAR)
    client = TestClient(create_app(rt), base_url="https://testserver")
    entries = _count(rt, AuditEntry)
    answer = client.post(
        "/api/v1/custodies",
        headers={"Authorization": f"Bearer {token}"},
        json=_custody() | {"person_id": person.id} | change,
    )
    assert answer.status_code == 422, answer.text
    assert [d["field"] for d in answer.json()["detail"]] == [field]
    assert (_count(rt, Custody), _count(rt, AuditEntry)) == (0, entries)

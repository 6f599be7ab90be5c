"""People over HTTP: foreign digits and implausible dates of birth are 422 naming the field,
page numbers are ASCII digits, and nothing is written on a refusal."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import add_person, add_token

NEXT_YEAR = str(clock.today().year + 1)
BAD_BIRTH_DATES = [
    "19٩٠",
    "１９９０-01-01",
    "1990-0٤-01",
    "1899",
    NEXT_YEAR,
    "1990-00",
    "0001-01-01",
]


def _registrar(rt: Runtime) -> tuple[TestClient, dict[str, str]]:
    token, _ = add_token(rt, "registrar-inputs", Role.REGISTRAR)
    client = TestClient(create_app(rt), base_url="https://testserver")
    return client, {"Authorization": f"Bearer {token}"}


def _written(rt: Runtime) -> tuple[int, int]:
    with rt.sessions() as s:
        people = s.scalar(select(func.count()).select_from(Person)) or 0
        entries = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return int(people), int(entries)


def test_a_bad_date_of_birth_is_422_naming_it_and_writes_nothing(rt: Runtime) -> None:
    client, headers = _registrar(rt)
    before = _written(rt)
    for value in BAD_BIRTH_DATES:
        body = {"surname": "KOVAL", "given_names": "Ivan", "date_of_birth": value}
        answer = client.post("/api/v1/persons", json=body, headers=headers)
        assert answer.status_code == 422, value
        assert [d["field"] for d in answer.json()["detail"]] == ["body.date_of_birth"]
        assert value not in answer.text  # never echoed
    assert _written(rt) == before


def test_a_correction_with_a_bad_date_of_birth_changes_nothing(rt: Runtime) -> None:
    person = add_person(rt, date_of_birth="1990-04-12")
    client, headers = _registrar(rt)
    for value in BAD_BIRTH_DATES:
        answer = client.patch(
            f"/api/v1/persons/{person.id}",
            json={"date_of_birth": value, "reason": "typed wrong"},
            headers=headers,
        )
        assert answer.status_code == 422, value
        assert [d["field"] for d in answer.json()["detail"]] == ["body.date_of_birth"]
    assert client.get(f"/api/v1/persons/{person.id}", headers=headers).json()["date_of_birth"] == (
        "1990-04-12"
    )


@pytest.mark.parametrize("value", ["١٢", "１２", "१२", "𝟏𝟐", "1٢"])
def test_page_numbers_are_ascii_digits(rt: Runtime, value: str) -> None:
    client, headers = _registrar(rt)
    for name in ("page", "size"):
        answer = client.get("/api/v1/persons", params={name: value}, headers=headers)
        assert answer.status_code == 422
        assert [d["field"] for d in answer.json()["detail"]] == [f"query.{name}"]
    assert client.get("/api/v1/persons", params={"page": "2"}, headers=headers).status_code == 200

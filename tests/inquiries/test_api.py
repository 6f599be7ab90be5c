"""`/api/v1` family inquiries: the tracing officer takes an inquiry, works the queue, opens
one for review (audited) with each candidate compared field by field, confirms, answers on
the ladder; a bad field is a 422 naming it, a state that forbids a move a 409; consent is
recorded by the registrar, welfare and tracing staff; no other role sees any of it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests import factories

FORM = {"surname": "Коваленко", "given_name": "Петро", "date_of_birth": "1990-04-12",
        "contact": "+380 50 000 0009", "relationship": "spouse"}  # fmt: skip


def bearer(rt: Runtime, name: str, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.add_token(rt, name, role)[0]}"}


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt), base_url="https://testserver")


def test_the_officer_takes_reviews_confirms_and_answers(rt: Runtime, client: TestClient) -> None:
    person = factories.add_person(rt, "KOVALENKO", given_names="Petro", date_of_birth="1990-04-12")
    tracing = bearer(rt, "tracer", Role.TRACING)
    made = client.post("/api/v1/inquiries", json=FORM, headers=tracing)
    assert made.status_code == 201, made.text
    issued = made.json()
    assert issued["codename"]
    assert issued["receipt"].startswith("Safe Conduct receipt")
    queue = client.get("/api/v1/inquiries", headers=tracing).json()
    assert [q["reference"] for q in queue] == [issued["reference"]]
    assert queue[0]["pending"] == 1
    assert "Коваленко" not in str(queue)
    inquiry_id = issued["id"]
    opened = client.post(f"/api/v1/inquiries/{inquiry_id}/review", headers=tracing).json()
    assert opened["surname"] == "Коваленко"
    [cmp] = opened["comparisons"]
    assert cmp["person_id"] == person.id
    surname = next(f for f in cmp["fields"] if f["field"] == "surname")
    assert surname == {"field": "surname", "asked": "Коваленко", "asked_latin": "Kovalenko",
                       "held": "KOVALENKO", "held_original": ""}  # fmt: skip
    assert set(cmp["why"]) == {"name", "patronymic", "dob"}
    url = f"/api/v1/inquiries/{inquiry_id}"
    assert client.post(f"{url}/candidates/{person.id}/confirm", headers=tracing).status_code == 200
    steps = client.get(f"{url}/steps", headers=tracing).json()["steps"]
    assert steps == ["no_information"]  # no consent recorded yet
    refused = client.post(f"{url}/answer", json={"step": "registered"}, headers=tracing)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "body.step"
    registrar = bearer(rt, "registrar", Role.REGISTRAR)
    put = client.put(f"/api/v1/persons/{person.id}/family-consent", headers=registrar,
                     json={"family_may_be_told": True})  # fmt: skip
    assert put.status_code == 200
    assert client.get(f"{url}/steps", headers=tracing).json()["steps"] == [
        "no_information", "registered"]  # fmt: skip
    answered = client.post(f"{url}/answer", json={"step": "registered"}, headers=tracing)
    assert answered.status_code == 201
    assert answered.json()["release_on"] > answered.json()["answered_on"]
    with rt.sessions() as s:
        tags = s.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == inquiry_id))
        assert list(tags) == ["inquiry:create", "inquiry:open", "inquiry:confirm",
                              "inquiry:answer"]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [("surname", ""), ("date_of_birth", "12.04.1990"), ("relationship", "friend"),
     ("contact", "")],
)  # fmt: skip
def test_a_bad_field_is_a_422_naming_it(
    rt: Runtime, client: TestClient, field: str, value: str
) -> None:
    tracing = bearer(rt, "tracer", Role.TRACING)
    answer = client.post("/api/v1/inquiries", json=FORM | {field: value}, headers=tracing)
    assert answer.status_code == 422
    assert field in answer.json()["detail"][0]["field"]
    if value:
        assert value not in answer.text
    assert client.get("/api/v1/inquiries", headers=tracing).json() == []


def test_no_other_role_reaches_inquiries(rt: Runtime, client: TestClient) -> None:
    tracing = bearer(rt, "tracer", Role.TRACING)
    inquiry_id = client.post("/api/v1/inquiries", json=FORM, headers=tracing).json()["id"]
    for role in Role:
        if role is Role.TRACING:
            continue
        headers = bearer(rt, f"other-{role.value}", role)
        assert client.get("/api/v1/inquiries", headers=headers).status_code == 403
        opened = client.post(f"/api/v1/inquiries/{inquiry_id}/review", headers=headers)
        assert opened.status_code == 403


def test_unknown_inquiry_is_404_and_closed_is_409(rt: Runtime, client: TestClient) -> None:
    tracing = bearer(rt, "tracer", Role.TRACING)
    assert client.get("/api/v1/inquiries/nope", headers=tracing).status_code == 404
    inquiry_id = client.post("/api/v1/inquiries", json=FORM, headers=tracing).json()["id"]
    assert client.post(f"/api/v1/inquiries/{inquiry_id}/close", headers=tracing).status_code == 200
    late = client.post(f"/api/v1/inquiries/{inquiry_id}/answer", headers=tracing,
                       json={"step": "no_information"})  # fmt: skip
    assert late.status_code == 409

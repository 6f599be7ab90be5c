"""The JSON API end to end: login, CSRF, persons, requests, custody, reveals, audit."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from safeconduct.accounts.policy import Role
from safeconduct.runtime import Runtime
from tests.factories import PASSWORD
from tests.web.conftest import code, make_account

Bearer = Callable[[Role], dict[str, str]]
PERSON = {
    "surname": "PETRENKO",
    "given_names": "Ivan",
    "patronymic": "Olehovych",
    "date_of_birth": "1990-04",
    "rank": "sergeant",
    "service_number": "A1234567",
}
CIRCUMSTANCES = {"mode": "voluntary", "place": "PLANTED-PLACE", "how": "PLANTED-HOW"}


def _person_and_custody(client: TestClient, bearer: Bearer) -> tuple[str, str]:
    registrar = bearer(Role.REGISTRAR)
    person = client.post("/api/v1/persons", json=PERSON, headers=registrar)
    assert person.status_code == 201, person.text
    custody = client.post(
        "/api/v1/custodies",
        headers=registrar,
        json={
            "person_id": person.json()["id"],
            "since": "2026-05-01",
            "place_of_internment": "Camp 2",
            "circumstances": CIRCUMSTANCES,
        },
    )
    assert custody.status_code == 201, custody.text
    assert "circumstances" not in custody.json()
    return person.json()["id"], custody.json()["id"]


def test_login_sets_a_strict_cookie_and_csrf_guards_writes(rt: Runtime, client: TestClient) -> None:
    secret = make_account(rt, "reg", Role.REGISTRAR, enrolled=True)
    bad = client.post("/api/v1/auth/login", json={"username": "reg", "password": PASSWORD})
    assert bad.status_code == 401
    response = client.post(
        "/api/v1/auth/login", json={"username": "reg", "password": PASSWORD, "code": code(secret)}
    )
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "secure" in cookie
    assert "samesite=strict" in cookie
    csrf = response.json()["csrf_token"]
    assert client.post("/api/v1/persons", json=PERSON).status_code == 403  # no CSRF token
    created = client.post("/api/v1/persons", json=PERSON, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_first_login_of_a_sealed_role_must_enrol_the_second_factor(
    rt: Runtime, client: TestClient
) -> None:
    secret = make_account(rt, "ver", Role.VERIFIER, enrolled=False)
    response = client.post("/api/v1/auth/login", json={"username": "ver", "password": PASSWORD})
    assert response.json()["enrolment_required"] is True
    csrf = {"X-CSRF-Token": response.json()["csrf_token"]}
    assert client.get("/api/v1/persons").status_code == 403
    qr = client.get("/api/v1/auth/totp/qr")
    assert qr.status_code == 200
    assert qr.text.startswith("<svg")
    assert secret not in qr.text  # the QR encodes it; the page never spells it out
    wrong = client.post("/api/v1/auth/totp/enrol", json={"code": "000000"}, headers=csrf)
    assert wrong.status_code in (400, 422) or code(secret) == "000000"
    done = client.post("/api/v1/auth/totp/enrol", json={"code": code(secret)}, headers=csrf)
    assert done.status_code == 200, done.text
    assert client.get("/api/v1/persons").status_code == 200
    assert client.get("/api/v1/auth/totp/qr").status_code == 409


def test_bad_input_names_the_field_and_writes_nothing(client: TestClient, bearer: Bearer) -> None:
    registrar = bearer(Role.REGISTRAR)
    response = client.post(
        "/api/v1/persons",
        headers=registrar,
        json={**PERSON, "date_of_birth": "1990-02-31", "surname": ""},
    )
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["detail"]} == {"body.surname", "body.date_of_birth"}
    assert client.get("/api/v1/persons", headers=registrar).json()["total"] == 0
    unknown = client.post("/api/v1/persons", headers=registrar, json={**PERSON, "religion": "x"})
    assert unknown.status_code == 422
    assert client.get("/api/v1/persons/nope", headers=registrar).status_code == 404
    paging = client.get("/api/v1/persons?page=0", headers=registrar)
    assert paging.status_code == 422
    assert paging.json()["detail"][0]["field"] == "query.page"


def test_search_and_paging(client: TestClient, bearer: Bearer) -> None:
    registrar = bearer(Role.REGISTRAR)
    for i in range(25):
        client.post(
            "/api/v1/persons", headers=registrar, json={**PERSON, "surname": f"SHEVCHUK{i:02d}"}
        )
    client.post("/api/v1/persons", headers=registrar, json={**PERSON, "surname": "MELNYK"})
    page = client.get("/api/v1/persons?q=shev&page=2&size=10", headers=registrar).json()
    assert page["total"] == 25
    assert [p["surname"] for p in page["items"]] == [f"SHEVCHUK{i:02d}" for i in range(10, 20)]
    assert client.get("/api/v1/persons?q=%25", headers=registrar).json()["total"] == 26


def test_reveal_is_purpose_bound_and_shows_in_the_access_log(
    client: TestClient, bearer: Bearer
) -> None:
    person_id, custody_id = _person_and_custody(client, bearer)
    url = f"/api/v1/custodies/{custody_id}/circumstances/reveal"
    verifier = bearer(Role.VERIFIER)
    no_purpose = client.post(url, headers=verifier, json={"reason": "risk on return"})
    assert no_purpose.status_code == 422
    opened = client.post(
        url, headers=verifier, json={"purpose": "protection_assessment", "reason": "risk on return"}
    )
    assert opened.status_code == 200
    assert opened.json()["place"] == "PLANTED-PLACE"
    log = client.get(f"/api/v1/persons/{person_id}/access-log", headers=bearer(Role.AUDITOR))
    assert log.status_code == 200
    [entry] = log.json()
    assert entry["action"] == "circumstances:open"
    assert entry["purpose"] == "protection_assessment: risk on return"
    assert entry["actor"].startswith("account:")
    verify = client.post("/api/v1/audit/verify", headers=bearer(Role.AUDITOR)).json()
    assert verify["ok"] is True


def test_request_workflow_conflicts_are_409(client: TestClient, bearer: Bearer) -> None:
    intake = bearer(Role.INTAKE)
    request_id = client.post(
        "/api/v1/requests",
        headers=intake,
        json={"channel": "phone", "contact": "+000 1", "content": "hello"},
    ).json()["id"]
    url = f"/api/v1/requests/{request_id}/status"
    assert client.post(url, headers=intake, json={"status": "closed"}).status_code == 409
    moved = client.post(url, headers=intake, json={"status": "in_review"})
    assert moved.json()["status"] == "in_review"
    revealed = client.post(
        f"/api/v1/requests/{request_id}/reveal",
        headers=intake,
        json={"purpose": "intake_follow_up", "reason": "call back"},
    )
    assert revealed.json() == {"contact": "+000 1", "content": "hello", "notes": []}

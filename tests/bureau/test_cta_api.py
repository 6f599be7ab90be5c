"""CTA batches through the HTTP API and the registrar's page, on SQLite and PostgreSQL: the
registrar makes a batch and downloads its files again, byte for byte; the list carries no
personal data; nothing to send is said, not an empty batch; other roles are refused."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts.policy import ROLE_PERMISSIONS, Permission, Role
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import cta
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.bureau import cta_helpers as h
from tests.factories import ACTOR, PASSWORD, add_account, add_token

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)
Bearer = Callable[[Role], dict[str, str]]
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
SENDERS = sorted(r for r, p in ROLE_PERMISSIONS.items() if Permission.CTA_BATCH_SEND in p)
REFUSED = sorted(r for r in Role if r not in SENDERS)


@pytest.fixture(autouse=True)
def manual_clock() -> Iterator[clock.ManualClock]:
    moved = clock.ManualClock(NOW)
    with clock.using(moved):
        yield moved


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt), base_url="https://testserver")


@pytest.fixture
def bearer(rt: Runtime) -> Bearer:
    """Bearer headers for one enrolled account per role, made once each."""
    made: dict[Role, dict[str, str]] = {}

    def headers(role: Role) -> dict[str, str]:
        if role not in made:
            token, _row = add_token(rt, f"{role.value}-cta", role)
            made[role] = {"Authorization": f"Bearer {token}"}
        return made[role]

    return headers


def test_the_registrar_may_send_and_no_one_else() -> None:
    assert SENDERS == [Role.REGISTRAR]


def test_a_batch_is_made_listed_and_its_files_made_again(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    h.held(rt, "ADAMENKO")
    h.held(rt, "ШЕВЧЕНКО", given_names="Тарас")
    registrar = bearer(Role.REGISTRAR)
    answer = client.post("/api/v1/cta/batches", headers=registrar)
    assert answer.status_code == 200, answer.text
    made = answer.json()
    assert made["made"] is True
    batch = made["batch"]
    assert (batch["number"], batch["records"]) == (1, 2)
    assert batch["key_id"] == rt.audit.signer.key_id
    listed = client.get("/api/v1/cta/batches", headers=registrar)
    assert listed.status_code == 200
    assert listed.json() == [batch]
    assert "ADAMENKO" not in listed.text
    body = client.get("/api/v1/cta/batches/1.json", headers=registrar)
    assert body.status_code == 200
    assert body.headers["content-disposition"] == 'attachment; filename="cta-batch-1.json"'
    sig = client.get("/api/v1/cta/batches/1.sig", headers=registrar)
    table = client.get("/api/v1/cta/batches/1.csv", headers=registrar)
    assert table.headers["content-type"].startswith("text/csv")
    assert "ШЕВЧЕНКО" in table.content.decode()
    check = cta.verify(body.content, sig.content, h.published_keys(rt))
    assert check.ok, check.problem
    with rt.transaction() as s:
        again = cta.files(s, keyring=rt.keyring, number=1)
    assert (again.json, again.csv, again.signature) == (body.content, table.content, sig.content)
    assert again.sha256 == batch["sha256"]
    # Each file made again opened the people's sealed records: each download is audited,
    # about the batch, naming the file's kind and nothing else.
    with rt.transaction() as s:
        logged = s.scalars(
            select(AuditEntry.purpose)
            .where(AuditEntry.action == AuditAction.CTA_BATCH_EXPORT.value)
            .order_by(AuditEntry.seq)
        ).all()
    assert logged == ["json", "sig", "csv"]


def test_nothing_to_send_is_said_and_no_batch_is_made(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    answer = client.post("/api/v1/cta/batches", headers=bearer(Role.REGISTRAR))
    assert answer.status_code == 200
    assert answer.json() == {"made": False, "batch": None}
    assert client.get("/api/v1/cta/batches", headers=bearer(Role.REGISTRAR)).json() == []


def test_a_missing_or_erased_batch_and_bad_names(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    registrar = bearer(Role.REGISTRAR)
    custody = h.held(rt)
    h.made(rt)
    assert client.get("/api/v1/cta/batches/2.json", headers=registrar).status_code == 404
    assert client.get("/api/v1/cta/batches/1.pdf", headers=registrar).status_code == 404
    assert client.get("/api/v1/cta/batches/x.json", headers=registrar).status_code == 422
    with rt.transaction() as s:
        person = s.get(Person, custody.person_id)
        assert person is not None
        people_service.erase(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, person=person, reason="order"
        )
    erased = client.get("/api/v1/cta/batches/1.json", headers=registrar)
    assert erased.status_code == 409
    assert "KOVALENKO" not in erased.text


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_are_refused(
    rt: Runtime, client: TestClient, bearer: Bearer, role: Role
) -> None:
    h.held(rt)
    headers = bearer(role)
    assert client.post("/api/v1/cta/batches", headers=headers).status_code == 403
    assert client.get("/api/v1/cta/batches", headers=headers).status_code == 403
    with rt.transaction() as s:
        assert cta.batches(s) == []


def test_without_credentials_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/cta/batches").status_code == 401


# --- the registrar's page ----------------------------------------------------------------


def _login(rt: Runtime, role: Role) -> TestClient:
    client = TestClient(create_app(rt), base_url="https://testserver")
    username = f"ui-{role.value}"
    _account, secret = add_account(rt, username, role, enrolled=True)
    answer = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "code": pyotp.TOTP(secret).at(clock.now()),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def test_the_registrar_page_makes_a_batch_and_offers_its_files(rt: Runtime) -> None:
    h.held(rt, "ADAMENKO")
    client = _login(rt, Role.REGISTRAR)
    page = client.get("/bureau/cta")
    assert page.status_code == 200
    assert 'id="no-batches"' in page.text
    token = CSRF.search(page.text)
    assert token is not None
    made = client.post("/bureau/cta", data={"csrf_token": token.group(1)}, follow_redirects=True)
    assert made.status_code == 200
    assert 'id="made"' in made.text
    assert 'href="/bureau/cta/1.json"' in made.text
    assert "ADAMENKO" not in made.text
    with rt.transaction() as s:
        files = cta.files(s, keyring=rt.keyring, number=1)
    assert client.get("/bureau/cta/1.json").content == files.json
    assert client.get("/bureau/cta/1.csv").content == files.csv
    assert client.get("/bureau/cta/1.sig").content == files.signature
    again = client.post("/bureau/cta", data={"csrf_token": token.group(1)}, follow_redirects=True)
    assert 'id="nothing"' in again.text


def test_the_page_refuses_a_post_without_its_token_and_other_roles(rt: Runtime) -> None:
    h.held(rt)
    client = _login(rt, Role.REGISTRAR)
    assert client.post("/bureau/cta", data={}).status_code == 403
    with rt.transaction() as s:
        assert cta.batches(s) == []
    welfare = _login(rt, Role.WELFARE)
    assert welfare.get("/bureau/cta").status_code == 403

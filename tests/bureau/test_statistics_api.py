"""The statistics through the HTTP API and the page, on SQLite and PostgreSQL: the registrar
and welfare may read them, the exchange role may not; every download is an audited export,
the page is not; a bad day is a 422 naming `at`, a missing chart a 404."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import statistics
from safeconduct.custody.schemas import SurrenderMode
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests import factories
from tests.factories import add_account, add_session, add_token, session_headers

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
Bearer = Callable[[Role], dict[str, str]]


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
            token, _row = add_token(rt, f"{role.value}-stats", role)
            made[role] = {"Authorization": f"Bearer {token}"}
        return made[role]

    return headers


def people(rt: Runtime, n: int) -> None:
    for i in range(n):
        person = factories.add_person(rt, f"PERSON{i:02d}", sex="male", rank="private")
        mode = SurrenderMode.VOLUNTARY if i % 2 else SurrenderMode.CAPTURED
        factories.add_custody(rt, person, mode=mode)


def exports(rt: Runtime) -> list[str | None]:
    with rt.sessions() as s:
        stmt = select(AuditEntry.purpose).where(
            AuditEntry.action == AuditAction.STATISTICS_EXPORT.value
        )
        return list(s.scalars(stmt.order_by(AuditEntry.seq)))


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.WELFARE])
def test_the_registrar_and_welfare_download_every_format(
    rt: Runtime, client: TestClient, bearer: Bearer, role: Role
) -> None:
    people(rt, 7)
    answer = client.get("/api/v1/statistics", headers=bearer(role))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-disposition"] == 'attachment; filename="statistics.json"'
    document = json.loads(answer.content)
    place = next(t for t in document["tables"] if t["dimension"] == "place_of_internment")
    assert place["rows"] == [{"value": "Camp 1", "count": 7}]
    assert place["total"] == 7

    answer = client.get("/api/v1/statistics.csv?at=2026-06-01", headers=bearer(role))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="statistics.csv"'
    assert "2026-06-01" in answer.text.splitlines()[0]
    assert "place_of_internment,,Camp 1,,7" in answer.text.splitlines()

    answer = client.get("/api/v1/statistics/status.svg", headers=bearer(role))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.headers["content-disposition"] == 'attachment; filename="statistics-status.svg"'
    # Five statuses at 0 ("<5") beside a shown total would pin them all to 0: held is
    # hidden too ("x"), and so every bar is an outline.
    assert answer.text.count('class="chart-hidden"') == 6
    assert ">x</text>" in answer.text
    assert ">7<" not in answer.text
    assert exports(rt) == ["json", "csv", "svg"]


def test_the_exchange_role_is_refused(rt: Runtime, client: TestClient, bearer: Bearer) -> None:
    people(rt, 7)
    for url in ("/api/v1/statistics", "/api/v1/statistics.csv", "/api/v1/statistics/sex.svg"):
        assert client.get(url, headers=bearer(Role.EXCHANGE)).status_code == 403
    assert client.get("/api/v1/statistics").status_code == 401
    assert exports(rt) == []


def test_a_bad_day_names_the_field_and_no_chart_is_made_of_what_is_not_counted(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    for at in ("2026-02-30", "yesterday", "2026-06-16"):
        answer = client.get(f"/api/v1/statistics.csv?at={at}", headers=bearer(Role.REGISTRAR))
        assert answer.status_code == 422
        assert [d["field"] for d in answer.json()["detail"]] == ["query.at"]
    for dimension in ("mode", "channel", "wish", "surrender_mode"):
        url = f"/api/v1/statistics/{dimension}.svg"
        assert client.get(url, headers=bearer(Role.REGISTRAR)).status_code == 404
    assert exports(rt) == []


def test_the_page_shows_charts_and_tables_and_is_no_export(rt: Runtime, client: TestClient) -> None:
    people(rt, 7)
    account, _secret = add_account(rt, "page-registrar", Role.REGISTRAR, enrolled=True)
    headers = session_headers(add_session(rt, account))
    answer = client.get("/statistics?at=2026-06-10", headers=headers)
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert page.count("<svg") == len(statistics.ONE_WAY)
    assert 'id="table-place_of_internment"' in page
    assert 'id="crossing-1"' in page
    assert 'href="/api/v1/statistics.csv?at=2026-06-10"' in page
    assert 'href="/api/v1/statistics/sex.svg?at=2026-06-10"' in page
    assert "style=" not in page
    assert "<script" not in page.split("</svg>")[0].split("<svg")[-1]
    assert exports(rt) == []
    assert client.get("/statistics?at=soon", headers=headers).status_code == 422


def test_the_page_is_refused_to_the_exchange_role(rt: Runtime, client: TestClient) -> None:
    account, _secret = add_account(rt, "page-exchange", Role.EXCHANGE, enrolled=True)
    answer = client.get("/statistics", headers=session_headers(add_session(rt, account)))
    assert answer.status_code == 403

"""`/api/v1` capture cards: the registrar issues, prints and sends them and prints a batch;
other roles are refused; unknown is 404, erased 409, bad input 422 naming the field; file
names carry no name, place or day."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pypdf import PdfReader

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.custody.schemas import SurrenderMode
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests import factories
from tests.repatriation.api_helpers import headers_for

NOW = datetime(2026, 3, 5, 9, tzinfo=UTC)
MISSING = "00000000-0000-0000-0000-000000000000"
BATCH = "/api/v1/capture-cards/batch.pdf"
ALLOWED = (Role.REGISTRAR,)
REFUSED = (Role.MEDICAL, Role.WELFARE, Role.AUDITOR, Role.EXCHANGE)


@pytest.fixture(autouse=True)
def manual_clock() -> Iterator[clock.ManualClock]:
    moved = clock.ManualClock(NOW)
    with clock.using(moved):
        yield moved


class Client:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.http = TestClient(create_app(rt), base_url="https://testserver")
        self.headers: dict[Role, dict[str, str]] = {}

    def as_(self, role: Role) -> dict[str, str]:
        if role not in self.headers:
            self.headers[role] = headers_for(self.rt, f"cards-{role.value}", role)
        return self.headers[role]

    def get(self, url: str, role: Role = Role.REGISTRAR, **params: str) -> Response:
        answer: Response = self.http.get(url, headers=self.as_(role), params=params)
        return answer

    def post(self, url: str, role: Role = Role.REGISTRAR, body: object = None) -> Response:
        answer: Response = self.http.post(url, headers=self.as_(role), json=body)
        return answer


@pytest.fixture
def api(rt: Runtime) -> Client:
    return Client(rt)


def held(rt: Runtime, surname: str = "Коваленко") -> Person:
    person = factories.add_person(rt, surname, given_names="Петро")
    factories.add_custody(rt, person, mode=SurrenderMode.VOLUNTARY)
    return person


def card(person_id: str) -> str:
    return f"/api/v1/persons/{person_id}/capture-card"


def fields_of(answer: Response) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [p["field"] for p in answer.json()["detail"]]


def test_the_registrar_issues_prints_and_sends_a_card(api: Client, rt: Runtime) -> None:
    person = held(rt)
    first = api.post(card(person.id))
    assert first.status_code == 200, first.text
    issued = first.json()
    assert (issued["version"], issued["person_id"]) == (1, person.id)
    assert api.post(card(person.id)).json()["id"] == issued["id"]

    pdf = api.get(card(person.id) + ".pdf", language="ru")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    disposition = pdf.headers["content-disposition"]
    assert disposition == f'attachment; filename="capture-card-{issued["id"]}.pdf"'
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Коваленко" in text
    assert "Kovalenko" in text

    sent = api.post(card(person.id) + "/send", body={"recipient": "cta", "language": "uk"})
    assert sent.status_code == 201, sent.text
    assert (sent.json()["recipient"], sent.json()["subject_id"]) == ("cta", issued["id"])


def test_the_batch_downloads_under_a_name_that_says_nothing(api: Client, rt: Runtime) -> None:
    held(rt, "Бондар")
    held(rt, "Андрієнко")
    answer = api.get(BATCH, place="Camp 1", since="2026-03-01", until="2026-03-05", language="en")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="capture-cards.pdf"'
    assert len(PdfReader(io.BytesIO(answer.content)).pages) == 2


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_are_refused(api: Client, rt: Runtime, role: Role) -> None:
    person = held(rt)
    answers = [
        api.post(card(person.id), role),
        api.get(card(person.id) + ".pdf", role, language="en"),
        api.post(card(person.id) + "/send", role, {"recipient": "cta", "language": "en"}),
        api.get(BATCH, role, place="Camp 1", since="2026-03-01", until="2026-03-05", language="en"),
    ]
    assert [a.status_code for a in answers] == [403] * 4


def test_unknown_is_404_and_erased_409(api: Client, rt: Runtime) -> None:
    assert api.post(card(MISSING)).status_code == 404
    assert api.get(card(MISSING) + ".pdf", language="en").status_code == 404
    person = held(rt)
    with rt.transaction() as s:
        row = s.get(Person, person.id)
        assert row is not None
        people_service.erase(
            s, keyring=rt.keyring, audit=rt.audit, actor=factories.ACTOR, person=row,
            reason="court order",
        )  # fmt: skip
    assert api.post(card(person.id)).status_code == 409
    assert api.get(card(person.id) + ".pdf", language="en").status_code == 409
    body = {"recipient": "family", "language": "en"}
    assert api.post(card(person.id) + "/send", body=body).status_code == 409


def test_one_never_in_custody_is_409(api: Client, rt: Runtime) -> None:
    person = factories.add_person(rt, "Коваленко")
    assert api.post(card(person.id)).status_code == 409


def test_bad_input_is_422_naming_the_field(api: Client, rt: Runtime) -> None:
    person = held(rt)
    assert fields_of(api.get(card(person.id) + ".pdf", language="de")) == ["query.language"]
    refused = api.post(card(person.id) + "/send", body={"recipient": "counterpart"})
    assert fields_of(refused) == ["body.recipient"]
    week = {"place": "Camp 1", "since": "2026-03-01", "language": "en"}
    assert fields_of(api.get(BATCH, Role.REGISTRAR, **week, until="2026-04-01")) == ["query.until"]
    assert fields_of(api.get(BATCH, Role.REGISTRAR, **week, until="2026-02-01")) == ["query.until"]
    assert fields_of(
        api.get(BATCH, Role.REGISTRAR, **{**week, "place": "Camp 9"}, until="2026-03-05")
    ) == ["query.place"]
    # Nothing was sent by the refused send.
    with rt.transaction() as s:
        from safeconduct.bureau import transmissions

        assert transmissions.log(s) == []

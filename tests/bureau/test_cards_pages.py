"""Capture cards in the UI: the panel of the person page (issue, print, send; the latest
version and where it went) and the intake batch page, for the registrar only; a refused
batch shows the form again naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from safeconduct.accounts.policy import Role
from safeconduct.custody.schemas import SurrenderMode
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from tests import factories
from tests.web.ui.conftest import csrf_of
from tests.web.ui.test_repatriation_pages import login

WEEK = {"place": "Camp 1", "since": "2026-03-01", "until": "2026-03-05", "language": "ru"}


def held(rt: Runtime) -> Person:
    person = factories.add_person(rt, "Коваленко", given_names="Петро")
    factories.add_custody(rt, person, mode=SurrenderMode.CAPTURED)
    return person


def post(client: TestClient, url: str, page: str, **form: str) -> Response:
    token = csrf_of(client.get(page).text)
    answer: Response = client.post(url, data={"csrf_token": token, **form}, follow_redirects=False)
    return answer


def test_the_registrar_issues_prints_and_sends_from_the_person_page(rt: Runtime) -> None:
    person = held(rt)
    client = login(rt, Role.REGISTRAR, "cards-registrar")
    page = f"/people/{person.id}"
    shown = client.get(page).text
    assert 'id="capture-card"' in shown
    assert 'id="card-none"' in shown

    issued = client.post(
        f"{page}/capture-card", data={"csrf_token": csrf_of(shown)}, follow_redirects=False
    )
    assert issued.status_code == 303
    assert issued.headers["location"] == f"{page}#capture-card"
    shown = client.get(page).text
    assert 'id="card-version">1<' in shown

    printed = client.post(
        f"{page}/capture-card/print",
        data={"csrf_token": csrf_of(shown), "language": "uk"},
        follow_redirects=False,
    )
    assert printed.status_code == 200
    assert printed.content.startswith(b"%PDF")
    assert printed.headers["content-disposition"].startswith('attachment; filename="capture-card-')

    sent = client.post(
        f"{page}/capture-card/send",
        data={"csrf_token": csrf_of(shown), "recipient": "cta", "language": "en"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    shown = client.get(page).text
    assert "Central Tracing Agency" in shown.split('id="card-sent"')[1].split("</dd>")[0]


def test_a_post_without_the_csrf_token_is_refused(rt: Runtime) -> None:
    person = held(rt)
    client = login(rt, Role.REGISTRAR, "cards-registrar")
    answer = client.post(f"/people/{person.id}/capture-card", follow_redirects=False)
    assert answer.status_code == 403


def test_others_see_no_panel_and_may_not_use_the_forms(rt: Runtime) -> None:
    person = held(rt)
    client = login(rt, Role.MEDICAL, "cards-medical")
    page = f"/people/{person.id}"
    shown = client.get(page).text
    assert 'id="capture-card"' not in shown
    token = csrf_of(shown)
    answers = [
        client.post(f"{page}/capture-card", data={"csrf_token": token}),
        client.post(f"{page}/capture-card/print", data={"csrf_token": token, "language": "en"}),
        client.get("/bureau/cards"),
        client.post("/bureau/cards", data={"csrf_token": token, **WEEK}),
    ]
    assert [a.status_code for a in answers] == [403] * 4


def test_the_batch_page_downloads_the_cards(rt: Runtime) -> None:
    held(rt)
    client = login(rt, Role.REGISTRAR, "cards-registrar")
    shown = client.get("/bureau/cards")
    assert shown.status_code == 200
    assert 'id="card-batch"' in shown.text
    answer = post(client, "/bureau/cards", "/bureau/cards", **WEEK)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == ('attachment; filename="capture-cards.pdf"')


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ({"until": "2026-04-30"}, "until"),
        ({"since": "not a day"}, "since"),
        ({"place": "Camp 9"}, "place"),
        ({"language": "de"}, "language"),
    ],
)
def test_a_refused_batch_shows_the_form_naming_the_field(
    rt: Runtime, changed: dict[str, str], field: str
) -> None:
    held(rt)
    client = login(rt, Role.REGISTRAR, "cards-registrar")
    answer = post(client, "/bureau/cards", "/bureau/cards", **{**WEEK, **changed})
    assert answer.status_code == 422
    html = answer.text
    assert f'id="{field}-problem"' in html
    # What was typed is kept.
    assert 'value="Camp' in html

"""`/api/v1` death notices and certificates: the registrar issues, prints and sends a notice
(never a certificate), medical staff a certificate; a living person is 409, an unknown one
404, a bad language or recipient 422 naming the field; sending meets the duty."""

from __future__ import annotations

import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit import service as audit_service
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau.models import DeathDocument
from safeconduct.custody.models import Custody, CustodyEventKind
from safeconduct.custody.schemas import CustodyEventCreate, DeathDetails
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from safeconduct.treatment import engine
from safeconduct.web.app import create_app
from tests import factories

CAUSE = "PLANTED-CAUSE-of-death"
DEATH_PLACE = "PLANTED-PLACE-of-death"
HOW = "PLANTED-HOW-taken"
UNKNOWN = "00000000-0000-0000-0000-000000000000"


def bearer(rt: Runtime, name: str, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.add_token(rt, name, role)[0]}"}


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt), base_url="https://testserver")


def deceased(rt: Runtime) -> tuple[Person, Custody]:
    person = factories.add_person(rt, "Бондаренко", given_names="Олег")
    custody = factories.add_custody(rt, person, how=HOW, since=date(2026, 3, 1))
    factories.add_custody_event(
        rt,
        custody.id,
        CustodyEventCreate(
            kind=CustodyEventKind.DEATH,
            occurred_on=date(2026, 3, 14),
            reason="died",
            details=DeathDetails(place=DEATH_PLACE, cause=CAUSE),
        ),
    )
    return person, custody


def text_of(pdf: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_registrar_issues_prints_and_sends_a_notice(rt: Runtime, client: TestClient) -> None:
    person, custody = deceased(rt)
    registrar = bearer(rt, "registrar", Role.REGISTRAR)
    issued = client.post(f"/api/v1/persons/{person.id}/death-notice", headers=registrar)
    assert issued.status_code == 201, issued.text
    doc = issued.json()
    assert (doc["person_id"], doc["kind"]) == (person.id, "notice")
    printed = client.get(f"/api/v1/death-documents/{doc['id']}.pdf?language=uk", headers=registrar)
    assert printed.status_code == 200
    assert printed.headers["content-type"] == "application/pdf"
    assert f'filename="death-notice-{doc["id"]}.pdf"' in printed.headers["content-disposition"]
    text = text_of(printed.content)
    assert "БондаренкоОлег" in text
    assert "BondarenkoOleg" in text  # no Ukrainian-only letter: ICAO Doc 9303
    assert "2026-03-14" in text
    assert "PLANTED" not in text
    sent = client.post(
        f"/api/v1/death-documents/{doc['id']}/send",
        json={"recipient": "cta", "language": "uk"},
        headers=registrar,
    )
    assert sent.status_code == 201, sent.text
    assert (sent.json()["output"], sent.json()["recipient"]) == ("death_notice", "cta")
    with rt.transaction() as s:
        standing = engine.standings(s, today=clock.today(), custody_id=custody.id)
        assert standing[0].states["death_notification"].value == "met"
        keys = rt.audit_keys()
        assert audit_service.verify(s, keys[0], keys[1:]).ok


def test_medical_issues_a_certificate_with_the_cause_audited(
    rt: Runtime, client: TestClient
) -> None:
    person, _ = deceased(rt)
    medical = bearer(rt, "medical", Role.MEDICAL)
    issued = client.post(f"/api/v1/persons/{person.id}/death-certificate", headers=medical)
    assert issued.status_code == 201, issued.text
    doc_id = issued.json()["id"]
    printed = client.get(f"/api/v1/death-documents/{doc_id}.pdf", headers=medical)
    assert printed.status_code == 200
    text = text_of(printed.content)
    assert CAUSE in text
    assert DEATH_PLACE in text
    assert HOW not in text
    with rt.transaction() as s:
        purposes = s.scalars(
            select(AuditEntry.purpose).where(
                AuditEntry.action == AuditAction.DEATH_DOCUMENT_ISSUE.value,
                AuditEntry.subject_id == person.id,
            )
        ).all()
    assert sorted(p or "" for p in purposes) == ["certificate", "certificate"]


def test_each_role_issues_its_own_kind_only(rt: Runtime, client: TestClient) -> None:
    person, _ = deceased(rt)
    registrar = bearer(rt, "registrar", Role.REGISTRAR)
    medical = bearer(rt, "medical", Role.MEDICAL)
    welfare = bearer(rt, "welfare", Role.WELFARE)
    base = f"/api/v1/persons/{person.id}"
    assert client.post(f"{base}/death-certificate", headers=registrar).status_code == 403
    assert client.post(f"{base}/death-notice", headers=medical).status_code == 403
    assert client.post(f"{base}/death-notice", headers=welfare).status_code == 403
    certificate = client.post(f"{base}/death-certificate", headers=medical).json()["id"]
    notice = client.post(f"{base}/death-notice", headers=registrar).json()["id"]
    # Each sees the other's kind as no document at all.
    assert (
        client.get(f"/api/v1/death-documents/{certificate}.pdf", headers=registrar).status_code
        == 404
    )
    assert client.get(f"/api/v1/death-documents/{notice}.pdf", headers=medical).status_code == 404
    assert client.get(f"/api/v1/death-documents/{notice}.pdf", headers=welfare).status_code == 403
    send = {"recipient": "family"}
    assert (
        client.post(f"/api/v1/death-documents/{certificate}/send", json=send, headers=registrar)
    ).status_code == 404
    assert (
        client.post(f"/api/v1/death-documents/{notice}/send", json=send, headers=medical)
    ).status_code == 403
    with rt.transaction() as s:
        kinds = s.scalars(select(DeathDocument.kind).where(DeathDocument.person_id == person.id))
        assert sorted(kinds) == ["certificate", "notice"]


def test_an_unapproved_medical_account_opens_no_cause(rt: Runtime, client: TestClient) -> None:
    person, _ = deceased(rt)
    unapproved = {
        "Authorization": "Bearer "
        + factories.add_token(rt, "new-medical", Role.MEDICAL, approved=False)[0]
    }
    # Issuing opens nothing; printing opens the cause, and waits for an auditor's approval.
    issued = client.post(f"/api/v1/persons/{person.id}/death-certificate", headers=unapproved)
    assert issued.status_code == 201
    got = client.get(f"/api/v1/death-documents/{issued.json()['id']}.pdf", headers=unapproved)
    assert got.status_code == 403
    assert CAUSE not in got.text
    with rt.transaction() as s:
        purposes = s.scalars(
            select(AuditEntry.purpose).where(
                AuditEntry.action == AuditAction.DEATH_DOCUMENT_ISSUE.value,
                AuditEntry.subject_id == person.id,
            )
        ).all()
    assert purposes == ["certificate"]  # the issue only: nothing was opened


def test_living_unknown_and_bad_input_are_refused_by_name(rt: Runtime, client: TestClient) -> None:
    registrar = bearer(rt, "registrar", Role.REGISTRAR)
    living = factories.add_person(rt)
    factories.add_custody(rt, living)
    refused = client.post(f"/api/v1/persons/{living.id}/death-notice", headers=registrar)
    assert refused.status_code == 409
    assert "deceased" in refused.json()["detail"]
    unknown = client.post(f"/api/v1/persons/{UNKNOWN}/death-notice", headers=registrar)
    assert unknown.status_code == 404
    assert (
        client.get(f"/api/v1/death-documents/{UNKNOWN}.pdf", headers=registrar).status_code == 404
    )
    person, _ = deceased(rt)
    doc_id = client.post(f"/api/v1/persons/{person.id}/death-notice", headers=registrar).json()[
        "id"
    ]
    bad = client.get(f"/api/v1/death-documents/{doc_id}.pdf?language=de", headers=registrar)
    assert bad.status_code == 422
    assert "language" in bad.text
    for body, field in (
        ({"recipient": "cta", "language": "fr"}, "language"),
        ({"recipient": "counterpart"}, "recipient"),
        ({"recipient": "nobody"}, "recipient"),
    ):
        got = client.post(f"/api/v1/death-documents/{doc_id}/send", json=body, headers=registrar)
        assert got.status_code == 422, body
        assert field in got.text
    with rt.transaction() as s:
        keys = rt.audit_keys()
        assert audit_service.verify(s, keys[0], keys[1:]).ok


# --- the panel of the person page ---------------------------------------------------------


def browser(rt: Runtime, name: str, role: Role) -> dict[str, str]:
    account, _secret = factories.add_account(rt, name, role, enrolled=True)
    return factories.session_headers(factories.add_session(rt, account))


def test_the_panel_issues_prints_and_sends_a_notice(rt: Runtime, client: TestClient) -> None:
    person, custody = deceased(rt)
    registrar = browser(rt, "ui-registrar", Role.REGISTRAR)
    page = client.get(f"/people/{person.id}", headers=registrar)
    assert page.status_code == 200
    assert 'id="death-documents"' in page.text
    assert 'id="death-notice-issue"' in page.text
    assert 'id="death-certificate-issue"' not in page.text
    issued = client.post(
        f"/people/{person.id}/death-notice", headers=registrar, follow_redirects=False
    )
    assert issued.status_code == 303
    assert issued.headers["location"] == f"/people/{person.id}#death-documents"
    with rt.transaction() as s:
        [doc_id] = s.scalars(select(DeathDocument.id).where(DeathDocument.person_id == person.id))
    page = client.get(f"/people/{person.id}", headers=registrar)
    assert f'action="/death-documents/{doc_id}/send"' in page.text
    printed = client.post(
        f"/death-documents/{doc_id}/print", data={"language": "ru"}, headers=registrar
    )
    assert printed.status_code == 200
    assert "PLANTED" not in text_of(printed.content)
    assert CAUSE not in page.text
    sent = client.post(
        f"/death-documents/{doc_id}/send",
        data={"recipient": "family", "language": "en"},
        headers=registrar,
        follow_redirects=False,
    )
    assert sent.status_code == 303
    with rt.transaction() as s:
        standing = engine.standings(s, today=clock.today(), custody_id=custody.id)
        assert standing[0].states["death_notification"].value == "met"
    refused = client.post(
        f"/death-documents/{doc_id}/send", data={"recipient": "nobody", "language": "en"},
        headers=registrar,
    )  # fmt: skip
    assert refused.status_code == 422


def test_the_panel_shows_only_for_the_deceased_and_each_role_its_kind(
    rt: Runtime, client: TestClient
) -> None:
    living = factories.add_person(rt)
    factories.add_custody(rt, living)
    person, _ = deceased(rt)
    medical = browser(rt, "ui-medical", Role.MEDICAL)
    assert 'id="death-documents"' not in client.get(f"/people/{living.id}", headers=medical).text
    page = client.get(f"/people/{person.id}", headers=medical).text
    assert 'id="death-certificate-issue"' in page
    assert 'id="death-notice-issue"' not in page
    issued = client.post(
        f"/people/{person.id}/death-certificate", headers=medical, follow_redirects=False
    )
    assert issued.status_code == 303
    page = client.get(f"/people/{person.id}", headers=medical).text
    assert CAUSE not in page  # printed, never shown
    assert "/send" not in page
    assert client.post(f"/people/{living.id}/death-certificate", headers=medical).status_code == 409
    assert client.post(f"/people/{person.id}/death-notice", headers=medical).status_code == 403

"""Treatment through the HTTP API, on SQLite and PostgreSQL: events recorded in the caller's
role, listed without their notes, corrected; refusals that name the field; the duties of a
custody, the counts per place, the overdue CSV; and the purpose-bound reveal of notes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from safeconduct.accounts.policy import ROLE_PERMISSIONS, Permission, Role
from safeconduct.audit.models import AuditEntry
from safeconduct.custody.models import CustodyEventKind
from safeconduct.disclosure.policy import MEDICAL_KINDS, may_open_notes
from safeconduct.runtime import Runtime
from safeconduct.treatment import policy
from safeconduct.treatment.models import TreatmentKind
from safeconduct.web.app import create_app
from tests.factories import add_token
from tests.treatment.conftest import add_custody, end

Bearer = Callable[[Role], dict[str, str]]
JUNE_1 = date(2027, 6, 1)  # the clock stands at 30 June 2027 (tests/treatment/conftest.py)
SECRET = "PLANTED-fracture-of-the-left-arm"
PURPOSE = {"purpose": "data_correction", "reason": "checking the weight recorded"}
EXAMINATION = {"kind": "medical_examination", "occurred_on": "2027-06-03"}
CERTIFICATE = {
    "kind": "death_certificate",
    "occurred_on": "2027-06-10",
    "cause_known": True,
    "other_person_involved": False,
}


def _mint(rt: Runtime, username: str, role: Role, *, approved: bool = True) -> dict[str, str]:
    """An enrolled account's own API token, its code taken at the clock in force."""
    token, _row = add_token(rt, username, role, approved=approved)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt), base_url="https://testserver")


@pytest.fixture
def bearer(rt: Runtime) -> Bearer:
    made: dict[Role, dict[str, str]] = {}

    def headers(role: Role) -> dict[str, str]:
        if role not in made:
            made[role] = _mint(rt, f"{role.value}-treatment", role)
        return made[role]

    return headers


def _created(answer: Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _fields(answer: Response) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [d["field"] for d in answer.json()["detail"]]


def _post_event(
    client: TestClient, bearer: Bearer, custody_id: str, role: Role, body: dict[str, Any]
) -> Response:
    return client.post(
        f"/api/v1/custodies/{custody_id}/treatment-events", headers=bearer(role), json=body
    )


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.sessions() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(s.scalars(stmt))


# Record, list, correct ------------------------------------------------------------------


def test_an_event_is_recorded_in_the_callers_role_listed_without_notes_and_corrected(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    custody = add_custody(rt, JUNE_1).id
    notes = {"text": SECRET, "weight_kg": 61.5}
    event = _created(
        _post_event(client, bearer, custody, Role.MEDICAL, EXAMINATION | {"notes": notes})
    )
    assert (event["kind"], event["role"], event["custody_id"]) == (
        "medical_examination",
        "medical",
        custody,
    )
    assert "notes" not in event
    assert SECRET not in str(event)
    fixed = _created(
        client.post(
            f"/api/v1/treatment-events/{event['id']}/corrections",
            headers=bearer(Role.MEDICAL),
            json=EXAMINATION | {"occurred_on": "2027-06-04"},
        )
    )
    assert (fixed["supersedes_id"], fixed["occurred_on"]) == (event["id"], "2027-06-04")
    for role in (Role.REGISTRAR, Role.MEDICAL, Role.WELFARE):
        listed = client.get(f"/api/v1/custodies/{custody}/treatment-events", headers=bearer(role))
        assert listed.status_code == 200, listed.text
        assert [e["id"] for e in listed.json()] == [event["id"], fixed["id"]]
        assert all("notes" not in e for e in listed.json())
        assert SECRET not in listed.text
    assert [e.purpose for e in _audit(rt, "treatment:record")] == ["medical_examination"]
    assert [e.purpose for e in _audit(rt, "treatment:correct")] == ["medical_examination"]


@pytest.mark.parametrize(
    ("role", "body", "field"),
    [
        # A role that records some kinds, but not this one: the service's refusal.
        (Role.WELFARE, EXAMINATION, "body.kind"),
        (Role.REGISTRAR, CERTIFICATE, "body.kind"),
        (Role.VERIFIER, {"kind": "complaint", "occurred_on": "2027-06-03"}, "body.kind"),
        # Facts a kind needs or does not carry.
        (Role.WELFARE, {"kind": "visit", "occurred_on": "2027-06-03"}, "body.private_interview"),
        (
            Role.WELFARE,
            {"kind": "mail_offered", "occurred_on": "2027-06-03", "letters": 2},
            "body.cards",
        ),
        (Role.MEDICAL, EXAMINATION | {"seriously_ill": True}, "body.seriously_ill"),
        (
            Role.WELFARE,
            {"kind": "labour", "occurred_on": "2027-06-03", "hours": 8, "notes": {"weight_kg": 7}},
            "body.notes.weight_kg",
        ),
        # Days: before the custody, in the future, not a day.
        (Role.MEDICAL, EXAMINATION | {"occurred_on": "2027-05-31"}, "body.occurred_on"),
        (Role.MEDICAL, EXAMINATION | {"occurred_on": "2027-07-09"}, "body.occurred_on"),
        (Role.MEDICAL, EXAMINATION | {"occurred_on": "yesterday"}, "body.occurred_on"),
        # The schema's own refusals.
        (Role.MEDICAL, {"kind": "surgery", "occurred_on": "2027-06-03"}, "body.kind"),
        (Role.MEDICAL, {"occurred_on": "2027-06-03"}, "body.kind"),
        (Role.MEDICAL, EXAMINATION | {"diagnosis": "x"}, "body.diagnosis"),
        (Role.MEDICAL, EXAMINATION | {"notes": {"text": "x" * 2001}}, "body.notes.text"),
        (Role.WELFARE, {"kind": "labour", "occurred_on": "2027-06-03", "hours": 745}, "body.hours"),
    ],
)
def test_a_refusal_is_a_422_naming_the_field_and_writes_nothing(
    rt: Runtime,
    client: TestClient,
    bearer: Bearer,
    role: Role,
    body: dict[str, Any],
    field: str,
) -> None:
    custody = add_custody(rt, JUNE_1).id
    answer = _post_event(client, bearer, custody, role, body)
    assert _fields(answer) == [field]
    assert "x" * 50 not in answer.text  # what was typed does not come back
    listed = client.get(
        f"/api/v1/custodies/{custody}/treatment-events", headers=bearer(Role.WELFARE)
    )
    assert listed.json() == []


def test_a_correction_keeps_the_kind_and_corrects_once(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    custody = add_custody(rt, JUNE_1).id
    card = {"kind": "capture_card", "occurred_on": "2027-06-02"}
    event = _created(_post_event(client, bearer, custody, Role.REGISTRAR, card))
    url = f"/api/v1/treatment-events/{event['id']}/corrections"
    registrar = bearer(Role.REGISTRAR)
    other_kind = {"kind": "cta_notification", "occurred_on": "2027-06-02"}
    assert _fields(client.post(url, headers=registrar, json=other_kind)) == ["body.kind"]
    # The corrector records in its own role too.
    assert _fields(client.post(url, headers=bearer(Role.WELFARE), json=card)) == ["body.kind"]
    _created(client.post(url, headers=registrar, json=card | {"occurred_on": "2027-06-03"}))
    again = client.post(url, headers=registrar, json=card)
    assert _fields(again) == ["body.supersedes_id"]
    unknown = client.post(
        "/api/v1/treatment-events/00000000-0000-0000-0000-000000000000/corrections",
        headers=registrar,
        json=card,
    )
    assert unknown.status_code == 404


def test_an_unknown_custody_is_a_404(client: TestClient, bearer: Bearer) -> None:
    nobody = "/api/v1/custodies/00000000-0000-0000-0000-000000000000"
    medical = bearer(Role.MEDICAL)
    assert (
        client.post(f"{nobody}/treatment-events", headers=medical, json=EXAMINATION).status_code
        == 404
    )
    assert client.get(f"{nobody}/treatment-events", headers=medical).status_code == 404
    assert client.get(f"{nobody}/duties", headers=medical).status_code == 404


@pytest.mark.parametrize(
    "role", [Role.INTAKE, Role.EXCHANGE, Role.TRACING, Role.AUDITOR, Role.ADMIN]
)
def test_a_role_that_records_no_kind_is_refused_before_anything_is_looked_up(
    rt: Runtime, client: TestClient, bearer: Bearer, role: Role
) -> None:
    custody = add_custody(rt, JUNE_1).id
    for url in (
        f"/api/v1/custodies/{custody}/treatment-events",
        "/api/v1/custodies/00000000-0000-0000-0000-000000000000/treatment-events",
    ):
        answer = client.post(url, headers=bearer(role), json=EXAMINATION)
        assert answer.status_code == 403
    assert _audit(rt, "treatment:record") == []


def test_who_reads_events_duties_and_counts(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    custody = add_custody(rt, JUNE_1).id
    personal = [
        f"/api/v1/custodies/{custody}/treatment-events",
        f"/api/v1/custodies/{custody}/duties",
    ]
    counts = ["/api/v1/duties", "/api/v1/duties/overdue.csv"]
    readers = {Role.REGISTRAR, Role.MEDICAL, Role.WELFARE}
    for role in Role:
        for url in personal:
            status = client.get(url, headers=bearer(role)).status_code
            assert status == (200 if role in readers else 403), (role, url)
        for url in counts:
            status = client.get(url, headers=bearer(role)).status_code
            assert status == (200 if role in readers | {Role.AUDITOR} else 403), (role, url)


def test_the_permission_to_record_is_held_by_the_roles_that_record_some_kind() -> None:
    recorders = frozenset().union(*policy.RECORDED_BY.values())
    writers = {r for r in Role if Permission.TREATMENT_WRITE in ROLE_PERMISSIONS[r]}
    openers = {r for r in Role if Permission.TREATMENT_NOTES_REVEAL in ROLE_PERMISSIONS[r]}
    assert writers == openers == recorders


def test_medical_notes_open_to_medical_only_and_other_notes_to_their_recorders() -> None:
    for kind in TreatmentKind:
        for role in Role:
            expected = (
                role is Role.MEDICAL if kind in MEDICAL_KINDS else role in policy.RECORDED_BY[kind]
            )
            assert may_open_notes(role, kind.value) == expected, (role, kind)
    # The kinds medical staff record are the medical ones (a cause of death among them).
    assert {k for k, roles in policy.RECORDED_BY.items() if Role.MEDICAL in roles} == MEDICAL_KINDS
    assert not any(may_open_notes(role, "surgery") for role in Role)  # deny by default


# Duties ---------------------------------------------------------------------------------


def test_a_custodys_duties_today_with_their_articles(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    custody = add_custody(rt, JUNE_1).id
    url = f"/api/v1/custodies/{custody}/duties"
    before = client.get(url, headers=bearer(Role.WELFARE))
    assert before.status_code == 200, before.text
    body = before.json()
    assert (body["custody_id"], body["on"]) == (custody, "2027-06-30")
    articles = {d.code: d.article for d in policy.duties()}
    order = list(articles)
    shown = [d["duty"] for d in body["duties"]]
    assert shown == sorted(shown, key=order.index)
    assert all(d["article"] == articles[d["duty"]] for d in body["duties"])
    states = {d["duty"]: d["state"] for d in body["duties"]}
    assert articles["capture_card"] == "70"
    assert states["capture_card"] in ("overdue", "escalated")  # 29 days without one
    card = {"kind": "capture_card", "occurred_on": "2027-06-02"}
    _created(_post_event(client, bearer, custody, Role.REGISTRAR, card))
    after = {
        d["duty"]: d["state"]
        for d in client.get(url, headers=bearer(Role.WELFARE)).json()["duties"]
    }
    assert after["capture_card"] == "met"


def test_counts_per_place_duty_and_state(rt: Runtime, client: TestClient, bearer: Bearer) -> None:
    met, late = add_custody(rt, JUNE_1).id, add_custody(rt, JUNE_1, "SHEVCHENKO").id
    card = {"kind": "capture_card", "occurred_on": "2027-06-02"}
    _created(_post_event(client, bearer, met, Role.REGISTRAR, card))
    answer = client.get("/api/v1/duties", headers=bearer(Role.AUDITOR))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["on"], body["place"]) == ("2027-06-30", None)
    cards = {c["state"]: c["count"] for c in body["counts"] if c["duty"] == "capture_card"}
    assert cards.pop("met") == 1
    assert sum(cards.values()) == 1
    assert {c["place"] for c in body["counts"]} == {"Camp 1"}
    assert all(c["article"] for c in body["counts"])
    assert late not in answer.text  # counts only
    assert met not in answer.text
    # On the day before the custodies began, no one was in custody.
    early = client.get("/api/v1/duties", params={"at": "2027-05-31"}, headers=bearer(Role.AUDITOR))
    assert early.status_code == 200, early.text
    assert early.json()["counts"] == []
    elsewhere = client.get(
        "/api/v1/duties", params={"place": "Camp 9"}, headers=bearer(Role.AUDITOR)
    )
    assert (elsewhere.json()["place"], elsewhere.json()["counts"]) == ("Camp 9", [])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"at": "not-a-day"}, "query.at"),
        ({"at": "1949-08-11"}, "query.at"),
        ({"at": "0001-01-01"}, "query.at"),
        ({"at": "2027-07-09"}, "query.at"),
        ({"place": ""}, "query.place"),
        ({"place": "x" * 201}, "query.place"),
    ],
)
def test_a_bad_query_is_a_422_naming_it(
    client: TestClient, bearer: Bearer, params: dict[str, str], field: str
) -> None:
    for url in ("/api/v1/duties", "/api/v1/duties/overdue.csv"):
        assert _fields(client.get(url, params=params, headers=bearer(Role.REGISTRAR))) == [field]


def test_the_overdue_csv_counts_per_place_and_neutralises_formulas(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    registrar = bearer(Role.REGISTRAR)
    place = '=HYPERLINK("http://example.invalid","camp")'
    person = _created(
        client.post(
            "/api/v1/persons", headers=registrar, json={"surname": "MELNYK", "given_names": "Ivan"}
        )
    )
    _created(
        client.post(
            "/api/v1/custodies",
            headers=registrar,
            json={
                "person_id": person["id"],
                "since": "2027-06-01",
                "place_of_internment": place,
                "circumstances": {"mode": "captured", "place": "a field", "how": "in a raid"},
            },
        )
    )
    add_custody(rt, JUNE_1)  # at Camp 1
    answer = client.get("/api/v1/duties/overdue.csv", headers=bearer(Role.AUDITOR))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert disposition == 'attachment; filename="overdue-duties.csv"'
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["place", "duty", "article", "overdue", "escalated"]
    places = {r[0] for r in rows[1:]}
    assert places == {"Camp 1", "'" + place}
    assert not any(r[0].startswith("=") for r in rows)
    card = next(r for r in rows[1:] if r[0] == "Camp 1" and r[1] == "capture_card")
    assert card[2] == "70"
    assert int(card[3]) + int(card[4]) == 1
    # Of one place: still a fixed file name, the place nowhere in the headers.
    one = client.get(
        "/api/v1/duties/overdue.csv", params={"place": place}, headers=bearer(Role.AUDITOR)
    )
    assert one.headers["content-disposition"] == disposition
    assert {r[0] for r in list(csv.reader(io.StringIO(one.text)))[1:]} == {"'" + place}
    assert "HYPERLINK" not in str(dict(one.headers))


# Opening notes --------------------------------------------------------------------------


def _reveal(
    client: TestClient, headers: dict[str, str], event_id: str, body: object = None
) -> Response:
    return client.post(
        f"/api/v1/treatment-events/{event_id}/notes/reveal",
        headers=headers,
        json=PURPOSE if body is None else body,
    )


def test_medical_opens_an_examinations_notes_for_a_purpose_and_it_is_audited(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    custody = add_custody(rt, JUNE_1)
    notes = {"text": SECRET, "weight_kg": 61.5}
    event = _created(
        _post_event(client, bearer, custody.id, Role.MEDICAL, EXAMINATION | {"notes": notes})
    )
    opened = _reveal(client, bearer(Role.MEDICAL), event["id"])
    assert opened.status_code == 200, opened.text
    assert opened.json() == notes
    [entry] = _audit(rt, "treatment_notes:open")
    assert (entry.subject_type, entry.subject_id) == ("custody", custody.id)
    assert entry.purpose == "data_correction: checking the weight recorded"
    assert entry.actor.startswith("account:")
    assert SECRET not in str(entry.purpose)
    # The person's access log shows the read.
    log = client.get(
        f"/api/v1/persons/{custody.person_id}/access-log", headers=bearer(Role.REGISTRAR)
    )
    assert log.status_code == 200, log.text
    assert [e["action"] for e in log.json()] == ["treatment_notes:open"]
    assert SECRET not in log.text


@pytest.mark.parametrize("role", [Role.WELFARE, Role.REGISTRAR, Role.VERIFIER])
def test_no_one_but_medical_opens_an_examinations_notes(
    rt: Runtime, client: TestClient, bearer: Bearer, role: Role
) -> None:
    custody = add_custody(rt, JUNE_1).id
    event = _created(
        _post_event(
            client, bearer, custody, Role.MEDICAL, EXAMINATION | {"notes": {"text": SECRET}}
        )
    )
    refused = _reveal(client, bearer(role), event["id"])
    assert refused.status_code == 403
    assert SECRET not in refused.text
    assert _audit(rt, "treatment_notes:open") == []


def test_the_cause_of_death_opens_to_medical_only(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    custody = add_custody(rt, JUNE_1).id
    end(rt, custody, date(2027, 6, 9), CustodyEventKind.DEATH)
    certificate = CERTIFICATE | {"notes": {"text": f"cause of death: {SECRET}"}}
    event = _created(_post_event(client, bearer, custody, Role.MEDICAL, certificate))
    for role in (Role.REGISTRAR, Role.WELFARE, Role.VERIFIER):
        refused = _reveal(client, bearer(role), event["id"])
        assert refused.status_code == 403, role
        assert SECRET not in refused.text
    for role in (Role.EXCHANGE, Role.TRACING, Role.AUDITOR, Role.ADMIN, Role.INTAKE):
        assert _reveal(client, bearer(role), event["id"]).status_code == 403, role
    assert _audit(rt, "treatment_notes:open") == []
    opened = _reveal(client, bearer(Role.MEDICAL), event["id"])
    assert opened.status_code == 200, opened.text
    assert SECRET in opened.json()["text"]
    assert len(_audit(rt, "treatment_notes:open")) == 1


def test_other_notes_open_to_the_roles_that_record_their_kind(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    custody = add_custody(rt, JUNE_1).id
    visit = {"kind": "visit", "occurred_on": "2027-06-05", "private_interview": True}
    event = _created(
        _post_event(client, bearer, custody, Role.VERIFIER, visit | {"notes": {"text": SECRET}})
    )
    for role in (Role.VERIFIER, Role.WELFARE):
        opened = _reveal(client, bearer(role), event["id"])
        assert opened.status_code == 200, (role, opened.text)
        assert opened.json() == {"text": SECRET, "weight_kg": None}
    for role in (Role.MEDICAL, Role.REGISTRAR):
        assert _reveal(client, bearer(role), event["id"]).status_code == 403, role
    assert len(_audit(rt, "treatment_notes:open")) == 2


def test_a_reveal_needs_a_purpose_a_reason_an_event_and_notes(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    custody = add_custody(rt, JUNE_1).id
    medical = bearer(Role.MEDICAL)
    event = _created(
        _post_event(
            client, bearer, custody, Role.MEDICAL, EXAMINATION | {"notes": {"text": SECRET}}
        )
    )
    assert _fields(_reveal(client, medical, event["id"], {"reason": "checking it"})) == [
        "body.purpose"
    ]
    no_reason = {"purpose": "data_correction", "reason": " "}
    assert _fields(_reveal(client, medical, event["id"], no_reason)) == ["body.reason"]
    bare = _created(_post_event(client, bearer, custody, Role.MEDICAL, EXAMINATION))
    assert _reveal(client, medical, bare["id"]).status_code == 404
    assert _reveal(client, medical, "00000000-0000-0000-0000-000000000000").status_code == 404
    assert _audit(rt, "treatment_notes:open") == []


def test_an_account_not_approved_opens_nothing(
    rt: Runtime, client: TestClient, bearer: Bearer
) -> None:
    custody = add_custody(rt, JUNE_1).id
    event = _created(
        _post_event(
            client, bearer, custody, Role.MEDICAL, EXAMINATION | {"notes": {"text": SECRET}}
        )
    )
    waiting = _mint(rt, "medical-waiting", Role.MEDICAL, approved=False)
    refused = _reveal(client, waiting, event["id"])
    assert refused.status_code == 403
    assert SECRET not in refused.text
    # It still records and reads: only the sealed read waits for the auditor.
    assert (
        client.get(f"/api/v1/custodies/{custody}/treatment-events", headers=waiting).status_code
        == 200
    )
    assert _audit(rt, "treatment_notes:open") == []

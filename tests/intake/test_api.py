"""The intake queue in the API: requests by phone or in person, references, reasons that are
required and named when missing, sealed notes, assignment, and a history without texts."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.runtime import Runtime
from tests.web import conftest as web

# The web tests' fixtures, shared rather than copied.
client, bearer = web.client, web.bearer

Bearer = Callable[[Role], dict[str, str]]
NOTE, REASON = "PLANTED-NOTE-6T", "PLANTED-REASON-4H"
FOLLOW_UP = {"purpose": "intake_follow_up", "reason": "call back the applicant"}


def _new(client: TestClient, headers: dict[str, str], channel: str = "in_person") -> str:
    made = client.post(
        "/api/v1/requests",
        headers=headers,
        json={"channel": channel, "contact": "brought in by patrol 3", "content": "surrenders"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _fields(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [d["field"] for d in answer.json()["detail"]]


def _account_id(rt: Runtime, username: str) -> str:
    with rt.sessions() as s:
        account = accounts.get_by_username(s, username=username)
        assert account is not None
        return account.id


def test_a_walk_in_request_gets_a_reference_it_can_be_found_by(
    client: TestClient, bearer: Bearer
) -> None:
    intake = bearer(Role.INTAKE)
    request_id = _new(client, intake)
    read = client.get(f"/api/v1/requests/{request_id}", headers=intake).json()
    assert read["channel"] == "in_person"
    assert read["assigned_to"] is None
    reference = read["reference"]
    typed = reference.lower().replace("-", " ")
    found = client.get("/api/v1/requests", headers=intake, params={"reference": typed}).json()
    assert [r["id"] for r in found["items"]] == [request_id]
    nothing = client.get("/api/v1/requests", headers=intake, params={"reference": "KOVALENKO"})
    assert nothing.json()["items"] == []


def test_rejecting_needs_a_reason_named_when_missing(client: TestClient, bearer: Bearer) -> None:
    intake = bearer(Role.INTAKE)
    request_id = _new(client, intake)
    url = f"/api/v1/requests/{request_id}/status"
    for body in ({"status": "rejected"}, {"status": "rejected", "reason": " \u200b "}):
        assert _fields(client.post(url, headers=intake, json=body)) == ["body.reason"]
    too_long = {"status": "withdrawn", "reason": "x" * 2001}
    assert _fields(client.post(url, headers=intake, json=too_long)) == ["body.reason"]
    assert client.get(f"/api/v1/requests/{request_id}", headers=intake).json()["status"] == (
        "received"
    )
    moved = client.post(url, headers=intake, json={"status": "rejected", "reason": REASON})
    assert moved.status_code == 200
    assert moved.json()["status"] == "rejected"
    assert REASON not in moved.text


def test_notes_and_reasons_open_only_with_the_reveal_logged_once(
    client: TestClient, bearer: Bearer, rt: Runtime
) -> None:
    intake = bearer(Role.INTAKE)
    request_id = _new(client, intake, channel="phone")
    base = f"/api/v1/requests/{request_id}"
    for text in (NOTE, NOTE + "-2"):
        added = client.post(f"{base}/notes", headers=intake, json={"text": text})
        assert added.status_code == 201, added.text
        assert added.json()["kind"] == "note"
        assert added.json()["has_text"] is True
        assert NOTE not in added.text
    assert _fields(client.post(f"{base}/notes", headers=intake, json={"text": "  "})) == [
        "body.text"
    ]
    client.post(f"{base}/status", headers=intake, json={"status": "withdrawn", "reason": REASON})
    history = client.get(f"{base}/history", headers=intake)
    assert history.status_code == 200
    assert [(e["number"], e["kind"], e["status"]) for e in history.json()] == [
        (1, "status", "received"),
        (2, "note", None),
        (3, "note", None),
        (4, "status", "withdrawn"),
    ]
    assert NOTE not in history.text
    assert REASON not in history.text

    opened = client.post(f"{base}/reveal", headers=intake, json=FOLLOW_UP)
    assert opened.status_code == 200, opened.text
    notes = opened.json()["notes"]
    assert [(n["number"], n["kind"], n["status"], n["text"]) for n in notes] == [
        (2, "note", None, NOTE),
        (3, "note", None, NOTE + "-2"),
        (4, "status", "withdrawn", REASON),
    ]
    with rt.sessions() as s:
        logged = list(s.scalars(select(AuditEntry).where(AuditEntry.subject_id == request_id)))
    actions = [e.action for e in logged]
    assert actions.count("request_notes:open") == 1
    assert actions.count("request:note") == 2
    assert not [e for e in logged if NOTE in (e.purpose or "") or REASON in (e.purpose or "")]


def test_assignment_takes_only_an_enabled_intake_account(
    client: TestClient, bearer: Bearer, rt: Runtime
) -> None:
    intake = bearer(Role.INTAKE)
    bearer(Role.REGISTRAR)  # makes the account "registrar-bearer"
    request_id = _new(client, intake)
    url = f"/api/v1/requests/{request_id}/assignment"
    officer = _account_id(rt, "intake-bearer")
    other = _account_id(rt, "registrar-bearer")
    for wrong in (other, "no-such-account"):
        assert _fields(client.post(url, headers=intake, json={"account_id": wrong})) == [
            "body.account_id"
        ]
    assigned = client.post(url, headers=intake, json={"account_id": officer})
    assert assigned.json()["assigned_to"] == officer
    mine = client.get("/api/v1/requests", headers=intake, params={"assigned_to": officer})
    assert [r["id"] for r in mine.json()["items"]] == [request_id]
    cleared = client.post(url, headers=intake, json={"account_id": None})
    assert cleared.json()["assigned_to"] is None
    history = client.get(f"/api/v1/requests/{request_id}/history", headers=intake).json()
    assert [(e["kind"], e["assignee"]) for e in history[1:]] == [
        ("assign", officer),
        ("assign", None),
    ]


def test_other_roles_cannot_note_assign_or_read_the_history(
    client: TestClient, bearer: Bearer
) -> None:
    request_id = _new(client, bearer(Role.INTAKE))
    base = f"/api/v1/requests/{request_id}"
    for role in (r for r in Role if r is not Role.INTAKE):
        headers = bearer(role)
        answers = [
            client.post(f"{base}/notes", headers=headers, json={"text": NOTE}),
            client.post(f"{base}/assignment", headers=headers, json={"account_id": None}),
            client.get(f"{base}/history", headers=headers),
        ]
        assert [a.status_code for a in answers] == [403, 403, 403], role


def test_notes_and_assignment_end_when_a_request_is_accepted(
    client: TestClient, bearer: Bearer, rt: Runtime
) -> None:
    # A note's day is plain: after acceptance it could date the crossing, and so pair the
    # request with the custody that begins that day.
    intake = bearer(Role.INTAKE)
    request_id = _new(client, intake)
    base = f"/api/v1/requests/{request_id}"
    assert client.post(f"{base}/notes", headers=intake, json={"text": NOTE}).status_code == 201
    for status in ("in_review", "accepted"):
        moved = client.post(f"{base}/status", headers=intake, json={"status": status})
        assert moved.status_code == 200
    late = client.post(f"{base}/notes", headers=intake, json={"text": NOTE})
    assert late.status_code == 409
    assert NOTE not in late.text
    me = {"account_id": _account_id(rt, "intake-bearer")}
    assert client.post(f"{base}/assignment", headers=intake, json=me).status_code == 409
    kinds = [e["kind"] for e in client.get(f"{base}/history", headers=intake).json()]
    assert kinds == ["status", "note", "status", "status"]

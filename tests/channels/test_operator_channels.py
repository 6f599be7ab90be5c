"""The operator side of the channels, through the API and the UI: replies to the applicant,
a codename and receipt read out to a caller (once), the suspected-probe flag with a reason,
and "same contact as R-XXXX" from the blind index, never the contact."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.channels import service as channels
from safeconduct.channels.models import Ticket
from safeconduct.channels.policy import check_fields
from safeconduct.intake.models import Channel
from safeconduct.runtime import Runtime
from safeconduct.security.statements import check_statement
from tests.web import conftest as web
from tests.web.ui import conftest as ui
from tests.web.ui.conftest import csrf_of

# The web tests' fixtures, shared rather than copied.
client, bearer, ui_login = web.client, web.bearer, ui.ui_login
Bearer = Callable[[Role], dict[str, str]]
UiLogin = Callable[[Role], TestClient]

CONTACT = "+380 67 PLANTED 4411"
REPLY = "PLANTED-REPLY-Q7: call the line on Friday"
PROBE = "PLANTED-PROBE-REASON-Z2: asks for the patrol schedule"
FOLLOW_UP = {"purpose": "intake_follow_up", "reason": "read the reply back"}


def _submitted(rt: Runtime, contact: str = CONTACT) -> channels.Issued:
    """A request through the public face's path: submitted, then taken in."""
    assert rt.channels is not None
    fields = check_fields(contact, "by the bridge", "ru", "PLANTED-CONTENT-K9")
    with rt.transaction() as s:
        issued = channels.submit(
            s, keys=rt.channels, audit=rt.audit, channel=Channel.WEB_FORM, fields=fields
        )
    with rt.transaction() as s:
        channels.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)
    return issued


def _by_phone(client: TestClient, headers: dict[str, str], contact: str = CONTACT) -> str:
    made = client.post(
        "/api/v1/requests",
        headers=headers,
        json={"channel": "phone", "contact": contact, "content": "wants to cross"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _replies(rt: Runtime, codename: str) -> list[str]:
    assert rt.channels is not None
    with rt.sessions() as s:
        ticket = channels.find_ticket(s, keys=rt.channels, typed=codename)
        assert ticket is not None
        return [r.text for r in channels.read_replies(s, ticket=ticket, typed=codename)]


def _entries(rt: Runtime, action: AuditAction) -> list[AuditEntry]:
    with rt.sessions() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == action.value)
        return list(s.scalars(stmt.order_by(AuditEntry.seq)))


def _dump(rt: Runtime) -> str:
    """Every row of every table, as text: what a copy of the store would give away."""
    with rt.sessions() as s:
        tables = [t.name for t in AuditEntry.metadata.sorted_tables]
        rows = [str(r) for t in tables for r in s.execute(text(f'SELECT * FROM "{t}"'))]
    return "\n".join(rows)


def _reference(listed: list[dict[str, object]], request_id: str) -> str:
    return next(str(r["reference"]) for r in listed if r["id"] == request_id)


def test_an_officer_replies_and_the_applicant_reads_it_with_the_codename(
    client: TestClient, bearer: Bearer, rt: Runtime
) -> None:
    intake = bearer(Role.INTAKE)
    issued = _submitted(rt)
    url = f"/api/v1/requests/{issued.ticket_id}/replies"
    for empty in ({"text": " \u200b "}, {}):
        refused = client.post(url, headers=intake, json=empty)
        assert refused.status_code == 422
        assert [d["field"] for d in refused.json()["detail"]] == ["body.text"]
    sent = client.post(url, headers=intake, json={"text": REPLY})
    assert sent.status_code == 201, sent.text
    assert sent.json()["kind"] == "reply"
    assert sent.json()["has_text"]
    assert REPLY not in sent.text
    assert _replies(rt, issued.codename) == [REPLY]
    assert [e.subject_id for e in _entries(rt, AuditAction.REQUEST_REPLY)] == [issued.ticket_id]

    history = client.get(f"/api/v1/requests/{issued.ticket_id}/history", headers=intake)
    assert [e["kind"] for e in history.json()] == ["status", "reply"]
    assert REPLY not in history.text
    # The reply's text opens with the notes, through the purpose-bound reveal.
    opened = client.post(
        f"/api/v1/requests/{issued.ticket_id}/reveal", headers=intake, json=FOLLOW_UP
    )
    assert opened.status_code == 200, opened.text
    assert [(n["kind"], n["text"]) for n in opened.json()["notes"]] == [("reply", REPLY)]


def test_no_reply_without_a_codename_nor_after_review(
    client: TestClient, bearer: Bearer, rt: Runtime
) -> None:
    intake = bearer(Role.INTAKE)
    request_id = _by_phone(client, intake)
    url = f"/api/v1/requests/{request_id}/replies"
    refused = client.post(url, headers=intake, json={"text": REPLY})
    assert refused.status_code == 409
    assert "codename" in refused.json()["detail"]

    issued = _submitted(rt, contact="+380 99 000 1111")
    status = f"/api/v1/requests/{issued.ticket_id}/status"
    for step in ("in_review", "accepted"):
        assert client.post(status, headers=intake, json={"status": step}).status_code == 200
    late = client.post(
        f"/api/v1/requests/{issued.ticket_id}/replies", headers=intake, json={"text": REPLY}
    )
    assert late.status_code == 409
    assert _replies(rt, issued.codename) == []
    assert _entries(rt, AuditAction.REQUEST_REPLY) == []


def test_a_caller_gets_a_codename_and_a_signed_receipt_once(
    client: TestClient, bearer: Bearer, rt: Runtime
) -> None:
    intake = bearer(Role.INTAKE)
    request_id = _by_phone(client, intake)
    read = client.get(f"/api/v1/requests/{request_id}", headers=intake).json()
    assert read["has_codename"] is False

    url = f"/api/v1/requests/{request_id}/codename"
    first = client.post(url, headers=intake)
    assert first.status_code == 201, first.text
    issued = first.json()
    assert issued["reference"] == read["reference"]
    assert first.headers["cache-control"] == "no-store"
    assert rt.channels is not None
    check = check_statement(issued["receipt"], rt.channels.published)
    assert check.ok
    assert check.body is not None
    assert f"reference: {read['reference']}" in check.body
    assert "channel: phone" in check.body
    assert issued["codename"] not in issued["receipt"]
    again = client.post(url, headers=intake)
    assert again.status_code == 409
    assert issued["codename"] not in again.text

    # The codename reads the replies written after it, and is never kept nor shown again.
    replied = client.post(
        f"/api/v1/requests/{request_id}/replies", headers=intake, json={"text": REPLY}
    )
    assert replied.status_code == 201
    assert _replies(rt, issued["codename"]) == [REPLY]
    assert client.get(f"/api/v1/requests/{request_id}", headers=intake).json()["has_codename"]
    [logged] = _entries(rt, AuditAction.REQUEST_CODENAME)
    assert (logged.subject_id, logged.purpose) == (request_id, None)
    assert logged.actor.startswith("account:")
    stored = _dump(rt)
    assert issued["codename"] not in stored
    assert issued["codename"].split()[0] not in stored.split()


def test_no_codename_once_the_request_has_left_review(client: TestClient, bearer: Bearer) -> None:
    intake = bearer(Role.INTAKE)
    request_id = _by_phone(client, intake)
    moved = client.post(
        f"/api/v1/requests/{request_id}/status",
        headers=intake,
        json={"status": "rejected", "reason": "not one of ours"},
    )
    assert moved.status_code == 200
    refused = client.post(f"/api/v1/requests/{request_id}/codename", headers=intake)
    assert refused.status_code == 409
    assert "leaves review" in refused.json()["detail"]


def test_a_suspected_probe_is_flagged_and_cleared_with_a_sealed_reason(
    client: TestClient, bearer: Bearer, rt: Runtime
) -> None:
    intake = bearer(Role.INTAKE)
    request_id = _by_phone(client, intake)
    url = f"/api/v1/requests/{request_id}/probe"
    for body in ({"suspected": True, "reason": "  "}, {"suspected": True, "reason": "x" * 2001}):
        refused = client.post(url, headers=intake, json=body)
        assert refused.status_code == 422
        assert [d["field"] for d in refused.json()["detail"]] == ["body.reason"]
    assert not client.get(f"/api/v1/requests/{request_id}", headers=intake).json()[
        "suspected_probe"
    ]

    flagged = client.post(url, headers=intake, json={"suspected": True, "reason": PROBE})
    assert flagged.status_code == 200, flagged.text
    assert flagged.json()["suspected_probe"] is True
    assert PROBE not in flagged.text
    twice = client.post(url, headers=intake, json={"suspected": True, "reason": PROBE})
    assert twice.status_code == 409
    cleared = client.post(url, headers=intake, json={"suspected": False, "reason": "a neighbour"})
    assert cleared.status_code == 200
    assert cleared.json()["suspected_probe"] is False

    history = client.get(f"/api/v1/requests/{request_id}/history", headers=intake).json()
    assert [e["kind"] for e in history] == ["status", "probe", "probe_cleared"]
    assert all(e["has_text"] for e in history[1:])
    logged = _entries(rt, AuditAction.REQUEST_PROBE)
    assert [(e.subject_id, e.purpose) for e in logged] == [
        (request_id, "flagged"),
        (request_id, "cleared"),
    ]
    assert PROBE not in _dump(rt)
    opened = client.post(f"/api/v1/requests/{request_id}/reveal", headers=intake, json=FOLLOW_UP)
    assert [(n["kind"], n["text"]) for n in opened.json()["notes"]] == [
        ("probe", PROBE),
        ("probe_cleared", "a neighbour"),
    ]

    client.post(
        f"/api/v1/requests/{request_id}/status",
        headers=intake,
        json={"status": "withdrawn", "reason": "hung up"},
    )
    late = client.post(url, headers=intake, json={"suspected": True, "reason": PROBE})
    assert late.status_code == 409


def test_same_contact_links_requests_by_reference_only(
    client: TestClient, bearer: Bearer, rt: Runtime
) -> None:
    intake = bearer(Role.INTAKE)
    issued = _submitted(rt, contact="+380 (67) 123-45-67")
    # The same number, written another way, by phone.
    by_phone = _by_phone(client, intake, contact="+380671234567")
    other = _by_phone(client, intake, contact="@someone_else")
    read = client.get(f"/api/v1/requests/{by_phone}", headers=intake).json()
    assert read["same_contact"] == [issued.reference]
    first = client.get(f"/api/v1/requests/{issued.ticket_id}", headers=intake).json()
    assert first["same_contact"] == [read["reference"]]
    assert client.get(f"/api/v1/requests/{other}", headers=intake).json()["same_contact"] == []

    listed = client.get("/api/v1/requests", headers=intake).json()["items"]
    linked = {r["reference"]: r["same_contact"] for r in listed}
    assert linked == {
        issued.reference: [read["reference"]],
        read["reference"]: [issued.reference],
        _reference(listed, other): [],
    }
    # Never the contact, nor its blind index.
    with rt.sessions() as s:
        ticket = s.get(Ticket, issued.ticket_id)
        assert ticket is not None
        index = s.scalar(text("SELECT contact_index FROM surrender_requests WHERE id = :i"),
                         {"i": by_phone})  # fmt: skip
    assert index is not None
    for answer in (str(listed), str(read)):
        assert index not in answer
        assert "1234567" not in answer


# The UI ------------------------------------------------------------------------------


@pytest.fixture
def officer(ui_login: UiLogin) -> TestClient:
    return ui_login(Role.INTAKE)


def _post(client: TestClient, path: str, page: str, **form: str) -> tuple[int, str, str]:
    """Post a form with the CSRF token of `page`; return status, html, Location."""
    token = csrf_of(client.get(page).text)
    answer = client.post(path, data={"csrf_token": token, **form}, follow_redirects=False)
    return answer.status_code, answer.text, answer.headers.get("location", "")


def test_the_officer_issues_a_codename_on_the_request_page_once(
    officer: TestClient, rt: Runtime
) -> None:
    status, _html, location = _post(
        officer, "/requests", "/requests/new", channel="phone", contact=CONTACT, content="hello"
    )
    assert status == 303
    page = location
    assert "Issue codename and receipt" in officer.get(page).text
    status, html, location = _post(officer, f"{page}/codename", page)
    assert (status, location) == (200, "")
    codename = html.split('id="issued-codename">', 1)[1].split("<", 1)[0]
    assert len(codename.split()) == 7
    assert "Safe Conduct receipt" in html
    assert _replies(rt, codename) == []
    after = officer.get(page).text
    assert codename not in after
    assert "Issue codename and receipt" not in after
    status, html, _ = _post(officer, f"{page}/codename", page)
    assert status == 409
    assert codename not in html
    assert 'id="codename-refused"' in html

    status, _html, location = _post(officer, f"{page}/replies", page, text=REPLY)
    assert status == 303
    assert location.endswith("#history-heading")
    assert _replies(rt, codename) == [REPLY]
    shown = officer.get(page).text
    assert "Reply sent to the applicant" in shown
    assert REPLY not in shown


def test_the_officer_flags_a_probe_after_a_confirmation(officer: TestClient, rt: Runtime) -> None:
    issued = _submitted(rt)
    page = f"/requests/{issued.ticket_id}"
    status, html, _ = _post(officer, f"{page}/probe", page, suspected="yes", reason=" ")
    assert status == 422
    assert 'id="probe-error"' in html
    status, html, _ = _post(officer, f"{page}/probe", page, suspected="yes", reason=PROBE)
    assert status == 200
    assert 'name="confirm" value="yes"' in html
    assert f"Flag request {issued.reference} as a suspected probe?" in html
    assert not _entries(rt, AuditAction.REQUEST_PROBE)
    status, _html, location = _post(
        officer, f"{page}/probe", page, suspected="yes", reason=PROBE, confirm="yes"
    )
    assert (status, location) == (303, page)
    shown = officer.get(page).text
    assert 'id="probe-flag"' in shown
    assert "Flagged as a suspected probe" in shown
    assert PROBE not in shown
    assert "Suspected probe" in officer.get("/requests").text
    status, html, _ = _post(
        officer, f"{page}/probe", page, suspected="yes", reason=PROBE, confirm="yes"
    )
    assert status == 409
    assert 'id="probe-refused"' in html


def test_the_queue_and_the_page_say_same_contact(officer: TestClient, rt: Runtime) -> None:
    issued = _submitted(rt, contact="Telegram: @River_Crossing")
    _post(officer, "/requests", "/requests/new", channel="phone",
          contact="telegram @river_crossing", content="again")  # fmt: skip
    queue = officer.get("/requests").text
    assert f'Same contact as <a href="/requests?ref={issued.reference}"' in queue
    assert "river" not in queue.lower()
    page = officer.get(f"/requests/{issued.ticket_id}").text
    assert 'id="same-contact"' in page
    assert "river" not in page.lower()

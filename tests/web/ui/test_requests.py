"""The intake queue in the UI: filter and page, move along the workflow, purpose-bound reveal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.runtime import Runtime
from safeconduct.web.ui.routes_requests import PAGE_SIZE
from tests.factories import ACTOR, add_request
from tests.web.ui.conftest import csrf_of
from tests.web.ui.test_pages import InlineCode

UiLogin = Callable[[Role], TestClient]
S = RequestStatus
CONTACT, CONTENT = "SEALED-CONTACT-4R", "SEALED-CONTENT-8W"
REASON = "call back to arrange the meeting point"
# The way to each status from `received`, along the workflow.
PATHS: dict[S, tuple[S, ...]] = {
    S.RECEIVED: (),
    S.IN_REVIEW: (S.IN_REVIEW,),
    S.ACCEPTED: (S.IN_REVIEW, S.ACCEPTED),
    S.CLOSED: (S.IN_REVIEW, S.ACCEPTED, S.CLOSED),
    S.REJECTED: (S.REJECTED,),
    S.WITHDRAWN: (S.WITHDRAWN,),
}


def add_in(rt: Runtime, status: S, **sealed: str) -> str:
    """Add a request and walk it to `status` through the service; return its id."""
    request_id = add_request(rt, **sealed).id
    with rt.transaction() as s:
        found = s.get(SurrenderRequest, request_id)
        assert found is not None
        for step in PATHS[status]:
            intake_service.move(s, audit=rt.audit, actor=ACTOR, request=found, status=step)
    return request_id


def status_of(rt: Runtime, request_id: str) -> str:
    with rt.sessions() as s:
        found = s.get(SurrenderRequest, request_id)
        assert found is not None
        return found.status


def entries(rt: Runtime, action: AuditAction) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action.value)))


def opened_requests(rt: Runtime) -> list[AuditEntry]:
    return entries(rt, AuditAction.REQUEST_CONTACT_OPEN) + entries(
        rt, AuditAction.REQUEST_CONTENT_OPEN
    )


def actor_of(rt: Runtime, username: str) -> str:
    with rt.sessions() as s:
        account = accounts.get_by_username(s, username=username)
        assert account is not None
        return f"account:{account.id}"


def post(client: TestClient, path: str, page: str, htmx: bool = False, **form: str) -> str:
    """Post a form with the CSRF token of `page`; return "<status> <html>"."""
    token = csrf_of(client.get(page).text)
    headers = {"HX-Request": "true"} if htmx else {}
    answer = client.post(
        path, data={"csrf_token": token, **form}, headers=headers, follow_redirects=False
    )
    return f"{answer.status_code} {answer.text}"


@pytest.fixture
def intake(ui_login: UiLogin) -> TestClient:
    return ui_login(Role.INTAKE)


def test_the_queue_shows_open_requests_in_workflow_order(intake: TestClient, rt: Runtime) -> None:
    ids = {status: add_in(rt, status) for status in reversed(list(PATHS))}
    html = intake.get("/requests").text
    shown = [ids[s] for s in (S.RECEIVED, S.IN_REVIEW, S.ACCEPTED)]
    assert [html.index(i) for i in shown] == sorted(html.index(i) for i in shown)
    assert not [ids[s] for s in (S.CLOSED, S.REJECTED, S.WITHDRAWN) if ids[s] in html]
    assert '<option value="open" selected>' in html

    rejected = intake.get("/requests?status=rejected").text
    assert [i for i in ids.values() if i in rejected] == [ids[S.REJECTED]]
    everything = intake.get("/requests?status=all").text
    assert all(i in everything for i in ids.values())


def test_the_open_queue_pages_across_statuses(intake: TestClient, rt: Runtime) -> None:
    made = [add_in(rt, S.RECEIVED) for _ in range(PAGE_SIZE - 2)]
    made += [add_in(rt, S.IN_REVIEW) for _ in range(4)]
    first, second = intake.get("/requests").text, intake.get("/requests?page=2").text
    # Received first, then in review; within a day the order carries no time (ids are
    # random), so only the split across pages is fixed.
    on_first = [i for i in made if i in first]
    on_second = [i for i in made if i in second]
    assert len(on_first) == PAGE_SIZE
    assert sorted(on_first + on_second) == sorted(made)
    assert set(made[: PAGE_SIZE - 2]) <= set(on_first)
    assert "Page 1 of 2" in first
    assert 'href="/requests?status=open&amp;page=2"' in first


def test_a_bad_filter_is_a_400_that_echoes_nothing(intake: TestClient) -> None:
    answer = intake.get("/requests?status=ECHO-ME")
    assert answer.status_code == 400
    assert "ECHO-ME" not in answer.text


def test_the_request_page_offers_only_the_allowed_moves(intake: TestClient, rt: Runtime) -> None:
    html = intake.get(f"/requests/{add_in(rt, S.RECEIVED)}").text
    assert "Web form" in html
    moves = {v for v in S if f'name="status" value="{v.value}"' in html}
    assert moves == {S.IN_REVIEW, S.REJECTED, S.WITHDRAWN}
    finished = intake.get(f"/requests/{add_in(rt, S.CLOSED)}").text
    assert 'name="status"' not in finished
    assert "no further step is possible" in finished
    assert intake.get("/requests/no-such-request").status_code == 404


def test_an_allowed_move_is_made_and_audited(intake: TestClient, rt: Runtime) -> None:
    request_id = add_in(rt, S.RECEIVED)
    page = f"/requests/{request_id}"
    answer = post(intake, f"{page}/status", page, status="in_review")
    assert answer == "303 "
    assert status_of(rt, request_id) == "in_review"
    moved = [e for e in entries(rt, AuditAction.REQUEST_STATUS) if e.subject_id == request_id]
    assert (moved[-1].actor, moved[-1].purpose) == (actor_of(rt, "ui-intake"), "in_review")
    assert 'id="request-status">In review<' in intake.get(page).text


def test_a_refused_move_is_a_friendly_409(intake: TestClient, rt: Runtime) -> None:
    request_id = add_in(rt, S.RECEIVED)
    page = f"/requests/{request_id}"
    answer = post(intake, f"{page}/status", page, status="closed")
    assert answer.startswith("409 ")
    assert "cannot move from “Received” to “Closed”" in answer
    assert status_of(rt, request_id) == "received"
    assert post(intake, f"{page}/status", page, status="ECHO-ME").startswith("400 ")
    assert "ECHO-ME" not in post(intake, f"{page}/status", page, status="ECHO-ME")


def test_a_move_without_the_csrf_token_is_refused(intake: TestClient, rt: Runtime) -> None:
    request_id = add_in(rt, S.RECEIVED)
    answer = intake.post(f"/requests/{request_id}/status", data={"status": "in_review"})
    assert answer.status_code == 403
    assert status_of(rt, request_id) == "received"


@pytest.mark.parametrize(
    ("purpose", "reason"),
    [("", REASON), ("curiosity", REASON), ("intake_follow_up", " ab  "), ("intake_follow_up", "")],
)
def test_a_reveal_needs_a_purpose_and_a_reason(
    intake: TestClient, rt: Runtime, purpose: str, reason: str
) -> None:
    page = f"/requests/{add_in(rt, S.RECEIVED, contact=CONTACT, content=CONTENT)}"
    answer = post(intake, f"{page}/reveal", page, htmx=True, purpose=purpose, reason=reason)
    assert answer.startswith("422 ")
    assert "at least 5 characters" in answer
    assert CONTACT not in answer
    assert CONTENT not in answer
    assert opened_requests(rt) == []


def test_a_reveal_opens_both_in_a_fragment_and_audits_each(intake: TestClient, rt: Runtime) -> None:
    request_id = add_in(rt, S.RECEIVED, contact=CONTACT, content=CONTENT)
    page = f"/requests/{request_id}"
    answer = post(
        intake, f"{page}/reveal", page, htmx=True, purpose="intake_follow_up", reason=REASON
    )
    assert answer.startswith("200 ")
    assert CONTACT in answer
    assert CONTENT in answer
    assert "<html" not in answer  # swapped into the page; never a page with its own address
    parser = InlineCode()
    parser.feed(answer)
    assert parser.found == []
    opened = opened_requests(rt)
    assert sorted(e.action for e in opened) == ["request_contact:open", "request_content:open"]
    assert {(e.actor, e.subject_id, e.purpose) for e in opened} == {
        (actor_of(rt, "ui-intake"), request_id, f"intake_follow_up: {REASON}")
    }
    # The next view of the page shows nothing sealed again.
    assert CONTACT not in intake.get(page).text


def test_no_sealed_value_on_the_queue_or_request_page(intake: TestClient, rt: Runtime) -> None:
    request_id = add_in(rt, S.RECEIVED, contact=CONTACT, content=CONTENT)
    for path in ("/requests", "/requests?status=all", f"/requests/{request_id}"):
        html = intake.get(path).text
        assert request_id in html
        assert CONTACT not in html
        assert CONTENT not in html
        parser = InlineCode()
        parser.feed(html)
        assert parser.found == [], path


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.INTAKE])
def test_other_roles_get_403(ui_login: UiLogin, rt: Runtime, role: Role) -> None:
    request_id = add_in(rt, S.RECEIVED, contact=CONTACT, content=CONTENT)
    client = ui_login(role)
    token = csrf_of(client.get("/").text)
    page = f"/requests/{request_id}"
    answers = [
        client.get(page),
        client.post(f"{page}/status", data={"csrf_token": token, "status": "in_review"}),
        client.post(
            f"{page}/reveal",
            data={"csrf_token": token, "purpose": "intake_follow_up", "reason": REASON},
        ),
    ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert not [a for a in answers if CONTACT in a.text or CONTENT in a.text]
    assert status_of(rt, request_id) == "received"
    assert opened_requests(rt) == []


def test_roles_statuses_and_channels_are_translated(intake: TestClient, rt: Runtime) -> None:
    request_id = add_in(rt, S.IN_REVIEW)
    token = csrf_of(intake.get("/requests").text)
    intake.post("/language", data={"csrf_token": token, "language": "uk", "next": "/requests"})
    html = intake.get(f"/requests/{request_id}").text
    for text in ("Приймання заявок", "На розгляді", "Вебформа", "Прийняти", "Відхилити"):
        assert text in html, text
    for raw in ("(intake)", ">in_review<", ">web_form<"):
        assert raw not in html, raw

"""The intake queue in the UI: filter and page, move along the workflow, purpose-bound reveal."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.intake.policy import needs_reason
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
            intake_service.move(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=ACTOR,
                request=found,
                status=step,
                reason="MOVED-BECAUSE-1" if needs_reason(step) else None,
            )
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


# --- Issue 8: references, requests logged by hand, reasons with a confirmation, notes,
# assignment and the history.

NOTE, WHY = "SEALED-NOTE-3J", "SEALED-REASON-7V"
TODAY = clock.today().isoformat()


def reference_of(rt: Runtime, request_id: str) -> str:
    with rt.sessions() as s:
        found = s.get(SurrenderRequest, request_id)
        assert found is not None
        assert found.reference is not None
        return found.reference


def account_id(rt: Runtime, username: str) -> str:
    return actor_of(rt, username).removeprefix("account:")


def history_rows(html: str) -> list[str]:
    """The history table's rows as text, cells joined by " | "."""
    table = html[html.index('id="history"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]
    return [
        " | ".join(
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)
        )
        for r in rows
    ]


def test_the_queue_shows_references_and_finds_one_typed_loosely(
    intake: TestClient, rt: Runtime
) -> None:
    request_id = add_in(rt, S.REJECTED)
    reference = reference_of(rt, request_id)
    assert reference in intake.get("/requests?status=all").text
    typed = reference.lower().replace("-", " ")
    found = intake.get("/requests", params={"ref": typed})
    assert found.status_code == 200
    assert f'href="/requests/{request_id}"' in found.text  # found though rejected, not open
    assert "Results: 1" in found.text
    wrong = intake.get("/requests", params={"ref": "KOVALENKO"})
    assert "That is not a reference" in wrong.text
    assert "Results: 0" in wrong.text
    missing = intake.get("/requests", params={"ref": "R-0000"})
    assert "No request has this reference." in missing.text or reference == "R-0000"


def test_an_officer_logs_a_phone_or_walk_in_request(intake: TestClient, rt: Runtime) -> None:
    form = intake.get("/requests/new")
    assert form.status_code == 200
    assert '<option value="in_person">In person</option>' in form.text
    assert 'value="web_form"' not in form.text
    token = csrf_of(form.text)
    made = intake.post(
        "/requests",
        data={"csrf_token": token, "channel": "in_person", "contact": CONTACT, "content": CONTENT},
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = made.headers["location"]
    html = intake.get(page).text
    assert "In person" in html
    assert CONTACT not in html
    assert CONTENT not in html
    assert history_rows(html) == [f"{TODAY} | ui-intake | Request received | —"]
    created = entries(rt, AuditAction.REQUEST_CREATE)
    assert created[-1].actor == actor_of(rt, "ui-intake")


@pytest.mark.parametrize(
    ("channel", "contact", "content", "wrong"),
    [
        ("web_form", "+000 5", "typed message", {"channel"}),
        ("phone", "", "typed message", {"contact"}),
        ("phone", "+000 5", "   ", {"content"}),
        ("", "c" * 201, "", {"channel", "contact", "content"}),
    ],
)
def test_a_wrong_request_form_names_the_field_and_keeps_what_was_typed(
    intake: TestClient, rt: Runtime, channel: str, contact: str, content: str, wrong: set[str]
) -> None:
    before = len(entries(rt, AuditAction.REQUEST_CREATE))
    answer = post(
        intake, "/requests", "/requests/new", channel=channel, contact=contact, content=content
    )
    assert answer.startswith("422 ")
    invalid = set(re.findall(r'id="(\w+)"[^>]*aria-invalid="true"', answer))
    assert invalid == wrong
    for field in ("channel", "contact", "content"):
        assert (f'href="#{field}' in answer) == (field in wrong), field
    if contact:
        assert f'value="{contact}"' in answer
    assert len(entries(rt, AuditAction.REQUEST_CREATE)) == before


def test_rejecting_asks_a_reason_then_a_confirmation(intake: TestClient, rt: Runtime) -> None:
    request_id = add_in(rt, S.IN_REVIEW)
    page = f"/requests/{request_id}"
    no_reason = post(intake, f"{page}/status", page, status="rejected", reason=" \u200b ")
    assert no_reason.startswith("422 ")
    assert 'id="move-reason" name="reason"' in no_reason
    assert re.search(r'id="move-reason"[^>]*aria-invalid="true"', no_reason)
    asked = post(intake, f"{page}/status", page, status="rejected", reason=WHY)
    assert asked.startswith("200 ")
    assert f"Reject request {reference_of(rt, request_id)}?" in asked
    assert 'name="confirm" value="yes"' in asked
    assert f'name="reason" value="{WHY}"' in asked  # carried along, hidden
    assert status_of(rt, request_id) == "in_review"
    done = post(intake, f"{page}/status", page, status="rejected", reason=WHY, confirm="yes")
    assert done == "303 "
    assert status_of(rt, request_id) == "rejected"
    html = intake.get(page).text
    assert WHY not in html
    assert history_rows(html)[-1] == f"{TODAY} | ui-intake | Status changed to “Rejected” | Sealed"
    moved = [e for e in entries(rt, AuditAction.REQUEST_STATUS) if e.subject_id == request_id]
    assert moved[-1].purpose == "rejected"


def test_starting_a_review_needs_neither_reason_nor_confirmation(
    intake: TestClient, rt: Runtime
) -> None:
    request_id = add_in(rt, S.RECEIVED)
    page = f"/requests/{request_id}"
    assert post(intake, f"{page}/status", page, status="in_review") == "303 "
    assert history_rows(intake.get(page).text) == [
        f"{TODAY} | Other | Request received | —",  # the factory, neither account nor channel
        f"{TODAY} | ui-intake | Status changed to “In review” | —",
    ]


def test_a_note_is_sealed_in_the_history_and_opens_with_the_reveal(
    intake: TestClient, rt: Runtime
) -> None:
    request_id = add_in(rt, S.IN_REVIEW, contact=CONTACT, content=CONTENT)
    page = f"/requests/{request_id}"
    empty = post(intake, f"{page}/notes", page, text="  \n ")
    assert empty.startswith("422 ")
    assert re.search(r'id="note-text"[^>]*aria-invalid="true"', empty)
    for text in (NOTE, NOTE + "-again"):
        assert post(intake, f"{page}/notes", page, text=text) == "303 "
    html = intake.get(page).text
    assert NOTE not in html
    assert history_rows(html)[-2:] == [f"{TODAY} | ui-intake | Note added | Sealed"] * 2
    withdrawn = post(
        intake, f"{page}/status", page, status="withdrawn", reason="MOVED-BECAUSE-1", confirm="yes"
    )
    assert withdrawn == "303 "
    opened = post(
        intake, f"{page}/reveal", page, htmx=True, purpose="intake_follow_up", reason=REASON
    )
    assert opened.startswith("200 ")
    assert NOTE in opened
    assert NOTE + "-again" in opened
    assert "MOVED-BECAUSE-1" in opened  # the reason it was withdrawn with
    assert "Reason for “Withdrawn”" in opened
    notes_open = entries(rt, AuditAction.REQUEST_NOTES_OPEN)
    assert [(e.subject_id, e.purpose) for e in notes_open] == [
        (request_id, f"intake_follow_up: {REASON}")
    ]
    assert not [e for e in entries(rt, AuditAction.REQUEST_NOTE) if e.purpose]


@pytest.mark.parametrize("status", [S.ACCEPTED, S.REJECTED])
def test_notes_and_assignment_end_when_a_request_leaves_review(
    intake: TestClient, rt: Runtime, status: S
) -> None:
    # Their days are plain: after acceptance one could date the crossing.
    request_id = add_in(rt, status)
    page = f"/requests/{request_id}"
    html = intake.get(page).text
    assert 'id="closed-to-work"' in html
    assert 'id="note-text"' not in html
    assert post(intake, f"{page}/notes", page, text=NOTE).startswith("409 ")
    me = account_id(rt, "ui-intake")
    assert post(intake, f"{page}/assignment", page, account_id=me).startswith("409 ")
    with rt.transaction() as tx:
        kinds = {e.kind for e in intake_service.history(tx, request_id=request_id)}
    assert kinds == {"status"}
    assert not [e for e in entries(rt, AuditAction.REQUEST_NOTE) if e.subject_id == request_id]


def test_an_officer_assigns_a_request_and_filters_their_own(
    intake: TestClient, rt: Runtime
) -> None:
    mine, other = add_in(rt, S.RECEIVED), add_in(rt, S.RECEIVED)
    page = f"/requests/{mine}"
    assert "Assign to me" in intake.get(page).text
    me = account_id(rt, "ui-intake")
    assert post(intake, f"{page}/assignment", page, account_id=me) == "303 "
    html = intake.get(page).text
    assert 'id="request-assignee">ui-intake<' in html
    assert "Assign to me" not in html
    assert history_rows(html)[-1] == f"{TODAY} | ui-intake | Assigned to ui-intake | —"
    queue = intake.get("/requests?assigned=me").text
    assert f"/requests/{mine}" in queue
    assert f"/requests/{other}" not in queue
    unassigned = intake.get("/requests?assigned=none").text
    assert f"/requests/{mine}" not in unassigned
    assert f"/requests/{other}" in unassigned
    refused = post(intake, f"{page}/assignment", page, account_id="no-such-account")
    assert refused.startswith("422 ")
    assert "Choose an intake officer whose account is enabled" in refused
    assert post(intake, f"{page}/assignment", page, account_id="") == "303 "
    assert 'id="request-assignee">Unassigned<' in intake.get(page).text


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.INTAKE])
def test_other_roles_cannot_log_note_or_assign(ui_login: UiLogin, rt: Runtime, role: Role) -> None:
    request_id = add_in(rt, S.RECEIVED)
    client = ui_login(role)
    token = csrf_of(client.get("/").text)
    page = f"/requests/{request_id}"
    answers = [
        client.get("/requests/new"),
        client.post("/requests", data={"csrf_token": token, "channel": "phone"}),
        client.post(f"{page}/notes", data={"csrf_token": token, "text": NOTE}),
        client.post(f"{page}/assignment", data={"csrf_token": token, "account_id": ""}),
    ]
    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    assert entries(rt, AuditAction.REQUEST_NOTE) == []


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_no_page_but_the_reveal_shows_a_note_or_a_reason(
    intake: TestClient, rt: Runtime, text: str
) -> None:
    nonce = f"Z{secrets.token_hex(6)}"
    request_id = add_in(rt, S.IN_REVIEW)
    page = f"/requests/{request_id}"
    post(intake, f"{page}/notes", page, text=nonce + text)
    post(intake, f"{page}/status", page, status="rejected", reason=text + nonce, confirm="yes")
    assert status_of(rt, request_id) == "rejected"
    for path in ("/requests?status=all", page, f"/requests?ref={reference_of(rt, request_id)}"):
        assert nonce not in intake.get(path).text, path


def test_the_confirmation_speaks_the_readers_language(intake: TestClient, rt: Runtime) -> None:
    request_id = add_in(rt, S.RECEIVED)
    page = f"/requests/{request_id}"
    token = csrf_of(intake.get(page).text)
    intake.post("/language", data={"csrf_token": token, "language": "uk", "next": page})
    asked = post(intake, f"{page}/status", page, status="withdrawn", reason=WHY)
    assert asked.startswith("200 ")
    assert "Позначити як відкликану" in asked  # the button, in the reader's language
    assert 'name="confirm" value="yes"' in asked

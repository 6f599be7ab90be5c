"""The auditor's approvals page: an account the admin made opens sealed values only after an
auditor approves it there, in two steps; until then its holder is told why, and the admin
sees it waiting."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import AUDITOR as FACTORY_AUDITOR
from tests.factories import PASSWORD, add_account, add_custody, add_person
from tests.web.conftest import code
from tests.web.ui.conftest import csrf_of

UiLogin = Callable[[Role], TestClient]
PLACE = "SEALED-PLACE-8W"
WAITING = "Your account awaits an auditor's approval"
REVEAL_FORM = "Reveal the circumstances of surrender"


def _log_in(rt: Runtime, username: str, secret: str) -> TestClient:
    client = TestClient(create_app(rt), base_url="https://testserver")
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "code": code(secret)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def _entries(rt: Runtime, action: str) -> list[AuditEntry]:
    """The entries of an action, but for the factory's approvals (set-up, standing for the
    operator's `users approve` of the staff auditors)."""
    with rt.sessions() as s:
        stmt = select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.actor != FACTORY_AUDITOR.name
        )
        return list(s.scalars(stmt))


def test_the_auditor_approves_from_the_ui_and_only_then_the_verifier_reveals(
    rt: Runtime, ui_login: UiLogin
) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person, place=PLACE)
    account, secret = add_account(rt, "ver", Role.VERIFIER, enrolled=True, approved=False)
    verifier = _log_in(rt, "ver", secret)
    page = verifier.get(f"/people/{person.id}")
    assert page.status_code == 200
    assert WAITING in page.text
    assert REVEAL_FORM not in page.text  # no form that would only be refused
    reveal = f"/people/{person.id}/custodies/{custody.id}/reveal"
    form = {
        "csrf_token": csrf_of(page.text),
        "purpose": "protection_assessment",
        "reason": "risk on return review",
    }
    refused = verifier.post(reveal, data=form)
    assert refused.status_code == 403
    assert "Awaiting an auditor's approval" in refused.text
    assert PLACE not in refused.text
    assert _entries(rt, "circumstances:open") == []

    admin = ui_login(Role.ADMIN)
    assert "Awaiting auditor approval" in admin.get("/accounts").text

    auditor = ui_login(Role.AUDITOR)
    assert 'href="/audit/approvals"' in auditor.get("/audit").text
    listed = auditor.get("/audit/approvals")
    assert listed.status_code == 200
    assert "ver" in listed.text
    assert "No account is awaiting approval." not in listed.text
    token = csrf_of(listed.text)
    approve = f"/audit/approvals/{account.id}/approve"
    confirm = auditor.post(approve, data={"csrf_token": token})
    assert confirm.status_code == 200
    assert "Approve ver as Verifier?" in confirm.text
    assert 'name="confirm" value="yes"' in confirm.text
    with rt.sessions() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        assert not fresh.sealed_access_approved  # the first click approves nothing
    done = auditor.post(
        approve, data={"csrf_token": token, "confirm": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/audit/approvals"
    after = auditor.get("/audit/approvals").text
    assert "No account is awaiting approval." in after
    assert "Withdraw approval of ver" in after
    [entry] = _entries(rt, "account:approve")
    assert entry.credential is not None
    assert entry.credential.startswith("session:")

    page = verifier.get(f"/people/{person.id}")
    assert WAITING not in page.text
    assert REVEAL_FORM in page.text
    opened = verifier.post(reveal, data=form)
    assert opened.status_code == 200, opened.text
    assert PLACE in opened.text
    assert "Approved by an auditor" in admin.get("/accounts").text


def test_withdrawing_takes_two_steps_too(rt: Runtime, ui_login: UiLogin) -> None:
    account, _secret = add_account(rt, "intake-1", Role.INTAKE, enrolled=True)
    auditor = ui_login(Role.AUDITOR)
    token = csrf_of(auditor.get("/audit/approvals").text)
    withdraw = f"/audit/approvals/{account.id}/unapprove"
    confirm = auditor.post(withdraw, data={"csrf_token": token})
    assert "Withdraw the approval of intake-1 as Intake?" in confirm.text
    assert _entries(rt, "account:unapprove") == []
    done = auditor.post(
        withdraw, data={"csrf_token": token, "confirm": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303
    assert len(_entries(rt, "account:unapprove")) == 1


def test_an_account_that_cannot_be_approved_is_refused_with_409(
    rt: Runtime, ui_login: UiLogin
) -> None:
    account, _secret = add_account(rt, "reg", Role.REGISTRAR, enrolled=True)
    auditor = ui_login(Role.AUDITOR)
    token = csrf_of(auditor.get("/audit/approvals").text)
    answer = auditor.post(
        f"/audit/approvals/{account.id}/approve", data={"csrf_token": token, "confirm": "yes"}
    )
    assert answer.status_code == 409
    assert "This account cannot be approved now" in answer.text
    assert _entries(rt, "account:approve") == []


def test_the_admin_cannot_open_the_approvals(rt: Runtime, ui_login: UiLogin) -> None:
    account, _secret = add_account(rt, "ver", Role.VERIFIER, enrolled=True, approved=False)
    admin = ui_login(Role.ADMIN)
    token = csrf_of(admin.get("/accounts").text)
    assert admin.get("/audit/approvals").status_code == 403
    answer = admin.post(
        f"/audit/approvals/{account.id}/approve", data={"csrf_token": token, "confirm": "yes"}
    )
    assert answer.status_code == 403
    assert _entries(rt, "account:approve") == []


def test_an_auditor_waits_for_another_auditors_approval_too(rt: Runtime, ui_login: UiLogin) -> None:
    account, secret = add_account(rt, "aud2", Role.AUDITOR, enrolled=True, approved=False)
    newcomer = _log_in(rt, "aud2", secret)
    audit = newcomer.get("/audit")
    assert audit.status_code == 200  # reading the log needs no approval
    assert "Your account awaits another auditor's approval" in audit.text
    assert 'href="/audit/approvals"' not in audit.text
    refused = newcomer.get("/audit/approvals")
    assert refused.status_code == 403
    assert "Your role approves accounts, but another auditor" in refused.text

    admin = ui_login(Role.ADMIN)
    row = next(
        r
        for r in admin.get("/accounts").text.split("<tr>")
        if ">aud2</a></td>" in r or ">aud2</td>" in r
    )
    assert "Awaiting auditor approval" in row

    auditor = ui_login(Role.AUDITOR)
    listed = auditor.get("/audit/approvals")
    assert "Approve aud2" in listed.text
    token = csrf_of(listed.text)
    approve = f"/audit/approvals/{account.id}/approve"
    confirm = auditor.post(approve, data={"csrf_token": token})
    assert "Approve aud2 as Auditor?" in confirm.text
    assert "the account can approve other accounts" in confirm.text
    done = auditor.post(
        approve, data={"csrf_token": token, "confirm": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303

    audit = newcomer.get("/audit")
    assert "awaits another auditor's approval" not in audit.text
    assert 'href="/audit/approvals"' in audit.text
    assert newcomer.get("/audit/approvals").status_code == 200


def test_an_auditor_cannot_approve_itself_from_the_ui(rt: Runtime, ui_login: UiLogin) -> None:
    auditor = ui_login(Role.AUDITOR)
    with rt.sessions() as s:
        own = s.scalars(select(Account).where(Account.username == "ui-auditor")).one()
    token = csrf_of(auditor.get("/audit/approvals").text)
    answer = auditor.post(
        f"/audit/approvals/{own.id}/approve", data={"csrf_token": token, "confirm": "yes"}
    )
    assert answer.status_code == 409
    assert "not be your own" in answer.text
    assert _entries(rt, "account:approve") == []

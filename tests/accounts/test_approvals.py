"""Four eyes on sealed values, through the JSON API: an admin who sets up an account itself
opens nothing with it until an auditor approves it; a new role or second factor undoes the
approval; tokens follow their account; only an auditor approves, and only what can be."""

from __future__ import annotations

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct.accounts import totp
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.config import Settings
from safeconduct.demo.accounts import create_demo_accounts
from safeconduct.runtime import Runtime, open_runtime
from tests.accounts.conftest import ClientAt
from tests.factories import AUDITOR as FACTORY_AUDITOR
from tests.factories import (
    PASSWORD,
    add_account,
    add_custody,
    add_person,
    add_request,
    add_session,
    add_token,
    session_headers,
)

ADMIN_IP, AUDITOR_IP = "192.0.2.10", "192.0.2.20"
PLACE = "SEALED-PLACE-4F"
REASON = {"purpose": "protection_assessment", "reason": "risk on return review"}


def _login(client: TestClient, username: str, secret: str) -> dict[str, str]:
    """Log in with password and current code; return the CSRF header of the session."""
    answer = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": PASSWORD, "code": pyotp.TOTP(secret).now()},
    )
    assert answer.status_code == 200, answer.text
    return {"X-CSRF-Token": answer.json()["csrf_token"]}


def _staff(rt: Runtime, client_at: ClientAt, role: Role) -> tuple[TestClient, dict[str, str]]:
    """A logged-in admin or auditor, each from its own address."""
    _account, secret = add_account(rt, role.value, role, enrolled=True)
    client = client_at(ADMIN_IP if role is Role.ADMIN else AUDITOR_IP)
    return client, _login(client, role.value, secret)


def _entries(rt: Runtime, action: str) -> list[AuditEntry]:
    """The entries of an action, but for the factory's approvals of the staff auditors
    (set-up, standing for the operator's `users approve`)."""
    with rt.sessions() as s:
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.actor != FACTORY_AUDITOR.name)
            .order_by(AuditEntry.seq)
        )
        return list(s.scalars(stmt))


def _reveal(client: TestClient, custody_id: str, headers: dict[str, str]) -> httpx.Response:
    url = f"/api/v1/custodies/{custody_id}/circumstances/reveal"
    return client.post(url, json=REASON, headers=headers)


def _account(rt: Runtime, account_id: str) -> Account:
    with rt.sessions() as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account


def test_an_admin_who_sets_up_a_verifier_itself_opens_nothing_until_an_auditor_approves(
    rt: Runtime, client_at: ClientAt
) -> None:
    custody = add_custody(rt, add_person(rt), place=PLACE)
    admin, admin_csrf = _staff(rt, client_at, Role.ADMIN)
    created = admin.post(
        "/api/v1/accounts", json={"username": "puppet", "role": "verifier"}, headers=admin_csrf
    )
    assert created.status_code == 201, created.text
    puppet_id = created.json()["account"]["id"]
    assert created.json()["account"]["sealed_access_approved"] is False
    # The admin uses the code itself, from its own desk, and enrols the second factor.
    own = client_at(ADMIN_IP)
    joined = own.post(
        "/api/v1/auth/invitation",
        json={"code": created.json()["invitation"]["code"], "password": PASSWORD},
    )
    assert joined.status_code == 200, joined.text
    csrf = {"X-CSRF-Token": joined.json()["csrf_token"]}
    with rt.sessions() as s:
        account = s.get(Account, puppet_id)
        assert account is not None
        secret = totp.secret(s, keyring=rt.keyring, account=account)
    enrolled = own.post(
        "/api/v1/auth/totp/enrol", json={"code": pyotp.TOTP(secret).now()}, headers=csrf
    )
    assert enrolled.status_code == 200, enrolled.text
    assert own.get("/api/v1/persons").status_code == 200  # the role's plain work is open

    refused = _reveal(own, custody.id, csrf)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "awaiting approval"
    assert PLACE not in refused.text
    assert _entries(rt, "circumstances:open") == []
    listed = {a["username"]: a for a in admin.get("/api/v1/accounts").json()}
    assert listed["puppet"]["awaiting_approval"] is True

    # The admin cannot approve its own creation; the auditor can.
    assert (
        admin.post(f"/api/v1/accounts/{puppet_id}/approve", headers=admin_csrf).status_code == 403
    )
    auditor, auditor_csrf = _staff(rt, client_at, Role.AUDITOR)
    pending = auditor.get("/api/v1/accounts/pending-approval").json()
    assert pending == [{"id": puppet_id, "username": "puppet", "role": "verifier"}]
    approved = auditor.post(f"/api/v1/accounts/{puppet_id}/approve", headers=auditor_csrf)
    assert approved.status_code == 200, approved.text
    assert approved.json()["sealed_access_approved"] is True
    [entry] = _entries(rt, "account:approve")
    auditor_id = next(
        a["id"] for a in admin.get("/api/v1/accounts").json() if a["role"] == "auditor"
    )
    assert (entry.actor, entry.subject_id, entry.purpose) == (
        f"account:{auditor_id}",
        puppet_id,
        "role: verifier",
    )
    assert entry.credential is not None
    assert entry.credential.startswith("session:")

    opened = _reveal(own, custody.id, csrf)
    assert opened.status_code == 200, opened.text
    assert opened.json()["place"] == PLACE
    assert len(_entries(rt, "circumstances:open")) == 1
    assert auditor.get("/api/v1/accounts/pending-approval").json() == []
    listed = {a["username"]: a for a in admin.get("/api/v1/accounts").json()}
    assert (listed["puppet"]["sealed_access_approved"], listed["puppet"]["awaiting_approval"]) == (
        True,
        False,
    )


def test_a_registrar_moved_to_verifier_waits_for_a_new_approval(
    rt: Runtime, client_at: ClientAt
) -> None:
    custody = add_custody(rt, add_person(rt))
    admin, admin_csrf = _staff(rt, client_at, Role.ADMIN)
    auditor, auditor_csrf = _staff(rt, client_at, Role.AUDITOR)
    account, _secret = add_account(rt, "mover", Role.REGISTRAR, enrolled=True)
    moved = admin.post(
        f"/api/v1/accounts/{account.id}/role", json={"role": "verifier"}, headers=admin_csrf
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["sealed_access_approved"] is False
    headers = session_headers(add_session(rt, account))
    bare = TestClient(admin.app, base_url="https://testserver")
    assert _reveal(bare, custody.id, headers).status_code == 403
    assert auditor.post(f"/api/v1/accounts/{account.id}/approve", headers=auditor_csrf).is_success
    assert _reveal(bare, custody.id, headers).status_code == 200
    # Away and back: the old approval does not come back with the old role.
    for role in ("registrar", "verifier"):
        url = f"/api/v1/accounts/{account.id}/role"
        assert admin.post(url, json={"role": role}, headers=admin_csrf).status_code == 200
    assert _account(rt, account.id).sealed_role_approved is None
    headers = session_headers(add_session(rt, account))
    assert _reveal(bare, custody.id, headers).status_code == 403


def test_a_reset_second_factor_clears_the_approval(rt: Runtime, client_at: ClientAt) -> None:
    admin, admin_csrf = _staff(rt, client_at, Role.ADMIN)
    auditor, auditor_csrf = _staff(rt, client_at, Role.AUDITOR)
    account, _secret = add_account(rt, "ver", Role.VERIFIER, enrolled=True)
    assert _account(rt, account.id).sealed_access_approved
    reset = admin.post(f"/api/v1/accounts/{account.id}/reset-totp", headers=admin_csrf)
    assert reset.status_code == 200
    assert reset.json()["sealed_access_approved"] is False
    # Until the holder enrols the new factor there is no one to approve.
    again = auditor.post(f"/api/v1/accounts/{account.id}/approve", headers=auditor_csrf)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("role", "set_up", "enrolled"),
    [
        (Role.VERIFIER, False, False),  # invitation not used
        (Role.VERIFIER, True, False),  # second factor not enrolled
        (Role.INTAKE, True, False),
        (Role.EXCHANGE, True, True),  # a role that opens nothing sealed
        (Role.ADMIN, True, True),
        (Role.AUDITOR, True, False),  # an auditor needs approval too, once set up
    ],
)
def test_only_a_set_up_account_in_a_role_needing_approval_can_be_approved(
    rt: Runtime, client_at: ClientAt, role: Role, set_up: bool, enrolled: bool
) -> None:
    auditor, auditor_csrf = _staff(rt, client_at, Role.AUDITOR)
    if set_up:
        account, _ = add_account(rt, "target", role, enrolled=enrolled, approved=False)
        account_id = account.id
    else:
        admin, admin_csrf = _staff(rt, client_at, Role.ADMIN)
        body = {"username": "target", "role": role.value}
        account_id = admin.post("/api/v1/accounts", json=body, headers=admin_csrf).json()[
            "account"
        ]["id"]
    answer = auditor.post(f"/api/v1/accounts/{account_id}/approve", headers=auditor_csrf)
    assert answer.status_code == 409, answer.text
    assert _account(rt, account_id).sealed_role_approved is None
    assert _entries(rt, "account:approve") == []
    assert auditor.get("/api/v1/accounts/pending-approval").json() == []
    unknown = auditor.post("/api/v1/accounts/no-such-account/approve", headers=auditor_csrf)
    assert unknown.status_code == 404


def test_a_disabled_account_is_neither_pending_nor_approved(
    rt: Runtime, client_at: ClientAt
) -> None:
    admin, admin_csrf = _staff(rt, client_at, Role.ADMIN)
    auditor, auditor_csrf = _staff(rt, client_at, Role.AUDITOR)
    account, _ = add_account(rt, "gone", Role.INTAKE, enrolled=True, approved=False)
    assert [a["username"] for a in auditor.get("/api/v1/accounts/pending-approval").json()] == [
        "gone"
    ]
    admin.post(f"/api/v1/accounts/{account.id}/disable", headers=admin_csrf)
    assert auditor.get("/api/v1/accounts/pending-approval").json() == []
    answer = auditor.post(f"/api/v1/accounts/{account.id}/approve", headers=auditor_csrf)
    assert answer.status_code == 409


def test_tokens_follow_their_account(rt: Runtime, client_at: ClientAt) -> None:
    custody = add_custody(rt, add_person(rt))
    request = add_request(rt)
    auditor, auditor_csrf = _staff(rt, client_at, Role.AUDITOR)
    verifier, ver_row = add_token(rt, "ver-bot", Role.VERIFIER, approved=False)
    intake, intake_row = add_token(rt, "intake-bot", Role.INTAKE, approved=False)
    bot = client_at("198.51.100.7")
    ver = {"Authorization": f"Bearer {verifier}"}
    intk = {"Authorization": f"Bearer {intake}"}
    assert bot.get("/api/v1/persons", headers=ver).status_code == 200
    assert _reveal(bot, custody.id, ver).status_code == 403
    reveal_request = f"/api/v1/requests/{request.id}/reveal"
    assert bot.post(reveal_request, json=REASON, headers=intk).status_code == 403
    assert bot.get(f"/api/v1/requests/{request.id}", headers=intk).status_code == 200
    assert _entries(rt, "circumstances:open") == _entries(rt, "request_contact:open") == []

    for row in (ver_row, intake_row):
        url = f"/api/v1/accounts/{row.account_id}/approve"
        assert auditor.post(url, headers=auditor_csrf).status_code == 200
    assert _reveal(bot, custody.id, ver).status_code == 200
    assert bot.post(reveal_request, json=REASON, headers=intk).status_code == 200

    # Withdrawn: the very next request is refused, and the withdrawal is audited.
    url = f"/api/v1/accounts/{ver_row.account_id}/unapprove"
    withdrawn = auditor.post(url, headers=auditor_csrf)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["sealed_access_approved"] is False
    assert _reveal(bot, custody.id, ver).status_code == 403
    [entry] = _entries(rt, "account:unapprove")
    assert (entry.subject_id, entry.purpose) == (ver_row.account_id, "role: verifier")


def test_an_approval_needs_a_browser_session(rt: Runtime, client_at: ClientAt) -> None:
    token, _row = add_token(rt, "audit-bot", Role.AUDITOR)
    account, _ = add_account(rt, "ver", Role.VERIFIER, enrolled=True, approved=False)
    bot = client_at("198.51.100.8")
    bearer = {"Authorization": f"Bearer {token}"}
    assert bot.get("/api/v1/accounts/pending-approval", headers=bearer).status_code == 200
    answer = bot.post(f"/api/v1/accounts/{account.id}/approve", headers=bearer)
    assert answer.status_code == 403
    assert not _account(rt, account.id).sealed_access_approved


def test_demo_accounts_are_approved_by_the_system(settings: Settings) -> None:
    demo = open_runtime(settings.model_copy(update={"demo": True}))
    try:
        create_demo_accounts(demo)
        with demo.sessions() as s:
            roles = {a.role: a.sealed_access_approved for a in s.scalars(select(Account))}
        entries = _entries(demo, "account:approve")
    finally:
        demo.close()
    # Every role that opens something sealed (treatment notes for registrar, medical and
    # welfare; family inquiries for tracing) is approved; exchange and admin open nothing.
    opening = {"intake", "verifier", "auditor", "registrar", "medical", "welfare", "tracing"}
    assert {r for r, ok in roles.items() if ok} == opening
    assert {e.actor for e in entries} == {"system:demo"}
    assert len(entries) == len(opening)


def test_an_approval_is_checked_on_every_request(rt: Runtime, client_at: ClientAt) -> None:
    """A session opened while approved loses sealed access the moment approval ends."""
    custody = add_custody(rt, add_person(rt))
    auditor, auditor_csrf = _staff(rt, client_at, Role.AUDITOR)
    account, _ = add_account(rt, "ver", Role.VERIFIER, enrolled=True)
    headers = session_headers(add_session(rt, account))
    bare = TestClient(auditor.app, base_url="https://testserver")
    assert _reveal(bare, custody.id, headers).status_code == 200
    auditor.post(f"/api/v1/accounts/{account.id}/unapprove", headers=auditor_csrf)
    assert _reveal(bare, custody.id, headers).status_code == 403

"""The approval power needs approval too: an auditor account the admin set up itself (it saw
the invitation code) approves nothing; an approved auditor, or the operator at the command
line, approves a new auditor; no one approves their own account."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient

from safeconduct.accounts import approvals, totp
from safeconduct.accounts import service as accounts
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import account_actor
from safeconduct.runtime import Runtime
from tests.accounts.conftest import ClientAt
from tests.accounts.test_approvals import (
    ADMIN_IP,
    PLACE,
    _account,
    _entries,
    _login,
    _reveal,
    _staff,
)
from tests.factories import (
    PASSWORD,
    add_account,
    add_custody,
    add_person,
    add_session,
    session_headers,
)

Staff = tuple[TestClient, dict[str, str]]


def _id_of(rt: Runtime, username: str) -> str:
    with rt.sessions() as s:
        account = accounts.get_by_username(s, username=username)
        assert account is not None
        return account.id


def _set_up_by_admin(
    rt: Runtime, client_at: ClientAt, admin: Staff, username: str, role: Role
) -> tuple[TestClient, dict[str, str], str]:
    """The admin creates an account, uses its invitation itself and enrols the second
    factor; return the admin's client in that account, its CSRF header and its id."""
    client, csrf = admin
    created = client.post(
        "/api/v1/accounts", json={"username": username, "role": role.value}, headers=csrf
    )
    assert created.status_code == 201, created.text
    account_id = created.json()["account"]["id"]
    own = client_at(ADMIN_IP)
    joined = own.post(
        "/api/v1/auth/invitation",
        json={"code": created.json()["invitation"]["code"], "password": PASSWORD},
    )
    assert joined.status_code == 200, joined.text
    own_csrf = {"X-CSRF-Token": joined.json()["csrf_token"]}
    with rt.sessions() as s:
        account = s.get(Account, account_id)
        assert account is not None
        secret = totp.secret(s, keyring=rt.keyring, account=account)
    enrolled = own.post(
        "/api/v1/auth/totp/enrol", json={"code": pyotp.TOTP(secret).now()}, headers=own_csrf
    )
    assert enrolled.status_code == 200, enrolled.text
    return own, own_csrf, account_id


def test_an_auditor_the_admin_set_up_itself_cannot_approve_the_admins_verifier(
    rt: Runtime, client_at: ClientAt
) -> None:
    custody = add_custody(rt, add_person(rt), place=PLACE)
    admin = _staff(rt, client_at, Role.ADMIN)
    sock, sock_csrf, sock_id = _set_up_by_admin(rt, client_at, admin, "sock", Role.AUDITOR)
    puppet, puppet_csrf, puppet_id = _set_up_by_admin(rt, client_at, admin, "puppet", Role.VERIFIER)

    refused = sock.post(f"/api/v1/accounts/{puppet_id}/approve", headers=sock_csrf)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "awaiting approval"
    assert (
        sock.post(f"/api/v1/accounts/{puppet_id}/unapprove", headers=sock_csrf).status_code == 403
    )
    assert sock.get("/api/v1/accounts/pending-approval").status_code == 403
    assert sock.get("/api/v1/audit/entries").status_code == 200  # its plain work stays open
    assert _entries(rt, "account:approve") == []
    assert not _account(rt, puppet_id).sealed_access_approved

    blocked = _reveal(puppet, custody.id, puppet_csrf)
    assert blocked.status_code == 403
    assert PLACE not in blocked.text
    assert _entries(rt, "circumstances:open") == []
    client, csrf = admin
    listed = {a["username"]: a for a in client.get("/api/v1/accounts", headers=csrf).json()}
    assert listed["sock"]["awaiting_approval"] is True
    assert listed["puppet"]["awaiting_approval"] is True

    # Defence in depth: the use case refuses it too, whatever a route forgets.
    with rt.transaction() as s:
        target = s.get(Account, puppet_id)
        assert target is not None
        with pytest.raises(approvals.ApproverNotApprovedError):
            approvals.approve(s, audit=rt.audit, actor=account_actor(sock_id), account=target)
        with pytest.raises(approvals.ApproverNotApprovedError):
            approvals.unapprove(s, audit=rt.audit, actor=account_actor(sock_id), account=target)
    assert _entries(rt, "account:approve") == []


def test_an_approved_auditor_approves_a_new_one_who_then_approves_a_verifier(
    rt: Runtime, client_at: ClientAt
) -> None:
    custody = add_custody(rt, add_person(rt), place=PLACE)
    first, first_csrf = _staff(rt, client_at, Role.AUDITOR)  # approved, as by the CLI
    second, second_secret = add_account(rt, "second", Role.AUDITOR, enrolled=True, approved=False)
    verifier, _ = add_account(rt, "ver", Role.VERIFIER, enrolled=True, approved=False)
    pending = first.get("/api/v1/accounts/pending-approval").json()
    assert {(p["username"], p["role"]) for p in pending} == {
        ("second", "auditor"),
        ("ver", "verifier"),
    }
    approved = first.post(f"/api/v1/accounts/{second.id}/approve", headers=first_csrf)
    assert approved.status_code == 200, approved.text
    [entry] = _entries(rt, "account:approve")
    assert (entry.actor, entry.subject_id, entry.purpose) == (
        f"account:{_id_of(rt, 'auditor')}",
        second.id,
        "role: auditor",
    )

    other = client_at("192.0.2.30")
    other_csrf = _login(other, "second", second_secret)
    answer = other.post(f"/api/v1/accounts/{verifier.id}/approve", headers=other_csrf)
    assert answer.status_code == 200, answer.text
    # Self-approval, approved or not: 409, and nothing written.
    own = other.post(f"/api/v1/accounts/{second.id}/approve", headers=other_csrf)
    assert own.status_code == 409
    assert "own account" in own.json()["detail"]
    url = f"/api/v1/accounts/{_id_of(rt, 'auditor')}/approve"
    assert first.post(url, headers=first_csrf).status_code == 409
    assert [e.subject_id for e in _entries(rt, "account:approve")] == [second.id, verifier.id]

    bare = TestClient(first.app, base_url="https://testserver")
    opened = _reveal(bare, custody.id, session_headers(add_session(rt, verifier)))
    assert opened.status_code == 200, opened.text

    # Withdrawn: the second auditor approves no one from its next request.
    assert first.post(f"/api/v1/accounts/{second.id}/unapprove", headers=first_csrf).is_success
    again = other.post(f"/api/v1/accounts/{verifier.id}/unapprove", headers=other_csrf)
    assert again.status_code == 403
    assert _account(rt, verifier.id).sealed_access_approved


def test_no_one_approves_their_own_account_even_unapproved(rt: Runtime) -> None:
    account, _ = add_account(rt, "self", Role.AUDITOR, enrolled=True, approved=False)
    with rt.transaction() as s:
        own = s.get(Account, account.id)
        assert own is not None
        with pytest.raises(approvals.ApprovalError, match="their own"):
            approvals.approve(s, audit=rt.audit, actor=account_actor(own.id), account=own)
    assert not _account(rt, account.id).sealed_access_approved


def test_an_account_in_another_role_never_approves(rt: Runtime) -> None:
    """Were a route to forget `Requires`, an admin or a verifier still approves no one."""
    target, _ = add_account(rt, "ver", Role.VERIFIER, enrolled=True, approved=False)
    for role in (Role.ADMIN, Role.VERIFIER):
        actor, _ = add_account(rt, f"not-{role.value}", role, enrolled=True)
        with rt.transaction() as s:
            fresh = s.get(Account, target.id)
            assert fresh is not None
            with pytest.raises(approvals.ApproverNotApprovedError):
                approvals.approve(s, audit=rt.audit, actor=account_actor(actor.id), account=fresh)
    assert all(e.subject_id != target.id for e in _entries(rt, "account:approve"))

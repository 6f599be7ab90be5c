"""The findings of the accounts review, each reproduced through the JSON API and refused:
no one acts with another account's power, every role needs TOTP, codes are ASCII, and no
stranger can lock an owner out."""

from __future__ import annotations

import time

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from safeconduct.accounts.models import Invitation
from safeconduct.accounts.policy import CLIENT_MAX_FAILURES, Role
from safeconduct.audit.models import AuditEntry
from safeconduct.db import utcnow
from safeconduct.runtime import Runtime
from tests.accounts.conftest import ClientAt
from tests.factories import PASSWORD, add_account, add_token

OWNER_IP, STRANGER_IP = "192.0.2.10", "198.51.100.66"
ARABIC_INDIC = "\u0661\u0662\u0663\u0664\u0665\u0666"  # "١٢٣٤٥٦"
FULLWIDTH = "\uff11\uff12\uff13\uff14\uff15\uff16"


def _login(
    client: TestClient, username: str, password: str = PASSWORD, code: str | None = None
) -> httpx.Response:
    body = {"username": username, "password": password} | ({"code": code} if code else {})
    return client.post("/api/v1/auth/login", json=body)


def _next_code(secret: str) -> str:
    """A fresh code after a login used the current one (the next step is accepted early)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _admin(rt: Runtime, client_at: ClientAt) -> tuple[TestClient, dict[str, str], str]:
    """Log an admin in from the owner's address; return its client, CSRF header and secret."""
    _account, secret = add_account(rt, "root", Role.ADMIN, enrolled=True)
    client = client_at(OWNER_IP)
    answer = _login(client, "root", code=pyotp.TOTP(secret).now())
    assert answer.status_code == 200, answer.text
    return client, {"X-CSRF-Token": answer.json()["csrf_token"]}, secret


def _audit(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.sessions() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(s.scalars(stmt))


def test_the_admin_cannot_mint_a_token_for_another_account(
    rt: Runtime, client_at: ClientAt
) -> None:
    admin, csrf, secret = _admin(rt, client_at)
    target, _ = add_account(rt, "ver", Role.VERIFIER, enrolled=True)
    body = {"name": "mine now", "code": _next_code(secret)}
    old_route = admin.post(f"/api/v1/accounts/{target.id}/tokens", json=body, headers=csrf)
    assert old_route.status_code in (404, 405)
    smuggled = admin.post(
        "/api/v1/auth/tokens", json=body | {"account_id": target.id}, headers=csrf
    )
    assert smuggled.status_code == 422  # no field names another account
    own = admin.post("/api/v1/auth/tokens", json=body, headers=csrf)
    assert own.status_code == 201, own.text
    assert own.json()["role"] == "admin"  # its own power, and nothing more
    bearer = {"Authorization": f"Bearer {own.json()['token']}"}
    custody = "/api/v1/custodies/x/circumstances/reveal"
    assert admin.post(custody, json={}, headers=bearer).status_code == 403
    [entry] = _audit(rt, "token:create")
    [admin_id] = [a["id"] for a in admin.get("/api/v1/accounts").json() if a["username"] == "root"]
    assert (entry.actor, entry.subject_id) == (f"account:{admin_id}", own.json()["id"])
    assert entry.credential is not None
    assert entry.credential.startswith("session:")
    assert entry.purpose == f"for account:{admin_id} as admin"


def test_a_token_never_mints_a_token(rt: Runtime, client_at: ClientAt) -> None:
    token, _row = add_token(rt, "bot", Role.REGISTRAR)
    answer = client_at(OWNER_IP).post(
        "/api/v1/auth/tokens",
        json={"name": "more", "code": "123456"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("path", "body"),
    [("reset-totp", None), ("disable", None), ("role", {"role": "tracing"})],
)
def test_a_token_dies_when_its_accounts_power_changes(
    rt: Runtime, client_at: ClientAt, path: str, body: dict[str, str] | None
) -> None:
    admin, csrf, _secret = _admin(rt, client_at)
    token, row = add_token(rt, "ver", Role.VERIFIER)
    bot = client_at(STRANGER_IP)
    bearer = {"Authorization": f"Bearer {token}"}
    assert bot.get("/api/v1/persons", headers=bearer).status_code == 200
    url = f"/api/v1/accounts/{row.account_id}/{path}"
    changed = admin.post(url, json=body, headers=csrf)
    assert changed.status_code == 200, changed.text
    assert bot.get("/api/v1/persons", headers=bearer).status_code == 401
    listed = {t["id"]: t for t in admin.get("/api/v1/tokens").json()}
    assert listed[row.id]["revoked_at"] is not None


def test_the_admin_cannot_change_its_own_role(rt: Runtime, client_at: ClientAt) -> None:
    admin, csrf, _secret = _admin(rt, client_at)
    [me] = [a for a in admin.get("/api/v1/accounts").json() if a["username"] == "root"]
    answer = admin.post(
        f"/api/v1/accounts/{me['id']}/role", json={"role": "verifier"}, headers=csrf
    )
    assert answer.status_code == 409
    assert admin.get("/api/v1/auth/me").json()["role"] == "admin"


def test_the_admin_never_sets_nor_sees_a_password(rt: Runtime, client_at: ClientAt) -> None:
    admin, csrf, _secret = _admin(rt, client_at)
    with_password = {"username": "reg", "role": "registrar", "password": "known to the admin"}
    assert admin.post("/api/v1/accounts", json=with_password, headers=csrf).status_code == 422
    created = admin.post(
        "/api/v1/accounts", json={"username": "reg", "role": "registrar"}, headers=csrf
    )
    assert created.status_code == 201, created.text
    assert "password" not in created.text
    assert created.json()["account"]["set_up"] is False
    code = created.json()["invitation"]["code"]
    # A registrar reads personal data: without the second factor it may only enrol.
    holder = client_at(STRANGER_IP)
    joined = holder.post("/api/v1/auth/invitation", json={"code": code, "password": PASSWORD})
    assert joined.status_code == 200, joined.text
    assert joined.json()["enrolment_required"] is True
    holder_csrf = {"X-CSRF-Token": joined.json()["csrf_token"]}
    assert holder.get("/api/v1/persons").status_code == 403
    mint = {"name": "early", "code": "123456"}
    assert holder.post("/api/v1/auth/tokens", json=mint, headers=holder_csrf).status_code == 403
    assert holder.get("/api/v1/auth/totp/qr").status_code == 200
    # The password alone, at a later login, still opens nothing but enrolment.
    again = _login(client_at("203.0.113.5"), "reg")
    assert again.status_code == 200
    assert again.json()["enrolment_required"] is True
    listed = {a["username"]: a for a in admin.get("/api/v1/accounts").json()}
    assert listed["reg"]["set_up"] is True
    assert "password" not in str(listed)


def test_an_invitation_used_twice_or_expired_is_refused(rt: Runtime, client_at: ClientAt) -> None:
    admin, csrf, _secret = _admin(rt, client_at)
    codes = [
        admin.post(
            "/api/v1/accounts", json={"username": u, "role": "tracing"}, headers=csrf
        ).json()["invitation"]["code"]
        for u in ("one", "two")
    ]
    holder = client_at(STRANGER_IP)
    accept = "/api/v1/auth/invitation"
    assert holder.post(accept, json={"code": codes[0], "password": PASSWORD}).status_code == 200
    twice = client_at("203.0.113.5").post(accept, json={"code": codes[0], "password": PASSWORD})
    assert twice.status_code == 400
    with rt.transaction() as s:
        s.execute(update(Invitation).values(expires_at=utcnow()))
    late = client_at("203.0.113.6").post(accept, json={"code": codes[1], "password": PASSWORD})
    assert late.status_code == 400
    assert twice.json() == late.json()
    assert [e.purpose.split(";")[0] for e in _audit(rt, "account:login_fail") if e.purpose] == [
        "bad_invitation",
        "bad_invitation",
    ]


@pytest.mark.parametrize("code", [ARABIC_INDIC, FULLWIDTH, "12345\u0666"])
def test_non_ascii_digits_are_422_whatever_the_password(
    rt: Runtime, client_at: ClientAt, code: str
) -> None:
    account, _secret = add_account(rt, "ver", Role.VERIFIER, enrolled=True)
    client = client_at(STRANGER_IP)
    right = _login(client, "ver", PASSWORD, code)
    wrong = _login(client, "ver", "wrong password!", code)
    assert (right.status_code, wrong.status_code) == (422, 422)
    assert right.json() == wrong.json()  # no password oracle
    assert right.json()["detail"][0]["field"] == "body.code"
    failures = _audit(rt, "account:login_fail")
    assert [(e.subject_id, (e.purpose or "").split(";")[0]) for e in failures] == [
        (account.id, "malformed_code"),
        (account.id, "malformed_code"),
    ]


def test_a_strangers_failed_logins_do_not_keep_the_owner_out(
    rt: Runtime, client_at: ClientAt
) -> None:
    _account, secret = add_account(rt, "ver", Role.VERIFIER, enrolled=True)
    stranger = client_at(STRANGER_IP)
    for _ in range(12):
        assert _login(stranger, "ver", "wrong password!").status_code == 401
    code = pyotp.TOTP(secret).now()
    assert _login(stranger, "ver", PASSWORD, code).status_code == 401  # that client waits
    owner = _login(client_at(OWNER_IP), "ver", PASSWORD, code)
    assert owner.status_code == 200, owner.text


def test_a_client_is_throttled_over_all_usernames_with_429(
    rt: Runtime, client_at: ClientAt
) -> None:
    _account, secret = add_account(rt, "ver", Role.VERIFIER, enrolled=True)
    stranger = client_at(STRANGER_IP)
    statuses = [_login(stranger, f"nobody-{n}", "guess").status_code for n in range(64)]
    assert statuses[:CLIENT_MAX_FAILURES] == [401] * CLIENT_MAX_FAILURES
    assert set(statuses[CLIENT_MAX_FAILURES:]) == {429}
    answer = _login(stranger, "ver", PASSWORD, pyotp.TOTP(secret).now())
    assert answer.status_code == 429  # throttled whatever it sends
    assert 0 < int(answer.headers["Retry-After"]) <= 15 * 60
    page = stranger.post("/login", data={"username": "ver", "password": PASSWORD})
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in page.text
    assert len(_audit(rt, "account:login_throttled")) == 64 - CLIENT_MAX_FAILURES + 2
    owner = _login(client_at(OWNER_IP), "ver", PASSWORD, pyotp.TOTP(secret).now())
    assert owner.status_code == 200

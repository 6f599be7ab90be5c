"""Accounts: argon2id, TOTP with replay protection, lockout, sessions, tokens."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest

from safeconduct.accounts import service, sessions
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import SESSION_IDLE_SECONDS, Role
from safeconduct.audit.actors import Actor
from safeconduct.db import utcnow
from safeconduct.runtime import Runtime
from tests.factories import PASSWORD, add_account


def _create(
    rt: Runtime, username: str = "ana", role: Role = Role.VERIFIER, enrolled: bool = True
) -> tuple[Account, str]:
    return add_account(rt, username, role, enrolled=enrolled)


def _try(rt: Runtime, username: str, password: str, code: str | None) -> bool:
    with rt.transaction() as s:
        return (
            service.authenticate(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                username=username,
                password=password,
                code=code,
            )
            is not None
        )


def test_password_is_stored_as_argon2id(rt: Runtime) -> None:
    account, secret = _create(rt)
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    assert account.totp_secret is not None
    assert secret.encode() not in account.totp_secret.envelope


def test_login_needs_the_current_code_once_enrolled(rt: Runtime) -> None:
    _, secret = _create(rt)
    assert not _try(rt, "ana", PASSWORD, None)
    assert not _try(
        rt, "ana", PASSWORD, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    )
    code = pyotp.TOTP(secret).now()
    assert _try(rt, "ana", PASSWORD, code)
    assert not _try(rt, "ana", PASSWORD, code)  # a code is never accepted twice


def test_unknown_accounts_cost_as_much_as_known_ones(rt: Runtime) -> None:
    _create(rt)

    def timed(username: str) -> float:
        start = time.perf_counter()
        _try(rt, username, "wrong password!", None)
        return time.perf_counter() - start

    timed("nobody")  # warm the dummy hash
    known = min(timed("ana") for _ in range(3))
    unknown = min(timed("nobody") for _ in range(3))
    assert unknown > known / 3  # both pay for one argon2 verification


def test_repeated_failures_lock_the_account(rt: Runtime) -> None:
    _, secret = _create(rt)
    for _ in range(5):
        assert not _try(rt, "ana", "wrong password!", None)
    assert not _try(rt, "ana", PASSWORD, pyotp.TOTP(secret).now())  # locked, even when right
    with rt.transaction() as s:
        account = service.get_by_username(s, username="ana")
        assert account is not None
        assert account.locked_until is not None
        account.locked_until = utcnow() - timedelta(seconds=1)
    assert _try(rt, "ana", PASSWORD, pyotp.TOTP(secret).now())


def test_a_disabled_account_cannot_log_in_and_loses_its_sessions(rt: Runtime) -> None:
    account, _secret = _create(rt, enrolled=False, role=Role.WELFARE)
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        token, _ = sessions.start_session(s, account=fresh)
        service.disable(s, audit=rt.audit, actor=Actor("t"), account=fresh)
    with rt.transaction() as s:
        assert sessions.resolve_session(s, token=token) is None
    assert not _try(rt, "ana", PASSWORD, None)


def test_sessions_expire_when_idle(rt: Runtime) -> None:
    account, _ = _create(rt, role=Role.WELFARE, enrolled=False)
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        token, _ = sessions.start_session(s, account=fresh)
        assert sessions.resolve_session(s, token=token) is not None
        later = utcnow() + timedelta(seconds=SESSION_IDLE_SECONDS + 5)
        assert sessions.resolve_session(s, token=token, now=later) is None


def test_unenrolled_sealed_roles_get_an_enrolment_only_session(rt: Runtime) -> None:
    account, secret = _create(rt, enrolled=False)
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        token, row = sessions.start_session(s, account=fresh)
        assert row.enrolment_only
        assert service.enrol_totp(
            s, keyring=rt.keyring, audit=rt.audit, account=fresh, code=pyotp.TOTP(secret).now()
        )
        sessions.finish_enrolment(s, token=token)
        principal = sessions.resolve_session(s, token=token)
    assert principal is not None
    assert not principal.enrolment_only


def test_api_tokens_are_hashed_scoped_and_revocable(rt: Runtime) -> None:
    account, _ = _create(rt, role=Role.REGISTRAR)
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        token, row = sessions.create_token(
            s, audit=rt.audit, actor=Actor("t"), account=fresh, name="ci"
        )
        assert token not in row.token_hash
        principal = sessions.resolve_token(s, token=token)
        assert principal is not None
        assert principal.role == Role.REGISTRAR
        fresh.role = Role.ADMIN.value  # a role change invalidates tokens of the old role
        assert sessions.resolve_token(s, token=token) is None
        fresh.role = Role.REGISTRAR.value
        sessions.revoke_token(s, audit=rt.audit, actor=Actor("t"), token=row)
        assert sessions.resolve_token(s, token=token) is None


def test_csrf_token_is_bound_to_the_session() -> None:
    assert sessions.csrf_ok("session-a", sessions.csrf_token("session-a"))
    assert not sessions.csrf_ok("session-b", sessions.csrf_token("session-a"))
    assert not sessions.csrf_ok("session-a", None)


def test_short_passwords_and_taken_usernames_are_refused(rt: Runtime) -> None:
    _create(rt)
    with rt.transaction() as s, pytest.raises(service.AccountError, match="at least 12"):
        service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=Actor("t"),
            username="bo",
            password="short",
            role=Role.TRACING,
        )
    with rt.transaction() as s, pytest.raises(service.AccountError, match="taken"):
        service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=Actor("t"),
            username="ana",
            password=PASSWORD,
            role=Role.TRACING,
        )

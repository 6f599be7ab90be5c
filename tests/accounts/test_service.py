"""Accounts: argon2id, sessions, and the admin's use cases, which end sessions and tokens
whenever an account's power changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from safeconduct.accounts import service, sessions, tokens
from safeconduct.accounts.models import Account, ApiToken, Invitation
from safeconduct.accounts.policy import SESSION_IDLE_SECONDS, Role
from safeconduct.audit.actors import Actor, account_actor
from safeconduct.audit.models import AuditEntry
from safeconduct.db import utcnow
from safeconduct.runtime import Runtime
from tests.factories import PASSWORD, add_account, add_session, add_token

ADMIN = Actor("account:the-admin", "session:0123456789abcdef")


def _fresh(rt: Runtime, account_id: str) -> Account:
    with rt.sessions() as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account


def test_password_is_stored_as_argon2id(rt: Runtime) -> None:
    account, secret = add_account(rt, "ana", Role.VERIFIER)
    assert account.password_hash is not None
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    assert account.totp_secret is not None
    assert secret.encode() not in account.totp_secret.envelope


def test_a_new_account_has_no_password_and_its_invitation_is_stored_hashed(rt: Runtime) -> None:
    with rt.transaction() as s:
        account, issued = service.create(
            s, audit=rt.audit, actor=ADMIN, username="bo", role=Role.VERIFIER
        )
    assert account.password_hash is None  # no one knows a password: none exists yet
    assert account.totp_secret is None  # nor a second factor the admin could enrol
    with rt.sessions() as s:
        [invitation] = s.scalars(select(Invitation)).all()
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert issued.code.replace("-", "") not in invitation.code_hash
    assert len(issued.code.replace("-", "")) == 20
    assert [(e.action, e.actor, e.credential) for e in entries] == [
        ("account:create", ADMIN.name, ADMIN.credential),
        ("invitation:create", ADMIN.name, ADMIN.credential),
    ]


def test_taken_usernames_are_refused(rt: Runtime) -> None:
    add_account(rt, "ana", Role.VERIFIER)
    with rt.transaction() as s, pytest.raises(service.AccountError, match="taken"):
        service.create(s, audit=rt.audit, actor=ADMIN, username="ana", role=Role.TRACING)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_starts_with_a_session_that_may_only_enrol(rt: Runtime, role: Role) -> None:
    account, _secret = add_account(rt, f"new-{role.value}", role)
    principal = _resolve(rt, add_session(rt, account))
    assert principal is not None
    assert principal.enrolment_only


def _resolve(rt: Runtime, cookie: str) -> service.Principal | None:
    with rt.transaction() as s:
        return sessions.resolve_session(s, token=cookie)


def test_a_session_follows_the_account_when_its_factor_is_reset(rt: Runtime) -> None:
    account, _ = add_account(rt, "ana", Role.REGISTRAR, enrolled=True)
    cookie = add_session(rt, account)
    principal = _resolve(rt, cookie)
    assert principal is not None
    assert not principal.enrolment_only
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        fresh.totp_enrolled_at = None  # as if the session predated a reset
    principal = _resolve(rt, cookie)
    assert principal is not None
    assert principal.enrolment_only


def test_sessions_expire_when_idle(rt: Runtime) -> None:
    account, _ = add_account(rt, "ana", Role.WELFARE, enrolled=True)
    cookie = add_session(rt, account)
    with rt.transaction() as s:
        assert sessions.resolve_session(s, token=cookie) is not None
        later = utcnow() + timedelta(seconds=SESSION_IDLE_SECONDS + 5)
        assert sessions.resolve_session(s, token=cookie, now=later) is None


def test_csrf_token_is_bound_to_the_session() -> None:
    assert sessions.csrf_ok("session-a", sessions.csrf_token("session-a"))
    assert not sessions.csrf_ok("session-b", sessions.csrf_token("session-a"))
    assert not sessions.csrf_ok("session-a", None)


def _still_works(rt: Runtime, token: str, cookie: str) -> tuple[bool, bool]:
    with rt.transaction() as s:
        return (
            tokens.resolve(s, token=token) is not None,
            sessions.resolve_session(s, token=cookie) is not None,
        )


def _change(rt: Runtime, account_id: str, what: str) -> None:
    with rt.transaction() as s:
        account = s.get(Account, account_id)
        assert account is not None
        if what == "disable":
            service.disable(s, audit=rt.audit, actor=ADMIN, account=account)
        elif what == "reset-totp":
            service.reset_totp(s, keyring=rt.keyring, audit=rt.audit, actor=ADMIN, account=account)
        else:
            service.change_role(s, audit=rt.audit, actor=ADMIN, account=account, role=Role.TRACING)


@pytest.mark.parametrize("what", ["disable", "reset-totp", "role"])
def test_a_change_of_power_ends_tokens_and_sessions_for_good(rt: Runtime, what: str) -> None:
    token, row = add_token(rt, "ana", Role.VERIFIER)
    cookie = add_session(rt, _fresh(rt, row.account_id))
    assert _still_works(rt, token, cookie) == (True, True)
    _change(rt, row.account_id, what)
    assert _still_works(rt, token, cookie) == (False, False)
    with rt.transaction() as s:
        revoked = s.get(ApiToken, row.id)
        assert revoked is not None
        assert revoked.revoked_at is not None
        account = s.get(Account, row.account_id)
        assert account is not None
        # Undoing the change does not bring them back.
        service.enable(s, audit=rt.audit, actor=ADMIN, account=account)
        account.role = Role.VERIFIER.value
        account.totp_enrolled_at = account.totp_enrolled_at or utcnow()
    assert _still_works(rt, token, cookie) == (False, False)


def test_the_audit_names_every_change_and_who_made_it(rt: Runtime) -> None:
    _token, row = add_token(rt, "ana", Role.VERIFIER)
    for what in ("role", "reset-totp", "disable"):
        _change(rt, row.account_id, what)
    with rt.sessions() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.actor == ADMIN.name).order_by(AuditEntry.seq)
        ).all()
    assert [(e.action, e.subject_id, e.credential) for e in entries] == [
        ("account:role", row.account_id, ADMIN.credential),
        ("account:totp_reset", row.account_id, ADMIN.credential),
        ("account:disable", row.account_id, ADMIN.credential),
    ]
    assert entries[0].purpose == "role: verifier -> tracing"


def test_no_one_changes_their_own_role(rt: Runtime) -> None:
    admin, _ = add_account(rt, "root", Role.ADMIN, enrolled=True)
    with rt.transaction() as s:
        account = s.get(Account, admin.id)
        assert account is not None
        with pytest.raises(service.AccountError, match="own account"):
            service.change_role(
                s,
                audit=rt.audit,
                actor=account_actor(admin.id, "session:x"),
                account=account,
                role=Role.VERIFIER,
            )
    assert _fresh(rt, admin.id).role == Role.ADMIN.value


def test_no_one_disables_or_resets_their_own_account(rt: Runtime) -> None:
    admin, _ = add_account(rt, "root", Role.ADMIN, enrolled=True)
    me = account_actor(admin.id, "session:x")
    with rt.transaction() as s:
        account = s.get(Account, admin.id)
        assert account is not None
        with pytest.raises(service.AccountError, match="own account"):
            service.disable(s, audit=rt.audit, actor=me, account=account)
        with pytest.raises(service.AccountError, match="own account"):
            service.reset_totp(s, keyring=rt.keyring, audit=rt.audit, actor=me, account=account)
    fresh = _fresh(rt, admin.id)
    assert fresh.disabled_at is None
    assert fresh.totp_enrolled_at is not None


def test_an_account_in_use_is_never_invited_again(rt: Runtime) -> None:
    account, _ = add_account(rt, "ana", Role.VERIFIER, enrolled=True)
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        with pytest.raises(service.AccountError, match="already set up"):
            service.reinvite(s, audit=rt.audit, actor=ADMIN, account=fresh)


def test_the_factory_token_was_minted_by_its_owner(rt: Runtime) -> None:
    _token, row = add_token(rt, "ana", Role.REGISTRAR)
    with rt.sessions() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "token:create")).all()
    assert entry.actor == f"account:{row.account_id}"
    assert entry.credential is not None
    assert entry.credential.startswith("session:")
    assert entry.subject_id == row.id
    assert entry.purpose == f"for account:{row.account_id} as registrar"

"""Invitations: the holder sets their own password with a random, hashed, expiring,
single-use code; failures are counted and audited like failed logins."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from safeconduct.accounts import login, passwords, service
from safeconduct.accounts.invitations import Issued
from safeconduct.accounts.models import Account, ClientThrottle
from safeconduct.accounts.policy import INVITATION_SECONDS, Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.db import utcnow
from safeconduct.runtime import Runtime
from tests.factories import PASSWORD

ADMIN = Actor("account:the-admin", "session:0123456789abcdef")
CLIENT = "c" * 32


def _invite(rt: Runtime, username: str = "ana") -> tuple[Account, Issued]:
    with rt.transaction() as s:
        return service.create(s, audit=rt.audit, actor=ADMIN, username=username, role=Role.VERIFIER)


def _redeem(
    rt: Runtime, code: str, password: str = PASSWORD, now: datetime | None = None
) -> Account | Exception:
    with rt.transaction() as s:
        try:
            return login.redeem(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                client=CLIENT,
                code=code,
                password=password,
                now=now,
            )
        except (login.LoginRefusedError, passwords.PasswordError) as exc:
            return exc


def _entries(rt: Runtime, action: str) -> list[AuditEntry]:
    with rt.sessions() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(s.scalars(stmt))


def test_the_holder_sets_their_own_password_and_gets_a_factor_to_enrol(rt: Runtime) -> None:
    account, issued = _invite(rt)
    accepted = _redeem(rt, issued.code)
    assert isinstance(accepted, Account)
    assert accepted.id == account.id
    assert accepted.password_hash is not None
    assert accepted.totp_secret is not None
    assert accepted.totp_enrolled_at is None  # enrolled next, by the holder
    [created] = _entries(rt, "invitation:create")
    [entry] = _entries(rt, "invitation:accept")
    assert (entry.actor, entry.subject_id) == (f"account:{account.id}", account.id)
    assert entry.purpose == f"client:{CLIENT[:16]}"  # to compare with the inviter's logins
    assert entry.credential == created.purpose  # "invitation:<id>", named at creation
    assert entry.credential is not None
    assert entry.credential.startswith("invitation:")


def test_an_invitation_works_once(rt: Runtime) -> None:
    account, issued = _invite(rt)
    assert isinstance(_redeem(rt, issued.code), Account)
    again = _redeem(rt, issued.code, "another long password")
    assert type(again) is login.InvitationRefusedError
    [failure] = _entries(rt, "account:login_fail")
    assert failure.subject_id == account.id  # a reused code names its account: a warning
    assert failure.purpose == f"bad_invitation; client:{CLIENT[:16]}"


def test_an_expired_invitation_is_refused(rt: Runtime) -> None:
    _account, issued = _invite(rt)
    late = utcnow() + timedelta(seconds=INVITATION_SECONDS + 1)
    assert type(_redeem(rt, issued.code, now=late)) is login.InvitationRefusedError
    assert issued.expires_at <= late


def test_a_new_invitation_replaces_the_old_one(rt: Runtime) -> None:
    account, old = _invite(rt)
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        new = service.reinvite(s, audit=rt.audit, actor=ADMIN, account=fresh)
    assert type(_redeem(rt, old.code)) is login.InvitationRefusedError
    assert isinstance(_redeem(rt, new.code), Account)


def test_a_disabled_accounts_invitation_is_refused(rt: Runtime) -> None:
    account, issued = _invite(rt)
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        service.disable(s, audit=rt.audit, actor=ADMIN, account=fresh)
    assert type(_redeem(rt, issued.code)) is login.InvitationRefusedError


def test_a_code_is_read_leniently_but_never_guessed(rt: Runtime) -> None:
    _account, issued = _invite(rt)
    assert type(_redeem(rt, "00000-00000-00000-00000")) is login.InvitationRefusedError
    typed = " " + issued.code.lower().replace("-", " ") + " "
    assert isinstance(_redeem(rt, typed), Account)
    with rt.sessions() as s:
        throttle = s.get(ClientThrottle, CLIENT)
        assert throttle is not None
        assert throttle.failures == 1  # the unknown code counted against the client


def test_a_short_password_leaves_the_code_unused(rt: Runtime) -> None:
    _account, issued = _invite(rt)
    assert isinstance(_redeem(rt, issued.code, "short"), passwords.PasswordError)
    assert isinstance(_redeem(rt, issued.code), Account)


@pytest.mark.parametrize("role", [Role.VERIFIER, Role.INTAKE, Role.ADMIN])
def test_the_admin_never_holds_a_password(rt: Runtime, role: Role) -> None:
    with rt.transaction() as s:
        account, issued = service.create(
            s, audit=rt.audit, actor=ADMIN, username=f"x-{role.value}", role=role
        )
    assert account.password_hash is None
    assert set(issued._fields) == {"code", "expires_at", "invitation_id"}  # no password in it

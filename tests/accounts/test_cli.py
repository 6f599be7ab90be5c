"""`safeconduct users`: an invitation code instead of a password, no secret printed, and
the approval that only an approved auditor or the operator here gives."""

from __future__ import annotations

import re

from sqlalchemy import select
from typer.testing import CliRunner

from safeconduct.accounts import login, service
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.cli import app
from safeconduct.config import Settings
from safeconduct.runtime import Runtime
from tests.audit.test_verify import _env
from tests.factories import PASSWORD, add_account

CODE = re.compile(r"[0-9A-Z]{5}(?:-[0-9A-Z]{5}){3}")


def _users(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["users", *args], env=_env(settings), input="")
    return result.exit_code, result.output


def _account(rt: Runtime, username: str) -> Account:
    with rt.sessions() as s:
        account = service.get_by_username(s, username=username)
    assert account is not None
    return account


def test_users_add_prints_an_invitation_and_asks_for_no_password(
    rt: Runtime, settings: Settings
) -> None:
    status, output = _users(settings, "add", "bo", "--role", "verifier")
    assert status == 0, output
    assert "password:" not in output.lower()  # no prompt for one
    match = CODE.search(output)
    assert match is not None
    assert _account(rt, "bo").password_hash is None
    with rt.transaction() as s:
        accepted = login.redeem(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            client="c" * 32,
            code=match.group(0),
            password=PASSWORD,
        )
    assert accepted.username == "bo"
    status, output = _users(settings, "invite", "bo")
    assert status == 2  # set up: never invited again
    assert CODE.search(output) is None


def test_users_role_reset_and_states_print_no_secret(rt: Runtime, settings: Settings) -> None:
    assert _users(settings, "add", "bo", "--role", "registrar")[0] == 0
    assert _users(settings, "add", "Bad Name", "--role", "registrar")[0] == 2
    for args in (("role", "bo", "--role", "tracing"), ("disable", "bo"), ("enable", "bo")):
        status, output = _users(settings, *args)
        assert status == 0, output
    status, output = _users(settings, "reset-totp", "bo")
    assert status == 0, output
    assert not re.search(r"[A-Z2-7]{32}", output)  # no TOTP secret for the operator
    account = _account(rt, "bo")
    assert (account.role, account.disabled_at) == ("tracing", None)
    status, output = _users(settings, "list")
    assert status == 0
    assert "invitation pending" in output


def test_users_approve_is_the_root_of_trust_for_the_first_auditor(
    rt: Runtime, settings: Settings
) -> None:
    auditor, _ = add_account(rt, "first", Role.AUDITOR, enrolled=True, approved=False)
    status, output = _users(settings, "list")
    assert status == 0
    assert "awaiting" in output
    status, output = _users(settings, "approve", "first")
    assert status == 0, output
    assert "first approved as auditor" in output
    assert _account(rt, "first").sealed_access_approved
    with rt.sessions() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "account:approve"))
    assert (entry.actor, entry.subject_id, entry.purpose) == ("cli", auditor.id, "role: auditor")
    assert entry.credential is not None
    assert entry.credential.startswith("os:")

    status, output = _users(settings, "unapprove", "first")
    assert status == 0, output
    assert not _account(rt, "first").sealed_access_approved
    with rt.sessions() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "account:unapprove"))
    assert (entry.actor, entry.subject_id) == ("cli", auditor.id)


def test_users_approve_refuses_what_cannot_be_approved(rt: Runtime, settings: Settings) -> None:
    assert _users(settings, "add", "newbie", "--role", "auditor")[0] == 0
    status, output = _users(settings, "approve", "newbie")
    assert status != 0
    assert "not set up" in output
    add_account(rt, "swap", Role.EXCHANGE, enrolled=True)
    status, output = _users(settings, "approve", "swap")
    assert status != 0
    assert "needs no approval" in output
    status, output = _users(settings, "approve", "nobody")
    assert status != 0
    assert "no account 'nobody'" in output
    with rt.sessions() as s:
        assert (
            list(s.scalars(select(AuditEntry).where(AuditEntry.action == "account:approve"))) == []
        )

"""API tokens: minted by their owner alone, from a browser session, with a fresh code;
a token of an account without an enrolled second factor never resolves."""

from __future__ import annotations

from datetime import time

import pyotp
import pytest

from safeconduct.accounts import sessions, tokens
from safeconduct.accounts.models import Account, ApiToken
from safeconduct.accounts.policy import Role
from safeconduct.accounts.service import Principal
from safeconduct.db import today
from safeconduct.runtime import Runtime
from tests.factories import add_account, add_session, add_token


def _mint(rt: Runtime, who: Principal, code: str) -> tuple[str, ApiToken] | tokens.TokenError:
    with rt.transaction() as s:
        try:
            return tokens.create(
                s, keyring=rt.keyring, audit=rt.audit, who=who, name="ci", code=code
            )
        except tokens.TokenError as exc:
            return exc


def _session_principal(rt: Runtime, account: Account) -> Principal:
    with rt.transaction() as s:
        who = sessions.resolve_session(s, token=add_session(rt, account))
    assert who is not None
    return who


def test_a_token_is_its_owners_in_its_owners_role(rt: Runtime) -> None:
    account, secret = add_account(rt, "root", Role.ADMIN, enrolled=True)
    minted = _mint(rt, _session_principal(rt, account), pyotp.TOTP(secret).now())
    assert isinstance(minted, tuple)
    token, row = minted
    assert token.startswith(tokens.TOKEN_PREFIX)
    assert token not in row.token_hash
    assert (row.account_id, row.role) == (account.id, "admin")
    with rt.sessions() as s:
        who = tokens.resolve(s, token=token)
    assert who is not None
    assert (who.account_id, who.role, who.via_token) == (account.id, Role.ADMIN, True)
    assert who.credential == f"token:{row.id}"


def test_a_token_never_mints_a_token(rt: Runtime) -> None:
    token, _row = add_token(rt, "bot", Role.REGISTRAR)
    with rt.sessions() as s:
        who = tokens.resolve(s, token=token)
    assert who is not None
    assert type(_mint(rt, who, "123456")) is tokens.TokenError


def test_no_token_before_the_second_factor_is_enrolled(rt: Runtime) -> None:
    account, secret = add_account(rt, "ana", Role.REGISTRAR)
    who = _session_principal(rt, account)
    assert who.enrolment_only
    minted = _mint(rt, who, pyotp.TOTP(secret).now())
    assert isinstance(minted, tokens.TokenError)
    assert str(minted) == "enrol the second factor first"


def test_a_wrong_or_replayed_code_mints_nothing(rt: Runtime) -> None:
    account, secret = add_account(rt, "ana", Role.REGISTRAR, enrolled=True)
    who = _session_principal(rt, account)
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    assert isinstance(_mint(rt, who, wrong), tokens.TokenCodeError)
    code = pyotp.TOTP(secret).now()
    assert isinstance(_mint(rt, who, code), tuple)
    assert isinstance(_mint(rt, who, code), tokens.TokenCodeError)  # the same code again


@pytest.mark.parametrize("state", ["unenrolled", "disabled", "other role"])
def test_a_token_resolves_only_for_an_enrolled_active_account_in_its_role(
    rt: Runtime, state: str
) -> None:
    token, row = add_token(rt, "bot", Role.REGISTRAR)
    with rt.transaction() as s:
        account = s.get(Account, row.account_id)
        assert account is not None
        if state == "unenrolled":
            account.totp_enrolled_at = None
        elif state == "disabled":
            account.disabled_at = account.created_at
        else:
            account.role = Role.VERIFIER.value
        assert tokens.resolve(s, token=token) is None


def test_a_token_records_the_day_it_was_last_used_never_the_time(rt: Runtime) -> None:
    token, row = add_token(rt, "daily", Role.REGISTRAR)
    assert row.last_used_at is None
    with rt.transaction() as s:
        assert tokens.resolve(s, token=token) is not None
    with rt.transaction() as s:
        used = s.get(ApiToken, row.id)
        assert used is not None
        assert used.last_used_at is not None
        assert used.last_used_at.time() == time(0, 0)
        assert used.last_used_at.date() == today()

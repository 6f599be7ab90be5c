"""Login: TOTP with replay protection, ASCII-only codes, every failure counted and audited
alike, back-off per (account, client) and a throttle per client."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from safeconduct.accounts import login, service
from safeconduct.accounts.models import Account, ClientThrottle, LoginBackoff
from safeconduct.accounts.policy import CLIENT_MAX_FAILURES, CLIENT_WINDOW_SECONDS, Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.db import utcnow
from safeconduct.runtime import Runtime
from tests.factories import PASSWORD, add_account

Outcome = Account | login.LoginRefusedError
ARABIC_INDIC = "\u0661\u0662\u0663\u0664\u0665\u0666"  # "١٢٣٤٥٦"
OWNER, STRANGER = "a" * 32, "b" * 32  # client refs, as `login_client` makes them


def _login(
    rt: Runtime,
    username: str = "ana",
    password: str = PASSWORD,
    code: str | None = None,
    *,
    client: str = OWNER,
    now: datetime | None = None,
) -> Outcome:
    with rt.transaction() as s:
        try:
            return login.authenticate(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                client=client,
                username=username,
                password=password,
                code=code,
                now=now,
            )
        except login.LoginRefusedError as exc:
            return exc  # returned, not raised: the failure's count and audit are committed


def _wrong(secret: str) -> str:
    return "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"


def _fails(rt: Runtime) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.in_(["account:login_fail", "account:login_throttled"]))
                .order_by(AuditEntry.seq)
            )
        )


def _client_failures(rt: Runtime, client: str) -> int:
    with rt.sessions() as s:
        row = s.get(ClientThrottle, client)
        return 0 if row is None else row.failures


def test_login_needs_the_current_code_once_enrolled(rt: Runtime) -> None:
    _, secret = add_account(rt, "ana", Role.VERIFIER, enrolled=True)
    assert isinstance(_login(rt), login.LoginRefusedError)
    assert isinstance(_login(rt, code=_wrong(secret)), login.LoginRefusedError)
    code = pyotp.TOTP(secret).now()
    assert isinstance(_login(rt, code=code), Account)
    assert isinstance(_login(rt, code=code), login.LoginRefusedError)  # never accepted twice


def test_unknown_accounts_cost_as_much_as_known_ones(rt: Runtime) -> None:
    add_account(rt, "ana", Role.VERIFIER, enrolled=True)

    def timed(username: str) -> float:
        start = time.perf_counter()
        _login(rt, username, "wrong password!")
        return time.perf_counter() - start

    timed("nobody")  # warm the dummy hash
    known = min(timed("ana") for _ in range(3))
    unknown = min(timed("nobody") for _ in range(3))
    assert unknown > known / 3  # both pay for one argon2 verification


@pytest.mark.parametrize("password", [PASSWORD, "wrong password!"])
def test_unicode_digits_are_malformed_whatever_the_password(rt: Runtime, password: str) -> None:
    account, _secret = add_account(rt, "ana", Role.VERIFIER, enrolled=True)
    outcome = _login(rt, password=password, code=ARABIC_INDIC)
    assert type(outcome) is login.MalformedCodeError  # the same answer, right password or not
    [entry] = _fails(rt)
    assert (entry.action, entry.subject_id) == ("account:login_fail", account.id)
    assert entry.purpose == f"malformed_code; client:{OWNER[:16]}"
    assert _client_failures(rt, OWNER) == 1
    with rt.sessions() as s:
        backoff = s.get(LoginBackoff, (account.id, OWNER))
        assert backoff is not None
        assert backoff.failures == 1


def _disable(rt: Runtime, account: Account) -> None:
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        service.disable(s, audit=rt.audit, actor=Actor("t"), account=fresh)


def _invite_only(rt: Runtime) -> Account:
    with rt.transaction() as s:
        account, _issued = service.create(
            s, audit=rt.audit, actor=Actor("t"), username="ana", role=Role.VERIFIER
        )
    return account


def _lock(rt: Runtime, account: Account) -> None:
    with rt.transaction() as s:
        s.add(
            LoginBackoff(
                account_id=account.id,
                client=OWNER,
                failures=9,
                locked_until=utcnow() + timedelta(hours=1),
            )
        )


@pytest.mark.parametrize(
    "case",
    ["unknown_account", "not_set_up", "bad_password", "bad_code", "disabled", "locked"],
)
def test_every_failure_is_counted_audited_and_answered_alike(rt: Runtime, case: str) -> None:
    if case == "not_set_up":
        account: Account | None = _invite_only(rt)
        secret = pyotp.random_base32()
    else:
        account, secret = add_account(rt, "ana", Role.REGISTRAR, enrolled=True)
    if case == "disabled":
        _disable(rt, account)
    if case == "locked":
        _lock(rt, account)
    username = "nobody" if case == "unknown_account" else "ana"
    password = "wrong password!" if case == "bad_password" else PASSWORD
    code = _wrong(secret) if case == "bad_code" else pyotp.TOTP(secret).now()
    outcome = _login(rt, username, password, code)
    assert type(outcome) is login.LoginRefusedError
    assert str(outcome) == "invalid username, password or code"
    [entry] = _fails(rt)
    subject = None if case == "unknown_account" or account is None else account.id
    assert (entry.action, entry.actor, entry.credential) == (
        "account:login_fail",
        "anonymous",
        "login",
    )
    assert (entry.subject_id, entry.purpose) == (subject, f"{case}; client:{OWNER[:16]}")
    assert _client_failures(rt, OWNER) == 1


def test_a_strangers_failures_never_keep_the_owner_out(rt: Runtime) -> None:
    _, secret = add_account(rt, "ana", Role.VERIFIER, enrolled=True)
    for _ in range(10):
        assert isinstance(
            _login(rt, password="wrong password!", client=STRANGER), login.LoginRefusedError
        )
    # The stranger's client is locked out of this account, even with the right password...
    code = pyotp.TOTP(secret).now()
    assert type(_login(rt, code=code, client=STRANGER)) is login.LoginRefusedError
    # ... and its owner, at their own client, is not.
    assert isinstance(_login(rt, code=code, client=OWNER), Account)


def test_a_login_clears_its_clients_back_off(rt: Runtime) -> None:
    account, secret = add_account(rt, "ana", Role.VERIFIER, enrolled=True)
    for _ in range(3):
        _login(rt, password="wrong password!")
    assert isinstance(_login(rt, code=pyotp.TOTP(secret).now()), Account)
    with rt.sessions() as s:
        assert s.get(LoginBackoff, (account.id, OWNER)) is None


def test_the_back_off_grows_and_then_lets_the_client_try_again(rt: Runtime) -> None:
    account, secret = add_account(rt, "ana", Role.VERIFIER, enrolled=True)
    start = utcnow()
    for _ in range(5):
        _login(rt, password="wrong password!", now=start)
    with rt.sessions() as s:
        backoff = s.get(LoginBackoff, (account.id, OWNER))
        assert backoff is not None
        assert backoff.locked_until == start + timedelta(seconds=30)
    later = start + timedelta(seconds=31)
    code = pyotp.TOTP(secret).at(later)
    assert isinstance(_login(rt, code=code, now=later), Account)


def test_a_client_is_throttled_over_every_username(rt: Runtime) -> None:
    _, secret = add_account(rt, "ana", Role.VERIFIER, enrolled=True)
    start = utcnow()
    for n in range(CLIENT_MAX_FAILURES):
        outcome = _login(rt, f"nobody-{n}", "wrong password!", client=STRANGER, now=start)
        assert type(outcome) is login.LoginRefusedError
    code = pyotp.TOTP(secret).at(start)
    throttled = _login(rt, code=code, client=STRANGER, now=start + timedelta(seconds=60))
    assert isinstance(throttled, login.ThrottledError)  # even with the right password
    assert throttled.retry_after == CLIENT_WINDOW_SECONDS - 60
    last = _fails(rt)[-1]
    assert (last.action, last.subject_id) == ("account:login_throttled", STRANGER[:16])
    assert _client_failures(rt, STRANGER) == CLIENT_MAX_FAILURES + 1  # counted, too
    # Another client is not slowed, and the throttled one may try again after the window.
    assert isinstance(_login(rt, code=code, client=OWNER, now=start), Account)
    later = start + timedelta(seconds=CLIENT_WINDOW_SECONDS + 1)
    code = pyotp.TOTP(secret).at(later)
    assert isinstance(_login(rt, code=code, client=STRANGER, now=later), Account)


def test_a_client_ref_is_a_keyed_hash_never_the_address(rt: Runtime) -> None:
    from safeconduct.accounts.throttle import client_key, client_ref

    key = client_key(rt.keyring)
    ref = client_ref(key, "203.0.113.7")
    assert "203.0.113.7" not in ref
    assert len(ref) == 32
    assert ref == client_ref(key, "203.0.113.7") != client_ref(key, "203.0.113.8")
    assert ref != client_ref(b"another key" * 3, "203.0.113.7")

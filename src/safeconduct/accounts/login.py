"""Log in with password and TOTP, or set up an account with an invitation.

Every failure, whatever its cause, is counted against the client (and the account, when
there is one) and audited, and answers the same; only a malformed code (known from the
input alone) and a throttled client are told so. The caller commits either way.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from safeconduct.accounts import invitations, passwords, throttle, totp
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import is_code
from safeconduct.accounts.service import get_by_username
from safeconduct.audit.actors import Actor, account_actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import utcnow
from safeconduct.security.service import Keyring

# No one is logged in yet: failed and throttled attempts are the client's.
ANONYMOUS = Actor("anonymous", "login")


class LoginRefusedError(Exception):
    """Login refused. One message for every cause, so nothing is learnt from it."""

    def __init__(self) -> None:
        super().__init__("invalid username, password or code")


class MalformedCodeError(LoginRefusedError):
    """The code is not six ASCII digits: refused before it means anything."""


class InvitationRefusedError(LoginRefusedError):
    """The invitation code is unknown, used or expired."""


class ThrottledError(LoginRefusedError):
    """Too many failures from this client; it waits `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class Failure(StrEnum):
    """Why an attempt failed, for the audit log only; the answer never says."""

    UNKNOWN_ACCOUNT = "unknown_account"
    NOT_SET_UP = "not_set_up"
    MALFORMED_CODE = "malformed_code"
    LOCKED = "locked"
    BAD_PASSWORD = "bad_password"  # noqa: S105 - a reason, not a password
    DISABLED = "disabled"
    BAD_CODE = "bad_code"
    BAD_INVITATION = "bad_invitation"


def _client_note(client: str) -> str:
    return f"client:{client[:16]}"


def _check_throttle(session: Session, audit: AuditLog, client: str, now: datetime) -> None:
    wait = throttle.retry_after(session, client=client, now=now)
    if wait:
        throttle.record_failure(session, client=client, account_id=None, now=now)
        audit.record(
            session, actor=ANONYMOUS, tag=AuditAction.LOGIN_THROTTLED, subject_id=client[:16]
        )
        raise ThrottledError(wait)


def _fail(
    session: Session,
    audit: AuditLog,
    client: str,
    account_id: str | None,
    failure: Failure,
    now: datetime,
) -> None:
    throttle.record_failure(session, client=client, account_id=account_id, now=now)
    audit.record(
        session,
        actor=ANONYMOUS,
        tag=AuditAction.LOGIN_FAIL,
        subject_id=account_id,
        purpose=f"{failure.value}; {_client_note(client)}",
    )


def _failure(
    session: Session,
    keyring: Keyring,
    account: Account | None,
    *,
    client: str,
    password_ok: bool,
    code: str | None,
    now: datetime,
) -> Failure | None:
    if code is not None and not is_code(code):
        return Failure.MALFORMED_CODE
    if account is None:
        return Failure.UNKNOWN_ACCOUNT
    if account.password_hash is None:
        return Failure.NOT_SET_UP
    if throttle.locked(session, account_id=account.id, client=client, now=now):
        return Failure.LOCKED
    if not password_ok:
        return Failure.BAD_PASSWORD
    if account.disabled_at is not None:
        return Failure.DISABLED
    enrolled = account.totp_enrolled_at is not None
    if enrolled and not totp.verify(session, keyring=keyring, account=account, code=code, now=now):
        return Failure.BAD_CODE
    return None


def authenticate(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    client: str,
    username: str,
    password: str,
    code: str | None,
    now: datetime | None = None,
) -> Account:
    """Check password and, once enrolled, the TOTP code; return the account. An account not
    yet enrolled gets in by password alone, to enrol and do nothing else (see sessions).

    Raise ThrottledError, MalformedCodeError or LoginRefusedError; each failure is counted
    and audited.
    """
    now = now or utcnow()
    _check_throttle(session, audit, client, now)
    account = get_by_username(session, username=username)
    # One argon2 verification on every path, known account or not, so timing tells nothing.
    password_ok = passwords.verify(account.password_hash if account else None, password)
    failure = _failure(
        session, keyring, account, client=client, password_ok=password_ok, code=code, now=now
    )
    if failure is not None:
        _fail(session, audit, client, account.id if account else None, failure, now)
        raise MalformedCodeError() if failure is Failure.MALFORMED_CODE else LoginRefusedError()
    assert account is not None
    throttle.clear(session, account_id=account.id, client=client)
    audit.record(
        session,
        actor=account_actor(account.id, "login"),
        tag=AuditAction.LOGIN,
        subject_id=account.id,
        purpose=_client_note(client),
    )
    return account


def redeem(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    client: str,
    code: str,
    password: str,
    now: datetime | None = None,
) -> Account:
    """Set up an account with its invitation: the holder's own password and a new TOTP
    secret to enrol. ThrottledError, counted and audited like a login.

    Raise ThrottledError, InvitationRefusedError, or PasswordError for a password too short (which
    leaves the code unused).
    """
    now = now or utcnow()
    passwords.check(password)  # a short password is refused before anything counts
    _check_throttle(session, audit, client, now)
    try:
        return invitations.accept(
            session,
            keyring=keyring,
            audit=audit,
            code=code,
            password=password,
            now=now,
            client=client,
        )
    except invitations.InvitationError as exc:
        _fail(session, audit, client, exc.account_id, Failure.BAD_INVITATION, now)
        raise InvitationRefusedError() from None

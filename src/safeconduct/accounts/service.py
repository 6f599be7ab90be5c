"""Accounts: argon2id passwords, TOTP, lockout, sessions and API tokens. The caller commits."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safeconduct.accounts.models import Account, WebSession
from safeconduct.accounts.policy import (
    Role,
    lock_seconds,
)
from safeconduct.audit.actors import Actor, account_actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import new_id, utcnow
from safeconduct.security.sealing import FieldRef
from safeconduct.security.service import KeyOwner, Keyring

MIN_PASSWORD = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended costs


class AuthError(Exception):
    """Login refused. One message for every cause, so nothing is learnt from it."""

    def __init__(self) -> None:
        super().__init__("invalid username, password or code")


class AccountError(ValueError):
    """An account operation that cannot be done (names the field, never a secret)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account acting in one role."""

    account_id: str
    username: str
    role: Role
    via_token: bool = False
    enrolment_only: bool = False
    # The session or token this call came with, named in every audit entry it causes.
    credential: str | None = None

    @property
    def actor(self) -> Actor:
        return account_actor(self.account_id, self.credential)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def _owner(account_id: str) -> KeyOwner:
    return KeyOwner("account", account_id)


def get_by_username(session: Session, *, username: str) -> Account | None:
    return session.scalars(select(Account).where(Account.username == username)).one_or_none()


def list_(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.username)))


def _new_totp_secret(session: Session, keyring: Keyring, account: Account) -> str:
    secret = pyotp.random_base32()
    account.totp_secret = keyring.seal(
        session,
        owner=_owner(account.id),
        field=FieldRef("accounts", "totp_secret", account.id),
        plaintext=secret.encode(),
    )
    account.totp_enrolled_at, account.totp_last_step = None, None
    return secret


def create(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    username: str,
    password: str,
    role: Role,
) -> tuple[Account, str]:
    """Create an account; return it with its new TOTP secret (shown once, for enrolment)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must be at least {MIN_PASSWORD} characters")
    if get_by_username(session, username=username) is not None:
        raise AccountError("username is taken")
    account = Account(
        id=new_id(), username=username, password_hash=_hasher.hash(password), role=role.value
    )
    secret = _new_totp_secret(session, keyring, account)
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.ACCOUNT_CREATE,
        subject_id=account.id,
        purpose=f"role: {role.value}",
    )
    return account, secret


def totp_secret(session: Session, *, keyring: Keyring, account: Account) -> str:
    """Open an account's TOTP secret (an authentication secret, not personal data)."""
    if account.totp_secret is None:
        raise AccountError("account has no second factor")
    return keyring.open(
        session, sealed=account.totp_secret, field=FieldRef("accounts", "totp_secret", account.id)
    ).decode()


def provisioning_uri(secret: str, username: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the enrolment QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Safe Conduct")


def _totp_ok(
    session: Session, keyring: Keyring, account: Account, code: str | None, now: datetime
) -> bool:
    if not code or not code.isdigit():
        return False
    totp = pyotp.TOTP(totp_secret(session, keyring=keyring, account=account))
    step = int(now.timestamp()) // totp.interval
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            if account.totp_last_step is not None and candidate <= account.totp_last_step:
                return False  # a replayed code
            account.totp_last_step = candidate
            return True
    return False


def _fail(session: Session, audit: AuditLog, account: Account, now: datetime) -> None:
    account.failed_logins += 1
    wait = lock_seconds(account.failed_logins)
    account.locked_until = now + timedelta(seconds=wait) if wait else None
    session.flush()
    audit.record(
        session,
        actor=account_actor(account.id, "login"),
        tag=AuditAction.LOGIN_FAIL,
        subject_id=account.id,
    )


def authenticate(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    username: str,
    password: str,
    code: str | None,
    now: datetime | None = None,
) -> Account | None:
    """Check password and, once enrolled, the TOTP code; None on any failure. A failure is
    counted and audited, so the caller commits either way."""
    now = now or utcnow()
    account = get_by_username(session, username=username)
    if account is None:
        _verify_password(_dummy_hash(), password)  # same work as for a real account
        return None
    locked = account.locked_until is not None and account.locked_until > now
    good = _verify_password(account.password_hash, password) and not locked
    if good and account.totp_enrolled_at is not None:
        good = _totp_ok(session, keyring, account, code, now)
    if not good or account.disabled_at is not None:
        if not locked:
            _fail(session, audit, account, now)
        return None
    account.failed_logins, account.locked_until = 0, None
    audit.record(
        session,
        actor=account_actor(account.id, "login"),
        tag=AuditAction.LOGIN,
        subject_id=account.id,
    )
    return account


def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def enrol_totp(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    account: Account,
    code: str,
    now: datetime | None = None,
) -> bool:
    """Confirm the second factor with a first code; return whether it was accepted."""
    now = now or utcnow()
    if not _totp_ok(session, keyring, account, code, now):
        return False
    account.totp_enrolled_at = now
    session.flush()
    audit.record(
        session,
        actor=account_actor(account.id, "login"),
        tag=AuditAction.ACCOUNT_TOTP_ENROL,
        subject_id=account.id,
    )
    return True


def disable(session: Session, *, audit: AuditLog, actor: Actor, account: Account) -> None:
    """Disable an account and end its sessions."""
    account.disabled_at = account.disabled_at or utcnow()
    session.execute(
        update(WebSession)
        .where(WebSession.account_id == account.id, WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.ACCOUNT_DISABLE,
        subject_id=account.id,
    )


def reset_totp(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, account: Account
) -> str:
    """Replace an account's TOTP secret; it must enrol again. Return the new secret."""
    secret = _new_totp_secret(session, keyring, account)
    session.execute(
        update(WebSession).where(WebSession.account_id == account.id).values(revoked_at=utcnow())
    )
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.ACCOUNT_TOTP_RESET,
        subject_id=account.id,
    )
    return secret


def set_language(session: Session, *, account_id: str, language: str) -> None:
    account = session.get(Account, account_id)
    if account is not None:
        account.language = language

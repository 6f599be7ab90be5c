"""The second factor: a TOTP secret sealed per account, codes checked once and in ASCII."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
from sqlalchemy.orm import Session

from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import is_code
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.security.sealing import FieldRef
from safeconduct.security.service import KeyOwner, Keyring


class TotpError(ValueError):
    """The account has no second factor to open."""


def _field(account: Account) -> FieldRef:
    return FieldRef("accounts", "totp_secret", account.id)


def new_secret(session: Session, *, keyring: Keyring, account: Account) -> None:
    """Give the account a new secret, sealed; it must enrol it before it counts."""
    account.totp_secret = keyring.seal(
        session,
        owner=KeyOwner("account", account.id),
        field=_field(account),
        plaintext=pyotp.random_base32().encode(),
    )
    account.totp_enrolled_at, account.totp_last_step = None, None


def secret(session: Session, *, keyring: Keyring, account: Account) -> str:
    """Open an account's TOTP secret (an authentication secret, not personal data)."""
    if account.totp_secret is None:
        raise TotpError("account has no second factor")
    return keyring.open(session, sealed=account.totp_secret, field=_field(account)).decode()


def provisioning_uri(secret_: str, username: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the enrolment QR code."""
    return pyotp.TOTP(secret_).provisioning_uri(name=username, issuer_name="Safe Conduct")


def verify(
    session: Session, *, keyring: Keyring, account: Account, code: str | None, now: datetime
) -> bool:
    """Check a code against the current step and its neighbours; never accept one twice."""
    if code is None or not is_code(code) or account.totp_secret is None:
        return False
    totp = pyotp.TOTP(secret(session, keyring=keyring, account=account))
    step = int(now.timestamp()) // totp.interval
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate).encode(), code.encode()):
            if account.totp_last_step is not None and candidate <= account.totp_last_step:
                return False  # a replayed code
            account.totp_last_step = candidate
            return True
    return False


def enrol(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    account: Account,
    code: str,
    now: datetime,
) -> bool:
    """Confirm the second factor with a first code; return whether it was accepted."""
    if not verify(session, keyring=keyring, account=account, code=code, now=now):
        return False
    account.totp_enrolled_at = now
    session.flush()
    audit.record(session, actor=actor, tag=AuditAction.ACCOUNT_TOTP_ENROL, subject_id=account.id)
    return True

"""One-time invitations: the holder of a new account sets their own password and enrols
TOTP with a random code; the admin who made the account never knows either."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safeconduct.accounts import passwords, totp
from safeconduct.accounts.models import Account, Invitation
from safeconduct.accounts.policy import INVITATION_SECONDS
from safeconduct.audit.actors import Actor, account_actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import new_id
from safeconduct.security.service import Keyring

# Crockford's base32: no I, L, O or U, so a code read aloud or typed is not mistyped.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP = 4, 5  # 20 symbols, 100 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class InvitationError(ValueError):
    """An invitation that cannot be used; names the account when the code was real."""

    def __init__(self, account_id: str | None = None) -> None:
        super().__init__("invitation code: unknown, used or expired")
        self.account_id = account_id


class Issued(NamedTuple):
    """A new invitation: the code (shown once, never stored) and when it expires."""

    code: str
    expires_at: datetime
    invitation_id: str


def new_code() -> str:
    """Return a random code in groups, as the holder will type it."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP))
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def _hash(code: str) -> str:
    # Case, spaces, dashes and look-alike letters do not matter; nothing else is mapped.
    plain = "".join(code.split()).replace("-", "").upper().translate(_READ_AS)
    return hashlib.sha256(plain.encode()).hexdigest()


def issue(
    session: Session, *, audit: AuditLog, actor: Actor, account: Account, now: datetime
) -> Issued:
    """Invite the holder of an account not yet set up; earlier codes stop working."""
    if account.password_hash is not None:
        raise InvitationError(account.id)
    session.execute(
        update(Invitation)
        .where(Invitation.account_id == account.id, Invitation.expires_at > now)
        .values(expires_at=now)
    )
    code = new_code()
    row = Invitation(
        id=new_id(),
        account_id=account.id,
        code_hash=_hash(code),
        created_at=now,
        expires_at=now + timedelta(seconds=INVITATION_SECONDS),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.INVITATION_CREATE,
        subject_id=account.id,
        purpose=f"invitation:{row.id}",
    )
    return Issued(code, row.expires_at, row.id)


def accept(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    code: str,
    password: str,
    now: datetime,
    client: str | None = None,
) -> Account:
    """Set the account's password and a new TOTP secret to enrol; use the code up. Raise
    InvitationError for a code that is unknown, used, expired or for a disabled account.

    The entry names the client it came from, so an auditor can tell whether the inviter
    used the code themselves (compare with the client of the inviter's login)."""
    password_hash = passwords.hash_(password)  # a weak password does not use the code up
    row = session.scalars(
        select(Invitation).where(Invitation.code_hash == _hash(code)).with_for_update()
    ).one_or_none()
    if row is None:
        raise InvitationError()
    account = session.get(Account, row.account_id)
    usable = row.used_at is None and row.expires_at > now
    if account is None or not usable or account.disabled_at is not None:
        raise InvitationError(row.account_id)
    if account.password_hash is not None:
        raise InvitationError(account.id)
    row.used_at = now
    account.password_hash = password_hash
    totp.new_secret(session, keyring=keyring, account=account)
    session.flush()
    audit.record(
        session,
        actor=account_actor(account.id, f"invitation:{row.id}"),
        tag=AuditAction.INVITATION_ACCEPT,
        subject_id=account.id,
        purpose=f"client:{client[:16]}" if client else None,
    )
    return account

"""API tokens for machine clients: minted by their owner alone, for itself, from a browser
session and with a fresh TOTP code; stored as SHA-256. The caller commits."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.accounts import totp
from safeconduct.accounts.models import Account, ApiToken
from safeconduct.accounts.policy import Role
from safeconduct.accounts.service import Principal
from safeconduct.accounts.sessions import sha256
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import new_id, today, utcnow
from safeconduct.security.service import Keyring

TOKEN_PREFIX = "sct_"  # noqa: S105 - a prefix that marks tokens in logs scanners, not a secret


class TokenError(Exception):
    """A token that may not be minted: not from a browser session, or no second factor."""


class TokenCodeError(TokenError):
    """The TOTP code given to mint a token does not match."""


def _owner(session: Session, who: Principal) -> Account:
    # A token is the caller's own power, never another's, and never minted by a token:
    # a stolen token must not breed more.
    if who.via_token or not (who.credential or "").startswith("session:"):
        raise TokenError("tokens are minted from a browser session")
    account = session.get(Account, who.account_id)
    if (
        account is None
        or who.enrolment_only
        or account.disabled_at is not None
        or account.totp_enrolled_at is None
    ):
        raise TokenError("enrol the second factor first")
    return account


def create(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    name: str,
    code: str,
    now: datetime | None = None,
) -> tuple[str, ApiToken]:
    """Mint a token for the caller, in its own role; return it (shown once) and its record."""
    account = _owner(session, who)
    if not totp.verify(session, keyring=keyring, account=account, code=code, now=now or utcnow()):
        raise TokenCodeError("code: does not match")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=new_id(), account_id=account.id, name=name, role=account.role, token_hash=sha256(token)
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=who.actor,
        tag=AuditAction.TOKEN_CREATE,
        subject_id=row.id,
        purpose=f"for account:{account.id} as {account.role}",
    )
    return token, row


def _mark_used(row: ApiToken) -> None:
    # The day only, written once a day: an exact time would date the newest entry the
    # token wrote to the audit log, which keeps days alone.
    day = datetime.combine(today(), time(), tzinfo=UTC)
    if row.last_used_at is None or row.last_used_at < day:
        row.last_used_at = day


def resolve(session: Session, *, token: str) -> Principal | None:
    """Return who holds this token, or None if it is unknown, revoked, of another role than
    its account's now, of a disabled account, or of one without an enrolled second factor."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == sha256(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    account = session.get(Account, row.account_id)
    if (
        account is None
        or account.disabled_at is not None
        or account.role != row.role
        or account.totp_enrolled_at is None
    ):
        return None
    _mark_used(row)
    return Principal(
        account.id,
        account.username,
        Role(account.role),
        via_token=True,
        credential=f"token:{row.id}",
        # A token follows its account: no approval of the account, no sealed read.
        sealed_approved=account.sealed_access_approved,
    )


def list_(session: Session, *, account_id: str | None = None) -> list[ApiToken]:
    """Return tokens (never their secret), newest first; one account's when given."""
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id)
    if account_id is not None:
        stmt = stmt.where(ApiToken.account_id == account_id)
    return list(session.scalars(stmt))


def revoke(session: Session, *, audit: AuditLog, actor: Actor, token: ApiToken) -> None:
    token.revoked_at = token.revoked_at or utcnow()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.TOKEN_REVOKE,
        subject_id=token.id,
        purpose=f"of account:{token.account_id}",
    )

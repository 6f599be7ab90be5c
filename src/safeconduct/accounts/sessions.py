"""Browser sessions, CSRF tokens and API tokens. The caller commits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.accounts.models import Account, ApiToken, WebSession
from safeconduct.accounts.policy import (
    SESSION_ABSOLUTE_SECONDS,
    SESSION_IDLE_SECONDS,
    Role,
    needs_second_factor,
)
from safeconduct.accounts.service import Principal
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import new_id, utcnow

TOKEN_PREFIX = "sct_"  # noqa: S105 - a prefix that marks tokens in logs scanners, not a secret


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, *, account: Account) -> tuple[str, WebSession]:
    """Open a browser session; return the cookie token (the store keeps only its hash)."""
    token = secrets.token_urlsafe(32)
    pending = account.totp_enrolled_at is None and needs_second_factor(Role(account.role))
    row = WebSession(token_hash=_sha256(token), account_id=account.id, enrolment_only=pending)
    session.add(row)
    session.flush()
    return token, row


def _principal(
    account: Account, *, credential: str, via_token: bool = False, enrolment_only: bool = False
) -> Principal:
    return Principal(
        account.id, account.username, Role(account.role), via_token, enrolment_only, credential
    )


def session_credential(token_hash: str) -> str:
    """How audit entries name a browser session: a prefix of the hash of its cookie, which
    identifies it in the store and cannot be turned back into the cookie."""
    return f"session:{token_hash[:16]}"


def resolve_session(
    session: Session, *, token: str, now: datetime | None = None
) -> Principal | None:
    """Return who holds this session cookie, or None if it is unknown, revoked or expired."""
    now = now or utcnow()
    row = session.get(WebSession, _sha256(token))
    if row is None or row.revoked_at is not None:
        return None
    idle = now - row.last_seen_at > timedelta(seconds=SESSION_IDLE_SECONDS)
    old = now - row.created_at > timedelta(seconds=SESSION_ABSOLUTE_SECONDS)
    account = session.get(Account, row.account_id)
    if idle or old or account is None or account.disabled_at is not None:
        return None
    if now - row.last_seen_at > timedelta(seconds=60):
        row.last_seen_at = now  # written at most once a minute
    return _principal(
        account, credential=session_credential(row.token_hash), enrolment_only=row.enrolment_only
    )


def end_session(session: Session, *, token: str) -> None:
    row = session.get(WebSession, _sha256(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def finish_enrolment(session: Session, *, token: str) -> None:
    row = session.get(WebSession, _sha256(token))
    if row is not None:
        row.enrolment_only = False


def csrf_token(session_token: str) -> str:
    """Derive the CSRF token from the session cookie: a cross-site page can read neither."""
    return hmac.new(session_token.encode(), b"safeconduct/csrf/v1", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(session_token), presented)


def create_token(
    session: Session, *, audit: AuditLog, actor: Actor, account: Account, name: str
) -> tuple[str, ApiToken]:
    """Issue an API token in the account's role; return it (shown once) and its record."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=new_id(), account_id=account.id, name=name, role=account.role, token_hash=_sha256(token)
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.TOKEN_CREATE,
        subject_id=row.id,
    )
    return token, row


def resolve_token(session: Session, *, token: str) -> Principal | None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _sha256(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    account = session.get(Account, row.account_id)
    if account is None or account.disabled_at is not None or account.role != row.role:
        return None
    return _principal(account, credential=f"token:{row.id}", via_token=True)


def revoke_token(session: Session, *, audit: AuditLog, actor: Actor, token: ApiToken) -> None:
    token.revoked_at = token.revoked_at or utcnow()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.TOKEN_REVOKE,
        subject_id=token.id,
    )

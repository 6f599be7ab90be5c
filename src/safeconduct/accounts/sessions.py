"""Browser sessions and CSRF tokens. The caller commits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from safeconduct.accounts.models import Account, WebSession
from safeconduct.accounts.policy import SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS, Role
from safeconduct.accounts.service import Principal
from safeconduct.db import utcnow


def sha256(token: str) -> str:
    """The stored form of a random bearer secret (a cookie or an API token)."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, *, account: Account) -> tuple[str, WebSession]:
    """Open a browser session; return the cookie token (the store keeps only its hash)."""
    token = secrets.token_urlsafe(32)
    # Every role needs the second factor: until it is enrolled, the session may only enrol.
    pending = account.totp_enrolled_at is None
    row = WebSession(token_hash=sha256(token), account_id=account.id, enrolment_only=pending)
    session.add(row)
    session.flush()
    return token, row


def _principal(
    account: Account, *, credential: str, via_token: bool = False, enrolment_only: bool = False
) -> Principal:
    return Principal(
        account.id,
        account.username,
        Role(account.role),
        via_token,
        enrolment_only,
        credential,
        sealed_approved=account.sealed_access_approved,
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
    row = session.get(WebSession, sha256(token))
    if row is None or row.revoked_at is not None:
        return None
    idle = now - row.last_seen_at > timedelta(seconds=SESSION_IDLE_SECONDS)
    old = now - row.created_at > timedelta(seconds=SESSION_ABSOLUTE_SECONDS)
    account = session.get(Account, row.account_id)
    if idle or old or account is None or account.disabled_at is not None:
        return None
    if now - row.last_seen_at > timedelta(seconds=60):
        row.last_seen_at = now  # written at most once a minute
    # A session from before a reset or an older rule is held to the account's state now.
    pending = row.enrolment_only or account.totp_enrolled_at is None
    return _principal(
        account, credential=session_credential(row.token_hash), enrolment_only=pending
    )


def end_session(session: Session, *, token: str) -> None:
    row = session.get(WebSession, sha256(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def finish_enrolment(session: Session, *, token: str) -> None:
    row = session.get(WebSession, sha256(token))
    if row is not None:
        row.enrolment_only = False


def csrf_token(session_token: str) -> str:
    """Derive the CSRF token from the session cookie: a cross-site page can read neither."""
    return hmac.new(session_token.encode(), b"safeconduct/csrf/v1", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(session_token), presented)

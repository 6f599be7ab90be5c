"""Login back-off per (account, client) and a throttle per client.

A client is named by a keyed hash of its network address: the store never holds the
address, and without the key no one can test a guessed address against it. A stranger's
failures slow the stranger's client only; the owner at their own desk is never locked out.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any, TypeVar

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from safeconduct.accounts.models import ClientThrottle, LoginBackoff
from safeconduct.accounts.policy import CLIENT_WINDOW_SECONDS, client_retry_after, lock_seconds
from safeconduct.db import Base
from safeconduct.security.service import Keyring

_INFO = b"safeconduct/login-client/v1"
Row = TypeVar("Row", bound=Base)


def client_key(keyring: Keyring) -> bytes:
    """Derive the key that names clients from the current key-encryption key (a separate
    key by its label; rotating the KEK starts the counts afresh)."""
    provider = keyring.provider
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=_INFO).derive(
        provider.get(provider.current_id())
    )


def client_ref(key: bytes, address: str) -> str:
    """Name a client by a keyed hash of its address."""
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def _locked_row(session: Session, model: type[Row], key: Any, values: dict[str, Any]) -> Row:
    # Insert if missing, then lock: concurrent failures from one client all count.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())
    row = session.get(model, key, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def retry_after(session: Session, *, client: str, now: datetime) -> int:
    """Return how many seconds this client must wait before any attempt; 0 if it may try."""
    row = session.get(ClientThrottle, client)
    if row is None:
        return 0
    return client_retry_after(row.failures, (now - row.window_started_at).total_seconds())


def locked(session: Session, *, account_id: str, client: str, now: datetime) -> bool:
    """Tell whether this client must still wait before trying this account again."""
    row = session.get(LoginBackoff, (account_id, client))
    return row is not None and row.locked_until is not None and row.locked_until > now


def record_failure(session: Session, *, client: str, account_id: str | None, now: datetime) -> None:
    """Count a failure against the client, and against (account, client) when the account
    exists."""
    throttle = _locked_row(
        session,
        ClientThrottle,
        client,
        {"client": client, "window_started_at": now, "failures": 0},
    )
    if now - throttle.window_started_at >= timedelta(seconds=CLIENT_WINDOW_SECONDS):
        throttle.window_started_at, throttle.failures = now, 0
    throttle.failures += 1
    if account_id is None:
        return
    backoff = _locked_row(
        session,
        LoginBackoff,
        (account_id, client),
        {"account_id": account_id, "client": client, "failures": 0, "locked_until": None},
    )
    backoff.failures += 1
    wait = lock_seconds(backoff.failures)
    backoff.locked_until = now + timedelta(seconds=wait) if wait else None
    session.flush()


def clear(session: Session, *, account_id: str, client: str) -> None:
    """Forget a client's failures on an account after it logged in."""
    session.execute(
        delete(LoginBackoff).where(
            LoginBackoff.account_id == account_id, LoginBackoff.client == client
        )
    )

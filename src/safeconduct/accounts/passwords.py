"""Passwords: argon2id, with the same work whether or not the account exists or has one."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from safeconduct.accounts.policy import MIN_PASSWORD

_hasher = PasswordHasher()  # argon2id with the library's current recommended costs


class PasswordError(ValueError):
    """A new password that cannot be used."""


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def check(password: str) -> None:
    """Refuse a new password shorter than the minimum."""
    if len(password) < MIN_PASSWORD:
        raise PasswordError(f"password must be at least {MIN_PASSWORD} characters")


def hash_(password: str) -> str:
    """Hash a new password; refuse one shorter than the minimum."""
    check(password)
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Check a password. Without a hash (no account, or none set yet), do the same work
    against a dummy hash and refuse, so timing tells nothing."""
    try:
        ok = _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None

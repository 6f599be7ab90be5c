"""API test helpers: accounts per role with bearer tokens, and a TestClient over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest
from fastapi.testclient import TestClient

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.db import utcnow
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app

PASSWORD = "a long enough password"


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    # HTTPS base URL: the session cookie is Secure and a client must not send it over HTTP.
    return TestClient(create_app(rt), base_url="https://testserver")


@pytest.fixture
def bearer(rt: Runtime) -> Callable[[Role], dict[str, str]]:
    """Return Authorization headers for a fresh account in the given role."""
    made: dict[Role, dict[str, str]] = {}

    def headers(role: Role) -> dict[str, str]:
        if role not in made:
            with rt.transaction() as s:
                account, _ = accounts.create(
                    s,
                    keyring=rt.keyring,
                    audit=rt.audit,
                    actor="t",
                    username=f"{role.value}-bearer",
                    password=PASSWORD,
                    role=role,
                )
                token, _ = accounts.create_token(
                    s, audit=rt.audit, actor="t", account=account, name="tests"
                )
            made[role] = {"Authorization": f"Bearer {token}"}
        return made[role]

    return headers


def make_account(rt: Runtime, username: str, role: Role, *, enrolled: bool) -> str:
    """Create an account and return its TOTP secret."""
    with rt.transaction() as s:
        account, secret = accounts.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor="t",
            username=username,
            password=PASSWORD,
            role=role,
        )
        if enrolled:
            account.totp_enrolled_at = utcnow()
    return secret


def code(secret: str) -> str:
    return pyotp.TOTP(secret).now()

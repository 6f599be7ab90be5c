"""API test helpers: accounts per role with bearer tokens, and a TestClient over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest
from fastapi.testclient import TestClient

from safeconduct.accounts.policy import Role
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import add_account, add_token


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
            token, _ = add_token(rt, f"{role.value}-bearer", role)
            made[role] = {"Authorization": f"Bearer {token}"}
        return made[role]

    return headers


def make_account(rt: Runtime, username: str, role: Role, *, enrolled: bool) -> str:
    """Create an account and return its TOTP secret."""
    return add_account(rt, username, role, enrolled=enrolled)[1]


def code(secret: str) -> str:
    return pyotp.TOTP(secret).now()

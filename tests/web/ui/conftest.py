"""UI test helpers: log in through the HTML form and read the page's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from safeconduct.accounts.policy import Role
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import PASSWORD
from tests.web.conftest import code, make_account

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None, "no CSRF field on the page"
    return match.group(1)


@pytest.fixture
def ui_login(rt: Runtime) -> Callable[[Role], TestClient]:
    """Return a client logged in through the form as a fresh, enrolled account of a role."""

    def login(role: Role) -> TestClient:
        client = TestClient(create_app(rt), base_url="https://testserver")
        username = f"ui-{role.value}"
        secret = make_account(rt, username, role, enrolled=True)
        answer = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "code": code(secret)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return client

    return login

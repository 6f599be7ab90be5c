"""HTTP clients for the account tests, each from its own network address."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app

ClientAt = Callable[[str], TestClient]


@pytest.fixture
def client_at(rt: Runtime) -> ClientAt:
    """Return a client of the app over HTTPS (the session cookie is Secure) that connects
    from the given address."""
    app = create_app(rt)

    def make(address: str) -> TestClient:
        return TestClient(app, base_url="https://testserver", client=(address, 50000))

    return make

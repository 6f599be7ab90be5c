"""Custody test helpers: accepted requests, events through the service, a registrar's
browser session and bearer token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from safeconduct.accounts.policy import Role
from safeconduct.custody.models import CustodyEvent
from safeconduct.custody.schemas import CustodyEventCreate
from safeconduct.intake.models import RequestStatus, SurrenderRequest
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import add_custody_event, add_request, add_token
from tests.web.ui.conftest import csrf_of, ui_login


def accepted_request(
    rt: Runtime, reference: str | None = None, status: RequestStatus = RequestStatus.ACCEPTED
) -> SurrenderRequest:
    """A request in a given status (accepted by default), set directly: how intake got it
    there is intake's business, not custody's."""
    request = add_request(rt)
    with rt.transaction() as s:
        row = s.get(SurrenderRequest, request.id)
        assert row is not None
        row.status, row.reference = status.value, reference
        return row


def record(rt: Runtime, custody_id: str, **fields: object) -> CustodyEvent:
    """Record one event through the service, in its own transaction."""
    return add_custody_event(
        rt,
        custody_id,
        CustodyEventCreate.model_validate(
            {"occurred_on": "2026-03-05", "reason": "as ordered", **fields}
        ),
    )


__all__ = ["ui_login"]  # a fixture these tests share with the UI tests


@dataclass
class Browser:
    """A registrar's browser: the client and the CSRF token of its session."""

    client: TestClient
    csrf: str

    def post(self, path: str, **data: str) -> Response:
        return self.client.post(
            path, data={"csrf_token": self.csrf, **data}, follow_redirects=False
        )


@pytest.fixture
def registrar_ui(ui_login: Callable[[Role], TestClient]) -> Browser:
    client = ui_login(Role.REGISTRAR)
    return Browser(client, csrf_of(client.get("/people").text))


@pytest.fixture
def api(rt: Runtime) -> tuple[TestClient, Callable[[Role], dict[str, str]]]:
    """An API client, and bearer headers for a fresh account in a role."""
    made: dict[Role, dict[str, str]] = {}

    def headers(role: Role) -> dict[str, str]:
        if role not in made:
            token, _ = add_token(rt, f"custody-{role.value}", role)
            made[role] = {"Authorization": f"Bearer {token}"}
        return made[role]

    return TestClient(create_app(rt), base_url="https://testserver"), headers

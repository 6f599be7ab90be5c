"""Logs hold no personal data: not an unhandled error's message, not its SQL, not a path."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.types import Receive, Scope, Send

from safeconduct.db import utcnow
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession
from safeconduct.runtime import Runtime
from safeconduct.web.app import ContainErrors, create_app


def test_an_error_after_the_answer_is_logged_by_type_only(caplog: pytest.LogCaptureFixture) -> None:
    sent: list[dict[str, object]] = []

    async def failing_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 500, "headers": []})
        raise ValueError("PLANTED-NAME in an exception message")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    with caplog.at_level(logging.DEBUG):
        # A thread of its own: the browser tests may leave an event loop running here.
        worker = threading.Thread(
            target=asyncio.run,
            args=(ContainErrors(failing_app)({"type": "http"}, receive, send),),  # type: ignore[arg-type]
        )
        worker.start()
        worker.join(timeout=10)
    assert sent[0]["status"] == 500
    assert "unhandled ValueError" in caplog.text
    assert "PLANTED" not in caplog.text


def test_a_database_error_in_a_request_leaves_no_value_in_logs_or_answer(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(rt)
    router = APIRouter()

    @router.post("/api/v1/probe-duplicate")
    def duplicate(db: DbSession, _: Annotated[None, Depends(Requires(None))]) -> None:
        # PostgreSQL names the clashing key value in its message: "Key (id)=(424242)".
        for _ in range(2):
            db.execute(
                text("INSERT INTO heartbeat (id, beat_at) VALUES (424242, :at)"), {"at": utcnow()}
            )

    app.include_router(router)
    # raise_server_exceptions: had the error got past ContainErrors, the server would log it.
    client = TestClient(ContainErrors(app), raise_server_exceptions=True)
    with caplog.at_level(logging.DEBUG):
        response = client.post("/api/v1/probe-duplicate")
    assert response.status_code == 500
    assert "unhandled IntegrityError" in caplog.text
    assert "424242" not in caplog.text
    assert "424242" not in response.text


def test_each_answer_is_logged_by_route_template_never_by_path(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A path may hold an id or a search term; the log line holds the route's template."""
    with caplog.at_level(logging.INFO, logger="safeconduct"):
        client.get("/api/v1/requests/PLANTED-4242")
        client.get("/no/such/PLANTED-page")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("safeconduct")]
    # The template within its router (FastAPI keeps an included router's prefix apart).
    assert any(re.match(r"GET \S*/requests/\{request_id\} 401 ", line) for line in lines), lines
    assert any(line.startswith("GET <unmatched> 404 ") for line in lines), lines
    assert "PLANTED" not in caplog.text

"""The health check and the error shape of the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel

from safeconduct.config import Settings
from safeconduct.runtime import Runtime, open_runtime
from safeconduct.web.app import create_app


def test_health_answers_200_when_the_store_reads_and_writes(rt: Runtime) -> None:
    response = TestClient(create_app(rt)).get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "read": True, "write": True}


def test_health_answers_503_when_the_store_cannot_be_written(
    settings: Settings, tmp_path: Path
) -> None:
    if not settings.db_url.startswith("sqlite"):
        return  # a read-only PostgreSQL role would need a second server account
    path = settings.db_url.removeprefix("sqlite:///")
    read_only = settings.model_copy(update={"db_url": f"sqlite:///file:{path}?mode=ro&uri=true"})
    rt = open_runtime(read_only)
    response = TestClient(create_app(rt)).get("/api/v1/health")
    rt.close()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "read": True, "write": False}


def test_health_answers_503_when_the_store_is_gone(settings: Settings, tmp_path: Path) -> None:
    gone = settings.model_copy(update={"db_url": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    rt = open_runtime(gone)
    response = TestClient(create_app(rt)).get("/api/v1/health")
    rt.close()
    assert response.status_code == 503
    assert response.json()["read"] is False


class Probe(BaseModel):
    surname: str
    count: int


def _app_with_probe(rt: Runtime) -> TestClient:
    app = create_app(rt)
    router = APIRouter()

    @router.post("/probe")
    def probe(body: Probe) -> dict[str, str]:
        return {"ok": body.surname}

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("SECRET-IN-EXCEPTION")

    app.include_router(router, prefix="/api/v1")
    return TestClient(app, raise_server_exceptions=False)


def test_validation_errors_name_the_field_and_never_echo_input(rt: Runtime) -> None:
    client = _app_with_probe(rt)
    response = client.post("/api/v1/probe", json={"surname": "SECRET-INPUT", "count": "many"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert [d["field"] for d in body["detail"]] == ["body.count"]
    assert "SECRET-INPUT" not in response.text
    assert "many" not in response.text


def test_malformed_json_is_a_4xx(rt: Runtime) -> None:
    response = _app_with_probe(rt).post(
        "/api/v1/probe", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_an_unexpected_error_shows_nothing(rt: Runtime) -> None:
    response = _app_with_probe(rt).get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "detail": "internal error"}
    assert "SECRET" not in response.text
    assert "Traceback" not in response.text


def test_unknown_routes_are_json_404(rt: Runtime) -> None:
    response = TestClient(create_app(rt)).get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.json()["error"] == "http_error"


def test_openapi_describes_the_health_route(rt: Runtime) -> None:
    schema = TestClient(create_app(rt)).get("/openapi.json").json()
    assert "/api/v1/health" in schema["paths"]


def test_an_oversized_body_is_refused_with_413(rt: Runtime) -> None:
    client = _app_with_probe(rt)
    huge = {"surname": "x" * (300 * 1024), "count": 1}
    response = client.post("/api/v1/probe", json=huge)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("body")
    lying = client.post(
        "/api/v1/probe",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": "abc"},
    )
    assert lying.status_code in (400, 413)

"""The OpenAPI schema says how to call each operation: a bearer token, or the session cookie
with the X-CSRF-Token header on unsafe methods; nothing for public ones."""

from __future__ import annotations

from typing import Any
from unittest.mock import ANY

import pytest
from fastapi.testclient import TestClient

from safeconduct.http.auth import SESSION_COOKIE
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.web.test_authorization import parse_matrix

BEARER_OR_COOKIE = [{"bearerAuth": []}, {"sessionCookie": []}]
BEARER_OR_COOKIE_CSRF = [{"bearerAuth": []}, {"sessionCookie": [], "csrfHeader": []}]
COOKIE_CSRF_ONLY = [{"sessionCookie": [], "csrfHeader": []}]


@pytest.fixture
def schema(rt: Runtime) -> dict[str, Any]:
    client = TestClient(create_app(rt), base_url="https://testserver")
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }


def test_the_schemes_are_declared(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": ANY},
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": ANY,
        },
        "csrfHeader": {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRF-Token",
            "description": ANY,
        },
    }


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/v1/health", []),
        ("POST", "/api/v1/auth/login", []),
        ("POST", "/api/v1/auth/invitation", []),
        ("GET", "/api/v1/persons", BEARER_OR_COOKIE),
        ("PATCH", "/api/v1/persons/{person_id}", BEARER_OR_COOKIE_CSRF),
        ("DELETE", "/api/v1/tokens/{token_id}", BEARER_OR_COOKIE_CSRF),
        ("POST", "/api/v1/auth/tokens", COOKIE_CSRF_ONLY),
        ("POST", "/api/v1/accounts/{account_id}/approve", COOKIE_CSRF_ONLY),
        ("POST", "/api/v1/auth/time-zone", BEARER_OR_COOKIE_CSRF),
    ],
)
def test_known_operations_say_who_may_call(
    schema: dict[str, Any], method: str, path: str, expected: list[dict[str, list[str]]]
) -> None:
    assert _operations(schema)[(method, path)]["security"] == expected


def test_every_operation_agrees_with_the_authorization_matrix(schema: dict[str, Any]) -> None:
    """Public in the matrix: no requirement; allowed to no token ("s" only): the cookie and
    CSRF header alone; else a token or the cookie, with the header on unsafe methods."""
    matrix = parse_matrix()
    wrong = []
    operations = _operations(schema)
    assert len(operations) > 30
    for (method, path), op in operations.items():
        if (method, path) not in matrix:
            continue  # test_the_matrix_names_every_route says so
        allowed = matrix[(method, path)]
        unsafe = method not in ("GET", "HEAD", "OPTIONS")
        if allowed is None:
            expected: list[dict[str, list[str]]] = []
        elif not allowed[1]:
            expected = COOKIE_CSRF_ONLY
        else:
            expected = BEARER_OR_COOKIE_CSRF if unsafe else BEARER_OR_COOKIE
        if op.get("security") != expected:
            wrong.append(f"{method} {path}: {op.get('security')}")
    assert wrong == []


def test_no_reference_page_loads_assets_from_elsewhere(rt: Runtime) -> None:
    client = TestClient(create_app(rt), base_url="https://testserver")
    for path in ("/docs", "/redoc", "/api/docs", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path

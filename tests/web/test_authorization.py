"""Deny by default: every route declares its permission, and the full role x route matrix
holds on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Route

from safeconduct.accounts.policy import Role
from safeconduct.disclosure.policy import APPROVAL_GATED, needs_approval
from safeconduct.http.auth import Requires
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import (
    add_account,
    add_custody,
    add_person,
    add_request,
    add_session,
    add_token,
    mint_token,
    session_headers,
)

# Columns: I intake, R registrar, M medical, W welfare, V verifier, E exchange, T tracing,
# A auditor, D admin. "+" allowed with a session or an API token, "s" allowed with a browser
# session only (a token is refused), "." denied; "public" needs no account at all.
MATRIX = """
GET    /api/v1/health                                       public
POST   /api/v1/auth/login                                   public
POST   /api/v1/auth/invitation                              public
POST   /api/v1/auth/logout                                  + + + + + + + + +
GET    /api/v1/auth/me                                      + + + + + + + + +
GET    /api/v1/auth/totp/qr                                 + + + + + + + + +
POST   /api/v1/auth/totp/enrol                              + + + + + + + + +
POST   /api/v1/auth/language                                + + + + + + + + +
GET    /api/v1/auth/tokens                                  + + + + + + + + +
POST   /api/v1/auth/tokens                                  s s s s s s s s s
DELETE /api/v1/auth/tokens/{token_id}                       + + + + + + + + +
GET    /api/v1/accounts                                     . . . . . . . . +
POST   /api/v1/accounts                                     . . . . . . . . +
POST   /api/v1/accounts/{account_id}/invitation             . . . . . . . . +
POST   /api/v1/accounts/{account_id}/role                   . . . . . . . . +
POST   /api/v1/accounts/{account_id}/disable                . . . . . . . . +
POST   /api/v1/accounts/{account_id}/enable                 . . . . . . . . +
POST   /api/v1/accounts/{account_id}/reset-totp             . . . . . . . . +
GET    /api/v1/accounts/pending-approval                    . . . . . . . + .
POST   /api/v1/accounts/{account_id}/approve                . . . . . . . s .
POST   /api/v1/accounts/{account_id}/unapprove              . . . . . . . + .
GET    /api/v1/tokens                                       . . . . . . . . +
DELETE /api/v1/tokens/{token_id}                            . . . . . . . . +
GET    /api/v1/persons                                      . + + + + + + . .
POST   /api/v1/persons                                      . + . . . . . . .
GET    /api/v1/persons/{person_id}                          . + + + + + + . .
PATCH  /api/v1/persons/{person_id}                          . + . . . . . . .
GET    /api/v1/persons/{person_id}/access-log               . + . . . . . + .
GET    /api/v1/persons/{person_id}/custodies                . + + + + + . . .
GET    /api/v1/requests                                     + . . . . . . . .
POST   /api/v1/requests                                     + . . . . . . . .
GET    /api/v1/requests/{request_id}                        + . . . . . . . .
POST   /api/v1/requests/{request_id}/status                 + . . . . . . . .
POST   /api/v1/requests/{request_id}/reveal                 + . . . . . . . .
POST   /api/v1/custodies                                    . + . . . . . . .
GET    /api/v1/custodies/{custody_id}                       . + + + + + . . .
POST   /api/v1/custodies/{custody_id}/circumstances/reveal  . . . . + . . . .
GET    /api/v1/audit/entries                                . . . . . . . + .
POST   /api/v1/audit/verify                                 . . . . . . . + .
GET    /                                                    public
GET    /login                                               public
POST   /login                                               public
GET    /invitation                                          public
POST   /invitation                                          public
GET    /enrol                                               + + + + + + + + +
POST   /enrol                                               + + + + + + + + +
POST   /logout                                              + + + + + + + + +
POST   /language                                            + + + + + + + + +
GET    /people                                              . + + + + + + . .
GET    /people/{person_id}                                  . + + + + + + . .
POST   /people/{person_id}/custodies/{custody_id}/reveal    . . . . + . . . .
GET    /requests                                            + . . . . . . . .
GET    /requests/{request_id}                               + . . . . . . . .
POST   /requests/{request_id}/status                        + . . . . . . . .
POST   /requests/{request_id}/reveal                        + . . . . . . . .
GET    /audit                                               . . . . . . . + .
POST   /audit/verify                                        . . . . . . . + .
GET    /audit/approvals                                     . . . . . . . + .
POST   /audit/approvals/{account_id}/approve                . . . . . . . s .
POST   /audit/approvals/{account_id}/unapprove              . . . . . . . + .
GET    /accounts                                            . . . . . . . . +
POST   /accounts                                            . . . . . . . . +
POST   /accounts/{account_id}/invitation                    . . . . . . . . +
"""
COLUMNS = [
    Role.INTAKE,
    Role.REGISTRAR,
    Role.MEDICAL,
    Role.WELFARE,
    Role.VERIFIER,
    Role.EXCHANGE,
    Role.TRACING,
    Role.AUDITOR,
    Role.ADMIN,
]
# FastAPI's own schema route is public by design.
FRAMEWORK_ROUTES = {"/openapi.json"}


Allowed = tuple[frozenset[Role], frozenset[Role]]  # (with a session, with a token)


# Each area's newer routes are listed in a file of its own, in the same format.
MORE = Path(__file__).parent / "matrix"


def matrix_lines() -> list[str]:
    lines = MATRIX.strip().splitlines()
    for part in sorted(MORE.glob("*.txt")):
        lines += [ln for ln in part.read_text().splitlines() if ln.strip() and ln[0] != "#"]
    return lines


def parse_matrix() -> dict[tuple[str, str], Allowed | None]:
    table: dict[tuple[str, str], Allowed | None] = {}
    for line in matrix_lines():
        method, path, *marks = line.split()
        assert (method, path) not in table, f"listed twice: {line}"
        if marks == ["public"]:
            table[(method, path)] = None
            continue
        assert len(marks) == len(COLUMNS), line
        assert set(marks) <= {"+", "s", "."}, line
        pairs = list(zip(COLUMNS, marks, strict=True))
        table[(method, path)] = (
            frozenset(r for r, m in pairs if m in "+s"),
            frozenset(r for r, m in pairs if m == "+"),
        )
    return table


def _requires(dependant: Dependant) -> Iterator[Requires]:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Requires):
            yield dep.call
        yield from _requires(dep)


def all_routes(app: FastAPI) -> list[tuple[str, set[str], BaseRoute]]:
    """Every route the app serves, with its full path, however routers were included."""
    return [
        (ctx.path or "", set(ctx.methods or ()), ctx.original_route)
        for ctx in iter_route_contexts(app.routes)
    ]


def test_every_route_declares_a_permission(rt: Runtime) -> None:
    app = create_app(rt)
    routes = all_routes(app)
    api = [(path, route) for path, _m, route in routes if isinstance(route, APIRoute)]
    assert len(api) >= len(parse_matrix())  # the walk does see the included routers
    undeclared = [path for path, route in api if not list(_requires(route.dependant))]
    assert undeclared == []
    others = {
        path
        for path, _m, route in routes
        if isinstance(route, Route) and not isinstance(route, APIRoute)
    }
    assert others <= FRAMEWORK_ROUTES


def test_the_matrix_names_every_route(rt: Runtime) -> None:
    routes = {
        (m, path)
        for path, methods, route in all_routes(create_app(rt))
        if isinstance(route, APIRoute)
        for m in methods
    }
    assert routes == set(parse_matrix())


@pytest.fixture
def world(rt: Runtime) -> dict[str, Any]:
    """One record of every kind, and for every role an enrolled account with a browser
    session and an API token of its own."""
    person = add_person(rt)
    ids = {
        "person_id": person.id,
        "custody_id": add_custody(rt, person).id,
        "request_id": add_request(rt).id,
    }
    credentials: dict[Role, dict[str, dict[str, str]]] = {}
    for role in Role:
        account, secret = add_account(rt, f"matrix-{role.value}", role, enrolled=True)
        token, _row = mint_token(rt, account, secret)
        credentials[role] = {
            "session": session_headers(add_session(rt, account)),
            "token": {"Authorization": f"Bearer {token}"},
        }
    _spare, spare_token = add_token(rt, "spare", Role.TRACING)
    ids.update(account_id=spare_token.account_id, token_id=spare_token.id)
    # No integration exists: the admin is let through to a 404, everyone else stopped first.
    ids["integration_id"] = "00000000-0000-0000-0000-000000000000"
    # Nor any treatment event: whoever may correct or open one gets to its 422 or 404.
    ids["event_id"] = "00000000-0000-0000-0000-000000000000"
    # Nor any wish record: whoever may open one gets to its 404.
    ids["record_id"] = "00000000-0000-0000-0000-000000000000"
    # Nor any death notice or certificate.
    ids["document_id"] = "00000000-0000-0000-0000-000000000000"
    # Nor any batch for the Central Tracing Agency.
    ids["number"] = "1"
    ids["dimension"] = "sex"
    # Nor any inquiry: whoever may work one gets to its 404.
    ids["inquiry_id"] = "00000000-0000-0000-0000-000000000000"
    ids["decision"] = "confirm"
    return {"ids": ids, "credentials": credentials}


def _call(
    client: TestClient, method: str, path: str, ids: dict[str, str], headers: dict[str, str]
) -> int:
    url = path.format(**ids)
    body = None if method in ("GET", "DELETE") else {}
    response = client.request(method, url, json=body, headers=headers, follow_redirects=False)
    return response.status_code


def test_authorization_matrix(rt: Runtime, world: dict[str, Any]) -> None:
    client = TestClient(create_app(rt), base_url="https://testserver")
    wrong = []
    for (method, path), allowed in parse_matrix().items():
        if path in ("/api/v1/auth/logout", "/logout"):
            continue  # ends the caller's session: checked in the login tests
        anonymous = _call(client, method, path, world["ids"], {})
        # The API says 401; a page sends the browser to the login form instead.
        expected_anonymous = 401 if path.startswith("/api/") else 303
        if allowed is not None and anonymous != expected_anonymous:
            wrong.append(f"anonymous {method} {path}: {anonymous}")
        for role in Role:
            for index, kind in enumerate(("session", "token")):
                headers = world["credentials"][role][kind]
                status = _call(client, method, path, world["ids"], headers)
                if allowed is None:
                    # Public: nothing is refused for want of a role (a bad password is a 401).
                    if status == 403:
                        wrong.append(f"{role.value} {kind} {method} {path}: {status}")
                    continue
                if (role in allowed[index]) == (status in (401, 403)):
                    wrong.append(f"{role.value} {kind} {method} {path}: {status}")
    assert wrong == []


def test_gated_routes_wait_for_an_auditors_approval(rt: Runtime, world: dict[str, Any]) -> None:
    """Every route that needs a sealed permission, or the power to approve, refuses an
    account in the entitled role that no auditor has approved, with a session or a token;
    its other routes stay open."""
    app = create_app(rt)
    client = TestClient(app, base_url="https://testserver")
    gated = {
        (method, path)
        for path, methods, route in all_routes(app)
        if isinstance(route, APIRoute)
        and any(r.permission in APPROVAL_GATED for r in _requires(route.dependant))
        for method in methods
    }
    # Circumstances and request reveals; the approvals list, approve and withdraw: each in
    # the API and the UI. Treatment notes: in the API. A wish record's sealed values: in
    # the API and the UI. A family inquiry's review: in the API and the UI. Exchanging
    # inquiries (it opens every open inquiry's person sought): three in each.
    assert len(gated) == 21
    wrong = []
    for role in (r for r in Role if needs_approval(r)):
        account, secret = add_account(
            rt, f"unapproved-{role.value}", role, enrolled=True, approved=False
        )
        token, _row = mint_token(rt, account, secret)
        for kind, headers in (
            ("session", session_headers(add_session(rt, account))),
            ("token", {"Authorization": f"Bearer {token}"}),
        ):
            for (method, path), allowed in parse_matrix().items():
                if allowed is None or role not in allowed[0 if kind == "session" else 1]:
                    continue
                if path in ("/api/v1/auth/logout", "/logout"):
                    continue  # would end the session the next routes are called with
                status = _call(client, method, path, world["ids"], headers)
                if ((method, path) in gated) != (status == 403):
                    wrong.append(f"{role.value} {kind} {method} {path}: {status}")
    assert wrong == []


def test_forbidden_never_tells_whether_a_record_exists(rt: Runtime, world: dict[str, Any]) -> None:
    client = TestClient(create_app(rt), base_url="https://testserver")
    headers = world["credentials"][Role.ADMIN]["token"]
    real = client.get(f"/api/v1/persons/{world['ids']['person_id']}", headers=headers)
    fake = client.get("/api/v1/persons/00000000-0000-0000-0000-000000000000", headers=headers)
    assert (real.status_code, real.json()) == (fake.status_code, fake.json())
    assert real.status_code == 403

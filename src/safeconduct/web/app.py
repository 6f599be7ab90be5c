"""The FastAPI application factory: JSON API under /api/v1, errors that name the field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from safeconduct import __version__
from safeconduct.accounts import api as accounts_api
from safeconduct.accounts import api_preferences
from safeconduct.audit import api as audit_api
from safeconduct.bureau import api_cards, api_cta, api_deaths, api_statistics, api_transmissions
from safeconduct.custody import api as custody_api
from safeconduct.disclosure import api as disclosure_api
from safeconduct.health import api as health_api
from safeconduct.http.auth import SAFE_METHODS, SESSION_COOKIE, Requires
from safeconduct.http.errors import (
    ContainErrors,
    RequestLog,
    ValidationErrorBody,
    install_error_handlers,
)
from safeconduct.http.limits import BodySizeLimit
from safeconduct.inquiries import api as inquiries_api
from safeconduct.inquiries import api_exchange as inquiries_exchange_api
from safeconduct.intake import api as intake_api
from safeconduct.people import api as people_api
from safeconduct.repatriation import api as repatriation_api
from safeconduct.repatriation import api_exchange as exchange_api
from safeconduct.runtime import Runtime
from safeconduct.treatment import api as treatment_api
from safeconduct.web.ui import install_ui

__all__ = ["ContainErrors", "create_app"]


SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token of one's own (`POST /api/v1/auth/tokens`), in one's own role.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser session set by `POST /api/v1/auth/login`.",
    },
    "csrfHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "With the session cookie, on every unsafe method (POST, PUT, PATCH, "
        "DELETE): the `csrf_token` that login and `GET /api/v1/auth/me` return.",
    },
}


def _requires(dependant: Dependant) -> Iterator[Requires]:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Requires):
            yield dep.call
        yield from _requires(dep)


def security_for(guard: Requires | None, method: str) -> list[dict[str, list[str]]]:
    """Who may call an operation, as OpenAPI says it: nothing for a public route; else a
    token, or the session cookie with the CSRF header on unsafe methods; a route refused
    to tokens only the latter."""
    if guard is None or guard.permission is None:
        return []
    cookie: dict[str, list[str]] = {"sessionCookie": []}
    if method.upper() not in SAFE_METHODS:
        cookie["csrfHeader"] = []
    return [cookie] if guard.session_only else [{"bearerAuth": []}, cookie]


def _declare_security(app: FastAPI, schema: dict[str, Any]) -> None:
    schema["components"]["securitySchemes"] = SECURITY_SCHEMES
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        operations = schema.get("paths", {}).get(ctx.path_format or "", {})
        if not isinstance(route, APIRoute) or not operations:
            continue
        guard = next(_requires(route.dependant), None)
        for method in ctx.methods or ():
            if method.lower() in operations:
                operations[method.lower()]["security"] = security_for(guard, method)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The schema, with 422 described as our handler really answers it, and who may call
    each operation."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        ours = ValidationErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(ours.pop("$defs", {}))
        components["HTTPValidationError"] = ours
        _declare_security(app, schema)
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(rt: Runtime) -> FastAPI:
    """Build the application around a runtime."""
    app = FastAPI(
        title="Safe Conduct",
        version=__version__,
        debug=False,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.runtime = rt
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    app.add_middleware(RequestLog)
    app.add_middleware(BodySizeLimit)
    for router in (
        health_api.router,
        accounts_api.auth_router,
        api_preferences.preferences_router,
        accounts_api.accounts_router,
        accounts_api.approvals_router,
        people_api.router,
        intake_api.router,
        custody_api.router,
        treatment_api.router,
        repatriation_api.router,
        exchange_api.router,
        api_cards.router,
        api_cta.router,
        api_deaths.router,
        api_statistics.router,
        api_transmissions.router,
        inquiries_exchange_api.router,  # before: /inquiries/export.* is not an id
        inquiries_api.router,
        disclosure_api.router,
        audit_api.router,
    ):
        app.include_router(router, prefix="/api/v1")
    install_ui(app)
    return app

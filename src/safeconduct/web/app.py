"""The FastAPI application factory: JSON API under /api/v1, errors that name the field."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from safeconduct import __version__
from safeconduct.accounts import api as accounts_api
from safeconduct.audit import api as audit_api
from safeconduct.custody import api as custody_api
from safeconduct.disclosure import api as disclosure_api
from safeconduct.health import api as health_api
from safeconduct.http.errors import (
    ContainErrors,
    ValidationErrorBody,
    install_error_handlers,
    log_request,
)
from safeconduct.http.limits import BodySizeLimit
from safeconduct.intake import api as intake_api
from safeconduct.people import api as people_api
from safeconduct.runtime import Runtime
from safeconduct.web.ui import install_ui

__all__ = ["ContainErrors", "create_app"]


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The schema, with 422 described as our handler really answers it."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        ours = ValidationErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(ours.pop("$defs", {}))
        components["HTTPValidationError"] = ours
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
    app.middleware("http")(log_request)
    app.add_middleware(BodySizeLimit)
    for router in (
        health_api.router,
        accounts_api.auth_router,
        accounts_api.accounts_router,
        accounts_api.approvals_router,
        people_api.router,
        intake_api.router,
        custody_api.router,
        disclosure_api.router,
        audit_api.router,
    ):
        app.include_router(router, prefix="/api/v1")
    install_ui(app)
    return app

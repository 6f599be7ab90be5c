"""The FastAPI application factory: JSON API under /api/v1, errors that name the field."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from safeconduct import __version__
from safeconduct.accounts import api as accounts_api
from safeconduct.audit import api as audit_api
from safeconduct.custody import api as custody_api
from safeconduct.intake import api as intake_api
from safeconduct.people import api as people_api
from safeconduct.runtime import Runtime
from safeconduct.web import health
from safeconduct.web.errors import ValidationErrorBody
from safeconduct.web.limits import BodySizeLimit
from safeconduct.web.ui import install_ui

log = logging.getLogger("safeconduct.http")


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Never echo the input back: it may be a sealed value on its way in.
    detail = [
        {"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors()
    ]
    return JSONResponse({"error": "invalid_request", "detail": detail}, status_code=422)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        {"error": "http_error", "detail": exc.detail},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    # The type only: an exception message may hold data we must never show or log.
    log.error("unhandled %s", type(exc).__name__)
    return JSONResponse({"error": "internal_error", "detail": "internal error"}, status_code=500)


async def _log_request(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    # Route templates only, never paths or query strings: a search term may be a name.
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    template = getattr(route, "path", "<unmatched>")
    log.info(
        "%s %s %s %.1fms",
        request.method,
        template,
        response.status_code,
        (time.perf_counter() - started) * 1000,
    )
    return response


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


class ContainErrors:
    """Outermost ASGI layer. Starlette re-raises an unhandled error after answering 500 so
    the server can log it, and a server logs the message and traceback, which may hold
    personal data. Log the type only, here, and stop it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # noqa: BLE001 - the 500 answer is already sent
            log.error("unhandled %s", type(exc).__name__)


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
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.middleware("http")(_log_request)
    app.add_middleware(BodySizeLimit)
    for router in (
        health.router,
        accounts_api.auth_router,
        accounts_api.accounts_router,
        people_api.router,
        intake_api.router,
        custody_api.router,
        audit_api.router,
    ):
        app.include_router(router, prefix="/api/v1")
    install_ui(app)
    return app

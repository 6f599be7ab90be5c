"""The shape of every error the API returns, documented in the OpenAPI schema."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeconduct.disclosure.policy import PurposeError
from safeconduct.disclosure.service import DisclosureDeniedError
from safeconduct.security.service import ErasedError

log = logging.getLogger("safeconduct.http")


class ErrorBody(BaseModel):
    """An error: a short code and a human detail (never input, never a sealed value)."""

    error: str
    detail: Any = None


class FieldProblem(BaseModel):
    field: str
    message: str


class ValidationErrorBody(BaseModel):
    """422: which fields were wrong and why."""

    error: str
    detail: list[FieldProblem]


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Document error responses for a route or a router."""
    return {code: {"model": ErrorBody} for code in codes}


GUARDED = errors(401, 403)


def invalid(field: tuple[str | int, ...], message: str) -> RequestValidationError:
    """A rule a service enforces, broken: the same 422 a schema error gives, naming the
    field (never quoting what was typed)."""
    return RequestValidationError([{"loc": field, "msg": message, "type": "value_error"}])


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


class RequestLog:
    """Log each answer: method, route template, status, milliseconds. Route templates only,
    never paths or query strings: a search term may be a name. Pure ASGI (not
    `BaseHTTPMiddleware`): it sees the answer go by and adds no task or stream of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, noting_status)
        # The router writes the matched route into the same scope.
        template = getattr(scope.get("route"), "path", "<unmatched>")
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %s %.1fms", scope.get("method"), template, status, elapsed)


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


async def _purpose_refused(_request: Request, exc: Exception) -> JSONResponse:
    # One answer for every reveal, API or UI: the field and the rule, never the input.
    assert isinstance(exc, PurposeError)
    detail = [{"field": f"body.{exc.field}", "message": exc.message}]
    return JSONResponse({"error": "invalid_request", "detail": detail}, status_code=422)


async def _erased(_request: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "http_error", "detail": "erased"}, status_code=410)


async def _disclosure_denied(_request: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "http_error", "detail": "forbidden"}, status_code=403)


class ConflictError(Exception):
    """409: the change conflicts with the state of the records (each problem says which
    record and why). Raised, so the request's transaction is rolled back."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__("conflict")
        self.detail = detail


def conflict_response(detail: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"error": "conflict", "detail": detail}, status_code=409)


async def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConflictError)
    return conflict_response(exc.detail)


# Domain errors that have one meaning wherever they are raised.
DOMAIN_ERRORS: dict[type[Exception], int] = {
    PurposeError: 422,
    ErasedError: 410,
    DisclosureDeniedError: 403,
}


def install_error_handlers(app: FastAPI) -> None:
    """JSON errors that name the field and never echo input; 500 logs the type only."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PurposeError, _purpose_refused)
    app.add_exception_handler(ErasedError, _erased)
    app.add_exception_handler(DisclosureDeniedError, _disclosure_denied)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(Exception, _unexpected_error)

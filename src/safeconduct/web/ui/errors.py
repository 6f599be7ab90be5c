"""Errors on UI paths become pages: log in, enrol first, or a friendly 4xx page."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from safeconduct.accounts import sessions
from safeconduct.http.auth import AWAITING_APPROVAL, SESSION_COOKIE
from safeconduct.http.deps import runtime
from safeconduct.http.errors import DOMAIN_ERRORS
from safeconduct.web.ui import render
from safeconduct.web.ui.headers import add_security_headers

Handler = Callable[[Request, Exception], Awaitable[Response]]
AnyHandler = Callable[[Request, Any], Response | Awaitable[Response]]
API_PREFIXES = ("/api/", "/openapi.json")
ENROL_FIRST = "enrol the second factor first"  # the detail `Requires` gives


def is_ui(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIXES)


def redirect(request: Request, target: str) -> Response:
    """Send the browser elsewhere; an HTMX request is told to load the page instead."""
    if render.is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _identify_for_page(request: Request) -> None:
    # Requires stops before it records the caller on a 403: look again, only to show
    # the error page in the caller's language with their navigation.
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or render.principal_of(request) is not None:
        return
    with runtime(request).sessions() as db:
        who = sessions.resolve_session(db, token=cookie)
    if who is not None and not who.enrolment_only:
        request.state.principal = who


def error_page(request: Request, status_code: int, *, awaiting: bool = False) -> Response:
    """Render the friendly error page (or fragment, for HTMX) for a status code;
    `awaiting`: refused for want of an auditor's approval, not for the role."""
    _identify_for_page(request)
    template = "_error.html" if render.is_htmx(request) else "error.html"
    with runtime(request).sessions() as db:
        return render.page(
            request, db, template, status_code=status_code, status=status_code, awaiting=awaiting
        )


async def _call(api: AnyHandler, request: Request, exc: Exception) -> Response:
    result = api(request, exc)
    return await result if inspect.isawaitable(result) else result


def _http_handler(api: AnyHandler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_ui(request):
            return await _call(api, request, exc)
        if exc.status_code == 401:
            return redirect(request, "/login")
        if exc.status_code == 403 and exc.detail == ENROL_FIRST:
            return redirect(request, "/enrol")
        return error_page(request, exc.status_code, awaiting=exc.detail == AWAITING_APPROVAL)

    return handle


def _validation_handler(api: AnyHandler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        # Never echo the input: a UI form may carry a name or a reason.
        return error_page(request, 400) if is_ui(request) else await _call(api, request, exc)

    return handle


def _unexpected_handler(api: AnyHandler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        # Runs outside every middleware: add the security headers here.
        response = await _call(api, request, exc)
        add_security_headers(response.headers, request.url.path)
        return response

    return handle


def _domain_handler(api: AnyHandler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if not is_ui(request):
            return await _call(api, request, exc)
        return error_page(request, DOMAIN_ERRORS[type(exc)])

    return handle


def install_error_pages(app: FastAPI) -> None:
    """Wrap the API's handlers so UI paths answer in HTML and API paths stay JSON."""
    handlers = app.exception_handlers
    wraps: list[tuple[type[Exception], Callable[[AnyHandler], Handler]]] = [
        (StarletteHTTPException, _http_handler),
        (RequestValidationError, _validation_handler),
        *((kind, _domain_handler) for kind in DOMAIN_ERRORS),
        (Exception, _unexpected_handler),
    ]
    for kind, wrap in wraps:
        api = handlers.get(kind)
        if api is not None:
            app.add_exception_handler(kind, wrap(api))

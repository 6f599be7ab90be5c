"""Cross-site request checks for UI forms: same origin, and the CSRF token of the session."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from safeconduct.http.auth import SAFE_METHODS

CSRF_FIELD = "csrf_token"


def _origin_host(value: str) -> str | None:
    parts = urlsplit(value)
    return parts.netloc.lower() if parts.scheme in {"http", "https"} and parts.netloc else None


def same_origin(request: Request) -> bool:
    """Tell whether an unsafe request may come from our own pages.

    Modelled on Go's net/http CrossOriginProtection: browsers send Sec-Fetch-Site; older
    ones send Origin. Referrer-Policy no-referrer makes a browser send `Origin: null` even
    for same-origin posts, so Sec-Fetch-Site is asked first. A request with neither header
    is not from a browser, and a cross-site request forgery needs a browser.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in {"same-origin", "none"}
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = (request.headers.get("host") or "").lower()
    return bool(host) and _origin_host(origin) == host


async def csrf_form(request: Request) -> None:
    """Refuse cross-site posts; hand the form's CSRF token to `identify`.

    Runs before `Requires` (router-level dependency), which checks the token.
    """
    if request.method in SAFE_METHODS:
        return
    if not same_origin(request):
        raise HTTPException(403, "cross-site request refused")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        token = form.get(CSRF_FIELD)
        if isinstance(token, str):
            request.state.csrf_form = token


def local_path(target: str | None, default: str = "/") -> str:
    """Return `target` if it is a path on this site, else `default` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target

"""The session cookie: random, HttpOnly, Secure, SameSite=Strict."""

from __future__ import annotations

from fastapi import Response

from safeconduct.accounts.policy import SESSION_ABSOLUTE_SECONDS
from safeconduct.http.auth import SESSION_COOKIE


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_ABSOLUTE_SECONDS,
        httponly=True,
        secure=True,
        samesite="strict",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")

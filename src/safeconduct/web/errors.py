"""The shape of every error the API returns, documented in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


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

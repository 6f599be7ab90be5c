"""`/api/v1`: the bureau's statistics, suppressed (no count under five shown, none that the
others would give away), as JSON, CSV and one SVG chart per dimension. Every answer is an
export: it is audited, with its format as the purpose."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from safeconduct import clock
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.bureau import statistics
from safeconduct.bureau.statistics import StatisticsFormat
from safeconduct.bureau.suppression import SuppressionError
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors, invalid

# The suppression could not prove every hidden count safe (it refuses rather than publish):
# a conflict with the day's data, never a server error, and no count in the message.
UNPROTECTED = "these counts cannot be published with every small count protected"

router = APIRouter(tags=["bureau"], responses=GUARDED)
Reader = Annotated[Principal, Depends(Requires(Permission.STATISTICS_READ))]
At = Annotated[str | None, Query(max_length=10, description="The day (YYYY-MM-DD); today")]


def day_of(at: str | None) -> date:
    """The day asked for, else today (422 naming `at`)."""
    try:
        return statistics.day_of(at, today=clock.today())
    except statistics.InvalidDayError as exc:
        raise invalid(("query", "at"), str(exc)) from None


def _answer(done: statistics.Export) -> Response:
    return Response(
        content=done.content,
        media_type=done.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{done.file_name}"',
            "Cache-Control": "no-store",
        },
    )


def _export(
    db: DbSession, rt: RuntimeDep, who: Principal, at: str | None, fmt: StatisticsFormat,
    dimension: str | None = None,
) -> Response:  # fmt: skip
    try:
        done = statistics.export(
            db, audit=rt.audit, actor=who.actor, on=day_of(at), fmt=fmt, dimension=dimension
        )
    except statistics.UnknownDimensionError:
        raise HTTPException(404, "dimension: no such statistics table") from None
    except SuppressionError:
        raise HTTPException(409, UNPROTECTED) from None
    return _answer(done)


@router.get(
    "/statistics",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}, **errors(409, 422)},
)
def as_json(db: DbSession, rt: RuntimeDep, who: Reader, at: At = None) -> Response:
    """Every table (one per dimension, place x status, place x sex) with its counts: a
    number, `<5` (fewer than five) or `x` (at least five, hidden to protect another)."""
    return _export(db, rt, who, at, StatisticsFormat.JSON)


@router.get(
    "/statistics.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **errors(409, 422)},
)
def as_csv(db: DbSession, rt: RuntimeDep, who: Reader, at: At = None) -> Response:
    """The same tables as CSV, one line per count; an empty value is a total."""
    return _export(db, rt, who, at, StatisticsFormat.CSV)


@router.get(
    "/statistics/{dimension}.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **errors(404, 409, 422)},
)
def as_svg(dimension: str, db: DbSession, rt: RuntimeDep, who: Reader, at: At = None) -> Response:
    """One dimension's table as an SVG bar chart: suppressed counts as outlines."""
    return _export(db, rt, who, at, StatisticsFormat.SVG, dimension)

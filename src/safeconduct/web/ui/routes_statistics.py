"""The operator UI: the bureau's statistics on a day, each one-way table as a chart with the
same numbers in a table beside it, the two crossings as tables, and links to the CSV, JSON
and SVG downloads (the API's, each audited as an export; the page itself is not)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from safeconduct import clock
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.bureau import statistics
from safeconduct.bureau.api_statistics import UNPROTECTED
from safeconduct.bureau.suppression import SuppressionError
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession
from safeconduct.web.ui import i18n, render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Reader = Annotated[Principal, Depends(Requires(Permission.STATISTICS_READ))]
At = Annotated[str | None, Query(max_length=10)]


@dataclass(frozen=True)
class Chart:
    """One one-way table: its chart, its lines (label, count or mark), its total."""

    dimension: str
    title: str
    svg: Markup
    lines: list[tuple[str, int | str]]
    total: int | str
    svg_href: str


@dataclass(frozen=True)
class Crossing:
    """A two-way table: its columns' labels, each row (label, counts, margin), the column
    margins and the grand total."""

    dimension: str
    title: str
    across_title: str
    columns: list[str]
    rows: list[tuple[str, list[int | str], int | str]]
    margins: list[int | str]
    total: int | str


def _query(at: str | None) -> str:
    return "?" + urlencode({"at": at}) if at else ""


def _chart(admitted: Any, dimension: str, at: str | None) -> Chart:
    table = statistics.one_way_table(admitted, dimension)
    svg = statistics.chart(admitted, dimension, i18n.gettext_)
    return Chart(
        dimension,
        i18n.gettext_(statistics.DIMENSION_TITLES[dimension]),
        Markup(svg),  # noqa: S704 - written by bureau.svg: every value escaped or a number
        [
            (statistics.label(dimension, r["value"], i18n.gettext_), r["count"])
            for r in table["rows"]
        ],
        table["total"],
        f"/api/v1/statistics/{dimension}.svg{_query(at)}",
    )


def _crossing(table: dict[str, Any]) -> Crossing:
    dimension, across = table["dimension"], table["across"]
    cells = {(r["value"], r["across_value"]): r["count"] for r in table["rows"]}
    values = [
        r["value"] for r in table["rows"] if r["value"] is not None and r["across_value"] is None
    ]
    columns = [r["across_value"] for r in table["rows"] if r["value"] is None]
    return Crossing(
        dimension,
        i18n.gettext_(statistics.DIMENSION_TITLES[dimension]),
        i18n.gettext_(statistics.DIMENSION_TITLES[across]),
        [statistics.label(across, c, i18n.gettext_) for c in columns],
        [
            (
                statistics.label(dimension, v, i18n.gettext_),
                [cells[(v, c)] for c in columns],
                cells[(v, None)],
            )
            for v in values
        ],
        [cells[(None, c)] for c in columns],
        table["total"],
    )


@router.get("/statistics")
def statistics_page(request: Request, db: DbSession, _: Reader, at: At = None) -> Response:
    """The statistics on a day (today unless `at`), suppressed as every export is."""
    try:
        day: date = statistics.day_of(at, today=clock.today())
    except statistics.InvalidDayError as exc:
        raise HTTPException(422, f"at: {exc}") from None
    at = day.isoformat() if at else None
    try:
        admitted = statistics.document(statistics.tables(db, on=day), on=day)
    except SuppressionError:
        raise HTTPException(409, UNPROTECTED) from None
    with i18n.active(render.language_of(request, db)):
        charts = [_chart(admitted, d, at) for d in statistics.ONE_WAY]
        crossings = [_crossing(t) for t in admitted.plain()["tables"] if "across" in t]
    return render.page(
        request,
        db,
        "statistics.html",
        day=day,
        at=at,
        charts=charts,
        crossings=crossings,
        threshold=admitted["threshold"],
        csv_href=f"/api/v1/statistics.csv{_query(at)}",
        json_href=f"/api/v1/statistics{_query(at)}",
    )

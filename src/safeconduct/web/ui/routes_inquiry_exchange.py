"""Family inquiries exchanged with other tracing services, in the UI: download the open
inquiries' persons sought (PFIF or CSV; an audited opening), upload another service's file
(all or nothing: a bad record is shown by number and field, and nothing is taken). The same
use cases as the API; forms post with the CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.inquiries import exchange
from safeconduct.inquiries.api_exchange import download
from safeconduct.inquiries.exchange import Format, ImportReport
from safeconduct.inquiries.exchange_formats import ExchangeFormatError
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Exchanger = Annotated[Principal, Depends(Requires(Permission.INQUIRY_EXCHANGE))]
FormatField = Annotated[str, Form(max_length=8)]
FORMATS = [f.value for f in Format]


def _page(
    request: Request,
    db: Session,
    *,
    code: int = 200,
    report: ImportReport | None = None,
    problem: ExchangeFormatError | None = None,
    export_problem: str | None = None,
) -> Response:
    return render.page(request, db, "inquiries_exchange.html", status_code=code,
                       report=report, problem=problem,
                       export_problem=export_problem)  # fmt: skip


def _format(value: str) -> Format:
    if value not in FORMATS:
        raise HTTPException(422, "format: pfif or csv")
    return Format(value)


@router.get("/inquiries/exchange")
def exchange_page(request: Request, db: DbSession, _: Exchanger) -> Response:
    """The two downloads and the upload form."""
    return _page(request, db)


@router.post("/inquiries/exchange/export")
def export(
    request: Request, db: DbSession, rt: RuntimeDep, who: Exchanger, format: FormatField = ""
) -> Response:
    """Download the open inquiries' persons sought (audited)."""
    fmt = _format(format)
    try:
        content = exchange.export_open(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, fmt=fmt,
            source=exchange.source_of(rt.settings.public_url),
        )  # fmt: skip
    except (exchange.ExportError, ExchangeFormatError) as exc:
        return _page(request, db, code=409, export_problem=str(exc))
    return download(fmt, content)


async def _upload(file: Annotated[UploadFile | None, File()] = None) -> bytes:
    """The uploaded file's bytes, at most one more than the limit (then refused)."""
    if file is None:
        return b""
    return await file.read(exchange.MAX_IMPORT_BYTES + 1)


@router.post("/inquiries/exchange/import")
def import_file(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Exchanger,
    data: Annotated[bytes, Depends(_upload)],
    format: FormatField = "",
) -> Response:
    """Take another service's file in; the page then says what was made, or which record
    and field stopped it (and that nothing was taken)."""
    fmt = _format(format)
    if not data:
        problem = ExchangeFormatError(None, None, "is empty")
        return _page(request, db, code=422, problem=problem)
    try:
        report = exchange.import_records(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, data=data, fmt=fmt
        )
    except ExchangeFormatError as exc:
        # Every record is checked before any is written: nothing to undo.
        return _page(request, db, code=422, problem=exc)
    return _page(request, db, report=report)

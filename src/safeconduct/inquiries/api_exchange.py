"""`/api/v1`: family inquiries exchanged with other tracing services. Download the open
inquiries' persons sought (PFIF 1.4 or CSV; an audited opening of sealed values), upload
another service's file (all or nothing). Tracing staff whose approval stands only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.db import today
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors, invalid
from safeconduct.inquiries import exchange
from safeconduct.inquiries.exchange import Format
from safeconduct.inquiries.exchange_formats import ExchangeFormatError

router = APIRouter(tags=["inquiries"], responses=GUARDED)
# The file as the raw body: PFIF (XML) or CSV, as ?format= says.
FILE_BODY = {
    "application/xml": {"schema": {"type": "string"}},
    "text/csv": {"schema": {"type": "string"}},
}
Exchanger = Annotated[Principal, Depends(Requires(Permission.INQUIRY_EXCHANGE))]


class ImportRead(BaseModel):
    created: list[str]  # the references of the inquiries made
    skipped: int  # records imported before
    notes_ignored: int


async def raw_body(request: Request) -> bytes:
    """The request's body, read in the event loop (the use case then runs in a thread);
    http.limits has refused one larger than the import limit already."""
    data = await request.body()
    if len(data) > exchange.MAX_IMPORT_BYTES:
        raise HTTPException(413, "body: larger than the limit")
    return data


def format_error(exc: ExchangeFormatError) -> RequestValidationError:
    """The 422 naming the record (1-based, file order) and field, never the value."""
    loc: tuple[str | int, ...] = ("body",)
    if exc.record is not None:
        loc += ("records", exc.record)
    if exc.field is not None:
        loc += (exc.field,)
    return invalid(loc, exc.reason)


def download(fmt: Format, content: bytes) -> Response:
    name = exchange.file_name(fmt, today().isoformat())
    return Response(
        content=content,
        media_type=exchange.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def export(db: DbSession, rt: RuntimeDep, who: Principal, fmt: Format) -> Response:
    """The file, or 409 naming the inquiry the format cannot carry."""
    try:
        content = exchange.export_open(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, fmt=fmt,
            source=exchange.source_of(rt.settings.public_url),
        )  # fmt: skip
    except (exchange.ExportError, ExchangeFormatError) as exc:
        raise HTTPException(409, str(exc)) from None
    return download(fmt, content)


@router.get(
    "/inquiries/export.pfif",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}, **errors(409)},
)
def export_pfif(db: DbSession, rt: RuntimeDep, who: Exchanger) -> Response:
    """The open inquiries' persons sought as PFIF 1.4 (audited; never the inquirer)."""
    return export(db, rt, who, Format.PFIF)


@router.get(
    "/inquiries/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **errors(409)},
)
def export_csv(db: DbSession, rt: RuntimeDep, who: Exchanger) -> Response:
    """The open inquiries' persons sought as CSV (audited; never the inquirer)."""
    return export(db, rt, who, Format.CSV)


@router.post(
    "/inquiries/import",
    response_model=ImportRead,
    status_code=201,
    responses=errors(413, 422),
    openapi_extra={"requestBody": {"required": True, "content": FILE_BODY}},
)
def import_file(
    db: DbSession,
    rt: RuntimeDep,
    who: Exchanger,
    data: Annotated[bytes, Depends(raw_body)],
    format: Annotated[Format, Query()],
) -> ImportRead:
    """Another service's file as the raw body: each record becomes an inquiry; one bad
    record is a 422 naming it and its field, and nothing is written."""
    if not data:
        raise invalid(("body",), "is empty")
    try:
        report = exchange.import_records(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, data=data, fmt=format
        )
    except ExchangeFormatError as exc:
        raise format_error(exc) from None
    return ImportRead(
        created=report.created, skipped=report.skipped, notes_ignored=report.notes_ignored
    )

"""The operator UI: notifications to the Central Tracing Agency. The registrar's page lists
the batches made (number, day, records, hash) with their files to download again, and makes
the next batch of what is new or changed. The same service as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.bureau import cta
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Sender = Annotated[Principal, Depends(Requires(Permission.CTA_BATCH_SEND))]
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "sig": "application/json",
}


@router.get("/bureau/cta")
def cta_page(
    request: Request, db: DbSession, _: Sender, made: int | None = None, nothing: int = 0
) -> Response:
    """The batches made, newest first, and the form that makes the next one."""
    return render.page(
        request,
        db,
        "bureau_cta.html",
        batches=cta.batches(db),
        made=made,
        nothing=bool(nothing),
        problem=None,
    )


@router.post("/bureau/cta")
def make_batch(request: Request, db: DbSession, rt: RuntimeDep, who: Sender) -> Response:
    """Make the next batch; back to the page, which says what was made (or that nothing
    was to be sent)."""
    try:
        files = cta.make_batch(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, signer=rt.audit.signer
        )
    except cta.BatchError:
        return render.page(
            request, db, "bureau_cta.html", status_code=409, batches=cta.batches(db),
            made=None, nothing=False, problem="conflict",
        )  # fmt: skip
    if files is None:
        return RedirectResponse("/bureau/cta?nothing=1", status_code=303)
    return RedirectResponse(f"/bureau/cta?made={files.number}", status_code=303)


Number = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _file(
    request: Request, db: DbSession, rt: RuntimeDep, who: Principal, number: int, kind: str
) -> Response:
    """A batch's file made again, byte for byte."""
    try:
        name, content = cta.download(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, number=number, kind=kind
        )
    except cta.BatchNotFoundError:
        raise HTTPException(404, "CTA batch not found") from None
    except cta.BatchError:
        return render.page(
            request, db, "bureau_cta.html", status_code=409, batches=cta.batches(db),
            made=None, nothing=False, problem="erased",
        )  # fmt: skip
    return Response(
        content=content,
        media_type=MEDIA_TYPES[kind],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/bureau/cta/{number}.json")
def batch_json(
    request: Request, number: Number, db: DbSession, rt: RuntimeDep, who: Sender
) -> Response:
    return _file(request, db, rt, who, number, "json")


@router.get("/bureau/cta/{number}.csv")
def batch_csv(
    request: Request, number: Number, db: DbSession, rt: RuntimeDep, who: Sender
) -> Response:
    return _file(request, db, rt, who, number, "csv")


@router.get("/bureau/cta/{number}.sig")
def batch_signature(
    request: Request, number: Number, db: DbSession, rt: RuntimeDep, who: Sender
) -> Response:
    return _file(request, db, rt, who, number, "sig")

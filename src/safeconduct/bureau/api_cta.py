"""`/api/v1`: notifications to the Central Tracing Agency (GC III Arts. 122-123). Make the
next batch of what is new or changed, list the batches (numbers, days, counts and hashes:
no personal data), and download a batch's files again (JSON, CSV, detached signature)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.bureau import cta
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors

router = APIRouter(tags=["bureau"], responses=GUARDED)
Sender = Annotated[Principal, Depends(Requires(Permission.CTA_BATCH_SEND))]
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "sig": "application/json",
}


class BatchRead(BaseModel):
    """A batch as the log lists it: what left, which day, its hash and signing key."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    number: int
    made_on: date
    records: int
    sha256: str
    key_id: str


class BatchMade(BaseModel):
    """The outcome of asking for the next batch: the batch, or nothing to send."""

    model_config = ConfigDict(extra="forbid")

    made: bool
    batch: BatchRead | None = None


@router.post("/cta/batches", response_model=BatchMade, responses=errors(409))
def make_batch(db: DbSession, rt: RuntimeDep, who: Sender) -> BatchMade:
    """Make, sign and log the next batch of records new or changed since the last; its
    sending meets the Art. 122 duty. `made` is false when nothing is to be sent."""
    try:
        files = cta.make_batch(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, signer=rt.audit.signer
        )
    except cta.BatchError as exc:
        raise HTTPException(409, str(exc)) from None
    if files is None:
        return BatchMade(made=False)
    batch = BatchRead(
        number=files.number,
        made_on=files.made_on,
        records=files.records,
        sha256=files.sha256,
        key_id=files.key_id,
    )
    return BatchMade(made=True, batch=batch)


@router.get("/cta/batches", response_model=list[BatchRead])
def list_batches(db: DbSession, _: Sender) -> list[BatchRead]:
    """The batches made, newest first."""
    return [BatchRead.model_validate(b) for b in cta.batches(db)]


Number = Annotated[int, Path(ge=1, le=2**31 - 1)]
FILE_ERRORS = errors(404, 409)


def _file(db: DbSession, rt: RuntimeDep, who: Principal, number: int, kind: str) -> Response:
    """A batch's file made again, byte for byte; 409 when it holds a person erased since."""
    try:
        name, content = cta.download(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, number=number, kind=kind
        )
    except cta.BatchNotFoundError:
        raise HTTPException(404, "CTA batch not found") from None
    except cta.BatchError as exc:
        raise HTTPException(409, str(exc)) from None
    return Response(
        content=content,
        media_type=MEDIA_TYPES[kind],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/cta/batches/{number}.json",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}, **FILE_ERRORS},
)
def batch_json(number: Number, db: DbSession, rt: RuntimeDep, who: Sender) -> Response:
    """The batch's signed document (cta-batch-N.json), as sent."""
    return _file(db, rt, who, number, "json")


@router.get(
    "/cta/batches/{number}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **FILE_ERRORS},
)
def batch_csv(number: Number, db: DbSession, rt: RuntimeDep, who: Sender) -> Response:
    """The batch's records as CSV (cta-batch-N.csv), every cell formula-neutralised."""
    return _file(db, rt, who, number, "csv")


@router.get(
    "/cta/batches/{number}.sig",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}, **FILE_ERRORS},
)
def batch_signature(number: Number, db: DbSession, rt: RuntimeDep, who: Sender) -> Response:
    """The detached signature of the JSON (cta-batch-N.json.sig): algorithm, key id,
    SHA-256 and the Ed25519 signature, checked with the published service key."""
    return _file(db, rt, who, number, "sig")

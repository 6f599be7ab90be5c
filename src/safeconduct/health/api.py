"""`GET /api/v1/health`: 200 only when the store can be read and written."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from safeconduct.db import utcnow
from safeconduct.health.models import Heartbeat
from safeconduct.http.auth import Requires
from safeconduct.http.deps import runtime

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    read: bool
    write: bool


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(request: Request, _: Annotated[None, Depends(Requires(None))]) -> JSONResponse:
    """Read and write the store; answer 503 when either fails."""
    rt = runtime(request)
    read = write = False
    try:
        with rt.transaction() as session:
            session.execute(select(func.count()).select_from(Heartbeat))
            read = True
            beat = session.get(Heartbeat, 1) or Heartbeat(id=1)
            beat.beat_at = utcnow()
            session.merge(beat)
            session.flush()
        write = True
    except SQLAlchemyError:
        pass
    ok = read and write
    body = Health(status="ok" if ok else "unavailable", read=read, write=write)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

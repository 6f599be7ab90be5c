"""The public face's request plumbing: its runtime, one transaction per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from safeconduct.runtime import PublicRuntime


def public_runtime(request: Request) -> PublicRuntime:
    prt = request.app.state.public_runtime
    assert isinstance(prt, PublicRuntime)
    return prt


async def _runtime_dependency(request: Request) -> PublicRuntime:
    # Async: it does no I/O, and a sync dependency costs a hop to the thread pool.
    return public_runtime(request)


def public_session(request: Request) -> Iterator[Session]:
    """Committed before the response is sent: an acknowledged submission is on disk."""
    with public_runtime(request).transaction() as s:
        yield s


PublicDb = Annotated[Session, Depends(public_session, scope="function")]
PublicRt = Annotated[PublicRuntime, Depends(_runtime_dependency)]

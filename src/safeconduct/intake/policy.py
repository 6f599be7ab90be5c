"""Which status changes a surrender request may go through."""

from __future__ import annotations

from safeconduct.intake.models import RequestStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.RECEIVED: frozenset({S.IN_REVIEW, S.REJECTED, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset({S.ACCEPTED, S.REJECTED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.CLOSED, S.WITHDRAWN}),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.CLOSED: frozenset(),
}


def can_move(current: S, target: S) -> bool:
    """Tell whether a request may move from one status to another."""
    return target in ALLOWED[current]

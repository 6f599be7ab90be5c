"""The life of a custody as a state machine: which event may follow which status, where each
leads, and what each needs. Pure: no I/O. A custody's status is never edited; it follows
from its events, in order, from HELD."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from safeconduct.custody.models import CustodyEventKind as K
from safeconduct.custody.models import CustodyStatus as S

# Where each event leads: one status per kind, so a refused move still names the state it
# asked for.
TARGET: dict[K, S] = {
    K.TRANSFER: S.HELD,
    K.HOSPITALISATION: S.HOSPITALISED,
    K.DISCHARGE: S.HELD,
    K.RELEASE: S.RELEASED,
    K.REPATRIATION: S.REPATRIATED,
    K.ESCAPE: S.ESCAPED,
    K.RECAPTURE: S.HELD,
    K.DEATH: S.DECEASED,
}

# From which statuses each event may follow. A transfer or a hospitalisation starts from
# the place of internment (discharge first); the seriously sick are repatriated or released
# from hospital (Arts. 109-110); an escapee is recaptured or dies, nothing else is known of
# them while at large.
SOURCES: dict[K, frozenset[S]] = {
    K.TRANSFER: frozenset({S.HELD}),
    K.HOSPITALISATION: frozenset({S.HELD}),
    K.DISCHARGE: frozenset({S.HOSPITALISED}),
    K.RELEASE: frozenset({S.HELD, S.HOSPITALISED}),
    K.REPATRIATION: frozenset({S.HELD, S.HOSPITALISED}),
    K.ESCAPE: frozenset({S.HELD, S.HOSPITALISED}),
    K.RECAPTURE: frozenset({S.ESCAPED}),
    K.DEATH: frozenset({S.HELD, S.HOSPITALISED, S.ESCAPED}),
}

# A custody that reached one of these is over: a new capture opens a new custody.
FINAL: frozenset[S] = frozenset({S.RELEASED, S.REPATRIATED, S.DECEASED})
# Events that happen at a named place, which the event must give.
NEEDS_PLACE: frozenset[K] = frozenset({K.TRANSFER, K.HOSPITALISATION, K.RECAPTURE})
# Events after which the person is interned at the event's place.
MOVES_INTERNMENT: frozenset[K] = frozenset({K.TRANSFER, K.RECAPTURE})
# Events whose place and cause are medical data: sealed, never in a plain column (Art. 120).
SEALS_DETAILS: frozenset[K] = frozenset({K.DEATH})


class RefusedMoveError(ValueError):
    """An event the custody's current status does not allow, or one asked for against a
    status that has changed since (`changed`)."""

    def __init__(self, current: S, kind: K, *, changed: bool = False) -> None:
        self.current, self.kind, self.target, self.changed = current, kind, TARGET[kind], changed
        why = "changed since" if changed else "cannot take"
        super().__init__(f"custody is {current.value}: {why} a {kind.value}")


def can_follow(current: S, kind: K) -> bool:
    """Tell whether an event of this kind may follow a custody in this status."""
    return current in SOURCES[kind]


def allowed(current: S) -> list[K]:
    """The kinds of event that may follow this status, in a fixed order."""
    return [kind for kind in K if can_follow(current, kind)]


def next_status(current: S, kind: K) -> S:
    """The status an event leads to from the current one, or refuse it."""
    if not can_follow(current, kind):
        raise RefusedMoveError(current, kind)
    return TARGET[kind]


def replay(kinds: Iterable[K], start: S = S.HELD) -> S:
    """The status a custody has after these events, in order; refuse a sequence the state
    machine does not allow."""
    status = start
    for kind in kinds:
        status = next_status(status, kind)
    return status


def date_problem(occurred_on: date, *, since: date, previous: date | None) -> str | None:
    """Why an event's day is implausible for this custody, or None. The day of the latest
    event bounds the next: the events are the custody's life, in order. (The schema already
    refuses days in the future.)"""
    if occurred_on < since:
        return f"must not be before the custody began ({since.isoformat()})"
    if previous is not None and occurred_on < previous:
        return f"must not be before the previous event ({previous.isoformat()})"
    return None

"""A bureau's working days, as events in time: requests arrive and are worked, captures and
surrenders happen, people reach a camp and are registered in sessions, delegates open files.

Pure planning, no I/O: `plan` returns the first events; each event, when run (see `seed`),
may schedule later ones. The shape follows the public record of a surrender hotline: most
requests never lead to custody, an accepted request is followed days later, if at all, by a
surrender, and about one person in ten in custody surrendered rather than was captured.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Workload:
    """Daily rates and delays of the simulated bureau."""

    captures_per_day: float = 8.0
    requests_per_day: float = 10.0
    accept_share: float = 0.4  # of reviewed requests
    surrender_share: float = 0.2  # of accepted requests: the rest never come
    hold_days: int = 10  # an accepted request is closed on schedule this long after
    session_hours: tuple[int, ...] = (9, 14)  # registration sessions each day
    delegate_reads_per_day: float = 3.0  # circumstances opened for protection assessments
    # Days after which the nightly job destroys a finished request's channel data; None:
    # not run (the demo keeps what officers may want to open).
    retention_days: int | None = None

    @classmethod
    def spread(cls, people: int, days: int) -> Workload:
        """The default bureau at the pace that captures `people` over `days` (never faster
        than the default): requests, their decisions and delegates' reads in proportion."""
        default = cls()
        pace = min(1.0, max(people, 1) / days / default.captures_per_day)
        return cls(
            captures_per_day=default.captures_per_day * pace,
            requests_per_day=default.requests_per_day * pace,
            delegate_reads_per_day=default.delegate_reads_per_day * pace,
        )


class Kind(StrEnum):
    REQUEST = "request"  # a request arrives on a channel
    REVIEW = "review"  # intake takes it up
    DECIDE = "decide"  # intake accepts, rejects, or the applicant withdraws
    CAPTURE = "capture"  # someone is captured
    SURRENDER = "surrender"  # someone whose request was accepted crosses over
    SESSION = "session"  # a registrar registers everyone who reached the camp
    CLOSE_BATCH = "close_batch"  # the nightly job closes accepted requests past their hold
    DELEGATE_READ = "delegate_read"  # a verifier opens a person's circumstances
    MESSAGE = "message"  # an applicant writes again from the status page


@dataclass(order=True)
class Event:
    at: datetime
    order: int
    kind: Kind = field(compare=False)
    ref: str | None = field(default=None, compare=False)


class Agenda:
    """Events in time order; ties keep the order they were added in."""

    def __init__(self) -> None:
        self._heap: list[Event] = []
        self._count = 0

    def add(self, at: datetime, kind: Kind, ref: str | None = None) -> None:
        self._count += 1
        heapq.heappush(self._heap, Event(at, self._count, kind, ref))

    def pop(self) -> Event | None:
        return heapq.heappop(self._heap) if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)


def _poisson(rng: random.Random, mean: float) -> int:
    """Draw from a Poisson law (Knuth; the means here are small)."""
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _in_day(rng: random.Random, day: datetime) -> datetime:
    return day + timedelta(seconds=rng.randrange(86_400))


def plan(rng: random.Random, workload: Workload, start: datetime, days: int) -> Agenda:
    """Lay out the events that do not depend on others: arrivals, captures, sessions, reads."""
    if start.tzinfo is None:
        raise ValueError("the timeline runs in UTC")
    agenda = Agenda()
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for n in range(days):
        day = first + n * DAY
        for _ in range(_poisson(rng, workload.requests_per_day)):
            agenda.add(_in_day(rng, day), Kind.REQUEST)
        for _ in range(_poisson(rng, workload.captures_per_day)):
            agenda.add(_in_day(rng, day), Kind.CAPTURE)
        for hour in workload.session_hours:
            agenda.add(day + hour * HOUR + timedelta(minutes=rng.randrange(30)), Kind.SESSION)
        for _ in range(_poisson(rng, workload.delegate_reads_per_day)):
            agenda.add(_in_day(rng, day), Kind.DELEGATE_READ)
        agenda.add(day + 2 * HOUR, Kind.CLOSE_BATCH)
    return agenda


def review_delay(rng: random.Random) -> timedelta:
    return timedelta(minutes=rng.randrange(60, 30 * 60))


def decision_delay(rng: random.Random) -> timedelta:
    return timedelta(minutes=rng.randrange(120, 48 * 60))


def crossing_delay(rng: random.Random) -> timedelta:
    """From acceptance to the surrender itself: arranging a safe crossing takes days."""
    return timedelta(minutes=rng.randrange(24 * 60, 6 * 24 * 60))


def message_delay(rng: random.Random) -> timedelta:
    """From a request to the applicant writing again, if they do: hours to a few days."""
    return timedelta(minutes=rng.randrange(60, 72 * 60))


def transport_delay(rng: random.Random) -> timedelta:
    """From capture or surrender to the camp where the person is registered."""
    return timedelta(minutes=rng.randrange(4 * 60, 48 * 60))

"""The clock every service reads: real time by default, a chosen one in tests and simulations.

A context variable rather than an argument on every call, so that a simulation can move
time for the services without each of them taking a `now` parameter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of the current time, always timezone-aware UTC."""

    def now(self) -> datetime:
        """Return the current time."""


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until moved: for tests and simulated workloads."""

    def __init__(self, start: datetime) -> None:
        self.set(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a clock runs in UTC")
        self._now = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


_SYSTEM = SystemClock()
_current: ContextVar[Clock | None] = ContextVar("safeconduct_clock", default=None)


def current() -> Clock:
    """Return the clock in force."""
    return _current.get() or _SYSTEM


def now() -> datetime:
    """Return the current time from the clock in force."""
    return current().now()


def today() -> date:
    """Return the current UTC day."""
    return now().date()


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Put a clock in force inside the block."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)

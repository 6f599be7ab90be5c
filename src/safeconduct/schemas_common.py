"""Field types and shapes shared by the API schemas of every domain."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints

from safeconduct import clock
from safeconduct.people.policy import PARTIAL_DATE_PATTERN, check_partial_date

T = TypeVar("T")

# GC III was signed on 12 August 1949: nothing it governs happened before.
GC3_SIGNED = date(1949, 8, 12)
# Clocks and time zones disagree by hours, not days: further ahead is a mistake.
FUTURE_SLACK = timedelta(days=1)


def check_event_date(value: date) -> date:
    """Refuse a day before GC III or more than a day after today (the clock in force)."""
    if value < GC3_SIGNED:
        raise ValueError(f"must not be before {GC3_SIGNED.isoformat()} (GC III)")
    if value > clock.today() + FUTURE_SLACK:
        raise ValueError("must not be more than a day in the future")
    return value


def check_event_time(value: datetime) -> datetime:
    """Refuse a moment before GC III or more than a day after now (the clock in force)."""
    # Compared as dates first: the earliest aware datetimes cannot be moved to UTC.
    if value.date() < GC3_SIGNED:
        raise ValueError(f"must not be before {GC3_SIGNED.isoformat()} (GC III)")
    if value > clock.now() + FUTURE_SLACK:
        raise ValueError("must not be more than a day in the future")
    return value


# Text from people: stripped, bounded, never empty where required.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
# A date of birth as far as it is known; the rule is `people.policy`'s, shared with tracing.
BirthDate = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=PARTIAL_DATE_PATTERN),
    AfterValidator(check_partial_date),
]
# The day or moment of something GC III governs: a custody, a surrender, an event.
EventDate = Annotated[date, AfterValidator(check_event_date)]
EventTime = Annotated[AwareDatetime, AfterValidator(check_event_time)]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total so a client can page through it."""

    model_config = ConfigDict(extra="forbid")

    items: list[T]
    total: int
    page: int
    size: int

"""Duty marks: for each custody with treatment events, what its events say of each duty
(the day the duty started, where events start it; the last day an event met it) and
whether a death certificate explains the death. Kept on every write by the engine, so
that every duty's state for 100,000 people is one pass over custodies and marks, not over
a year of events each. Derived data: `engine.rebuild` makes it again from the events."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, String, Table

from safeconduct.db import Base
from safeconduct.treatment import policy


def start_column(code: str) -> str:
    return f"{code}_start"


def met_column(code: str) -> str:
    return f"{code}_met"


EXPLAINED = "death_explained"

duty_marks = Table(
    "duty_marks",
    Base.metadata,
    Column(
        "custody_id",
        String(36),
        ForeignKey("custodies.id", ondelete="RESTRICT"),
        primary_key=True,
    ),
    *(
        Column(name(duty.code), Date)
        for duty in policy.duties()
        for name in (start_column, met_column)
    ),
    Column(EXPLAINED, Boolean),
)

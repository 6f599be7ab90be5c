"""Custody of a person: where and since when, with the circumstances of surrender sealed."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class CustodyStatus(StrEnum):
    HELD = "held"
    TRANSFERRED = "transferred"
    RELEASED = "released"
    REPATRIATED = "repatriated"
    ESCAPED = "escaped"
    DECEASED = "deceased"


class Custody(IdMixin, Base):
    """A period of custody. Whether the person surrendered or was captured, where, when,
    how and through which request is sealed in `circumstances` and nowhere else."""

    __tablename__ = "custodies"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    since: Mapped[date] = mapped_column(Date)
    place_of_internment: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default=CustodyStatus.HELD.value)
    circumstances: Mapped[Sealed] = mapped_column(SealedType())
    recorded_on: Mapped[date] = mapped_column(Day(), default=today)

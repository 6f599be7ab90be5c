"""Custody of a person: where and since when, with the circumstances of surrender sealed."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class CustodyStatus(StrEnum):
    """Where a custody stands. A transfer between places of internment (GC III Arts. 46-48)
    is no status: the person is still held, at the new place."""

    HELD = "held"
    HOSPITALISED = "hospitalised"
    ESCAPED = "escaped"
    RELEASED = "released"
    REPATRIATED = "repatriated"
    DECEASED = "deceased"


class CustodyEventKind(StrEnum):
    """A step in a custody's life; `custody.policy` says from which statuses each may follow."""

    TRANSFER = "transfer"  # to another place of internment, Arts. 46-48
    HOSPITALISATION = "hospitalisation"  # Art. 30
    DISCHARGE = "discharge"  # back from hospital
    RELEASE = "release"  # Arts. 21, 118
    REPATRIATION = "repatriation"  # Arts. 109-110, 118
    ESCAPE = "escape"  # Arts. 91-94
    RECAPTURE = "recapture"  # Art. 94
    DEATH = "death"  # Art. 120


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


class CustodyEvent(IdMixin, Base):
    """A dated step in a custody's life (transfer, hospitalisation, release, escape, death,
    ...): who recorded it and why; never edited. A death's place and cause are medical data,
    sealed in `details` under the person's data key."""

    __tablename__ = "custody_events"
    __table_args__ = (UniqueConstraint("custody_id", "number"),)

    custody_id: Mapped[str] = mapped_column(
        ForeignKey("custodies.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    recorded_on: Mapped[date] = mapped_column(Day(), default=today)
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[Sealed | None] = mapped_column(SealedType())

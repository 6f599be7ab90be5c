"""A one-row table the health check writes to prove the store accepts writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, UtcDateTime, utcnow


class Heartbeat(Base):
    __tablename__ = "heartbeat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    beat_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

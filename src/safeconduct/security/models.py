"""Data keys: one per person (or per request before a person exists), stored wrapped."""

from __future__ import annotations

from datetime import date

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today


class DataKey(IdMixin, Base):
    """A data key wrapped by a key-encryption key; destroying it erases its owner's values."""

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("owner_type", "owner_id"),)

    owner_type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(36))
    kek_id: Mapped[str | None] = mapped_column(String(64))
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_on: Mapped[date] = mapped_column(Day(), default=today)
    destroyed_on: Mapped[date | None] = mapped_column(Day())

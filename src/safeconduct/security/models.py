"""Data keys: one per person (or per request before a person exists), stored wrapped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, IdMixin, UtcDateTime, utcnow


class DataKey(IdMixin, Base):
    """A data key wrapped by a key-encryption key; destroying it erases its owner's values."""

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("owner_type", "owner_id"),)

    owner_type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(36))
    kek_id: Mapped[str | None] = mapped_column(String(64))
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    destroyed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

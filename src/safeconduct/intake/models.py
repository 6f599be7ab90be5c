"""A surrender request as it arrives from a channel: minimal data, all of it sealed."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class Channel(StrEnum):
    WEB_FORM = "web_form"
    WEBHOOK = "webhook"
    CHAT_BOT = "chat_bot"
    PHONE = "phone"


class RequestStatus(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class SurrenderRequest(IdMixin, Base):
    """A request to surrender. Its link to a person is kept only inside the sealed
    circumstances of that person's custody: a plain link would reveal who surrendered."""

    __tablename__ = "surrender_requests"

    channel: Mapped[str] = mapped_column(String(32))
    # Days, never times (see db.Day).
    received_on: Mapped[date] = mapped_column(Day(), default=today)
    status: Mapped[str] = mapped_column(
        String(32), default=RequestStatus.RECEIVED.value, index=True
    )
    status_changed_on: Mapped[date] = mapped_column(Day(), default=today)
    contact: Mapped[Sealed] = mapped_column(SealedType())
    content: Mapped[Sealed] = mapped_column(SealedType())

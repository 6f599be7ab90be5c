"""A surrender request as it arrives from a channel: minimal data, all of it sealed."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class Channel(StrEnum):
    WEB_FORM = "web_form"
    WEBHOOK = "webhook"
    CHAT_BOT = "chat_bot"
    PHONE = "phone"
    IN_PERSON = "in_person"


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
    # A short random reference staff can say on the phone (R-7KQ4); random, never a
    # sequence, so it tells neither order nor count.
    reference: Mapped[str | None] = mapped_column(String(16), unique=True)
    assigned_to: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)


class RequestEvent(IdMixin, Base):
    """A step in a request's history: a status change (with its reason), a note, or an
    assignment. Notes and reasons are sealed under the request's data key."""

    __tablename__ = "request_events"
    __table_args__ = (UniqueConstraint("request_id", "number"),)

    request_id: Mapped[str] = mapped_column(
        ForeignKey("surrender_requests.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    happened_on: Mapped[date] = mapped_column(Day(), default=today)
    actor: Mapped[str] = mapped_column(String(128))
    body: Mapped[Sealed | None] = mapped_column(SealedType())

    @property
    def has_text(self) -> bool:
        """Whether a note or a reason is sealed with this step."""
        return self.body is not None

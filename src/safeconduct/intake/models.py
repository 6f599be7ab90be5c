"""A surrender request as it arrives from a channel: minimal data, all of it sealed."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class Channel(StrEnum):
    WEB_FORM = "web_form"
    WEBHOOK = "webhook"
    CHAT_BOT = "chat_bot"
    PHONE = "phone"
    IN_PERSON = "in_person"


class RequestKind(StrEnum):
    SURRENDER = "surrender"
    # A report of a suspected clone of an official channel, from the public face.
    CLONE_REPORT = "clone_report"


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
    kind: Mapped[str] = mapped_column(String(16), default=RequestKind.SURRENDER.value)
    # Flagged by an officer as a probe by the other side (the reason is a sealed step).
    suspected_probe: Mapped[bool] = mapped_column(Boolean, default=False)
    # A keyed hash of the normalised contact, so the queue can say "same contact as R-XXXX"
    # without the contact in the clear (see channels.service).
    contact_index: Mapped[str | None] = mapped_column(String(64), index=True)
    # The key that seals the applicant's replies (derived from their codename), sealed.
    reply_key: Mapped[Sealed | None] = mapped_column(SealedType())
    # The day the channel data (contact, content, notes, replies) was destroyed.
    channel_data_destroyed_on: Mapped[date | None] = mapped_column(Day())


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

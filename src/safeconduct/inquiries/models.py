"""What a family inquiry leaves in the store: the inquiry (everything personal sealed), the
blinded keys that find it again, the candidates the engine proposed, the officer's answer,
and each prisoner's choice about their family being told.

A copy of the database tells that an inquiry exists, on which day it came, and which
registered person an officer is weighing for it; never who asks, for whom by name, or how
to reach them (sealed under the inquiry's own data key, destroyed when it closes)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class InquiryStatus(StrEnum):
    OPEN = "open"  # standing: every new registration is matched against it
    ANSWERED = "answered"  # an answer is given (it may still be waiting for its release day)
    CLOSED = "closed"  # withdrawn or finished: no longer matched


class CandidateStatus(StrEnum):
    PENDING = "pending"  # waiting for the tracing officer
    CONFIRMED = "confirmed"  # the officer says: this is the person asked about
    REJECTED = "rejected"  # the officer says: not this person


class Inquiry(IdMixin, Base):
    """A family's inquiry. Its id is its ticket's: the inquirer reads the answer with the
    codename on the public status page."""

    __tablename__ = "inquiries"

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=InquiryStatus.OPEN.value, index=True)
    received_on: Mapped[date] = mapped_column(Day(), default=today)
    # The person sought (names in any script, date of birth, place or unit last seen),
    # sealed: a list of who is sought is what extortionists look for.
    sought: Mapped[Sealed] = mapped_column(SealedType())
    # The inquirer: contact, relationship, language. Sealed.
    inquirer: Mapped[Sealed] = mapped_column(SealedType())
    # The key that seals the answer for the codename (as for surrender requests), sealed.
    reply_key: Mapped[Sealed | None] = mapped_column(SealedType())
    # Blind index of the inquirer's contact (keyed hash, as for requests): "same inquirer".
    contact_index: Mapped[str | None] = mapped_column(String(64), index=True)
    # Came from another tracing service's file (inquiries.exchange): never sent back to it.
    imported: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Which scheme of blocking keys its stored keys follow (tracing.pairs.KEYS_VERSION): an
    # older one is re-keyed by the next matching pass.
    keys_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)
    # A candidate arrived that no officer has looked at yet: the queue shows it first.
    new_candidates: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    closed_on: Mapped[date | None] = mapped_column(Day())
    # The day its data key was destroyed (inquiries.retention): nothing sealed opens since.
    data_destroyed_on: Mapped[date | None] = mapped_column(Day())


class InquiryKey(Base):
    """A blocking key of an open inquiry, blinded (HMAC under the tracing index key): equal
    keys find each other, and no one without the key can test a name against them."""

    __tablename__ = "inquiry_keys"
    # A key and who holds it, in the index alone: a lookup never reads the table.
    __table_args__ = (Index("ix_inquiry_keys_key_inquiry", "key", "inquiry_id"),)

    inquiry_id: Mapped[str] = mapped_column(
        ForeignKey("inquiries.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)


class PersonTracingKey(Base):
    """A blocking key of a registered person, blinded like an inquiry's."""

    __tablename__ = "person_tracing_keys"
    __table_args__ = (Index("ix_person_tracing_keys_key_person", "key", "person_id"),)

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)


class InquiryCandidate(IdMixin, Base):
    """A registered person the engine proposed for an inquiry. Nothing is answered from it
    until an officer confirms it."""

    __tablename__ = "inquiry_candidates"
    __table_args__ = (
        UniqueConstraint("inquiry_id", "person_id"),
        Index("ix_inquiry_candidates_person", "person_id"),
    )

    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default=CandidateStatus.PENDING.value)
    found_on: Mapped[date] = mapped_column(Day(), default=today)
    decided_on: Mapped[date | None] = mapped_column(Day())
    decided_by: Mapped[str | None] = mapped_column(String(128))


class InquiryAnswer(IdMixin, Base):
    """The officer's answer on the ladder. The inquirer reads it from its release day, never
    on the day it was given (see policy.release_day)."""

    __tablename__ = "inquiry_answers"
    __table_args__ = (UniqueConstraint("inquiry_id", "number"),)

    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    step: Mapped[str] = mapped_column(String(32))
    answered_on: Mapped[date] = mapped_column(Day(), default=today)
    release_on: Mapped[date] = mapped_column(Day())
    answered_by: Mapped[str] = mapped_column(String(128))


class FamilyConsent(Base):
    """The prisoner's own choice about their family being told (some do not want it), and
    whether the place of internment may be named. No record: nothing is told."""

    __tablename__ = "family_consents"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    family_may_be_told: Mapped[bool] = mapped_column(Boolean)
    place_may_be_told: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_on: Mapped[date] = mapped_column(Day(), default=today)
    recorded_by: Mapped[str] = mapped_column(String(128))

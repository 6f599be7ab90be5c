"""What the bureau sent, and what it needs to send the next thing right: capture card
versions, CTA batches and the records in them (sealed: a record carries family details), death
notices, and the transmission log. Days only, never times (see db.Day)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class Recipient(StrEnum):
    """To whom an output went."""

    CTA = "cta"  # the Central Tracing Agency (Art. 123)
    FAMILY = "family"  # through the family channel (Art. 70)
    PROTECTING_POWER = "protecting_power"
    COUNTERPART = "counterpart"  # the other party to an exchange


class CaptureCard(IdMixin, Base):
    """One version of a person's capture card (Annex IV-A). A new version is made when what
    the card says changes; `digest` is the SHA-256 of the card's canonical document, which
    tells whether it did. The card itself is rendered from the record, never stored."""

    __tablename__ = "capture_cards"
    __table_args__ = (UniqueConstraint("person_id", "version"),)

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date] = mapped_column(Day(), default=today)
    actor: Mapped[str] = mapped_column(String(128))


class CtaBatch(IdMixin, Base):
    """A numbered batch of notifications to the Central Tracing Agency, hashed and signed.
    Its document is not kept: it is made again from its records, byte for byte."""

    __tablename__ = "cta_batches"

    number: Mapped[int] = mapped_column(Integer, unique=True)
    made_on: Mapped[date] = mapped_column(Day(), default=today)
    actor: Mapped[str] = mapped_column(String(128))
    records: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(32))


class CtaRecord(IdMixin, Base):
    """One person's record as a batch sent it, sealed under the person's data key (it holds
    the Art. 122(4) family details), so erasure takes it; the latest is what the next batch
    compares with to send only what changed."""

    __tablename__ = "cta_records"

    batch_id: Mapped[str] = mapped_column(
        ForeignKey("cta_batches.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    record: Mapped[Sealed] = mapped_column(SealedType())


class DeathDocumentKind(StrEnum):
    NOTICE = "notice"  # to the family and the CTA: no cause
    CERTIFICATE = "certificate"  # Art. 120: with the cause, by medical staff


class DeathDocument(IdMixin, Base):
    """A death notice or certificate issued for a person (Art. 120)."""

    __tablename__ = "death_documents"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    issued_on: Mapped[date] = mapped_column(Day(), default=today)
    actor: Mapped[str] = mapped_column(String(128))


class Transmission(IdMixin, Base):
    """The transmission log: what left, to whom, which day, its SHA-256, by whom. Each entry
    is also an audit entry (its id the subject, output, recipient and hash the purpose), so the
    audit chain vouches for the log."""

    __tablename__ = "transmissions"

    output: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(36), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    sent_on: Mapped[date] = mapped_column(Day(), default=today)
    actor: Mapped[str] = mapped_column(String(128))

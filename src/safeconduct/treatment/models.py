"""Treatment events: dated facts of a person's treatment in custody, never edited."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, Day, IdMixin, today
from safeconduct.security.sealing import Sealed, SealedType


class TreatmentKind(StrEnum):
    """What happened; `treatment.policy` says who records each kind and which duty it meets."""

    MEDICAL_EXAMINATION = "medical_examination"  # Art. 31
    HEALTH_STATUS = "health_status"  # Art. 30: seriously ill or wounded, or no longer
    HEALTH_REPORT = "health_report"  # Art. 122: to the bureau while seriously ill
    CAPTURE_CARD = "capture_card"  # Art. 70: completed and sent
    CTA_NOTIFICATION = "cta_notification"  # Arts. 122-123: data sent to the CTA
    MAIL_OFFERED = "mail_offered"  # Art. 71
    MAIL_SENT = "mail_sent"  # Art. 71
    MAIL_RECEIVED = "mail_received"  # Art. 71
    VISIT = "visit"  # Art. 126
    COMPLAINT = "complaint"  # Art. 78
    PROCEEDINGS = "proceedings"  # Arts. 82-108
    LABOUR = "labour"  # Arts. 49-57
    MEDICAL_COMMISSION = "medical_commission"  # Arts. 110-113: before a mixed commission
    TRANSFER_NOTICE = "transfer_notice"  # Art. 48: the new address made known
    DEATH_CERTIFICATE = "death_certificate"  # Art. 120: the cause of death, sealed
    DEATH_NOTIFICATION = "death_notification"  # Arts. 120, 122: to the bureau and the CTA
    DEATH_INQUIRY = "death_inquiry"  # Art. 121: an official inquiry


class TreatmentEvent(IdMixin, Base):
    """One fact of treatment. A correction is a new event naming the one it replaces in
    `supersedes_id` (at most one each, so corrections form a chain); the last of a chain is
    the one in force. What the duties read is plain; free text (medical notes, weight, a
    complaint, the work done) is sealed in `notes` under the person's data key."""

    __tablename__ = "treatment_events"

    custody_id: Mapped[str] = mapped_column(
        ForeignKey("custodies.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    # Indexed: whether anything is dated after a day decides how the engine reads (engine).
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    recorded_on: Mapped[date] = mapped_column(Day(), default=today)
    actor: Mapped[str] = mapped_column(String(128))
    # The role the actor recorded in: an examination counts only when medical staff made it.
    role: Mapped[str] = mapped_column(String(16))
    supersedes_id: Mapped[str | None] = mapped_column(
        ForeignKey("treatment_events.id", ondelete="RESTRICT"), unique=True
    )
    seriously_ill: Mapped[bool | None] = mapped_column(Boolean)
    private_interview: Mapped[bool | None] = mapped_column(Boolean)
    letters: Mapped[int | None] = mapped_column(Integer)
    cards: Mapped[int | None] = mapped_column(Integer)
    hours: Mapped[int | None] = mapped_column(Integer)
    trial_on: Mapped[date | None] = mapped_column(Date)
    notice_on: Mapped[date | None] = mapped_column(Date)
    # Art. 109: no one is repatriated against their will during hostilities; the commission
    # hears whether the person consents.
    consent: Mapped[bool | None] = mapped_column(Boolean)
    # Art. 121: a death whose cause is unknown, or caused or suspected to have been caused by
    # a sentry, another prisoner or any other person, is followed by an official inquiry.
    cause_known: Mapped[bool | None] = mapped_column(Boolean)
    other_person_involved: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[Sealed | None] = mapped_column(SealedType())

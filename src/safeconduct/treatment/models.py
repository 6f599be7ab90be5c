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
    occurred_on: Mapped[date] = mapped_column(Date)
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
    notes: Mapped[Sealed | None] = mapped_column(SealedType())

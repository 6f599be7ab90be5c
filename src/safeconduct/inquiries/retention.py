"""An inquiry's personal data is kept while it serves. Once an inquiry is closed and
`Settings.retention_days` have passed, its data key is destroyed: the names asked for, the
inquirer and the key of its answers are gone for good; its answers for the codename and
its blinded keys are deleted. What stays: the reference, the days, the candidates' ids and
the officer's decisions and answers' steps (the audit trail of what was told)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.channels import service as channels
from safeconduct.inquiries.models import Inquiry, InquiryKey, InquiryStatus
from safeconduct.inquiries.service import inquiry_owner
from safeconduct.security.service import Keyring

RETENTION = Actor("system:retention")


def due(session: Session, *, on: date, days: int, limit: int = 500) -> list[Inquiry]:
    stmt = (
        select(Inquiry)
        .where(
            Inquiry.status == InquiryStatus.CLOSED.value,
            Inquiry.closed_on <= on - timedelta(days=days),
            Inquiry.data_destroyed_on.is_(None),
        )
        .order_by(Inquiry.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def run(session: Session, *, keyring: Keyring, audit: AuditLog, on: date, days: int) -> int:
    """Destroy what is due; return how many inquiries."""
    found = due(session, on=on, days=days)
    for inquiry in found:
        keyring.destroy(session, inquiry_owner(inquiry.id))
        channels.forget_replies(session, ticket_id=inquiry.id)
        session.execute(delete(InquiryKey).where(InquiryKey.inquiry_id == inquiry.id))
        inquiry.data_destroyed_on = on
        audit.record(session, actor=RETENTION, tag=AuditAction.INQUIRY_DESTROY,
                     subject_id=inquiry.id)  # fmt: skip
    session.flush()
    return len(found)

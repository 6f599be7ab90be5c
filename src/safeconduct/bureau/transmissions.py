"""The transmission log: every output that leaves to someone outside (the CTA, a family, the
protecting power, the other party to an exchange) is logged here and in the audit chain in
the same transaction, so the chain vouches for what was sent, to whom, and its hash."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau.gate import Output
from safeconduct.bureau.models import Recipient, Transmission
from safeconduct.db import new_id


def purpose_of(output: Output, recipient: Recipient, sha256: str) -> str:
    """What the audit entry says of a transmission: no name, no place, only kinds and a hash."""
    return f"{output.value}:{recipient.value}:sha256={sha256}"


def record(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    output: Output,
    recipient: Recipient,
    subject_id: str,
    sha256: str,
) -> Transmission:
    """Log that an output went to a recipient; the caller commits (with whatever the sending
    meets, such as a duty)."""
    row = Transmission(
        id=new_id(),
        output=output.value,
        recipient=recipient.value,
        subject_id=subject_id,
        sha256=sha256,
        actor=actor.name,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.TRANSMISSION,
        subject_id=row.id,
        purpose=purpose_of(output, recipient, sha256),
    )
    return row


def log(session: Session, *, limit: int = 200, offset: int = 0) -> list[Transmission]:
    """The log, newest day first (then by id: the order within a day says nothing)."""
    stmt = (
        select(Transmission)
        .order_by(Transmission.sent_on.desc(), Transmission.id)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))


def of_subject(session: Session, *, subject_id: str) -> list[Transmission]:
    stmt = select(Transmission).where(Transmission.subject_id == subject_id)
    return list(session.scalars(stmt.order_by(Transmission.sent_on, Transmission.id)))

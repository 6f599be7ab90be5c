"""Use cases of the channels. The caller commits.

The public face calls `submit`, `write_again`, `find_ticket` and `read_replies`: they need
the intake *public* key, the channel signing key and the channel secret, nothing that opens
a submission. The operator face calls `ingest` (open the inbox with the private intake key,
re-seal each submission under its request's data key), `reply` and `issue_codename`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.channels import codenames, outbox
from safeconduct.channels.models import (
    PublicStatus,
    Submission,
    SubmissionKind,
    Ticket,
    TicketKind,
    TicketReply,
    public_ticket,
)
from safeconduct.channels.policy import (
    SubmissionFields,
    check_message,
    normalise_contact,
    receipt_body,
)
from safeconduct.db import new_id, today, utcnow
from safeconduct.intake import service as intake
from safeconduct.intake.models import Channel, RequestKind, RequestStatus, SurrenderRequest
from safeconduct.intake.policy import TEXT_BYTES, EventKind, check_text, open_to_work
from safeconduct.intake.schemas import SurrenderRequestCreate
from safeconduct.runtime import ChannelKeys
from safeconduct.security.channel_secret import aead_open, aead_seal, reply_key
from safeconduct.security.intake_box import open_box, seal_to
from safeconduct.security.sealing import FieldRef, SealError
from safeconduct.security.service import Keyring
from safeconduct.security.statements import sign_statement

REQUEST_TABLE = SurrenderRequest.__tablename__


class NoCodenameError(ValueError):
    """The ticket has no codename to read replies with, or one was issued already."""


class ChannelsNotConfiguredError(RuntimeError):
    """This deployment has no channel keys (see runtime.channel_keys)."""


@dataclass(frozen=True)
class Issued:
    """What an applicant takes away: the reference, the codename (shown once, never stored)
    and the signed receipt."""

    ticket_id: str
    reference: str
    codename: str
    receipt: str


@dataclass(frozen=True)
class Reply:
    number: int
    written_on: date
    text: str


def channel_actor(channel: Channel) -> Actor:
    return Actor(f"channel:{channel.value}")


def sign_receipt(keys: ChannelKeys, reference: str, channel: Channel, now: datetime) -> str:
    return sign_statement(keys.signer, receipt_body(reference, now, channel))


def _context(kind: SubmissionKind, submission_id: str) -> str:
    return f"{kind.value}:{submission_id}"


def _put_in_inbox(
    session: Session,
    *,
    keys: ChannelKeys,
    ticket_id: str,
    kind: SubmissionKind,
    channel: Channel,
    payload: dict[str, str],
    integration_id: str | None,
) -> Submission:
    submission_id = new_id()
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    box = seal_to(keys.intake_public, data, context=_context(kind, submission_id))
    submission = Submission(
        id=submission_id,
        ticket_id=ticket_id,
        kind=kind.value,
        channel=channel.value,
        integration_id=integration_id,
        box=box,
    )
    session.add(submission)
    return submission


def submit(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    channel: Channel,
    fields: SubmissionFields,
    kind: SubmissionKind = SubmissionKind.REQUEST,
    integration_id: str | None = None,
    now: datetime | None = None,
) -> Issued:
    """Take a submission in on the public face: sealed to the intake key, a ticket with a
    fresh reference and the codename's keyed hash, and a signed receipt."""
    payload = {"fields": fields.to_bytes().decode("utf-8")}
    return _issue(session, keys=keys, audit=audit, channel=channel, kind=kind,
                  payload=payload, integration_id=integration_id, now=now)  # fmt: skip


@dataclass(frozen=True)
class SealedFields:
    """A submission whose fields were sealed to the intake key one by one as they came (a
    bot conversation): the public face cannot read them back, so it passes the boxes on
    and the operator face opens each. `context` binds the boxes to their conversation."""

    context: str
    language: str
    boxes: dict[str, bytes]

    def to_json(self) -> str:
        boxes = {f: base64.b64encode(b).decode() for f, b in sorted(self.boxes.items())}
        return json.dumps({"context": self.context, "language": self.language, "boxes": boxes})

    @staticmethod
    def from_json(text: str) -> SealedFields:
        doc = json.loads(text)
        boxes = {str(f): base64.b64decode(b) for f, b in doc["boxes"].items()}
        return SealedFields(str(doc["context"]), str(doc["language"]), boxes)


SEALED_FIELDS = ("contact", "place", "message")


def seal_field(keys: ChannelKeys, context: str, field: str, value: str) -> bytes:
    """Seal one field of a submission to the intake key as it arrives."""
    return seal_to(keys.intake_public, value.encode("utf-8"), context=f"{context}:{field}")


def submit_sealed(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    channel: Channel,
    fields: SealedFields,
    integration_id: str | None = None,
    now: datetime | None = None,
) -> Issued:
    """`submit` for fields sealed one by one (see SealedFields)."""
    if set(fields.boxes) != set(SEALED_FIELDS):
        raise ValueError("a sealed submission holds contact, place and message")
    payload = {"sealed_fields": fields.to_json()}
    return _issue(session, keys=keys, audit=audit, channel=channel,
                  kind=SubmissionKind.REQUEST, payload=payload,
                  integration_id=integration_id, now=now)  # fmt: skip


def _issue(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    channel: Channel,
    kind: SubmissionKind,
    payload: dict[str, str],
    integration_id: str | None,
    now: datetime | None,
) -> Issued:
    codename = codenames.draw()
    inquiry = kind == SubmissionKind.INQUIRY
    ticket = Ticket(
        id=new_id(),
        reference=intake.free_reference(session),
        codename_hash=keys.secret.codename_hash(codename),
        public_status=PublicStatus.RECEIVED.value,
        kind=(TicketKind.INQUIRY if inquiry else TicketKind.REQUEST).value,
    )
    session.add(ticket)
    session.flush()
    payload = {**payload, "reply_key": base64.b64encode(reply_key(codename, ticket.id)).decode()}
    _put_in_inbox(
        session,
        keys=keys,
        ticket_id=ticket.id,
        kind=kind,
        channel=channel,
        payload=payload,
        integration_id=integration_id,
    )
    session.flush()
    # Signed before the audit append: the head's lock is then held for the append only.
    receipt = sign_receipt(keys, ticket.reference, channel, now or utcnow())
    audit.record(
        session,
        actor=channel_actor(channel),
        tag=AuditAction.INQUIRY_SUBMIT if inquiry else AuditAction.REQUEST_SUBMIT,
        subject_id=ticket.id,
        purpose=None if inquiry else kind.value,
    )
    return Issued(ticket.id, ticket.reference, codename, receipt)


def submit_inquiry(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    channel: Channel,
    fields_json: str,
    integration_id: str | None = None,
    now: datetime | None = None,
) -> Issued:
    """Take a family inquiry in on the public face, as `submit` takes a request: sealed to
    the intake key, a ticket with a reference and a codename, a signed receipt. The
    inquiries package knows its fields; here they are only sealed."""
    return _issue(session, keys=keys, audit=audit, channel=channel,
                  kind=SubmissionKind.INQUIRY, payload={"inquiry": fields_json},
                  integration_id=integration_id, now=now)  # fmt: skip


def write_again(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    ticket: Ticket,
    text: str,
    channel: Channel = Channel.WEB_FORM,
    integration_id: str | None = None,
) -> None:
    """The applicant writes again: sealed to the intake key like the first submission.
    Refused once the request is closed (see policy.public_status)."""
    message = check_message(text)
    if ticket.public_status == PublicStatus.CLOSED.value:
        raise NoCodenameError("the request is closed")
    if ticket.kind == TicketKind.INQUIRY.value:
        raise NoCodenameError("an inquiry takes no messages: a new inquiry is made instead")
    _put_in_inbox(
        session,
        keys=keys,
        ticket_id=ticket.id,
        kind=SubmissionKind.MESSAGE,
        channel=channel,
        payload={"message": message},
        integration_id=integration_id,
    )
    session.flush()
    audit.record(
        session,
        actor=channel_actor(channel),
        tag=AuditAction.REQUEST_SUBMIT,
        subject_id=ticket.id,
        purpose=SubmissionKind.MESSAGE.value,
    )


def find_ticket(session: Session, *, keys: ChannelKeys, typed: str) -> Ticket | None:
    """The ticket a typed codename opens, or None. A malformed codename costs the same hash
    and the same query as a well-formed one, so the answer's timing tells nothing."""
    codename = codenames.normalise(typed)
    digest = keys.secret.codename_hash(codename if codename is not None else typed)
    found = select(Ticket).where(Ticket.codename_hash == digest).options(public_ticket())
    ticket = session.scalars(found).one_or_none()
    return ticket if codename is not None else None


def read_replies(session: Session, *, ticket: Ticket, typed: str) -> list[Reply]:
    """The officers' replies to this ticket, opened with the codename that found it."""
    codename = codenames.normalise(typed)
    if codename is None:
        raise NoCodenameError("not a codename")
    key = reply_key(codename, ticket.id)
    # A reply dated ahead (an inquiry's answer, before its release day) is not shown yet.
    rows = session.scalars(
        select(TicketReply)
        .where(TicketReply.ticket_id == ticket.id, TicketReply.written_on <= today())
        .order_by(TicketReply.number)
    )
    return [
        Reply(r.number, r.written_on, aead_open(key, r.body, aad=_reply_aad(r)).decode("utf-8"))
        for r in rows
    ]


def ticket_reference(request: SurrenderRequest) -> str:
    # Every request has a reference since migration 0006; the ticket holds the same one.
    return request.reference or ""


def _reply_aad(reply: TicketReply) -> str:
    return f"reply:{reply.ticket_id}:{reply.number}"


# Operator face -------------------------------------------------------------------------


@dataclass
class IngestReport:
    requests: int = 0
    messages: int = 0
    dropped: int = 0


def _intake_key(keys: ChannelKeys | None) -> ChannelKeys:
    if keys is None or keys.intake is None:
        raise ChannelsNotConfiguredError("the private intake key is not configured")
    return keys


def ingest(
    session: Session,
    *,
    keyring: Keyring,
    keys: ChannelKeys | None,
    audit: AuditLog,
    limit: int = 200,
) -> IngestReport:
    """Move what the public face took in into the intake queue: open each box with the
    private intake key, re-seal it under its request's data key, delete the box. New
    requests go first, so a message never waits on the request it belongs to."""
    keys = _intake_key(keys)
    first = case((Submission.kind == SubmissionKind.MESSAGE.value, 1), else_=0)
    # Inquiries are the inquiries package's to take in (inquiries.service.ingest).
    stmt = (
        select(Submission)
        .where(Submission.kind != SubmissionKind.INQUIRY.value)
        .order_by(first, Submission.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    report = IngestReport()
    for submission in session.scalars(stmt).all():
        _take_in(
            session, keyring=keyring, keys=keys, audit=audit, submission=submission, report=report
        )
        session.delete(submission)
    session.flush()
    return report


def inquiry_submissions(
    session: Session, *, keys: ChannelKeys | None, limit: int
) -> list[tuple[Submission, dict[str, str]]]:
    """Inquiries waiting in the inbox, each opened with the private intake key. The caller
    takes each in and deletes it in the same transaction."""
    keys = _intake_key(keys)
    stmt = (
        select(Submission)
        .where(Submission.kind == SubmissionKind.INQUIRY.value)
        .order_by(Submission.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return [(s, _open(keys, s)) for s in session.scalars(stmt).all()]


def _open(keys: ChannelKeys, submission: Submission) -> dict[str, str]:
    assert keys.intake is not None
    kind = SubmissionKind(submission.kind)
    data = open_box(keys.intake.private, submission.box, context=_context(kind, submission.id))
    doc = json.loads(data.decode("utf-8"))
    return {str(k): str(v) for k, v in doc.items()}


def _take_in(
    session: Session,
    *,
    keyring: Keyring,
    keys: ChannelKeys,
    audit: AuditLog,
    submission: Submission,
    report: IngestReport,
) -> None:
    payload = _open(keys, submission)
    channel = Channel(submission.channel)
    if submission.kind == SubmissionKind.MESSAGE.value:
        _take_message(session, keyring=keyring, audit=audit, submission=submission,
                      text=payload["message"], report=report)  # fmt: skip
        return
    ticket = session.get(Ticket, submission.ticket_id)
    assert ticket is not None  # the ticket cascades with its submissions
    fields = _fields_of(keys, payload)
    kind = (
        RequestKind.CLONE_REPORT
        if submission.kind == SubmissionKind.CLONE_REPORT.value
        else RequestKind.SURRENDER
    )
    request = intake.create(
        session,
        keyring=keyring,
        audit=audit,
        actor=channel_actor(channel),
        request_in=SurrenderRequestCreate(
            channel=channel, contact=fields.contact, content=fields.content_text()
        ),
        ticket=ticket,
        kind=kind,
        contact_index=contact_index(keys, fields.contact),
    )
    request.reply_key = keyring.seal(
        session,
        owner=intake.request_owner(request.id),
        field=FieldRef(REQUEST_TABLE, "reply_key", request.id),
        plaintext=base64.b64decode(payload["reply_key"]),
    )
    report.requests += 1


def _fields_of(keys: ChannelKeys, payload: dict[str, str]) -> SubmissionFields:
    """The fields of a submission: in the clear inside its box, or sealed one by one."""
    if "sealed_fields" not in payload:
        return SubmissionFields.from_bytes(payload["fields"].encode("utf-8"))
    assert keys.intake is not None
    sealed = SealedFields.from_json(payload["sealed_fields"])
    opened = {
        field: open_box(keys.intake.private, sealed.boxes[field],
                        context=f"{sealed.context}:{field}").decode("utf-8")
        for field in SEALED_FIELDS
    }  # fmt: skip
    return SubmissionFields(language=sealed.language, **opened)


def contact_index(keys: ChannelKeys, contact: str) -> str:
    """The blind index of a contact: a keyed hash of it normalised."""
    return keys.secret.keyed_hash("contact", normalise_contact(contact))


def _take_message(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    submission: Submission,
    text: str,
    report: IngestReport,
) -> None:
    request = intake.get(session, request_id=submission.ticket_id)
    # A message that crossed the request's closing is dropped: a dated step after
    # acceptance would pair the request with its custody (see intake.policy.OPEN_TO_WORK).
    if (
        request is None
        or request.channel_data_destroyed_on is not None
        or not open_to_work(RequestStatus(request.status))
    ):
        report.dropped += 1
        return
    actor = channel_actor(Channel(submission.channel))
    intake.add_step(session, request=request, actor=actor, kind=EventKind.MESSAGE, text=text,
                    keyring=keyring)  # fmt: skip
    audit.record(session, actor=actor, tag=AuditAction.REQUEST_MESSAGE, subject_id=request.id)
    report.messages += 1


def _reply_key_of(session: Session, keyring: Keyring, request: SurrenderRequest) -> bytes:
    if request.reply_key is None:
        raise NoCodenameError("no codename was issued for this request")
    field = FieldRef(REQUEST_TABLE, "reply_key", request.id)
    return keyring.open(session, sealed=request.reply_key, field=field)


def reply(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    request: SurrenderRequest,
    text: str,
    keys: ChannelKeys | None = None,
) -> TicketReply:
    """Write back to the applicant: sealed under their codename's key for the status page,
    and kept as a sealed step in the request's history for the officers."""
    kept = check_text(text, field="text")
    session.refresh(request, with_for_update=True)
    intake.require_open_to_work(request)
    key = _reply_key_of(session, keyring, request)
    row = seal_reply(session, ticket_id=request.id, key=key, text=kept)
    number = row.number
    if keys is not None and keys.intake is not None:
        # A request that came by a bot: the reply also goes to its chat, through the outbox.
        reference = ticket_reference(request)
        outbox.enqueue_reply(session, keys=keys, ticket_id=request.id, reference=reference,
                             number=number, text=kept)  # fmt: skip
    intake.add_step(session, request=request, actor=actor, kind=EventKind.REPLY, text=kept,
                    keyring=keyring)  # fmt: skip
    audit.record(session, actor=actor, tag=AuditAction.REQUEST_REPLY, subject_id=request.id)
    return row


def seal_reply(
    session: Session, *, ticket_id: str, key: bytes, text: str, written_on: date | None = None
) -> TicketReply:
    """Add a reply sealed under a codename's key, padded to one size. Dated ahead
    (`written_on`), it stays unread until that day (read_replies)."""
    last = session.scalar(
        select(func.max(TicketReply.number)).where(TicketReply.ticket_id == ticket_id)
    )
    row = TicketReply(id=new_id(), ticket_id=ticket_id, number=(last or 0) + 1, body=b"")
    if written_on is not None:
        row.written_on = written_on
    row.body = aead_seal(key, text.encode("utf-8"), aad=_reply_aad(row), size=TEXT_BYTES)
    session.add(row)
    session.flush()
    return row


def new_codename(keys: ChannelKeys | None, ticket: Ticket) -> tuple[str, bytes]:
    """A codename for a ticket an officer made: set its keyed hash on the ticket and
    return the codename (to read out, never stored) and its reply key (to seal)."""
    keys = _intake_key(keys)
    codename = codenames.draw()
    ticket.codename_hash = keys.secret.codename_hash(codename)
    return codename, reply_key(codename, ticket.id)


def issue_codename(
    session: Session,
    *,
    keyring: Keyring,
    keys: ChannelKeys | None,
    request: SurrenderRequest,
    now: datetime | None = None,
) -> Issued:
    """Give a request taken by phone or in person a codename and a receipt, to read out.
    Only once: a second codename would orphan the replies sealed for the first."""
    keys = _intake_key(keys)
    ticket = session.get(Ticket, request.id, with_for_update=True)
    if ticket is None or ticket.codename_hash is not None or request.reply_key is not None:
        raise NoCodenameError("a codename was issued for this request already")
    codename = codenames.draw()
    ticket.codename_hash = keys.secret.codename_hash(codename)
    request.reply_key = keyring.seal(
        session,
        owner=intake.request_owner(request.id),
        field=FieldRef(REQUEST_TABLE, "reply_key", request.id),
        plaintext=reply_key(codename, request.id),
    )
    session.flush()
    receipt = sign_receipt(keys, ticket.reference, Channel(request.channel), now or utcnow())
    return Issued(ticket.id, ticket.reference, codename, receipt)


def forget_replies(session: Session, *, ticket_id: str) -> None:
    """Delete a ticket's replies and waiting submissions (retention)."""
    session.execute(delete(TicketReply).where(TicketReply.ticket_id == ticket_id))
    session.execute(delete(Submission).where(Submission.ticket_id == ticket_id))


def opens(keys: ChannelKeys, submission: Submission) -> bool:
    """Whether a submission's box opens with this key (for checks and tests)."""
    try:
        _open(keys, submission)
    except SealError:
        return False
    return True

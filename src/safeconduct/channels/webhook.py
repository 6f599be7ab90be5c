"""The webhook for bot and phone (IVR) platforms: its checks, pure, and its use case.

A platform posts JSON to `/channels/webhook/{integration}` with three headers:

- `X-SafeConduct-Timestamp`: unix seconds; more than 5 minutes off our clock is refused;
- `X-SafeConduct-Signature`: `sha256=` and the hex HMAC-SHA256, under the integration's
  secret, of the timestamp, a dot and the raw body;
- `Idempotency-Key`: the platform's name for this message (at most 200 visible ASCII
  characters); the same message delivered twice makes one request.

The body is `{"contact", "place", "language", "message"}` (a new request; the rules of
`policy.check_fields`), `{"codename", "message"}` (the applicant writes again), or
`{"kind": "inquiry", "surname", "given_name", "patronymic", "date_of_birth",
"place_last_seen", "contact", "relationship", "language"}` (a family inquiry; the rules of
`inquiries.policy.check_fields`). An inquiry is answered like a request (reference,
codename, receipt) and counts against the same limits; it takes no later messages.

What a delivery sent again gets (documented for integrators):

- the same idempotency key and the same body: the first answer again, with status 200
  instead of 201 and `"codename": null`. The codename is shown once, like on the form: it
  is never stored, so it cannot be given again, and a redelivery must not be a way to
  read it twice. The platform must keep the first answer's codename;
- the same idempotency key and another body: 409, nothing is taken;
- the same signed message (timestamp and body) under another idempotency key: 409, since
  only a replay of a captured delivery would do that; nothing is taken;
- any delivery more than 5 minutes old: 401 (the timestamp), whatever its key.

Each delivery is recorded in `channel_deliveries` by keyed hashes (of the key, of the body,
of the signed message) in the transaction that takes the submission in: both or neither.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safeconduct.audit.service import AuditLog
from safeconduct.channels import integrations, limits
from safeconduct.channels import service as channels
from safeconduct.channels.deliveries import record_delivery
from safeconduct.channels.models import ChannelDelivery, Integration, IntegrationKind, TicketKind
from safeconduct.channels.policy import FieldError, SubmissionFields, check_fields, check_message
from safeconduct.inquiries import policy as inquiry_policy
from safeconduct.intake.models import Channel
from safeconduct.runtime import ChannelKeys, PublicRuntime
from safeconduct.security.channel_secret import aead_open, aead_seal, derive

TIMESTAMP_HEADER = "X-SafeConduct-Timestamp"
SIGNATURE_HEADER = "X-SafeConduct-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAY_WINDOW_SECONDS = 300
IDEMPOTENCY_KEY_CHARS = 200
SIGNATURE_PREFIX = "sha256="
# Deliveries are kept this long to answer a platform's late retries, then pruned; a
# replay is refused by its timestamp long before.
KEEP_DELIVERIES_DAYS = 7

_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+", re.ASCII)
_NEW_REQUEST = frozenset({"contact", "place", "language", "message"})
_WRITE_AGAIN = frozenset({"codename", "message"})
_KIND = "kind"
_INQUIRY = "inquiry"
_NEW_INQUIRY = frozenset({_KIND, *inquiry_policy.FIELDS})


class RefusedError(Exception):
    """A delivery refused whole, with the status to answer and a detail that names a field
    or a header, never a value."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


# Pure checks -----------------------------------------------------------------------------


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header's value for this timestamp and body."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def check_signature(
    secret: bytes, *, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> None:
    """Refuse (401) a delivery whose timestamp is malformed or more than 5 minutes off, or
    whose signature does not match; the comparison takes the same time wherever it differs."""
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        raise RefusedError(401, f"{TIMESTAMP_HEADER}: missing or not unix seconds")
    if abs(now.timestamp() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        raise RefusedError(401, f"{TIMESTAMP_HEADER}: outside the 5-minute window")
    expected = sign(secret, timestamp, body).encode("ascii")
    given = (signature or "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(expected, given):
        raise RefusedError(401, f"{SIGNATURE_HEADER}: does not match")


def check_idempotency_key(value: str | None) -> str:
    """The idempotency key, required: 1 to 200 visible ASCII characters."""
    if not value:
        raise FieldError(IDEMPOTENCY_HEADER, "is required")
    if len(value) > IDEMPOTENCY_KEY_CHARS or not _VISIBLE_ASCII.fullmatch(value):
        raise FieldError(IDEMPOTENCY_HEADER, "must be 1 to 200 visible ASCII characters")
    return value


@dataclass(frozen=True)
class NewRequest:
    fields: SubmissionFields


@dataclass(frozen=True)
class WriteAgain:
    codename: str
    message: str


@dataclass(frozen=True)
class NewInquiry:
    fields: inquiry_policy.InquiryFields


def _text(doc: dict[str, object], field: str) -> str | None:
    value = doc.get(field)
    if value is not None and not isinstance(value, str):
        raise FieldError(field, "must be a string")
    return value


def _inquiry(doc: dict[str, object]) -> NewInquiry:
    if not set(doc) <= _NEW_INQUIRY:
        names = ", ".join(inquiry_policy.FIELDS)
        raise FieldError("body", f"an inquiry takes only kind, {names}")
    values = {f: _text(doc, f) for f in inquiry_policy.FIELDS}
    return NewInquiry(inquiry_policy.check_fields(values))


def parse(body: bytes) -> NewRequest | WriteAgain | NewInquiry:
    """Read a delivery's body; raise FieldError naming the first bad field."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FieldError("body", "must be a JSON object in UTF-8") from None
    if not isinstance(doc, dict):
        raise FieldError("body", "must be a JSON object")
    if _KIND in doc:
        if doc[_KIND] != _INQUIRY:
            raise FieldError(_KIND, f"must be {_INQUIRY!r}, or left out for a request")
        return _inquiry(doc)
    keys = set(doc)
    if "codename" in keys:
        if not keys <= _WRITE_AGAIN:
            raise FieldError("body", "writing again takes only codename and message")
        codename = _text(doc, "codename")
        if not codename:
            raise FieldError("codename", "must not be empty")
        return WriteAgain(codename, check_message(_text(doc, "message")))
    if not keys <= _NEW_REQUEST:
        raise FieldError("body", "a request takes only contact, place, language and message")
    fields = check_fields(*(_text(doc, f) for f in ("contact", "place", "language", "message")))
    return NewRequest(fields)


# The use case ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the webhook answers: a status and a JSON body."""

    status_code: int
    body: dict[str, str | None]


@dataclass(frozen=True)
class _Hashes:
    key: str  # the idempotency key
    body: str  # the raw body
    message: str  # the signed message: timestamp and body


def _hashes(
    keys: ChannelKeys, integration_id: str, key: str, timestamp: str, body: bytes
) -> _Hashes:
    digest = hashlib.sha256(body).hexdigest()
    secret = keys.secret
    return _Hashes(
        key=secret.keyed_hash("webhook-idempotency", f"{integration_id}:{key}"),
        body=secret.keyed_hash("webhook-body", f"{integration_id}:{digest}"),
        message=secret.keyed_hash("webhook-message", f"{integration_id}:{timestamp}:{digest}"),
    )


def _answer_key(keys: ChannelKeys) -> bytes:
    return derive(keys.secret.key, "safeconduct/webhook-answers")


def _seal_answer(
    keys: ChannelKeys, delivery: ChannelDelivery, body: dict[str, str | None]
) -> bytes:
    data = json.dumps(body, sort_keys=True).encode("utf-8")
    return aead_seal(_answer_key(keys), data, aad=f"delivery:{delivery.id}")


def _replayed(keys: ChannelKeys, delivery: ChannelDelivery, hashes: _Hashes) -> Answer:
    """The answer to a delivery whose idempotency key was seen before."""
    if not hmac.compare_digest(delivery.body_hash or "", hashes.body):
        raise RefusedError(409, f"{IDEMPOTENCY_HEADER}: used before for another body")
    if delivery.answer is None:  # not a webhook delivery, or its answer was forgotten
        raise RefusedError(409, f"{IDEMPOTENCY_HEADER}: used before")
    opened = aead_open(_answer_key(keys), delivery.answer, aad=f"delivery:{delivery.id}")
    body: dict[str, str | None] = json.loads(opened.decode("utf-8"))
    if "receipt" in body:
        body["codename"] = None  # shown once, with the first answer only
    return Answer(200, body)


def _find(session: Session, integration_id: str, column: str, value: str) -> ChannelDelivery | None:
    field = getattr(ChannelDelivery, column)
    stmt = select(ChannelDelivery).where(
        ChannelDelivery.integration_id == integration_id, field == value
    )
    return session.scalars(stmt).one_or_none()


def _record(session: Session, integration_id: str, hashes: _Hashes) -> ChannelDelivery | None:
    return record_delivery(session, integration_id=integration_id, key_hash=hashes.key,
                           body_hash=hashes.body, message_hash=hashes.message)  # fmt: skip


def receive(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    integration: Integration,
    idempotency_key: str,
    timestamp: str,
    body: bytes,
    now: datetime,
    contact_rule: limits.Rule = limits.DEFAULT.contact,
) -> Answer:
    """Take in one authenticated delivery. The caller commits: the submission and its
    delivery record are written together or not at all."""
    hashes = _hashes(keys, integration.id, idempotency_key, timestamp, body)
    seen = _find(session, integration.id, "key_hash", hashes.key)
    if seen is not None:
        return _replayed(keys, seen, hashes)
    what = parse(body)
    if _find(session, integration.id, "message_hash", hashes.message) is not None:
        raise RefusedError(409, f"{SIGNATURE_HEADER}: this signed message was delivered before")
    delivery = _record(session, integration.id, hashes)
    if delivery is None:
        seen = _find(session, integration.id, "key_hash", hashes.key)
        if seen is None:
            raise RefusedError(409, f"{SIGNATURE_HEADER}: this signed message was delivered before")
        return _replayed(keys, seen, hashes)
    if isinstance(what, NewRequest):
        answer = _new_request(session, keys=keys, audit=audit, integration=integration,
                              fields=what.fields, now=now, contact_rule=contact_rule)  # fmt: skip
    elif isinstance(what, NewInquiry):
        answer = _new_inquiry(session, keys=keys, audit=audit, integration=integration,
                              fields=what.fields, now=now, contact_rule=contact_rule)  # fmt: skip
    else:
        answer = _write_again(session, keys=keys, audit=audit, integration=integration,
                              what=what)  # fmt: skip
    delivery.ticket_id = answer.ticket_id
    delivery.answer = _seal_answer(keys, delivery, answer.kept)
    session.flush()
    return Answer(201, answer.shown)


@dataclass(frozen=True)
class _Taken:
    ticket_id: str
    kept: dict[str, str | None]  # sealed with the delivery, for a redelivery
    shown: dict[str, str | None]  # answered now


def _issued(issued: channels.Issued) -> _Taken:
    kept: dict[str, str | None] = {"reference": issued.reference, "receipt": issued.receipt}
    return _Taken(issued.ticket_id, kept, {**kept, "codename": issued.codename})


def _new_request(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    integration: Integration,
    fields: SubmissionFields,
    now: datetime,
    contact_rule: limits.Rule,
) -> _Taken:
    # Counted with the request itself: only requests taken in count against a contact.
    limits.hit(session, bucket=limits.contact_bucket(keys.secret, fields.contact),
               rule=contact_rule, now=now)  # fmt: skip
    issued = channels.submit(session, keys=keys, audit=audit, channel=Channel.WEBHOOK,
                             fields=fields, integration_id=integration.id, now=now)  # fmt: skip
    return _issued(issued)


def _new_inquiry(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    integration: Integration,
    fields: inquiry_policy.InquiryFields,
    now: datetime,
    contact_rule: limits.Rule,
) -> _Taken:
    # The same contact limit as requests (and as the inquiry form): one family asking
    # for many names is a prober.
    limits.hit(session, bucket=limits.contact_bucket(keys.secret, fields.contact),
               rule=contact_rule, now=now)  # fmt: skip
    issued = channels.submit_inquiry(session, keys=keys, audit=audit, channel=Channel.WEBHOOK,
                                     fields_json=fields.to_json(),
                                     integration_id=integration.id, now=now)  # fmt: skip
    return _issued(issued)


def _write_again(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    integration: Integration,
    what: WriteAgain,
) -> _Taken:
    ticket = channels.find_ticket(session, keys=keys, typed=what.codename)
    if ticket is None:
        raise RefusedError(404, "codename: no request has this codename")
    if ticket.kind == TicketKind.INQUIRY.value:
        raise RefusedError(409, "codename: an inquiry takes no messages")
    try:
        channels.write_again(session, keys=keys, audit=audit, ticket=ticket, text=what.message,
                             channel=Channel.WEBHOOK, integration_id=integration.id)  # fmt: skip
    except channels.NoCodenameError:
        raise RefusedError(409, "codename: the request is closed") from None
    kept: dict[str, str | None] = {"reference": ticket.reference, "status": ticket.public_status}
    return _Taken(ticket.id, kept, kept)


def handle(
    prt: PublicRuntime,
    *,
    name: str,
    headers: dict[str, str | None],
    body: bytes,
    now: datetime,
    rules: limits.Limits = limits.DEFAULT,
) -> Answer:
    """The whole delivery on the public face: the integration (404 if unknown or disabled,
    the same for both), the signature (401), the integration's limit (429, counted for
    signed deliveries only, so a stranger cannot spend a platform's allowance), the
    idempotency key (422), then the delivery in one transaction."""
    with prt.sessions() as session:
        integration = integrations.active(session, name=name, kind=IntegrationKind.WEBHOOK)
        if integration is None:
            raise RefusedError(404, "no such integration")
        secret = integrations.secret_of(prt.channels.secret, integration)
        integration_id = integration.id
    check_signature(secret, timestamp=headers.get(TIMESTAMP_HEADER),
                    signature=headers.get(SIGNATURE_HEADER), body=body, now=now)  # fmt: skip
    bucket = limits.integration_bucket(prt.channels.secret, integration_id)
    limits.count(prt, bucket=bucket, rule=rules.integration, now=now)
    key = check_idempotency_key(headers.get(IDEMPOTENCY_HEADER))
    timestamp = headers[TIMESTAMP_HEADER]
    assert timestamp is not None  # checked with the signature
    with prt.transaction() as session:
        current = session.get(Integration, integration_id)
        if current is None or current.disabled_on is not None:  # disabled meanwhile
            raise RefusedError(404, "no such integration")
        return receive(session, keys=prt.channels, audit=prt.audit, integration=current,
                       idempotency_key=key, timestamp=timestamp, body=body, now=now,
                       contact_rule=rules.contact)  # fmt: skip


def prune_deliveries(session: Session, *, today: date) -> int:
    """Forget webhook deliveries older than KEEP_DELIVERIES_DAYS; return how many."""
    cutoff = today - timedelta(days=KEEP_DELIVERIES_DAYS)
    result = session.execute(
        delete(ChannelDelivery).where(
            ChannelDelivery.body_hash.is_not(None), ChannelDelivery.received_on < cutoff
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)

"""Exchanging family inquiries with other tracing services (PFIF 1.4 or CSV). The caller
commits.

An export carries the open inquiries' persons sought, never the inquirer: opening sealed
values, it is audited once (INQUIRY_EXPORT, purpose "<format>:count=N"). An import makes
each foreign record an inquiry of ours, all or nothing, audited once (INQUIRY_IMPORT); a
record whose id was imported before is skipped.

Imported inquiries: channel `in_person` (the intake Channel enum has no "exchange" value,
and adding one would offer it to surrender requests and every channel list too); no
codename (the family asked the other service, which answers them); contact "via <record
id>", relationship "other"; marked `imported`, so no export sends them back. Their
`contact_index` is the foreign record id's keyed hash under a service secret of its own, so
"imported before" is a lookup, and the id is never stored in the clear."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.channels.models import Ticket, TicketKind
from safeconduct.channels.policy import FieldError
from safeconduct.db import in_chunks, new_id, today
from safeconduct.inquiries import service
from safeconduct.inquiries.exchange_formats import (
    MAX_FIELD,
    ExchangedInquiry,
    ExchangeFormatError,
    from_csv,
    is_patronymic,
    read_pfif,
    to_csv,
    to_pfif,
)
from safeconduct.inquiries.models import Inquiry, InquiryStatus
from safeconduct.inquiries.policy import InquiryFields, Relationship, check_fields
from safeconduct.intake import service as intake
from safeconduct.intake.models import Channel
from safeconduct.security.service import Keyring

# A file to import: the operator face refuses larger request bodies anyway (http.limits).
MAX_IMPORT_BYTES = 256 * 1024
MAX_IMPORT_RECORDS = 2000
RECORD_INDEX_SECRET = "inquiry-exchange-records"  # noqa: S105 - a secret's name, not one
IMPORT_CHANNEL = Channel.IN_PERSON
CONTACT_PREFIX = "via "
# Where a FieldError of ours lands in the sender's record (contact is made of the id).
_SENDER_FIELD = {"contact": "record_id", "relationship": "record_id", "language": "record_id"}


class Format(StrEnum):
    PFIF = "pfif"
    CSV = "csv"


MEDIA_TYPES = {Format.PFIF: "application/xml", Format.CSV: "text/csv; charset=utf-8"}


class ExportError(ValueError):
    """An open inquiry that the chosen format cannot carry; names its reference only."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did: the references made, and how many records were skipped as
    imported before (and PFIF notes left unread)."""

    created: list[str] = field(default_factory=list)
    skipped: int = 0
    notes_ignored: int = 0


def file_name(fmt: Format, day: str) -> str:
    """A download's name: the day and the format, nothing personal."""
    return f"inquiries-{day}.{'xml' if fmt == Format.PFIF else 'csv'}"


# Export ---------------------------------------------------------------------------------


def _exchanged(
    source: str, inquiry: Inquiry, sought: dict[str, str], fmt: Format
) -> ExchangedInquiry:
    given, patronymic = sought.get("given_name", ""), sought.get("patronymic", "")
    if fmt == Format.PFIF and patronymic and not is_patronymic(patronymic):
        # PFIF carries back only an East Slavic patronymic: another middle name travels
        # with the given name rather than being lost.
        given, patronymic = f"{given} {patronymic}".strip(), ""
    return ExchangedInquiry(
        record_id=f"{source}/{inquiry.reference}",
        surname=sought.get("surname", ""),
        given_name=given,
        patronymic=patronymic,
        date_of_birth=sought.get("date_of_birth", ""),
        place_last_seen=sought.get("place_last_seen", ""),
        entered_on=inquiry.received_on,
    )


def export_open(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, fmt: Format | str,
    source: str,
) -> bytes:  # fmt: skip
    """The open inquiries' persons sought as a PFIF 1.4 or CSV file (not those imported:
    they are the other service's own); record ids are
    "<source>/<reference>". Raises ExchangeFormatError for a bad source, ExportError for
    an inquiry the format cannot carry."""
    fmt = Format(fmt)
    stmt = (
        select(Inquiry)
        .where(Inquiry.status == InquiryStatus.OPEN.value, Inquiry.imported.is_(False))
        .order_by(Inquiry.received_on, Inquiry.reference)
    )
    inquiries = list(session.scalars(stmt))
    sought = service.open_sought(session, keyring, [q.id for q in inquiries])
    records = [_exchanged(source, q, sought[q.id], fmt) for q in inquiries]
    try:
        data = (
            to_pfif(records, source=source, exported_on=today())
            if fmt == Format.PFIF
            else to_csv(records).encode("utf-8")
        )
    except ExchangeFormatError as exc:
        raise _named(exc, inquiries) from None
    audit.record(session, actor=actor, tag=AuditAction.INQUIRY_EXPORT,
                 purpose=f"{fmt.value}:count={len(records)}")  # fmt: skip
    return data


def _named(exc: ExchangeFormatError, inquiries: Sequence[Inquiry]) -> Exception:
    """The error as the officer can act on it: the inquiry's reference, not a number."""
    if exc.record is None:
        return exc  # the source
    reference = inquiries[exc.record - 1].reference
    return ExportError(f"inquiry {reference}, field {exc.field}: {exc.reason}")


# Import ---------------------------------------------------------------------------------


def record_indexes(session: Session, keyring: Keyring, record_ids: Sequence[str]) -> list[str]:
    """The keyed hashes that tell foreign records imported before (one unwrap for all)."""
    secret = keyring.service_secret(session, RECORD_INDEX_SECRET)
    return [hmac.new(secret, r.encode("utf-8"), hashlib.sha256).hexdigest() for r in record_ids]


def parse(data: bytes, fmt: Format | str) -> tuple[list[ExchangedInquiry], int]:
    """The records of a file and the PFIF notes skipped; ExchangeFormatError if bad."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ExchangeFormatError(None, None, f"is larger than {MAX_IMPORT_BYTES} bytes")
    if Format(fmt) == Format.PFIF:
        got = read_pfif(data, max_records=MAX_IMPORT_RECORDS)
        return got.records, got.notes_ignored
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ExchangeFormatError(None, None, "is not UTF-8") from None
    return from_csv(text, max_records=MAX_IMPORT_RECORDS), 0


def fields_of(n: int, record: ExchangedInquiry) -> InquiryFields:
    """A foreign record as our inquiry's fields; ExchangeFormatError naming the record
    and field where our rules are stricter (a given name is required, names <= 100)."""
    contact = CONTACT_PREFIX + record.record_id
    if len(record.record_id) > MAX_FIELD - len(CONTACT_PREFIX):
        raise ExchangeFormatError(n, "record_id", "is too long to keep")
    values = {
        "surname": record.surname,
        "given_name": record.given_name,
        "patronymic": record.patronymic,
        "date_of_birth": record.date_of_birth,
        "place_last_seen": record.place_last_seen,
        "contact": contact,
        "relationship": Relationship.OTHER.value,
    }
    try:
        return check_fields(values)
    except FieldError as exc:
        raise ExchangeFormatError(n, _SENDER_FIELD.get(exc.field, exc.field), exc.message) from None


def import_records(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, data: bytes,
    fmt: Format | str,
) -> ImportReport:  # fmt: skip
    """Make each foreign record an inquiry, all or nothing: every record is checked before
    any is written (ExchangeFormatError names the first bad record and field)."""
    fmt = Format(fmt)
    records, notes = parse(data, fmt)
    checked = [(r, fields_of(n, r)) for n, r in enumerate(records, start=1)]
    indexes = record_indexes(session, keyring, [r.record_id for r, _ in checked])
    known = _imported_before(session, indexes)
    arrivals: list[service.Arrival] = []
    for (_record, fields), index in zip(checked, indexes, strict=True):
        if index in known:
            continue
        ticket = Ticket(id=new_id(), reference=intake.free_reference(session),
                        kind=TicketKind.INQUIRY.value)  # fmt: skip
        session.add(ticket)
        session.flush()
        arrivals.append(service.Arrival(fields, ticket, IMPORT_CHANNEL, actor, reply_key=None,
                                        contact_index=index, imported=True))  # fmt: skip
    if arrivals:
        service.take_in(session, keyring=keyring, audit=audit, arrivals=arrivals)
    created = [a.ticket.reference for a in arrivals]
    skipped = len(checked) - len(created)
    audit.record(session, actor=actor, tag=AuditAction.INQUIRY_IMPORT,
                 purpose=f"{fmt.value}:count={len(created)},skipped={skipped}")  # fmt: skip
    return ImportReport(created=created, skipped=skipped, notes_ignored=notes)


def _imported_before(session: Session, indexes: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in in_chunks(indexes):
        stmt = select(Inquiry.contact_index).where(Inquiry.contact_index.in_(part))
        found.update(i for i in session.scalars(stmt) if i is not None)
    return found


def source_of(public_url: str) -> str:
    """This service's PFIF domain: the public face's host name (the record ids' prefix)."""
    return urlsplit(public_url).hostname or "safeconduct.invalid"

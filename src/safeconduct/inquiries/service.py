"""Use cases of family inquiries. The caller commits.

The public face calls `submit` (sealed to the intake key, like a surrender request). The
operator face takes the inbox in (`ingest`), takes inquiries by phone or in person
(`enter`), keeps matching (`index_registrations`), and the tracing officer opens, links and
answers (`reveal`, `decide`, `answer`)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, exists, func, select, text
from sqlalchemy.orm import Session, aliased

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog, Event
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import gate
from safeconduct.bureau.gate import Output
from safeconduct.channels import service as channels
from safeconduct.channels import telegram
from safeconduct.channels.models import Ticket, TicketKind
from safeconduct.custody.models import Custody
from safeconduct.db import in_chunks, new_id, today, utcnow
from safeconduct.inquiries import comparison, matching
from safeconduct.inquiries.models import (
    CandidateStatus,
    FamilyConsent,
    Inquiry,
    InquiryAnswer,
    InquiryCandidate,
    InquiryStatus,
)
from safeconduct.inquiries.policy import (
    INQUIRER,
    RELEASE_SPREAD_DAYS,
    SOUGHT,
    Consent,
    InquiryFields,
    RecordFacts,
    Step,
    answer_document,
    release_day,
    supported_steps,
)
from safeconduct.intake import service as intake
from safeconduct.intake.models import Channel
from safeconduct.people.models import Person
from safeconduct.runtime import ChannelKeys
from safeconduct.security.sealing import FieldRef
from safeconduct.security.service import KeyOwner, Keyring, OwnerSeal
from safeconduct.tracing import pairs
from safeconduct.treatment.models import TreatmentEvent, TreatmentKind

TABLE = Inquiry.__tablename__
# Sealed sizes: every inquiry's seals are the same length, whatever the names.
SOUGHT_BYTES = 1024
INQUIRER_BYTES = 512
OPEN_PURPOSE = "tracing_review"
# Matching both ways runs one transaction at a time on PostgreSQL: an inquiry made while a
# registration is being indexed would otherwise see neither the other's keys nor be seen
# (SQLite serialises writers already).
MATCHING_LOCK = 0x5C_1A0_0113
# Inquiries re-keyed per matching pass after the keys' scheme changed (tracing.pairs).
REKEY_BATCH = 500


class InquiryStateError(ValueError):
    """The inquiry or candidate is not in a state that allows this (a 409)."""


def inquiry_owner(inquiry_id: str) -> KeyOwner:
    return KeyOwner("inquiry", inquiry_id)


def _fields_json(fields: InquiryFields, names: Sequence[str]) -> dict[str, str]:
    return {k: getattr(fields, k) for k in names}


# Taking inquiries in -----------------------------------------------------------------


def submit(
    session: Session, *, keys: ChannelKeys, audit: AuditLog, channel: Channel,
    fields: InquiryFields, integration_id: str | None = None, now: datetime | None = None,
) -> channels.Issued:  # fmt: skip
    """Take an inquiry in on the public face (see channels.service.submit_inquiry)."""
    return channels.submit_inquiry(session, keys=keys, audit=audit, channel=channel,
                                   fields_json=fields.to_json(),
                                   integration_id=integration_id, now=now)  # fmt: skip


@dataclass(frozen=True)
class Arrival:
    """A new inquiry as it comes in: its fields, its ticket, how it came and from whom."""

    fields: InquiryFields
    ticket: Ticket
    channel: Channel
    actor: Actor
    reply_key: bytes | None
    contact_index: str | None
    imported: bool = False


def create(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, fields: InquiryFields,
    ticket: Ticket, channel: Channel, reply_key: bytes | None, contact_index: str | None,
) -> Inquiry:  # fmt: skip
    """Seal an inquiry under its own data key, index it and propose candidates."""
    arrival = Arrival(fields, ticket, channel, actor, reply_key, contact_index)
    return take_in(session, keyring=keyring, audit=audit, arrivals=[arrival])[0]


def take_in(
    session: Session, *, keyring: Keyring, audit: AuditLog, arrivals: Sequence[Arrival]
) -> list[Inquiry]:
    """Seal each inquiry under its own data key, audit, index and propose candidates: a
    batch is audited, looked up and matched at once."""
    sealers = keyring.sealers(session, [inquiry_owner(a.ticket.id) for a in arrivals])
    made = [_sealed(sealers[inquiry_owner(a.ticket.id)], a) for a in arrivals]
    session.add_all(made)
    session.flush()
    audit.record_all(session, [Event(a.actor, AuditAction.INQUIRY_CREATE, q.id)
                               for a, q in zip(arrivals, made, strict=True)])  # fmt: skip
    # Registrations since the last pass are indexed first: "the live registry" includes
    # whoever was registered a second ago.
    index_registrations(session, keyring=keyring)  # takes the matching lock
    sought = {q.id: a.fields.sought() for a, q in zip(arrivals, made, strict=True)}
    matching.index_inquiries(session, keyring=keyring, sought=sought)
    return made


def _sealed(sealer: OwnerSeal, arrival: Arrival) -> Inquiry:
    ticket, fields = arrival.ticket, arrival.fields
    inquiry = Inquiry(
        id=ticket.id,
        reference=ticket.reference,
        channel=arrival.channel.value,
        contact_index=arrival.contact_index,
        imported=arrival.imported,
        keys_version=pairs.KEYS_VERSION,  # take_in keys it at once, by the current scheme
        sought=sealer.seal_json(field=FieldRef(TABLE, "sought", ticket.id),
                                value=_fields_json(fields, SOUGHT), size=SOUGHT_BYTES),
        inquirer=sealer.seal_json(field=FieldRef(TABLE, "inquirer", ticket.id),
                                  value=_fields_json(fields, INQUIRER), size=INQUIRER_BYTES),
    )  # fmt: skip
    if arrival.reply_key is not None:
        inquiry.reply_key = sealer.seal(plaintext=arrival.reply_key,
                                        field=FieldRef(TABLE, "reply_key", ticket.id))  # fmt: skip
    return inquiry


def ingest(
    session: Session, *, keyring: Keyring, keys: ChannelKeys | None, audit: AuditLog,
    limit: int = 200,
) -> int:  # fmt: skip
    """Take the inquiries the public face received out of the inbox; return how many."""
    arrivals = []
    waiting = channels.inquiry_submissions(session, keys=keys, limit=limit)
    tickets = _tickets(session, [submission.ticket_id for submission, _ in waiting])
    for submission, payload in waiting:
        ticket = tickets[submission.ticket_id]  # the ticket cascades with its submissions
        assert keys is not None
        # A bot conversation's fields come sealed one by one (channels.telegram).
        fields = InquiryFields.from_json(telegram.inquiry_json(keys, payload["inquiry"]))
        channel = Channel(submission.channel)
        index = channels.contact_index(keys, fields.contact)
        arrivals.append(Arrival(fields, ticket, channel, channels.channel_actor(channel),
                                base64.b64decode(payload["reply_key"]), index))  # fmt: skip
        session.delete(submission)
    if arrivals:
        take_in(session, keyring=keyring, audit=audit, arrivals=arrivals)
    session.flush()
    return len(arrivals)


def _tickets(session: Session, ids: Sequence[str]) -> dict[str, Ticket]:
    found: dict[str, Ticket] = {}
    for part in in_chunks(ids):
        found.update((t.id, t) for t in session.scalars(select(Ticket).where(Ticket.id.in_(part))))
    return found


@dataclass(frozen=True)
class Entered:
    inquiry: Inquiry
    # None when this deployment has no channel keys: the inquirer is then answered by phone.
    issued: channels.Issued | None


def enter(
    session: Session, *, keyring: Keyring, keys: ChannelKeys | None, audit: AuditLog,
    actor: Actor, fields: InquiryFields, channel: Channel, now: datetime | None = None,
) -> Entered:  # fmt: skip
    """An officer takes an inquiry by phone or in person; the inquirer gets a reference
    and a codename to read the answer on the public status page."""
    ticket = Ticket(id=new_id(), reference=intake.free_reference(session),
                    kind=TicketKind.INQUIRY.value)  # fmt: skip
    session.add(ticket)
    codename, key = None, None
    if keys is not None and keys.intake is not None:
        codename, key = channels.new_codename(keys, ticket)
    session.flush()
    index = channels.contact_index(keys, fields.contact) if keys is not None else None
    inquiry = create(session, keyring=keyring, audit=audit, actor=actor, fields=fields,
                     ticket=ticket, channel=channel, reply_key=key,
                     contact_index=index)  # fmt: skip
    if codename is None or keys is None:
        return Entered(inquiry, None)
    receipt = channels.sign_receipt(keys, ticket.reference, channel, now or utcnow())
    return Entered(inquiry, channels.Issued(ticket.id, ticket.reference, codename, receipt))


# Reading ------------------------------------------------------------------------------


def get(session: Session, inquiry_id: str) -> Inquiry | None:
    return session.get(Inquiry, inquiry_id)


def _open_fields(session: Session, keyring: Keyring, inquiry: Inquiry) -> InquiryFields:
    sought = keyring.open(session, sealed=inquiry.sought,
                          field=FieldRef(TABLE, "sought", inquiry.id))  # fmt: skip
    who = keyring.open(session, sealed=inquiry.inquirer,
                       field=FieldRef(TABLE, "inquirer", inquiry.id))  # fmt: skip
    return InquiryFields(**json.loads(sought), **json.loads(who))


def reveal(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, inquiry: Inquiry
) -> InquiryFields:
    """Open an inquiry for the tracing officer's review, audited; the new-candidate flag is
    then cleared (the officer has seen them)."""
    audit.record(session, actor=actor, tag=AuditAction.INQUIRY_OPEN, subject_id=inquiry.id,
                 purpose=OPEN_PURPOSE)  # fmt: skip
    inquiry.new_candidates = False
    return _open_fields(session, keyring, inquiry)


def open_sought(
    session: Session, keyring: Keyring, inquiry_ids: Sequence[str]
) -> dict[str, dict[str, str]]:
    """The person sought of each inquiry, for the matcher (no person reads them: not
    audited one by one; what they lead to is, when an officer opens it)."""
    rows = session.scalars(select(Inquiry).where(Inquiry.id.in_(list(inquiry_ids))))
    return {
        q.id: json.loads(keyring.open(session, sealed=q.sought,
                                      field=FieldRef(TABLE, "sought", q.id)))
        for q in rows
    }  # fmt: skip


def index_registrations(session: Session, *, keyring: Keyring, limit: int = 2000) -> int:
    """Match new or changed registrations against every open inquiry, and re-key inquiries
    whose keys follow an older scheme; return how many candidates were proposed."""

    def opener(s: Session, ids: Sequence[str]) -> Mapping[str, Mapping[str, str]]:
        return open_sought(s, keyring, ids)

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MATCHING_LOCK})

    report = matching.index_registrations(session, keyring=keyring, open_sought=opener,
                                          limit=limit)  # fmt: skip
    stale = matching.stale_inquiries(session, limit=REKEY_BATCH)
    if not stale:
        return report.proposed
    rekeyed = matching.index_inquiries(session, keyring=keyring,
                                       sought=open_sought(session, keyring, stale))  # fmt: skip
    matching.mark_rekeyed(session, stale)
    return report.proposed + len(rekeyed)


@dataclass(frozen=True)
class QueueRow:
    id: str
    reference: str
    received_on: date
    status: str
    new_candidates: bool
    pending: int
    confirmed: int


def queue(session: Session, *, status: InquiryStatus | None = None) -> list[QueueRow]:
    """The tracing officer's queue: inquiries with new candidates first, then by day. No
    sealed value: names are read inquiry by inquiry, audited."""
    c = InquiryCandidate
    pending = func.sum(case((c.status == CandidateStatus.PENDING.value, 1), else_=0))
    confirmed = func.sum(case((c.status == CandidateStatus.CONFIRMED.value, 1), else_=0))
    stmt = (
        select(Inquiry, func.coalesce(pending, 0), func.coalesce(confirmed, 0))
        .outerjoin(c, c.inquiry_id == Inquiry.id)
        .group_by(Inquiry.id)
        .order_by(Inquiry.new_candidates.desc(), Inquiry.received_on, Inquiry.reference)
    )
    if status is not None:
        stmt = stmt.where(Inquiry.status == status.value)
    return [
        QueueRow(q.id, q.reference, q.received_on, q.status, q.new_candidates, int(p), int(k))
        for q, p, k in session.execute(stmt)
    ]


def with_new_candidates(session: Session) -> int:
    """How many inquiries have candidates no officer has seen (the navigation badge)."""
    stmt = select(func.count()).select_from(Inquiry).where(Inquiry.new_candidates.is_(True))
    return session.scalar(stmt) or 0


def candidates(session: Session, inquiry_id: str) -> list[tuple[InquiryCandidate, Person]]:
    stmt = (
        select(InquiryCandidate, Person)
        .join(Person, Person.id == InquiryCandidate.person_id)
        .where(InquiryCandidate.inquiry_id == inquiry_id)
        .order_by(InquiryCandidate.score.desc(), Person.id)
    )
    return [(c, p) for c, p in session.execute(stmt)]


def candidate(session: Session, inquiry_id: str, person_id: str) -> InquiryCandidate | None:
    """One candidate of an inquiry, by the person proposed."""
    stmt = select(InquiryCandidate).where(
        InquiryCandidate.inquiry_id == inquiry_id, InquiryCandidate.person_id == person_id
    )
    return session.scalars(stmt).one_or_none()


def confirmed_person(session: Session, inquiry_id: str) -> Person | None:
    stmt = (
        select(Person)
        .join(InquiryCandidate, InquiryCandidate.person_id == Person.id)
        .where(
            InquiryCandidate.inquiry_id == inquiry_id,
            InquiryCandidate.status == CandidateStatus.CONFIRMED.value,
        )
    )
    return session.scalars(stmt).first()


# Deciding -----------------------------------------------------------------------------


def decide(
    session: Session, *, audit: AuditLog, actor: Actor, candidate: InquiryCandidate, confirm: bool
) -> InquiryCandidate:
    """Confirm (a link) or reject a candidate. One confirmed person per inquiry; a decision
    stands (a wrong one is undone by rejecting the link, audited too)."""
    inquiry = session.get(Inquiry, candidate.inquiry_id, with_for_update=True)
    assert inquiry is not None
    if inquiry.status == InquiryStatus.CLOSED.value:
        raise InquiryStateError("the inquiry is closed")
    if confirm:
        other = confirmed_person(session, inquiry.id)
        if other is not None and other.id != candidate.person_id:
            raise InquiryStateError("another person is confirmed for this inquiry: reject it first")
    candidate.status = (CandidateStatus.CONFIRMED if confirm else CandidateStatus.REJECTED).value
    candidate.decided_on, candidate.decided_by = today(), actor.name
    inquiry.new_candidates = False  # the officer has seen them
    tag = AuditAction.INQUIRY_CONFIRM if confirm else AuditAction.INQUIRY_REJECT
    audit.record(session, actor=actor, tag=tag, subject_id=inquiry.id)
    session.flush()
    return candidate


# Answering ----------------------------------------------------------------------------


def consent_of(session: Session, person_id: str) -> Consent | None:
    row = session.get(FamilyConsent, person_id)
    if row is None:
        return None
    return Consent(row.family_may_be_told, row.place_may_be_told)


def record_consent(
    session: Session, *, audit: AuditLog, actor: Actor, person_id: str, consent: Consent
) -> FamilyConsent:
    """Record the prisoner's choice about their family being told (and the place)."""
    row = session.get(FamilyConsent, person_id, with_for_update=True)
    if row is None:
        row = FamilyConsent(person_id=person_id, family_may_be_told=False, recorded_by=actor.name)
        session.add(row)
    row.family_may_be_told = consent.family_may_be_told
    row.place_may_be_told = consent.family_may_be_told and consent.place_may_be_told
    row.recorded_on, row.recorded_by = today(), actor.name
    audit.record(session, actor=actor, tag=AuditAction.FAMILY_CONSENT, subject_id=person_id)
    session.flush()
    return row


def facts_of(session: Session, person: Person) -> RecordFacts:
    """What the registry says of a person, as the ladder reads it."""
    custody = session.scalars(
        select(Custody).where(Custody.person_id == person.id)
        .order_by(Custody.since.desc(), Custody.id.desc()).limit(1)
    ).first()  # fmt: skip
    if custody is None:
        return RecordFacts(erased=person.erased_on is not None)
    t, later = TreatmentEvent, aliased(TreatmentEvent)
    visit = session.scalar(
        select(func.max(t.occurred_on)).where(
            t.custody_id == custody.id,
            t.kind == TreatmentKind.VISIT.value,
            ~exists().where(later.supersedes_id == t.id),
        )
    )
    return RecordFacts(
        erased=person.erased_on is not None,
        custody_status=custody.status,
        last_visit_on=visit,
        place_of_internment=custody.place_of_internment,
    )


def supported(session: Session, inquiry: Inquiry) -> tuple[RecordFacts | None, Consent | None]:
    """The facts and the consent an answer to this inquiry stands on (None, None: no link)."""
    person = confirmed_person(session, inquiry.id)
    if person is None:
        return None, None
    return facts_of(session, person), consent_of(session, person.id)


def answer(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, inquiry: Inquiry,
    step: Step, spread: int | None = None,
) -> InquiryAnswer:  # fmt: skip
    """Answer on the ladder. The answer passes the export gate, is sealed for the codename
    and dated to its release day: the inquirer reads it then, not now."""
    session.refresh(inquiry, with_for_update=True)
    if inquiry.status == InquiryStatus.CLOSED.value:
        raise InquiryStateError("the inquiry is closed")
    facts, consent = supported(session, inquiry)
    on = release_day(inquiry.received_on, today(), _spread() if spread is None else spread)
    doc = answer_document(step, reference=inquiry.reference, facts=facts, consent=consent,
                          released_on=on)  # fmt: skip
    text = gate.canonical_json(gate.admit(Output.INQUIRY_ANSWER, doc)).decode("utf-8")
    if inquiry.reply_key is not None:
        key = keyring.open(session, sealed=inquiry.reply_key,
                           field=FieldRef(TABLE, "reply_key", inquiry.id))  # fmt: skip
        channels.seal_reply(session, ticket_id=inquiry.id, key=key, text=text, written_on=on)
    number = (session.scalar(select(func.max(InquiryAnswer.number))
                             .where(InquiryAnswer.inquiry_id == inquiry.id)) or 0) + 1  # fmt: skip
    row = InquiryAnswer(inquiry_id=inquiry.id, number=number, step=step.value, release_on=on,
                        answered_by=actor.name)  # fmt: skip
    session.add(row)
    inquiry.status = InquiryStatus.ANSWERED.value
    audit.record(session, actor=actor, tag=AuditAction.INQUIRY_ANSWER, subject_id=inquiry.id)
    session.flush()
    return row


def _spread() -> int:
    return secrets.randbelow(RELEASE_SPREAD_DAYS)


def answers(session: Session, inquiry_id: str) -> list[InquiryAnswer]:
    stmt = select(InquiryAnswer).where(InquiryAnswer.inquiry_id == inquiry_id)
    return list(session.scalars(stmt.order_by(InquiryAnswer.number)))


def close(session: Session, *, audit: AuditLog, actor: Actor, inquiry: Inquiry) -> None:
    """Close an inquiry: no longer matched against new registrations."""
    inquiry.status, inquiry.closed_on = InquiryStatus.CLOSED.value, today()
    audit.record(session, actor=actor, tag=AuditAction.INQUIRY_CLOSE, subject_id=inquiry.id)
    session.flush()


@dataclass(frozen=True)
class Review:
    """An inquiry opened for review: what the family asked, and each candidate compared."""

    fields: InquiryFields
    compared: list[tuple[InquiryCandidate, comparison.Comparison]]


def review(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, inquiry: Inquiry
) -> Review:
    """Open an inquiry (audited) and compare it with each of its candidates."""
    fields = reveal(session, keyring=keyring, audit=audit, actor=actor, inquiry=inquiry)
    p = matching.prior(session)
    compared = [
        (c, comparison.compare(fields, person, prior=p))
        for c, person in candidates(session, inquiry.id)
        if person.erased_on is None
    ]
    return Review(fields, compared)


def steps_for(session: Session, inquiry: Inquiry) -> tuple[Step, ...]:
    """The steps an officer may answer this inquiry with."""
    facts, consent = supported(session, inquiry)
    return supported_steps(facts, consent)

"""Capture cards (GC III Art. 70, Annex IV-A): issue a version when what the card says
changed, print it (PDF, through the export gate), send it (which meets the Art. 70 duty),
and print a camp's intake batch. The caller commits.

A card is made from the person's record, their open (or latest) custody's day and place,
their health status and the family details opened for it; never from the circumstances of
surrender, so a card cannot tell a surrender from a capture."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import cards_policy as policy
from safeconduct.bureau import gate, transmissions
from safeconduct.bureau.gate import Output
from safeconduct.bureau.models import CaptureCard, Recipient, Transmission
from safeconduct.bureau.subjects import check_language, living_record
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody
from safeconduct.db import new_id
from safeconduct.people import family
from safeconduct.people.models import Person
from safeconduct.security.service import ErasedError, Keyring
from safeconduct.treatment import service as treatment_service
from safeconduct.treatment.models import TreatmentEvent, TreatmentKind
from safeconduct.treatment.policy import RECORDED_BY
from safeconduct.treatment.schemas import TreatmentEventCreate

SENT_TO = frozenset({Recipient.FAMILY, Recipient.CTA})
PURPOSE = "capture_card"
TEMPLATE = "capture_card.typ"
BATCH_FILE = "capture-cards.pdf"
PNG_PPI = 110.0

__all__ = [
    "InvalidFieldError",
    "NotInCustodyError",
    "batch_pdf",
    "file_name",
    "issue",
    "latest",
    "png",
    "render",
    "send",
]
InvalidFieldError = custody_service.InvalidFieldError


class NotInCustodyError(LookupError):
    """The person has no custody record: there is no capture to put on a card."""


@dataclass(frozen=True, slots=True)
class Issued:
    """A version and what it says (the content its digest is of)."""

    card: CaptureCard
    content: dict[str, Any]


def file_name(card: CaptureCard) -> str:
    # The version's own random id: no name, place, day or count.
    return f"capture-card-{card.id}.pdf"


def latest(session: Session, *, person_id: str) -> CaptureCard | None:
    stmt = (
        select(CaptureCard)
        .where(CaptureCard.person_id == person_id)
        .order_by(CaptureCard.version.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def sent(session: Session, *, card: CaptureCard) -> list[Transmission]:
    """Where a version went, oldest first."""
    return transmissions.of_subject(session, subject_id=card.id)


def _custody(session: Session, person: Person) -> Custody:
    """The open custody, else the latest one."""
    custody = custody_service.open_custody(session, person_id=person.id)
    if custody is None:
        found = custody_service.list_for_person(session, person_id=person.id)
        custody = found[-1] if found else None
    if custody is None:
        raise NotInCustodyError("the person has no custody record")
    return custody


def _family(
    session: Session, keyring: Keyring, audit: AuditLog, actor: Actor, person: Person
) -> dict[str, Any]:
    """The family details, opened for the card and audited as such; none given, none
    opened (whether they were given is plain on the person record)."""
    if person.family is None:
        return {}
    audit.record(
        session, actor=actor, tag=AuditAction.FAMILY_OPEN, subject_id=person.id, purpose=PURPOSE
    )
    raw = keyring.open(session, sealed=person.family, field=family.field_of(person.id))
    opened = json.loads(raw)
    return opened if isinstance(opened, dict) else {}


def _health(session: Session, custody: Custody) -> str | None:
    # Only health statuses recorded in a role that may record them count, as for duties.
    roles = sorted(r.value for r in RECORDED_BY[TreatmentKind.HEALTH_STATUS])
    stmt = select(TreatmentEvent).where(
        TreatmentEvent.custody_id == custody.id,
        TreatmentEvent.kind == TreatmentKind.HEALTH_STATUS.value,
        TreatmentEvent.role.in_(roles),
    )
    return policy.health(session.scalars(stmt))


def _identity(person: Person) -> policy.Identity:
    return policy.Identity(
        surname=person.surname,
        given_names=person.given_names,
        patronymic=person.patronymic,
        date_of_birth=person.date_of_birth,
        place_of_birth=person.place_of_birth,
        rank=person.rank,
        service_number=person.service_number,
        sex=person.sex,
        nationality=person.nationality,
        name_original_script=person.name_original_script,
    )


def content_of(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, person: Person
) -> dict[str, Any]:
    """What the person's card says now (the family details opened and audited)."""
    custody = _custody(session, person)
    return policy.content(
        _identity(person),
        family=_family(session, keyring, audit, actor, person),
        captured_on=custody.since,
        place_of_internment=custody.place_of_internment,
        health_state=_health(session, custody),
    )


def _issue(
    session: Session, keyring: Keyring, audit: AuditLog, actor: Actor, person: Person
) -> Issued:
    # Lock the person: two issues at once would both take the next version number.
    session.refresh(person, with_for_update=True)
    if person.erased_on is not None:
        raise ErasedError("the person was erased")
    said = content_of(session, keyring=keyring, audit=audit, actor=actor, person=person)
    digest = policy.digest(said)
    last = latest(session, person_id=person.id)
    if last is not None and last.digest == digest:
        return Issued(last, said)
    card = CaptureCard(
        id=new_id(),
        person_id=person.id,
        version=1 if last is None else last.version + 1,
        digest=digest,
        issued_on=clock.today(),
        actor=actor.name,
    )
    session.add(card)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.CAPTURE_CARD_ISSUE,
        subject_id=person.id,
        purpose=f"version {card.version}",
    )
    return Issued(card, said)


def issue(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, person_id: str
) -> CaptureCard:
    """Make version 1, or a new version when what the card says changed since the latest;
    else return the latest. Refuse an erased person (ErasedError) and one never in custody
    (NotInCustodyError)."""
    return _issue(session, keyring, audit, actor, living_record(session, person_id)).card


def _admitted(issued: Issued, language: str) -> gate.Admitted:
    card = issued.card
    return policy.document(
        issued.content,
        card_id=card.id,
        version=card.version,
        issued_on=card.issued_on,
        language=language,
    )


def typeset(cards: list[gate.Admitted], *, ppi: float | None = None) -> bytes:
    """Cards, one a page, in the order given; a PNG of the first page with `ppi`."""
    template = resources.files("safeconduct.bureau").joinpath(TEMPLATE)
    # Zero-padded names: the template reads its inputs in the order of their names.
    inputs = {f"card-{n:05d}": card for n, card in enumerate(cards)}
    return gate.pdf(template, inputs, ppi=ppi)


def _print(
    session: Session,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    person_id: str,
    language: str,
    ppi: float | None,
) -> tuple[CaptureCard, bytes]:
    check_language(language)
    issued = _issue(session, keyring, audit, actor, living_record(session, person_id))
    return issued.card, typeset([_admitted(issued, language)], ppi=ppi)


def render(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    person_id: str,
    language: str,
) -> bytes:
    """The PDF of the latest version (issued first if what the card says changed)."""
    return _print(session, keyring, audit, actor, person_id, language, None)[1]


def png(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    person_id: str,
    language: str,
    ppi: float = PNG_PPI,
) -> bytes:
    """The card as a PNG, for looking at."""
    return _print(session, keyring, audit, actor, person_id, language, ppi)[1]


def printed(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    person_id: str,
    language: str,
) -> tuple[CaptureCard, bytes]:
    """The version printed and its PDF (for a download named after it)."""
    return _print(session, keyring, audit, actor, person_id, language, None)


def send(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    person_id: str,
    recipient: Recipient,
    language: str,
) -> Transmission:
    """Send the card to the family channel or the CTA: log the transmission (the PDF's
    hash) and record the card as sent on the custody, which meets the Art. 70 duty."""
    if recipient not in SENT_TO:
        raise InvalidFieldError(("recipient",), "must be family or cta")
    card, pdf = printed(
        session, keyring=keyring, audit=audit, actor=actor, person_id=person_id, language=language
    )
    row = transmissions.record(
        session,
        audit=audit,
        actor=actor,
        output=Output.CAPTURE_CARD,
        recipient=recipient,
        subject_id=card.id,
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    custody = _custody(session, living_record(session, person_id))
    treatment_service.record_event(
        session,
        keyring=keyring,
        audit=audit,
        actor=actor,
        role=Role.REGISTRAR,
        custody=custody,
        event_in=TreatmentEventCreate(kind=TreatmentKind.CAPTURE_CARD, occurred_on=clock.today()),
    )
    return row


def intake(session: Session, *, place: str, since: date, until: date) -> list[Person]:
    """The people (not erased) whose custody at `place` began between the two days, by
    name; refuse a range that cannot be printed (InvalidRangeError)."""
    policy.check_batch(place, since, until)
    stmt = (
        select(Person)
        .join(Custody, Custody.person_id == Person.id)
        .where(
            Custody.place_of_internment == place.strip(),
            Custody.since >= since,
            Custody.since <= until,
            Person.erased_on.is_(None),
        )
        .distinct()
    )
    found = list(session.scalars(stmt))
    if not found:
        raise policy.InvalidRangeError("place", "nobody came into custody there in those days")
    return sorted(
        found, key=lambda p: policy.name_order(p.surname, p.given_names, p.patronymic, p.id)
    )


def batch_pdf(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    place: str,
    since: date,
    until: date,
    language: str,
) -> bytes:
    """The cards of a camp's intake batch, one a page, by name; each the latest version
    (issued first where what it says changed)."""
    people = intake(session, place=place, since=since, until=until)
    return book(
        session, keyring=keyring, audit=audit, actor=actor, people=people, language=language
    )


def book(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    people: list[Person],
    language: str,
) -> bytes:
    """The cards of these people, one a page, in the order given (each the latest version,
    issued first where what it says changed)."""
    check_language(language)
    cards = [
        _admitted(_issue(session, keyring, audit, actor, person), language) for person in people
    ]
    return typeset(cards)

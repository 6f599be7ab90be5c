"""Death notices and certificates (GC III Art. 120): issue one for a person whose custody
ended in death, print it (PDF, through the export gate), send a notice to the family or the
Central Tracing Agency (which meets the Arts. 120/122 duty). The caller commits.

A notice carries the person's identity, the day of death and the place of internment, and
never the cause: it goes to the family and the CTA. A certificate, issued by medical staff,
adds the place and cause of death, opened from the death event's sealed details: each
opening is audited about the person. Neither is ever made from the circumstances of
surrender, so neither can tell a surrender from a capture."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct import clock
from safeconduct.accounts.policy import Permission, Role, allows
from safeconduct.accounts.service import Principal
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import gate, transmissions
from safeconduct.bureau.cards_policy import names
from safeconduct.bureau.gate import Output
from safeconduct.bureau.models import DeathDocument, DeathDocumentKind, Recipient, Transmission
from safeconduct.bureau.subjects import check_language, living_record
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyEvent, CustodyEventKind, CustodyStatus
from safeconduct.db import new_id
from safeconduct.people.models import Person
from safeconduct.security.sealing import FieldRef
from safeconduct.security.service import Keyring
from safeconduct.treatment import service as treatment_service
from safeconduct.treatment.models import TreatmentKind
from safeconduct.treatment.schemas import TreatmentEventCreate

SENT_TO = frozenset({Recipient.FAMILY, Recipient.CTA})
TEMPLATE = "death_document.typ"
FORMATS = {
    DeathDocumentKind.NOTICE: "safeconduct-death-notice/1",
    DeathDocumentKind.CERTIFICATE: "safeconduct-death-certificate/1",
}
OUTPUTS = {
    DeathDocumentKind.NOTICE: Output.DEATH_NOTICE,
    DeathDocumentKind.CERTIFICATE: Output.DEATH_CERTIFICATE,
}
# Who issues and prints each kind: the registrar a notice, medical staff a certificate.
PERMISSIONS = {
    DeathDocumentKind.NOTICE: Permission.DEATH_NOTICE_ISSUE,
    DeathDocumentKind.CERTIFICATE: Permission.DEATH_CERTIFICATE_ISSUE,
}
InvalidFieldError = custody_service.InvalidFieldError

__all__ = [
    "DeathDocumentDeniedError",
    "InvalidFieldError",
    "NotDeceasedError",
    "file_name",
    "get",
    "issue",
    "of_person",
    "printed",
    "render",
    "send",
]


class NotDeceasedError(LookupError):
    """The person has no custody that ended in death: there is no death to document."""


class DeathDocumentDeniedError(PermissionError):
    """The caller may not issue or print this kind of document."""


@dataclass(frozen=True, slots=True)
class Death:
    """The custody a person died in and its death event."""

    custody: Custody
    event: CustodyEvent


def file_name(document: DeathDocument) -> str:
    # The document's own random id only: no name, place, day or kind of death. Both kinds
    # are named alike, so the file name does not tell whether it holds the cause.
    return f"death-notice-{document.id}.pdf"


def get(session: Session, *, document_id: str) -> DeathDocument | None:
    return session.get(DeathDocument, document_id)


def of_person(
    session: Session, *, person_id: str, kinds: frozenset[DeathDocumentKind] | None = None
) -> list[DeathDocument]:
    """A person's death documents (of the kinds given), oldest day first, then by id."""
    stmt = select(DeathDocument).where(DeathDocument.person_id == person_id)
    if kinds is not None:
        stmt = stmt.where(DeathDocument.kind.in_(sorted(k.value for k in kinds)))
    return list(session.scalars(stmt.order_by(DeathDocument.issued_on, DeathDocument.id)))


def sent(session: Session, *, document: DeathDocument) -> list[Transmission]:
    """Where a document went, oldest first."""
    return transmissions.of_subject(session, subject_id=document.id)


def may(who: Principal, kind: DeathDocumentKind) -> bool:
    return allows(who.role, PERMISSIONS[kind])


def _check_may(who: Principal, kind: DeathDocumentKind) -> None:
    if not may(who, kind):
        raise DeathDocumentDeniedError(kind.value)


def _check_may_open(who: Principal) -> None:
    # Printing a certificate opens sealed medical data: as for every sealed read, only an
    # account an auditor approved in its role (defence in depth behind the permission).
    # Issuing one opens nothing, so it needs no approval.
    if not who.sealed_approved:
        raise DeathDocumentDeniedError("certificate: awaiting approval")


def death_of(session: Session, *, person_id: str) -> Death:
    """The custody the person died in and its death event, or NotDeceasedError."""
    deceased = [
        c
        for c in custody_service.list_for_person(session, person_id=person_id)
        if c.status == CustodyStatus.DECEASED.value
    ]
    for custody in reversed(deceased):
        deaths = [
            e
            for e in custody_service.events(session, custody_id=custody.id)
            if e.kind == CustodyEventKind.DEATH.value
        ]
        if deaths:
            return Death(custody, deaths[-1])
    raise NotDeceasedError("the person is not recorded as deceased")


def issue(
    session: Session,
    *,
    audit: AuditLog,
    who: Principal,
    person_id: str,
    kind: DeathDocumentKind,
) -> DeathDocument:
    """Issue a notice or a certificate for a deceased person (audited about the person).
    Refuse a caller without the kind's permission (DeathDocumentDeniedError), an erased
    person (ErasedError) and one not deceased (NotDeceasedError)."""
    _check_may(who, kind)
    person = living_record(session, person_id)
    death_of(session, person_id=person.id)
    document = DeathDocument(
        id=new_id(),
        person_id=person.id,
        kind=kind.value,
        issued_on=clock.today(),
        actor=who.actor.name,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor=who.actor,
        tag=AuditAction.DEATH_DOCUMENT_ISSUE,
        subject_id=person.id,
        purpose=kind.value,
    )
    return document


def _details(
    session: Session, keyring: Keyring, audit: AuditLog, actor: Actor, death: Death, person: Person
) -> dict[str, Any]:
    """The death's sealed place and cause, opened for a certificate: the read is audited
    about the person first, in the same transaction."""
    if death.event.details is None:
        return {}
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.DEATH_DOCUMENT_ISSUE,
        subject_id=person.id,
        purpose=DeathDocumentKind.CERTIFICATE.value,
    )
    field = FieldRef(CustodyEvent.__tablename__, "details", death.event.id)
    opened = json.loads(keyring.open(session, sealed=death.event.details, field=field))
    return opened if isinstance(opened, dict) else {}


def _content(
    person: Person, death: Death, document: DeathDocument, language: str
) -> dict[str, Any]:
    own, latin = names(
        person.surname, person.given_names, person.patronymic, person.name_original_script
    )
    return {
        "format": FORMATS[DeathDocumentKind(document.kind)],
        "notice_id": document.id,
        "language": language,
        "issued_on": document.issued_on.isoformat(),
        "surname": person.surname,
        "given_names": person.given_names,
        "patronymic": person.patronymic,
        "date_of_birth": person.date_of_birth,
        "rank": person.rank,
        "service_number": person.service_number,
        "name_original_script": own,
        "name_latin": latin,
        "place_of_birth": person.place_of_birth,
        "nationality": person.nationality,
        "died_on": death.event.occurred_on.isoformat(),
        "place_of_internment": death.custody.place_of_internment,
    }


def _admitted(
    session: Session,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    document: DeathDocument,
    language: str,
) -> gate.Admitted:
    kind = DeathDocumentKind(document.kind)
    _check_may(who, kind)
    check_language(language)
    person = living_record(session, document.person_id)
    death = death_of(session, person_id=person.id)
    content = _content(person, death, document, language)
    if kind is DeathDocumentKind.CERTIFICATE:
        _check_may_open(who)
        details = _details(session, keyring, audit, who.actor, death, person)
        content["place_of_death"] = details.get("place")
        content["cause_of_death"] = details.get("cause")
    return gate.admit(OUTPUTS[kind], content)


def render(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    document: DeathDocument,
    language: str,
    ppi: float | None = None,
) -> bytes:
    """The document as PDF (a PNG of its page with `ppi`), captions in `language` beside
    English. A certificate's place and cause are opened for it, and the read audited."""
    admitted = _admitted(session, keyring, audit, who, document, language)
    template = resources.files("safeconduct.bureau").joinpath(TEMPLATE)
    return gate.pdf(template, {"document": admitted}, ppi=ppi)


def printed(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    document: DeathDocument,
    language: str,
) -> tuple[str, bytes]:
    """The file name and the PDF, for a download."""
    pdf = render(
        session, keyring=keyring, audit=audit, who=who, document=document, language=language
    )
    return file_name(document), pdf


def send(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    who: Principal,
    document: DeathDocument,
    recipient: Recipient,
    language: str,
) -> Transmission:
    """Send a notice to the family or the CTA: log the transmission (the PDF's hash) and
    record the notification on the custody the person died in, which meets the Arts.
    120/122 duty. A certificate is not sent from here (InvalidFieldError on `document`)."""
    if DeathDocumentKind(document.kind) is not DeathDocumentKind.NOTICE:
        raise InvalidFieldError(("document",), "only a death notice is sent")
    if recipient not in SENT_TO:
        raise InvalidFieldError(("recipient",), "must be family or cta")
    pdf = render(
        session, keyring=keyring, audit=audit, who=who, document=document, language=language
    )
    row = transmissions.record(
        session,
        audit=audit,
        actor=who.actor,
        output=Output.DEATH_NOTICE,
        recipient=recipient,
        subject_id=document.id,
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    death = death_of(session, person_id=document.person_id)
    treatment_service.record_event(
        session,
        keyring=keyring,
        audit=audit,
        actor=who.actor,
        role=Role.REGISTRAR,
        custody=death.custody,
        event_in=TreatmentEventCreate(
            kind=TreatmentKind.DEATH_NOTIFICATION, occurred_on=clock.today()
        ),
    )
    return row

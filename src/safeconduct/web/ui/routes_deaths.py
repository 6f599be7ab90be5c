"""Death notices and certificates in the UI: the panel of a deceased person's page (issue,
print, send, and where each notice went). The same service as the API; forms post with the
CSRF token, and everything works without JavaScript. A certificate's cause is never shown
on a page: it is printed, and each print is audited."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session, object_session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.bureau import deaths, subjects
from safeconduct.bureau.api_common import pdf_response
from safeconduct.bureau.api_deaths import document_for
from safeconduct.bureau.models import DeathDocument, DeathDocumentKind, Recipient, Transmission
from safeconduct.http.auth import Requires, RequiresAny
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.security.service import ErasedError
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Notifier = Annotated[Principal, Depends(Requires(Permission.DEATH_NOTICE_ISSUE))]
Certifier = Annotated[Principal, Depends(Requires(Permission.DEATH_CERTIFICATE_ISSUE))]
Either = Annotated[
    Principal,
    Depends(RequiresAny(Permission.DEATH_NOTICE_ISSUE, Permission.DEATH_CERTIFICATE_ISSUE)),
]
Short = Annotated[str, Form(max_length=32)]
T = TypeVar("T")


# --- the panel of the person page ---------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A document the reader may print, and where it went."""

    document: DeathDocument
    sent: list[Transmission]


@dataclass(frozen=True)
class DeathPanel:
    """The day of death (None: not deceased) and the documents of the kinds the reader may
    issue, oldest first."""

    died_on: date | None
    lines: list[Line]


def _kinds(can: Collection[str]) -> frozenset[DeathDocumentKind]:
    return frozenset(k for k, p in deaths.PERMISSIONS.items() if p.value in can)


def panel(person: Person, can: Collection[str]) -> DeathPanel:
    session = object_session(person)
    if session is None:  # pragma: no cover - the page's own session loaded the person
        return DeathPanel(None, [])
    try:
        died_on = deaths.death_of(session, person_id=person.id).event.occurred_on
    except deaths.NotDeceasedError:
        return DeathPanel(None, [])
    found = deaths.of_person(session, person_id=person.id, kinds=_kinds(can))
    return DeathPanel(died_on, [Line(d, deaths.sent(session, document=d)) for d in found])


render.env.globals["death_panel"] = panel
render.env.globals["death_languages"] = subjects.LANGUAGES
render.env.globals["death_recipients"] = [r.value for r in (Recipient.FAMILY, Recipient.CTA)]


def _back(person_id: str) -> RedirectResponse:
    return RedirectResponse(f"/people/{person_id}#death-documents", status_code=303)


def _language(value: str) -> str:
    if value not in subjects.LANGUAGES:
        raise HTTPException(422, "language: en, ru or uk")
    return value


def _run(call: Callable[[], T]) -> T:
    """A use case's refusal as the status the API gives; raising rolls the request back."""
    try:
        return call()
    except ErasedError:
        raise HTTPException(409, "the person was erased") from None
    except deaths.NotDeceasedError:
        raise HTTPException(409, "the person is not recorded as deceased") from None
    except deaths.DeathDocumentDeniedError:
        raise HTTPException(403, "forbidden") from None
    except deaths.InvalidFieldError as exc:
        raise HTTPException(422, ".".join(exc.field)) from None


def _issue(
    db: Session, rt: RuntimeDep, who: Principal, person_id: str, kind: DeathDocumentKind
) -> Response:
    person = people_service.get(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    _run(lambda: deaths.issue(db, audit=rt.audit, who=who, person_id=person.id, kind=kind))
    return _back(person.id)


@router.post("/people/{person_id}/death-notice")
def issue_notice(person_id: str, db: DbSession, rt: RuntimeDep, who: Notifier) -> Response:
    """Issue a death notice; back to the person page."""
    return _issue(db, rt, who, person_id, DeathDocumentKind.NOTICE)


@router.post("/people/{person_id}/death-certificate")
def issue_certificate(person_id: str, db: DbSession, rt: RuntimeDep, who: Certifier) -> Response:
    """Issue a death certificate; back to the person page."""
    return _issue(db, rt, who, person_id, DeathDocumentKind.CERTIFICATE)


@router.post("/death-documents/{document_id}/print")
def print_document(
    document_id: str, db: DbSession, rt: RuntimeDep, who: Either, language: Short = ""
) -> Response:
    """Download a document as PDF, captions in the language chosen beside English."""
    document = document_for(db, who, document_id)
    chosen = _language(language)
    name, pdf = _run(lambda: deaths.printed(
        db, keyring=rt.keyring, audit=rt.audit, who=who, document=document, language=chosen
    ))  # fmt: skip
    return pdf_response(pdf, name)


@router.post("/death-documents/{document_id}/send")
def send(
    document_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Notifier,
    recipient: Short = "",
    language: Short = "",
) -> Response:
    """Send a notice to the family or the CTA (meets the Art. 120/122 duty); back to the
    person page, where the panel lists it as sent."""
    document = document_for(db, who, document_id)
    chosen = _language(language)
    to = next((r for r in Recipient if r.value == recipient), None)
    if to is None:
        raise HTTPException(422, "recipient: family or cta")
    _run(lambda: deaths.send(
        db, keyring=rt.keyring, audit=rt.audit, who=who, document=document, recipient=to,
        language=chosen,
    ))  # fmt: skip
    return _back(document.person_id)

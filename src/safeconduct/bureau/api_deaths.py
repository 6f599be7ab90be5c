"""`/api/v1`: death notices and certificates (GC III Art. 120). The registrar issues a notice
(no cause) and sends it to the family or the CTA, which meets the Arts. 120/122 duty; medical
staff issue a certificate, whose place and cause are opened from the sealed death details,
audited. A person not recorded as deceased is 409; file names carry the document's random
id only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.schemas import Language
from safeconduct.accounts.service import Principal
from safeconduct.bureau import deaths
from safeconduct.bureau.api_common import (
    CHANGES,
    PDF,
    LanguageQuery,
    SendRequest,
    pdf_response,
)
from safeconduct.bureau.models import DeathDocument, DeathDocumentKind
from safeconduct.bureau.schemas import TransmissionRead
from safeconduct.http.auth import Requires, RequiresAny
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, invalid
from safeconduct.people import service as people_service
from safeconduct.security.service import ErasedError

router = APIRouter(tags=["bureau"], responses=GUARDED)
T = TypeVar("T")


Notifier = Annotated[Principal, Depends(Requires(Permission.DEATH_NOTICE_ISSUE))]
Certifier = Annotated[Principal, Depends(Requires(Permission.DEATH_CERTIFICATE_ISSUE))]
Either = Annotated[
    Principal,
    Depends(RequiresAny(Permission.DEATH_NOTICE_ISSUE, Permission.DEATH_CERTIFICATE_ISSUE)),
]


class DeathDocumentRead(BaseModel):
    """A document issued: its id, kind and day; never what it says."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    person_id: str
    kind: DeathDocumentKind
    issued_on: date


def checked(call: Callable[[], T], *, at: str = "body") -> T:
    """Run a use case: 409 erased or not deceased, 403 not allowed, 422 naming the field.
    Raising rolls the request's transaction back: nothing is half written."""
    try:
        return call()
    except ErasedError:
        raise HTTPException(409, "the person was erased") from None
    except deaths.NotDeceasedError:
        raise HTTPException(
            409, "the person is not recorded as deceased: record the death on the custody first"
        ) from None
    except deaths.DeathDocumentDeniedError:
        raise HTTPException(403, "forbidden") from None
    except deaths.InvalidFieldError as exc:
        raise invalid((at, *exc.field), exc.message) from None


def _issue(
    db: Session, rt: RuntimeDep, who: Principal, person_id: str, kind: DeathDocumentKind
) -> DeathDocument:
    if people_service.get(db, person_id=person_id) is None:
        raise HTTPException(404, "person not found")
    return checked(lambda: deaths.issue(
        db, audit=rt.audit, who=who, person_id=person_id, kind=kind
    ))  # fmt: skip


def document_for(db: Session, who: Principal, document_id: str) -> DeathDocument:
    """The document, if the caller may print its kind; else 404, as for none at all."""
    document = deaths.get(db, document_id=document_id)
    if document is None or not deaths.may(who, DeathDocumentKind(document.kind)):
        raise HTTPException(404, "death document not found")
    return document


@router.post(
    "/persons/{person_id}/death-notice",
    response_model=DeathDocumentRead,
    status_code=201,
    responses=CHANGES,
)
def issue_notice(person_id: str, db: DbSession, rt: RuntimeDep, who: Notifier) -> DeathDocument:
    """Issue a death notice for a deceased person: identity, day of death, place of
    internment; never the cause."""
    return _issue(db, rt, who, person_id, DeathDocumentKind.NOTICE)


@router.post(
    "/persons/{person_id}/death-certificate",
    response_model=DeathDocumentRead,
    status_code=201,
    responses=CHANGES,
)
def issue_certificate(
    person_id: str, db: DbSession, rt: RuntimeDep, who: Certifier
) -> DeathDocument:
    """Issue a death certificate (medical staff): the notice's fields with the place and
    cause of death, opened from the sealed details when printed."""
    return _issue(db, rt, who, person_id, DeathDocumentKind.CERTIFICATE)


@router.get(
    "/death-documents/{document_id}.pdf",
    response_class=Response,
    responses={**PDF, **CHANGES},
)
def document_pdf(
    document_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Either,
    language: LanguageQuery = Language.EN,
) -> Response:
    """The document as PDF, captions in the language asked beside English. Printing a
    certificate opens its place and cause, and the read is audited."""
    document = document_for(db, who, document_id)
    name, pdf = checked(lambda: deaths.printed(
        db, keyring=rt.keyring, audit=rt.audit, who=who, document=document,
        language=language.value,
    ), at="query")  # fmt: skip
    return pdf_response(pdf, name)


@router.post(
    "/death-documents/{document_id}/send",
    response_model=TransmissionRead,
    status_code=201,
    responses=CHANGES,
)
def send(
    document_id: str, body: SendRequest, db: DbSession, rt: RuntimeDep, who: Notifier
) -> TransmissionRead:
    """Send a notice to the family or the CTA: logged with the PDF's hash, and recorded as
    a death notification, which meets the Arts. 120/122 duty."""
    document = document_for(db, who, document_id)
    row = checked(lambda: deaths.send(
        db, keyring=rt.keyring, audit=rt.audit, who=who, document=document,
        recipient=body.recipient, language=body.language.value,
    ))  # fmt: skip
    return TransmissionRead.model_validate(row)

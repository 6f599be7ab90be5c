"""`/api/v1`: capture cards (GC III Art. 70): issue a version, print it, send it (which
meets the Art. 70 duty), print a camp's intake batch. An erased person, or one never in
custody, is 409; file names carry the card's random id only, never a name, place or day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.bureau import cards
from safeconduct.bureau.api_common import (
    CHANGES,
    PDF,
    LanguageQuery,
    SendRequest,
    pdf_response,
)
from safeconduct.bureau.cards_policy import InvalidRangeError
from safeconduct.bureau.models import CaptureCard
from safeconduct.bureau.schemas import TransmissionRead
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors, invalid
from safeconduct.people import service as people_service
from safeconduct.security.service import ErasedError

router = APIRouter(tags=["bureau"], responses=GUARDED)
Issuer = Annotated[Principal, Depends(Requires(Permission.CAPTURE_CARD_ISSUE))]
T = TypeVar("T")


class CardRead(BaseModel):
    """A version of a person's card: its id, number, day issued; never what it says."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    person_id: str
    version: int
    issued_on: date


def _checked(db: Session, person_id: str, call: Callable[[], T]) -> T:
    """Run a card use case: 404 unknown, 409 erased or never in custody, 422 naming the
    field. Raising rolls the request's transaction back: nothing is half written."""
    if people_service.get(db, person_id=person_id) is None:
        raise HTTPException(404, "person not found")
    try:
        return call()
    except ErasedError:
        raise HTTPException(409, "the person was erased") from None
    except cards.NotInCustodyError:
        raise HTTPException(409, "the person has no custody record") from None
    except cards.InvalidFieldError as exc:
        raise invalid(("body", *exc.field), exc.message) from None


@router.post("/persons/{person_id}/capture-card", response_model=CardRead, responses=CHANGES)
def issue(person_id: str, db: DbSession, rt: RuntimeDep, who: Issuer) -> CaptureCard:
    """Issue the person's card: version 1, or a new version when what it says changed
    since the latest; else the latest, unchanged."""
    return _checked(db, person_id, lambda: cards.issue(
        db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, person_id=person_id
    ))  # fmt: skip


@router.get(
    "/persons/{person_id}/capture-card.pdf",
    response_class=Response,
    responses={**PDF, **CHANGES},
)
def cardpdf_response(
    person_id: str, db: DbSession, rt: RuntimeDep, who: Issuer, language: LanguageQuery
) -> Response:
    """The latest version as PDF (issued first if what it says changed), captions in the
    language asked beside the model card's English and French."""
    card, pdf = _checked(db, person_id, lambda: cards.printed(
        db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, person_id=person_id,
        language=language.value,
    ))  # fmt: skip
    return pdf_response(pdf, cards.file_name(card))


@router.post(
    "/persons/{person_id}/capture-card/send",
    response_model=TransmissionRead,
    status_code=201,
    responses=CHANGES,
)
def send(
    person_id: str, body: SendRequest, db: DbSession, rt: RuntimeDep, who: Issuer
) -> TransmissionRead:
    """Send the card to the family channel or the CTA: logged with the PDF's hash, and
    recorded as sent, which meets the Art. 70 duty."""
    row = _checked(db, person_id, lambda: cards.send(
        db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, person_id=person_id,
        recipient=body.recipient, language=body.language.value,
    ))  # fmt: skip
    return TransmissionRead.model_validate(row)


@router.get(
    "/capture-cards/batch.pdf",
    response_class=Response,
    responses={**PDF, **errors(422)},
)
def batch(
    db: DbSession,
    rt: RuntimeDep,
    who: Issuer,
    place: Annotated[str, Query(min_length=1, max_length=200)],
    since: date,
    until: date,
    language: LanguageQuery,
) -> Response:
    """The cards of everyone whose custody at a place began between two days (at most 31),
    one a page, by name."""
    try:
        pdf = cards.batch_pdf(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            place=place,
            since=since,
            until=until,
            language=language.value,
        )
    except InvalidRangeError as exc:
        raise invalid(("query", exc.field), exc.message) from None
    return pdf_response(pdf, cards.BATCH_FILE)

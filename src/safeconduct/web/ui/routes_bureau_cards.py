"""Capture cards in the UI: the card panel of the person page (issue, print, send, the
latest version and where it went) and the page that prints a camp's intake batch. The same
service as the API; forms post with the CSRF token, and every page works without
JavaScript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session, object_session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.bureau import cards, subjects
from safeconduct.bureau.api_common import pdf_response
from safeconduct.bureau.cards_policy import InvalidRangeError
from safeconduct.bureau.models import CaptureCard, Recipient, Transmission
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.security.service import ErasedError
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Issuer = Annotated[Principal, Depends(Requires(Permission.CAPTURE_CARD_ISSUE))]
Short = Annotated[str, Form(max_length=200)]
BATCH_FIELDS = ("place", "since", "until", "language")


# --- the panel of the person page ---------------------------------------------------------


@dataclass(frozen=True)
class CardPanel:
    """The latest version of a person's card and where it went."""

    card: CaptureCard | None
    sent: list[Transmission]


def panel(person: Person) -> CardPanel:
    session = object_session(person)
    if session is None:  # pragma: no cover - the page's own session loaded the person
        return CardPanel(None, [])
    card = cards.latest(session, person_id=person.id)
    return CardPanel(card, cards.sent(session, card=card) if card is not None else [])


render.env.globals["card_panel"] = panel
render.env.globals["card_languages"] = subjects.LANGUAGES
render.env.globals["card_recipients"] = [r.value for r in (Recipient.FAMILY, Recipient.CTA)]


def _registered(db: Session, person_id: str) -> Person:
    person = people_service.get(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    if person.erased_on is not None:
        raise HTTPException(409, "the person was erased")
    return person


def _language(value: str) -> str:
    if value not in subjects.LANGUAGES:
        raise HTTPException(422, "language: en, ru or uk")
    return value


def _back(person_id: str) -> RedirectResponse:
    return RedirectResponse(f"/people/{person_id}#capture-card", status_code=303)


def _refused(exc: Exception) -> HTTPException:
    if isinstance(exc, ErasedError):
        return HTTPException(409, "the person was erased")
    if isinstance(exc, cards.NotInCustodyError):
        return HTTPException(409, "the person has no custody record")
    assert isinstance(exc, cards.InvalidFieldError)
    return HTTPException(422, ".".join(exc.field))


@router.post("/people/{person_id}/capture-card")
def issue(person_id: str, db: DbSession, rt: RuntimeDep, who: Issuer) -> Response:
    """Issue a new version if what the card says changed; back to the person page."""
    person = _registered(db, person_id)
    try:
        cards.issue(db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, person_id=person.id)
    except (ErasedError, cards.NotInCustodyError, cards.InvalidFieldError) as exc:
        raise _refused(exc) from None
    return _back(person.id)


@router.post("/people/{person_id}/capture-card/print")
def print_card(
    person_id: str, db: DbSession, rt: RuntimeDep, who: Issuer, language: Short = ""
) -> Response:
    """Download the latest version as PDF, in the language chosen."""
    person = _registered(db, person_id)
    try:
        card, pdf = cards.printed(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            person_id=person.id,
            language=_language(language),
        )
    except (ErasedError, cards.NotInCustodyError, cards.InvalidFieldError) as exc:
        raise _refused(exc) from None
    return pdf_response(pdf, cards.file_name(card))


@router.post("/people/{person_id}/capture-card/send")
def send(
    person_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Issuer,
    recipient: Short = "",
    language: Short = "",
) -> Response:
    """Send the card to the family channel or the CTA (meets the Art. 70 duty)."""
    person = _registered(db, person_id)
    if recipient not in {Recipient.FAMILY.value, Recipient.CTA.value}:
        raise HTTPException(422, "recipient: family or cta")
    try:
        cards.send(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            person_id=person.id,
            recipient=Recipient(recipient),
            language=_language(language),
        )
    except (ErasedError, cards.NotInCustodyError, cards.InvalidFieldError) as exc:
        raise _refused(exc) from None
    return _back(person.id)


# --- the intake batch -----------------------------------------------------------------------


def _batch_page(
    request: Request, db: Session, typed: dict[str, str], problems: list[str]
) -> Response:
    return render.page(
        request,
        db,
        "bureau_cards.html",
        status_code=422 if problems else 200,
        typed=typed,
        problems=problems,
    )


@router.get("/bureau/cards")
def batch_page(request: Request, db: DbSession, who: Issuer) -> Response:
    """The form that prints the cards of a camp's intake batch."""
    return _batch_page(request, db, {}, [])


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


@router.post("/bureau/cards")
def batch(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Issuer,
    place: Short = "",
    since: Short = "",
    until: Short = "",
    language: Short = "",
) -> Response:
    """Download the batch's cards, one a page, by name; a refused field shows the form as
    typed, naming it."""
    typed = {"place": place, "since": since, "until": until, "language": language}
    first, last = _day(since), _day(until)
    problems = [
        name
        for name, bad in (
            ("place", not place.strip()),
            ("since", first is None),
            ("until", last is None),
            ("language", language not in subjects.LANGUAGES),
        )
        if bad
    ]
    if problems or first is None or last is None:
        return _batch_page(request, db, typed, problems)
    try:
        pdf = cards.batch_pdf(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            place=place,
            since=first,
            until=last,
            language=language,
        )
    except InvalidRangeError as exc:
        return _batch_page(request, db, typed, [exc.field])
    return pdf_response(pdf, cards.BATCH_FILE)

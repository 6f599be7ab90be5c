"""Family inquiries in the UI: the tracing officer's queue (new candidates first), an
inquiry taken by phone, the review (an audited opening: what the family asked beside each
candidate, field by field), confirm or reject, the answer on the ladder; and the panel of
the person page where the prisoner's choice about their family is recorded. The same
service as the API; forms post with the CSRF token and work without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session, object_session

from safeconduct.accounts.policy import Permission, allows
from safeconduct.accounts.service import Principal
from safeconduct.channels.policy import LANGUAGES, FieldError
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.inquiries import service
from safeconduct.inquiries.api import candidate_or_404, inquiry_or_404
from safeconduct.inquiries.models import FamilyConsent, Inquiry
from safeconduct.inquiries.policy import (
    Consent,
    Relationship,
    Step,
    StepNotSupportedError,
    check_fields,
)
from safeconduct.intake.models import Channel
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Reader = Annotated[Principal, Depends(Requires(Permission.INQUIRY_READ))]
Enterer = Annotated[Principal, Depends(Requires(Permission.INQUIRY_ENTER))]
Revealer = Annotated[Principal, Depends(Requires(Permission.INQUIRY_REVEAL))]
Answerer = Annotated[Principal, Depends(Requires(Permission.INQUIRY_ANSWER))]
Recorder = Annotated[Principal, Depends(Requires(Permission.FAMILY_CONSENT))]
Short = Annotated[str, Form(max_length=1000)]
T = TypeVar("T")
ENTERED_BY = (Channel.PHONE, Channel.IN_PERSON)


def _consent(person: Person) -> FamilyConsent | None:
    session = object_session(person)
    return None if session is None else session.get(FamilyConsent, person.id)


render.env.globals["family_consent"] = _consent


def _run(call: Callable[[], T]) -> T:
    try:
        return call()
    except service.InquiryStateError:
        raise HTTPException(409, "conflict") from None
    except StepNotSupportedError:
        raise HTTPException(422, "step") from None


@router.get("/inquiries")
def queue(request: Request, db: DbSession, _: Reader) -> Response:
    """The queue: references, days and counts; no name until an inquiry is opened."""
    return render.page(request, db, "inquiries.html", rows=service.queue(db))


def _form_page(
    request: Request, db: Session, values: dict[str, str], problem: str | None, code: int = 200
) -> Response:
    return render.page(request, db, "inquiry_new.html", status_code=code, values=values,
                       problem=problem, relationships=[r.value for r in Relationship],
                       channels=[c.value for c in ENTERED_BY], languages=LANGUAGES)  # fmt: skip


@router.get("/inquiries/new")
def new_form(request: Request, db: DbSession, _: Enterer) -> Response:
    return _form_page(request, db, {}, None)


@router.post("/inquiries/new")
def enter(
    request: Request, db: DbSession, rt: RuntimeDep, who: Enterer,
    surname: Short = "", given_name: Short = "", patronymic: Short = "",
    date_of_birth: Short = "", place_last_seen: Short = "", contact: Short = "",
    relationship: Short = "", language: Short = "", channel: Short = "",
) -> Response:  # fmt: skip
    """Take an inquiry; the page shows the codename once, to read out."""
    values = {"surname": surname, "given_name": given_name, "patronymic": patronymic,
              "date_of_birth": date_of_birth, "place_last_seen": place_last_seen,
              "contact": contact, "relationship": relationship, "language": language}  # fmt: skip
    by = next((c for c in ENTERED_BY if c.value == channel), None)
    try:
        fields = check_fields(values)
        if by is None:
            raise FieldError("channel", "phone or in person")
    except FieldError as exc:
        return _form_page(request, db, values | {"channel": channel}, exc.field, 422)
    entered = service.enter(db, keyring=rt.keyring, keys=rt.channels, audit=rt.audit,
                            actor=who.actor, fields=fields, channel=by)  # fmt: skip
    return render.page(request, db, "inquiry_entered.html", inquiry=entered.inquiry,
                       issued=entered.issued)  # fmt: skip


@router.get("/inquiries/{inquiry_id}")
def detail(request: Request, db: DbSession, who: Reader, inquiry_id: str) -> Response:
    """An inquiry's state: candidates by score, answers; nothing sealed until opened."""
    inquiry = inquiry_or_404(db, inquiry_id)
    return render.page(request, db, "inquiry.html", inquiry=inquiry, review=None,
                       candidates=service.candidates(db, inquiry.id),
                       answers=service.answers(db, inquiry.id),
                       steps=_steps(db, who, inquiry))  # fmt: skip


def _steps(db: Session, who: Principal, inquiry: Inquiry) -> tuple[Step, ...]:
    if not allows(who.role, Permission.INQUIRY_ANSWER):
        return ()
    return service.steps_for(db, inquiry)


@router.post("/inquiries/{inquiry_id}/review")
def review(
    request: Request, db: DbSession, rt: RuntimeDep, who: Revealer, inquiry_id: str
) -> Response:
    """Open the inquiry (audited) and compare it with each candidate."""
    inquiry = inquiry_or_404(db, inquiry_id)
    opened = service.review(db, keyring=rt.keyring, audit=rt.audit, actor=who.actor,
                            inquiry=inquiry)  # fmt: skip
    return render.page(request, db, "inquiry.html", inquiry=inquiry, review=opened,
                       candidates=service.candidates(db, inquiry.id),
                       answers=service.answers(db, inquiry.id),
                       steps=_steps(db, who, inquiry))  # fmt: skip


def _back(inquiry_id: str) -> RedirectResponse:
    return RedirectResponse(f"/inquiries/{inquiry_id}", status_code=303)


@router.post("/inquiries/{inquiry_id}/candidates/{person_id}/{decision}")
def decide(
    db: DbSession, rt: RuntimeDep, who: Answerer, inquiry_id: str, person_id: str, decision: str
) -> Response:
    """Confirm or reject a candidate (audited); back to the inquiry."""
    if decision not in ("confirm", "reject"):
        raise HTTPException(404, "not found")
    candidate = candidate_or_404(db, inquiry_id, person_id)
    _run(lambda: service.decide(db, audit=rt.audit, actor=who.actor, candidate=candidate,
                                confirm=decision == "confirm"))  # fmt: skip
    return _back(inquiry_id)


@router.post("/inquiries/{inquiry_id}/answer")
def answer(
    db: DbSession, rt: RuntimeDep, who: Answerer, inquiry_id: str, step: Short = ""
) -> Response:
    """Answer on the ladder; the inquirer reads it from its release day."""
    inquiry = inquiry_or_404(db, inquiry_id)
    chosen = next((s for s in Step if s.value == step), None)
    if chosen is None:
        raise HTTPException(422, "step")
    _run(lambda: service.answer(db, keyring=rt.keyring, audit=rt.audit, actor=who.actor,
                                inquiry=inquiry, step=chosen))  # fmt: skip
    return _back(inquiry_id)


@router.post("/inquiries/{inquiry_id}/close")
def close(db: DbSession, rt: RuntimeDep, who: Answerer, inquiry_id: str) -> Response:
    service.close(db, audit=rt.audit, actor=who.actor, inquiry=inquiry_or_404(db, inquiry_id))
    return _back(inquiry_id)


@router.post("/people/{person_id}/family-consent")
def record_consent(
    db: DbSession, rt: RuntimeDep, who: Recorder, person_id: str,
    family: Short = "", place: Short = "",
) -> Response:  # fmt: skip
    """Record the prisoner's choice; back to the person page."""
    if people_service.get(db, person_id=person_id) is None:
        raise HTTPException(404, "person not found")
    told = family == "yes"
    service.record_consent(db, audit=rt.audit, actor=who.actor, person_id=person_id,
                           consent=Consent(told, told and place == "yes"))  # fmt: skip
    return RedirectResponse(f"/people/{person_id}#family-consent", status_code=303)

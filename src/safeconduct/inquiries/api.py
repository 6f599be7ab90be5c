"""`/api/v1`: family inquiries. The tracing officer takes inquiries by phone or in person,
works the queue (no sealed value in it), opens an inquiry for review (an audited read) with
each candidate compared field by field, confirms or rejects candidates, and answers on the
ladder. Registrars, welfare and tracing staff record a prisoner's choice about their family
being told."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.channels.policy import FieldError
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors, invalid
from safeconduct.inquiries import service
from safeconduct.inquiries.models import (
    FamilyConsent,
    Inquiry,
    InquiryCandidate,
    InquiryStatus,
)
from safeconduct.inquiries.policy import Consent, StepNotSupportedError, check_fields
from safeconduct.inquiries.schemas import (
    AnswerCreate,
    AnswerRead,
    CandidateRead,
    ComparisonRead,
    ConsentBody,
    ConsentRead,
    FieldPairRead,
    InquiryCreate,
    InquiryIssued,
    InquiryOpened,
    InquiryRead,
    QueueItem,
    StepsRead,
)
from safeconduct.people import service as people_service
from safeconduct.runtime import Runtime

router = APIRouter(tags=["inquiries"], responses=GUARDED)
CHANGES = errors(404, 409, 422)
T = TypeVar("T")

Reader = Annotated[Principal, Depends(Requires(Permission.INQUIRY_READ))]
Enterer = Annotated[Principal, Depends(Requires(Permission.INQUIRY_ENTER))]
Revealer = Annotated[Principal, Depends(Requires(Permission.INQUIRY_REVEAL))]
Answerer = Annotated[Principal, Depends(Requires(Permission.INQUIRY_ANSWER))]
Recorder = Annotated[Principal, Depends(Requires(Permission.FAMILY_CONSENT))]


def checked(call: Callable[[], T]) -> T:
    """Run a use case: 409 on a state that forbids it, 422 naming the field. Raising rolls
    the request's transaction back: nothing is half written."""
    try:
        return call()
    except service.InquiryStateError as exc:
        raise HTTPException(409, str(exc)) from None
    except StepNotSupportedError:
        raise invalid(("body", "step"), "the record does not support this step") from None
    except FieldError as exc:
        raise invalid(("body", exc.field), exc.message) from None


def inquiry_or_404(db: Session, inquiry_id: str) -> Inquiry:
    inquiry = service.get(db, inquiry_id)
    if inquiry is None:
        raise HTTPException(404, "inquiry not found")
    return inquiry


@router.post("/inquiries", response_model=InquiryIssued, status_code=201, responses=CHANGES)
def enter(body: InquiryCreate, db: DbSession, rt: RuntimeDep, who: Enterer) -> InquiryIssued:
    """Take an inquiry by phone or in person. The answer's codename is shown here once:
    read it out to the inquirer; it is never stored."""
    values = body.model_dump(exclude={"channel"})
    fields = checked(lambda: check_fields({k: str(v) for k, v in values.items()}))
    entered = service.enter(db, keyring=rt.keyring, keys=rt.channels, audit=rt.audit,
                            actor=who.actor, fields=fields, channel=body.channel)  # fmt: skip
    issued = entered.issued
    return InquiryIssued(
        id=entered.inquiry.id,
        reference=entered.inquiry.reference,
        codename=issued.codename if issued else None,
        receipt=issued.receipt if issued else None,
    )


@router.get("/inquiries", response_model=list[QueueItem])
def queue(
    db: DbSession, who: Reader, status: Annotated[InquiryStatus | None, Query()] = None
) -> list[QueueItem]:
    """The queue: inquiries with candidates no one has looked at first."""
    return [QueueItem(**row.__dict__) for row in service.queue(db, status=status)]


@router.get("/inquiries/{inquiry_id}", response_model=InquiryRead, responses=CHANGES)
def read(inquiry_id: str, db: DbSession, who: Reader) -> InquiryRead:
    """An inquiry's state: candidates (ids and scores) and answers; nothing sealed."""
    inquiry = inquiry_or_404(db, inquiry_id)
    return InquiryRead(
        id=inquiry.id,
        reference=inquiry.reference,
        channel=inquiry.channel,
        status=inquiry.status,
        received_on=inquiry.received_on,
        candidates=[CandidateRead.model_validate(c) for c, _ in service.candidates(db, inquiry.id)],
        answers=[AnswerRead.model_validate(a) for a in service.answers(db, inquiry.id)],
    )


@router.post("/inquiries/{inquiry_id}/review", response_model=InquiryOpened, responses=CHANGES)
def review(inquiry_id: str, db: DbSession, rt: RuntimeDep, who: Revealer) -> InquiryOpened:
    """Open the inquiry for review (an audited read): what the family asked, and each
    candidate compared field by field with the score and why it matched."""
    inquiry = inquiry_or_404(db, inquiry_id)
    opened = service.review(db, keyring=rt.keyring, audit=rt.audit, actor=who.actor,
                            inquiry=inquiry)  # fmt: skip
    return InquiryOpened(
        id=inquiry.id,
        reference=inquiry.reference,
        **{k: getattr(opened.fields, k) for k in (
            "surname", "given_name", "patronymic", "date_of_birth", "place_last_seen",
            "contact", "relationship", "language")},
        comparisons=[
            ComparisonRead(
                person_id=c.person_id, score=round(cmp.score, 4), status=c.status,
                fields=[
                    FieldPairRead(field=f.field, asked=f.asked, asked_latin=f.asked_latin,
                                  held=f.held, held_original=f.held_original)
                    for f in cmp.fields],
                why=cmp.why,
            )
            for c, cmp in opened.compared
        ],
    )  # fmt: skip


def candidate_or_404(db: Session, inquiry_id: str, person_id: str) -> InquiryCandidate:
    found = service.candidate(db, inquiry_or_404(db, inquiry_id).id, person_id)
    if found is None:
        raise HTTPException(404, "candidate not found")
    return found


def _decided(
    db: Session, rt: Runtime, who: Principal, inquiry_id: str, person_id: str, *, confirm: bool
) -> CandidateRead:
    candidate = candidate_or_404(db, inquiry_id, person_id)
    done = checked(lambda: service.decide(db, audit=rt.audit, actor=who.actor,
                                          candidate=candidate, confirm=confirm))  # fmt: skip
    return CandidateRead.model_validate(done)


@router.post(
    "/inquiries/{inquiry_id}/candidates/{person_id}/confirm",
    response_model=CandidateRead,
    responses=CHANGES,
)
def confirm(
    inquiry_id: str, person_id: str, db: DbSession, rt: RuntimeDep, who: Answerer
) -> CandidateRead:
    """Confirm a candidate: this is the person the family asks about (audited)."""
    return _decided(db, rt, who, inquiry_id, person_id, confirm=True)


@router.post(
    "/inquiries/{inquiry_id}/candidates/{person_id}/reject",
    response_model=CandidateRead,
    responses=CHANGES,
)
def reject(
    inquiry_id: str, person_id: str, db: DbSession, rt: RuntimeDep, who: Answerer
) -> CandidateRead:
    """Reject a candidate: not the person asked about (audited)."""
    return _decided(db, rt, who, inquiry_id, person_id, confirm=False)


@router.get("/inquiries/{inquiry_id}/steps", response_model=StepsRead, responses=CHANGES)
def steps(inquiry_id: str, db: DbSession, who: Answerer) -> StepsRead:
    """The ladder steps the record supports for this inquiry."""
    return StepsRead(steps=list(service.steps_for(db, inquiry_or_404(db, inquiry_id))))


@router.post(
    "/inquiries/{inquiry_id}/answer", response_model=AnswerRead, status_code=201,
    responses=CHANGES,
)  # fmt: skip
def answer(
    inquiry_id: str, body: AnswerCreate, db: DbSession, rt: RuntimeDep, who: Answerer
) -> AnswerRead:
    """Answer on the ladder. The inquirer reads it with the codename from its release day
    (never the day it is given)."""
    inquiry = inquiry_or_404(db, inquiry_id)
    row = checked(
        lambda: service.answer(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, inquiry=inquiry,
            step=body.step,
        )
    )  # fmt: skip
    return AnswerRead.model_validate(row)


@router.post("/inquiries/{inquiry_id}/close", response_model=InquiryRead, responses=CHANGES)
def close(inquiry_id: str, db: DbSession, rt: RuntimeDep, who: Answerer) -> InquiryRead:
    """Close an inquiry: it is no longer matched against new registrations."""
    inquiry = inquiry_or_404(db, inquiry_id)
    service.close(db, audit=rt.audit, actor=who.actor, inquiry=inquiry)
    return read(inquiry_id, db, who)


def _consent_read(person_id: str, row: FamilyConsent | None) -> ConsentRead:
    if row is None:
        return ConsentRead(person_id=person_id, family_may_be_told=False)
    return ConsentRead(
        person_id=person_id,
        family_may_be_told=row.family_may_be_told,
        place_may_be_told=row.place_may_be_told,
        recorded_on=row.recorded_on,
    )


@router.get("/persons/{person_id}/family-consent", response_model=ConsentRead, responses=CHANGES)
def consent(person_id: str, db: DbSession, who: Recorder) -> ConsentRead:
    """The prisoner's choice about their family being told (none recorded: not told)."""
    if people_service.get(db, person_id=person_id) is None:
        raise HTTPException(404, "person not found")
    return _consent_read(person_id, db.get(FamilyConsent, person_id))


@router.put("/persons/{person_id}/family-consent", response_model=ConsentRead, responses=CHANGES)
def record_consent(
    person_id: str, body: ConsentBody, db: DbSession, rt: RuntimeDep, who: Recorder
) -> ConsentRead:
    """Record the prisoner's choice (audited). The place may be named only if the family
    may be told at all."""
    if people_service.get(db, person_id=person_id) is None:
        raise HTTPException(404, "person not found")
    row = service.record_consent(
        db, audit=rt.audit, actor=who.actor, person_id=person_id,
        consent=Consent(body.family_may_be_told, body.place_may_be_told),
    )  # fmt: skip
    return _consent_read(person_id, row)

"""`/api/v1`: a person's wish, heard by welfare or the registrar and verified by the neutral
verifier in a private interview; the wish in effect; the plans of those who stay. Sealed
notes never come out here, only through the purpose-bound reveal (`disclosure.api`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from safeconduct import clock
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors, invalid
from safeconduct.people import service as people_service
from safeconduct.repatriation import service
from safeconduct.repatriation.models import WishRecord
from safeconduct.repatriation.schemas import (
    EffectiveWishRead,
    InterviewCreate,
    StatementCreate,
    StayCount,
    StayPlanCreate,
    WishRecordRead,
)

router = APIRouter(tags=["repatriation"], responses=GUARDED)
Hearer = Annotated[Principal, Depends(Requires(Permission.WISH_RECORD))]
Verifier = Annotated[Principal, Depends(Requires(Permission.WISH_VERIFY))]
Reader = Annotated[Principal, Depends(Requires(Permission.WISH_READ))]
Planner = Annotated[Principal, Depends(Requires(Permission.STAY_PLAN_WRITE))]
Counter = Annotated[Principal, Depends(Requires(Permission.STAY_COUNT_READ))]


def record_read(record: WishRecord) -> WishRecordRead:
    return WishRecordRead(
        id=record.id,
        number=record.number,
        wish=record.wish,
        source=record.source,
        role=record.role,
        stated_on=record.stated_on,
        has_note=record.note is not None,
        without_witnesses=record.without_witnesses,
        interpreter=record.interpreter,
        language=record.language,
        risk_on_return=record.risk_on_return,
    )


def _person(db: DbSession, person_id: str) -> str:
    person = people_service.get(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    return person.id


@router.post(
    "/persons/{person_id}/wishes/statements",
    response_model=WishRecordRead,
    status_code=201,
    responses=errors(404, 410),
)
def record_statement(
    person_id: str, body: StatementCreate, db: DbSession, rt: RuntimeDep, who: Hearer
) -> WishRecordRead:
    """Record a wish the person stated, heard in the caller's role. One that differs from
    the verified wish ends it at once: the person is on no approved list until heard again."""
    try:
        record = service.record_statement(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            role=who.role,
            person_id=_person(db, person_id),
            statement_in=body,
        )
    except service.InvalidFieldError as exc:
        raise invalid(("body", *exc.field), exc.message) from None
    return record_read(record)


@router.post(
    "/persons/{person_id}/wishes/interviews",
    response_model=WishRecordRead,
    status_code=201,
    responses=errors(404, 410),
)
def record_interview(
    person_id: str, body: InterviewCreate, db: DbSession, rt: RuntimeDep, who: Verifier
) -> WishRecordRead:
    """Record the verifier's interview and the wish found. Only an interview held without
    witnesses verifies a wish; notes and risk reasons are sealed for the verifier alone."""
    try:
        record = service.record_interview(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            person_id=_person(db, person_id),
            interview_in=body,
        )
    except service.InvalidFieldError as exc:
        raise invalid(("body", *exc.field), exc.message) from None
    return record_read(record)


@router.get(
    "/persons/{person_id}/wishes", response_model=list[WishRecordRead], responses=errors(404)
)
def list_records(person_id: str, db: DbSession, _: Reader) -> list[WishRecordRead]:
    """A person's wish records in the order they were recorded; never their notes."""
    return [record_read(r) for r in service.records(db, person_id=_person(db, person_id))]


@router.get(
    "/persons/{person_id}/wishes/effective",
    response_model=EffectiveWishRead,
    responses=errors(404),
)
def effective_wish(
    person_id: str,
    db: DbSession,
    rt: RuntimeDep,
    _: Reader,
    on: Annotated[date | None, Query(description="the exchange day; today if not")] = None,
) -> EffectiveWishRead:
    """The wish in effect for an exchange on a day, and whether the person is eligible."""
    found = service.effective(
        db,
        person_id=_person(db, person_id),
        on=on or clock.today(),
        window_days=rt.settings.exchange_window_days,
    )
    if found is None:  # pragma: no cover - the person was found above
        raise HTTPException(404, "person not found")
    return found


@router.post("/persons/{person_id}/stay-plan", status_code=204, responses=errors(404, 410))
def set_stay_plan(
    person_id: str, body: StayPlanCreate, db: DbSession, rt: RuntimeDep, who: Planner
) -> None:
    """Record the end-of-hostilities plan (Art. 118) of a person who does not return."""
    service.set_stay_plan(
        db, audit=rt.audit, actor=who.actor, person_id=_person(db, person_id), plan=body.plan
    )


@router.get("/stays", response_model=list[StayCount])
def stay_counts(db: DbSession, rt: RuntimeDep, _: Counter) -> list[StayCount]:
    """How many of those whose verified wish is to stay have each plan: counts, no names."""
    return service.stay_counts(db, on=clock.today(), window_days=rt.settings.exchange_window_days)

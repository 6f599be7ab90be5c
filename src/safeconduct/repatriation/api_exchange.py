"""`/api/v1`: exchange events and their lists. The builder and every addition take eligible
people only; approval needs a second exchange officer; an approved list is frozen, signed
and exported; whatever makes someone on it ineligible invalidates it. A refusal is 409 and
names each person concerned and why, never their wish."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.custody.service import InvalidFieldError
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import (
    GUARDED,
    ConflictError,
    conflict_response,
    errors,
    invalid,
)
from safeconduct.repatriation import exchange
from safeconduct.repatriation.documents import ExportFormat
from safeconduct.repatriation.models import ExchangeEvent
from safeconduct.repatriation.reasons import message
from safeconduct.repatriation.schemas import (
    Approve,
    ExchangeEventCreate,
    ExchangeEventRead,
    ExchangeListRead,
    MemberAdd,
    MemberRemove,
    Reschedule,
    ScheduleEntry,
)

router = APIRouter(tags=["exchange"], responses=GUARDED)
Manager = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_MANAGE))]
Approver = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_APPROVE))]
Exporter = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_EXPORT))]
Reader = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_READ))]
Scheduled = Annotated[Principal, Depends(Requires(Permission.EXCHANGE_SCHEDULE))]
CHANGES = errors(404, 409)


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: ExportFormat


def problems(db: Session, exc: exchange.ListConflictError) -> list[dict[str, Any]]:
    """Each problem: the person (id and name) when one is concerned, the reason, a message."""
    return [
        {**p.model_dump(), "message": message(p.reason)} for p in exchange.named_problems(db, exc)
    ]


def _event(db: Session, event_id: str) -> ExchangeEvent:
    event = exchange.get_event(db, event_id=event_id)
    if event is None:
        raise HTTPException(404, "exchange event not found")
    return event


def _change(db: Session, event: ExchangeEvent, call: Callable[[], object]) -> ExchangeListRead:
    """Run a change; a refusal is 409 naming who and why, and writes nothing (raising rolls
    the request's transaction back)."""
    try:
        call()
    except exchange.ListConflictError as exc:
        raise ConflictError(problems(db, exc)) from None
    except InvalidFieldError as exc:
        raise invalid(("body", *exc.field), exc.message) from None
    return exchange.view(db, event=event)


@router.post(
    "/exchange-events", response_model=ExchangeEventRead, status_code=201, responses=errors(422)
)
def create_event(
    body: ExchangeEventCreate, db: DbSession, rt: RuntimeDep, who: Manager
) -> ExchangeEventRead:
    """Create an exchange event (counterpart, planned day, quotas) with an empty draft list.
    The freshness window in force now stays the event's."""
    try:
        event = exchange.create_event(
            db,
            audit=rt.audit,
            actor=who.actor,
            event_in=body,
            window_days=rt.settings.exchange_window_days,
        )
    except InvalidFieldError as exc:
        raise invalid(("body", *exc.field), exc.message) from None
    return exchange.event_read(event)


@router.get("/exchange-events", response_model=list[ExchangeEventRead])
def list_events(db: DbSession, _: Reader) -> list[ExchangeEventRead]:
    """Every exchange event, open ones first, by planned day."""
    return [exchange.event_read(e) for e in exchange.events(db)]


@router.get(
    "/exchange-events/{event_id}/list", response_model=ExchangeListRead, responses=errors(404)
)
def get_list(event_id: str, db: DbSession, _: Reader) -> ExchangeListRead:
    """The event's list: each person, their category, whether eligible for the planned day
    and why not; its approval, hash and signature; what invalidated it."""
    return exchange.view(db, event=_event(db, event_id))


@router.post(
    "/exchange-events/{event_id}/reschedule", response_model=ExchangeListRead, responses=CHANGES
)
def reschedule(
    event_id: str, body: Reschedule, db: DbSession, rt: RuntimeDep, who: Manager
) -> ExchangeListRead:
    """Move the planned day (give the version read); an approved list is checked again for
    the new day and invalidated for whoever is not verified fresh for it."""
    event = _event(db, event_id)
    return _change(db, event, lambda: exchange.reschedule(
        db, audit=rt.audit, actor=who.actor, event=event, planned_on=body.planned_on,
        version=body.version,
    ))  # fmt: skip


@router.post(
    "/exchange-events/{event_id}/list/build", response_model=ExchangeListRead, responses=CHANGES
)
def build(event_id: str, db: DbSession, rt: RuntimeDep, who: Manager) -> ExchangeListRead:
    """Propose eligible people for the places left in each category: the seriously wounded
    and sick first, then the longest in custody, one for one up to each quota."""
    event = _event(db, event_id)
    return _change(
        db, event, lambda: exchange.build(db, audit=rt.audit, actor=who.actor, event=event)
    )


@router.post(
    "/exchange-events/{event_id}/list/members",
    response_model=ExchangeListRead,
    responses=CHANGES,
)
def add_member(
    event_id: str, body: MemberAdd, db: DbSession, rt: RuntimeDep, who: Manager
) -> ExchangeListRead:
    """Put a person on the list: 409, naming them and why, unless they are eligible and
    their category has room."""
    event = _event(db, event_id)
    return _change(db, event, lambda: exchange.add(
        db, audit=rt.audit, actor=who.actor, event=event, person_id=body.person_id
    ))  # fmt: skip


@router.post(
    "/exchange-events/{event_id}/list/members/{person_id}/remove",
    response_model=ExchangeListRead,
    responses=CHANGES,
)
def remove_member(
    event_id: str, person_id: str, body: MemberRemove, db: DbSession, rt: RuntimeDep, who: Manager
) -> ExchangeListRead:
    """Take a person off the list, for a reason from the fixed choice."""
    event = _event(db, event_id)
    return _change(db, event, lambda: exchange.remove(
        db, audit=rt.audit, actor=who.actor, event=event, person_id=person_id, reason=body.reason
    ))  # fmt: skip


@router.post(
    "/exchange-events/{event_id}/list/approve",
    response_model=ExchangeListRead,
    responses=CHANGES,
)
def approve(
    event_id: str, body: Approve, db: DbSession, rt: RuntimeDep, who: Approver
) -> ExchangeListRead:
    """Approve the list as read at `version`: never by one who built or changed it, and
    only when everyone on it is eligible for the planned day. It is frozen and signed."""
    event = _event(db, event_id)
    return _change(db, event, lambda: exchange.approve(
        db, audit=rt.audit, actor=who.actor, signer=rt.audit.signer, event=event,
        version=body.version,
    ))  # fmt: skip


@router.post(
    "/exchange-events/{event_id}/list/reopen", response_model=ExchangeListRead, responses=CHANGES
)
def reopen(event_id: str, db: DbSession, rt: RuntimeDep, who: Manager) -> ExchangeListRead:
    """Turn an approved list back into a draft to change it; it needs a new approval."""
    event = _event(db, event_id)
    return _change(
        db, event, lambda: exchange.reopen(db, audit=rt.audit, actor=who.actor, event=event)
    )


@router.post(
    "/exchange-events/{event_id}/list/export",
    response_class=Response,
    responses={
        200: {"content": {m: {} for m in ("application/json", "text/csv", "application/pdf")}},
        **CHANGES,
    },
)
def export(
    event_id: str, body: ExportRequest, db: DbSession, rt: RuntimeDep, who: Exporter
) -> Response:
    """The approved list as JSON, CSV or PDF, each carrying the signed document, its hash
    and its signature. Everyone on it is checked once more first: if someone no longer is
    eligible, the list is invalidated and the answer is 409 naming them."""
    event = _event(db, event_id)
    done = exchange.export(db, audit=rt.audit, actor=who.actor, event=event, fmt=body.format)
    if isinstance(done, exchange.ListConflictError):
        # Returned, not raised: the invalidation found here is committed with the refusal.
        return conflict_response(problems(db, done))
    return Response(
        content=done.content,
        media_type=done.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{done.file_name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/exchange-events/{event_id}/complete", response_model=ExchangeListRead, responses=CHANGES
)
def complete(event_id: str, db: DbSession, rt: RuntimeDep, who: Manager) -> ExchangeListRead:
    """The exchange took place: everyone on the approved list is recorded repatriated."""
    event = _event(db, event_id)
    return _change(db, event, lambda: exchange.complete(
        db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, event=event
    ))  # fmt: skip


@router.post(
    "/exchange-events/{event_id}/cancel", response_model=ExchangeListRead, responses=CHANGES
)
def cancel(event_id: str, db: DbSession, rt: RuntimeDep, who: Manager) -> ExchangeListRead:
    """The exchange will not take place."""
    event = _event(db, event_id)
    return _change(
        db, event, lambda: exchange.cancel(db, audit=rt.audit, actor=who.actor, event=event)
    )


@router.get("/exchange/schedule", response_model=list[ScheduleEntry])
def schedule(db: DbSession, _: Scheduled) -> list[ScheduleEntry]:
    """Whom the verifier must hear before each exchange, and between which days: people
    on lists without a wish verified for the planned day (never the wish itself)."""
    return exchange.schedule(db)

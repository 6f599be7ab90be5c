"""Custody in the UI: open a custody with its circumstances sealed, and record the events of
its life, confirmed first. The same service functions as the API beneath."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from safeconduct.accounts import preferences
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.custody import policy
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyStatus
from safeconduct.custody.schemas import CustodyCreate, CustodyEventCreate
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.web.ui import formats, i18n, render
from safeconduct.web.ui.guard import csrf_form
from safeconduct.web.ui.routes_people import actor_names

router = APIRouter(dependencies=[Depends(csrf_form)])
Writer = Annotated[Principal, Depends(Requires(Permission.CUSTODY_WRITE))]
# Bounds for what a form may carry; the schemas set the real limits and name the field.
Field = Annotated[str, Form(max_length=2000)]
ZONES = sorted(available_timezones())


def next_events(status: str) -> list[str]:
    """The kinds of event the state machine allows after a status, for the event form."""
    try:
        current = CustodyStatus(status)
    except ValueError:
        return []
    return [kind.value for kind in policy.allowed(current)]


# The event form offers what the state machine allows: the rule is asked, never copied.
render.env.globals["custody_next_events"] = next_events


def _person(db: DbSession, person_id: str) -> Person:
    person = people_service.get_registered(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    return person


def _custody(db: DbSession, person: Person, custody_id: str) -> Custody:
    custody = custody_service.get(db, custody_id=custody_id)
    if custody is None or custody.person_id != person.id:
        raise HTTPException(404, "custody record not found")
    return custody


def _problems(errors: list[ErrorDetails], depth: int) -> list[str]:
    """The fields a schema refused, as dotted names `depth` parts deep, in form order; never
    the messages, which are English, nor the input."""
    found: list[str] = []
    for error in errors:
        name = ".".join(str(part) for part in error["loc"][:depth]) or "form"
        if name not in found:
            found.append(name)
    return found


@dataclass(frozen=True)
class CustodyForm:
    """What was typed into the custody form, kept to show it again."""

    since: str = ""
    place_of_internment: str = ""
    mode: str = ""
    place: str = ""
    occurred_at: str = ""
    zone: str = ""
    how: str = ""
    request_id: str = ""


def _moment(local: str, zone: str) -> datetime | str | None:
    """The moment of surrender from the form's local date and time and its zone; what does
    not parse goes on as typed, for the schema to refuse it by name."""
    if not local.strip():
        return None
    try:
        naive = datetime.fromisoformat(local.strip())
    except ValueError:
        return local
    if naive.tzinfo is not None or not preferences.is_zone(zone):
        return local
    return naive.replace(tzinfo=ZoneInfo(zone))


def _custody_body(person: Person, typed: CustodyForm) -> dict[str, Any]:
    return {
        "person_id": person.id,
        "since": typed.since,
        "place_of_internment": typed.place_of_internment,
        "circumstances": {
            "mode": typed.mode,
            "place": typed.place.strip() or None,
            "occurred_at": _moment(typed.occurred_at, typed.zone),
            "how": typed.how.strip() or None,
            "request_id": typed.request_id or None,
        },
    }


def _custody_form(
    request: Request,
    db: DbSession,
    person: Person,
    typed: CustodyForm,
    *,
    problems: list[str] | None = None,
) -> Response:
    return render.page(
        request,
        db,
        "custody_new.html",
        status_code=422 if problems else 200,
        person=person,
        typed=typed,
        problems=problems or [],
        zones=ZONES,
        requests=custody_service.linkable_requests(db),
    )


@router.get("/people/{person_id}/custodies/new")
def new_custody(
    request: Request, person_id: str, db: DbSession, rt: RuntimeDep, _: Writer
) -> Response:
    """The form that opens a custody: since when, where, and the sealed circumstances."""
    person = _person(db, person_id)
    zone = formats.zone(render.time_zone_of(request, db), rt.settings.time_zone)
    return _custody_form(request, db, person, CustodyForm(zone=zone.key))


@router.post("/people/{person_id}/custodies/new")
def create_custody(
    request: Request,
    person_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Writer,
    since: Field = "",
    place_of_internment: Field = "",
    mode: Field = "",
    place: Field = "",
    occurred_at: Field = "",
    zone: Field = "",
    how: Field = "",
    request_id: Field = "",
) -> Response:
    """Open the custody; the circumstances are sealed before they are stored. A wrong field
    shows the form again with what was typed, never a URL that carries it."""
    person = _person(db, person_id)
    typed = CustodyForm(since, place_of_internment, mode, place, occurred_at, zone, how, request_id)
    try:
        custody_in = CustodyCreate.model_validate(_custody_body(person, typed))
        custody = custody_service.create(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, custody_in=custody_in
        )
    except ValidationError as exc:
        return _custody_form(request, db, person, typed, problems=_problems(exc.errors(), 2))
    except custody_service.InvalidFieldError as exc:
        return _custody_form(request, db, person, typed, problems=[".".join(exc.field)])
    return RedirectResponse(f"/people/{person.id}#custody-{custody.id}", status_code=303)


@dataclass(frozen=True)
class EventForm:
    """What was typed into an event form, kept to show it again or to confirm it."""

    kind: str = ""
    occurred_on: str = ""
    place: str = ""
    reason: str = ""
    death_place: str = ""
    death_cause: str = ""
    after: str = ""


def _event_body(typed: EventForm) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": typed.kind,
        "occurred_on": typed.occurred_on,
        "reason": typed.reason,
        "place": typed.place.strip() or None,
        "after": typed.after or None,
    }
    if typed.death_place.strip() or typed.death_cause.strip():
        body["details"] = {
            "place": typed.death_place.strip() or None,
            "cause": typed.death_cause.strip() or None,
        }
    return body


def _event_page(
    request: Request,
    db: DbSession,
    person: Person,
    custody: Custody,
    typed: EventForm,
    *,
    status_code: int,
    problems: list[str] | None = None,
    refused: policy.RefusedMoveError | None = None,
) -> Response:
    """The custody again with its events and the form as typed: a refusal (409) or the
    fields to correct (422)."""
    return render.page(
        request,
        db,
        "custody_event.html",
        status_code=status_code,
        person=person,
        custody=custody,
        custody_events=custody_service.events(db, custody_id=custody.id),
        actors=actor_names(db),
        event_typed=typed,
        event_problems=problems or [],
        refused=refused,
    )


def _confirm(
    request: Request,
    db: DbSession,
    person: Person,
    custody: Custody,
    typed: EventForm,
    event_in: CustodyEventCreate,
) -> Response:
    """Ask before recording: an event is never changed or removed once it is recorded."""
    # The words come from the macros, in the reader's language; each is markup already.
    with i18n.active(render.language_of(request, db)):
        macros: Any = render.env.get_template("_custody_macros.html").module
        kind = event_in.kind.value
        heading = macros.confirm_heading(kind)
        message = macros.confirm_message(kind, event_in.occurred_on, event_in.place)
        button = macros.confirm_button(kind)
    return render.page(
        request,
        db,
        "confirm.html",
        heading=heading,
        message=message,
        action=f"/people/{person.id}/custodies/{custody.id}/events",
        fields={name: value for name, value in asdict(typed).items() if value},
        button=button,
        cancel=f"/people/{person.id}#custody-{custody.id}",
    )


@router.post("/people/{person_id}/custodies/{custody_id}/events")
def record_event(
    request: Request,
    person_id: str,
    custody_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Writer,
    kind: Field = "",
    occurred_on: Field = "",
    place: Field = "",
    reason: Field = "",
    death_place: Field = "",
    death_cause: Field = "",
    after: Field = "",
    confirm: Field = "",
) -> Response:
    """Check the event and ask to confirm it; once confirmed, record it. A move the custody's
    status does not allow, or one against a custody that changed meanwhile, is refused with
    409 and the custody as it is now."""
    person = _person(db, person_id)
    custody = _custody(db, person, custody_id)
    typed = EventForm(kind, occurred_on, place, reason, death_place, death_cause, after)
    page = (request, db, person, custody, typed)
    try:
        event_in = CustodyEventCreate.model_validate(_event_body(typed))
        if confirm != "yes":
            custody_service.check_event(db, custody=custody, event_in=event_in)
            return _confirm(*page, event_in)
        custody_service.record_event(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            custody=custody,
            event_in=event_in,
        )
    except ValidationError as exc:
        return _event_page(*page, status_code=422, problems=_problems(exc.errors(), 1))
    except custody_service.InvalidFieldError as exc:
        return _event_page(*page, status_code=422, problems=[exc.field[0]])
    except policy.RefusedMoveError as exc:
        return _event_page(*page, status_code=409, refused=exc)
    # Post/redirect/get: a reload does not record the event again.
    return RedirectResponse(f"/people/{person.id}#custody-{custody.id}", status_code=303)

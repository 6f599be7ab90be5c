"""The intake queue: filter and page it, find a request by its reference, log a phone or
walk-in request and read its caller a codename, open one, move it along (rejecting or
withdrawing with a reason and a confirmation), note and assign it, reply to the applicant,
flag it as a suspected probe, and reveal what it says for a purpose."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.audit.actors import Actor, account_id_of
from safeconduct.disclosure import service as disclosure
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep, runtime
from safeconduct.intake import applicant
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import Channel, RequestEvent, RequestStatus, SurrenderRequest
from safeconduct.intake.policy import (
    ALLOWED,
    MAX_TEXT,
    TextError,
    can_move,
    check_text,
    needs_reason,
    open_to_work,
    parse_reference,
)
from safeconduct.intake.schemas import (
    RequestEventRead,
    SurrenderRequestCreate,
    SurrenderRequestRead,
    request_read,
)
from safeconduct.schemas_common import Page
from safeconduct.web.ui import i18n, render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
QueueReader = Annotated[Principal, Depends(Requires(Permission.REQUEST_READ))]
Creator = Annotated[Principal, Depends(Requires(Permission.REQUEST_CREATE))]
Mover = Annotated[Principal, Depends(Requires(Permission.REQUEST_UPDATE))]
Revealer = Annotated[Principal, Depends(Requires(Permission.REQUEST_REVEAL))]
PAGE_SIZE = 20
# Bounded twice the rule's length, so the rule (not the framework) names what is too long.
TextForm = Annotated[str, Form(max_length=MAX_TEXT * 2)]

# The default view: what still needs intake's work, in workflow order.
OPEN = (RequestStatus.RECEIVED, RequestStatus.IN_REVIEW, RequestStatus.ACCEPTED)
OPEN_VIEW, ALL_VIEW = "open", "all"
VIEWS = (OPEN_VIEW, ALL_VIEW, *(s.value for s in RequestStatus))
MINE, NOBODY = "me", "none"
# The channels an officer logs by hand; the others come in by themselves.
BY_HAND = (Channel.PHONE, Channel.IN_PERSON)


def _queue(
    db: DbSession, who: Principal, view: str, assigned: str, reference: str | None, page: int
) -> Page[SurrenderRequestRead]:
    """One page of a view: the open statuses in workflow order, one status, or all; one
    officer's, no one's or everyone's; a reference finds its request in any of them."""
    statuses = OPEN if view == OPEN_VIEW else () if view == ALL_VIEW else (RequestStatus(view),)
    rows, total = intake_service.list_(
        db,
        statuses=() if reference else statuses,
        assigned_to=who.account_id if assigned == MINE and not reference else None,
        unassigned=assigned == NOBODY and not reference,
        reference=reference,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    linked = intake_service.same_contact(db, requests=rows)
    items = [request_read(r, [ref for _id, ref in linked.get(r.id, [])]) for r in rows]
    return Page[SurrenderRequestRead](items=items, total=total, page=page, size=PAGE_SIZE)


@router.get("/requests")
def request_queue(
    request: Request,
    db: DbSession,
    who: QueueReader,
    status: Annotated[str, Query(pattern=f"^({'|'.join(VIEWS)})$")] = OPEN_VIEW,
    assigned: Annotated[str, Query(pattern=f"^({MINE}|{NOBODY})?$")] = "",
    ref: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Show the queue; the sealed contact and content are not on this page."""
    typed = ref.strip()
    reference = parse_reference(typed) if typed else None
    bad_ref = bool(typed) and reference is None
    found = (
        Page[SurrenderRequestRead](items=[], total=0, page=page, size=PAGE_SIZE)
        if bad_ref
        else _queue(db, who, status, assigned, reference, page)
    )
    # Only what differs from the default view, so the search stays in the address.
    query = {"status": status} | ({"assigned": assigned} if assigned else {})
    return render.page(
        request,
        db,
        "requests.html",
        found=found,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        status=status,
        statuses=list(RequestStatus),
        assigned=assigned,
        ref=typed,
        bad_ref=bad_ref,
        query=query | ({"ref": typed} if typed else {}),
        names=intake_service.usernames(db, (r.assigned_to for r in found.items)),
    )


def _new_page(request: Request, db: DbSession, *, status_code: int = 200, **typed: Any) -> Response:
    values = {"channel": Channel.PHONE.value, "contact": "", "content": "", "problems": set()}
    return render.page(
        request,
        db,
        "request_new.html",
        status_code=status_code,
        channels=BY_HAND,
        **(values | typed),
    )


@router.get("/requests/new")
def new_request_page(request: Request, db: DbSession, _: Creator) -> Response:
    """The form to log a request made by phone or in person."""
    return _new_page(request, db)


def _by_hand(
    channel: str, contact: str, content: str
) -> tuple[SurrenderRequestCreate | None, set[str]]:
    """The request an officer typed in, or the fields that are wrong (all of them at once)."""
    problems = set() if channel in {c.value for c in BY_HAND} else {"channel"}
    try:
        wanted = SurrenderRequestCreate(
            channel=Channel.PHONE if problems else Channel(channel),
            contact=contact,
            content=content,
        )
    except ValidationError as exc:
        return None, problems | {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    return (None if problems else wanted), problems


@router.post("/requests")
def create_request(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Creator,
    channel: Annotated[str, Form(max_length=32)] = "",
    contact: Annotated[str, Form(max_length=1000)] = "",
    content: Annotated[str, Form(max_length=40_000)] = "",
) -> Response:
    """Log a phone or walk-in request; contact and content are sealed before they are stored."""
    wanted, problems = _by_hand(channel, contact, content)
    if wanted is None:
        typed = {"channel": channel, "contact": contact, "content": content}
        return _new_page(request, db, status_code=422, problems=problems, **typed)
    created = applicant.take_by_hand(
        db, keyring=rt.keyring, keys=rt.channels, audit=rt.audit, actor=who.actor, request_in=wanted
    )
    return RedirectResponse(f"/requests/{created.id}", status_code=303)


def _found(db: DbSession, request_id: str) -> SurrenderRequest:
    found = intake_service.get(db, request_id=request_id)
    if found is None:
        raise HTTPException(404, "surrender request not found")
    return found


def _history_names(
    db: DbSession, found: SurrenderRequest, events: list[RequestEvent]
) -> dict[str, str]:
    """Username by actor (`account:<id>`) and by account id, for every account the page names."""
    actors = {e.actor: account_id_of(Actor(e.actor)) for e in events}
    ids = [*actors.values(), *(e.assignee for e in events), found.assigned_to]
    names = intake_service.usernames(db, ids)
    by_actor = {actor: names[i] for actor, i in actors.items() if i in names}
    return names | by_actor


def _request_page(
    request: Request,
    db: DbSession,
    found: SurrenderRequest,
    *,
    status_code: int = 200,
    **problems: Any,
) -> Response:
    """The request page; `problems` re-show a refused form with what was typed."""
    current = RequestStatus(found.status)
    # In workflow order, so the buttons keep their places from one request to the next.
    targets = [s for s in RequestStatus if s in ALLOWED[current]]
    events = intake_service.history(db, request_id=found.id)
    defaults = {
        "refused": None,
        "move_error": False,
        "move_reason": "",
        "move_target": "",
        "note_error": False,
        "note_text": "",
        "assign_error": False,
        "reply_error": False,
        "reply_text": "",
        "probe_error": False,
        "probe_reason": "",
        "codename_refused": False,
        "reply_refused": False,
        "probe_refused": False,
    }
    linked = intake_service.same_contact(db, requests=[found]).get(found.id, [])
    keys = runtime(request).channels
    return render.page(
        request,
        db,
        "request.html",
        status_code=status_code,
        item=request_read(found, [ref for _id, ref in linked]),
        # A codename is issued with the private intake key's half: the channel keys.
        can_issue=keys is not None and keys.intake is not None,
        plain_moves=[t for t in targets if not needs_reason(t)],
        reason_moves=[t for t in targets if needs_reason(t)],
        events=[RequestEventRead.model_validate(e) for e in events],
        names=_history_names(db, found, events),
        assignable=intake_service.assignable(db),
        open_to_work=open_to_work(current),
        # For the reveal form this page includes.
        error=False,
        reason="",
        chosen="",
        **(defaults | problems),
    )


@router.get("/requests/{request_id}")
def request_page(request: Request, request_id: str, db: DbSession, _: QueueReader) -> Response:
    """Reference, channel, days, status, assignee and history; notes, reasons, contact and
    content stay sealed."""
    return _request_page(request, db, _found(db, request_id))


def _target(status: str) -> RequestStatus:
    try:
        return RequestStatus(status)
    except ValueError:
        raise HTTPException(400, "unknown status") from None


def _confirm_move(
    request: Request, db: DbSession, found: SurrenderRequest, target: RequestStatus, reason: str
) -> Response:
    """Ask once more before a move that ends the request; the reason goes along, hidden."""
    reference = found.reference or found.id
    # The words live with the queue's other words, in its macros, in the reader's language.
    with i18n.active(render.language_of(request, db)):
        words: Any = render.env.get_template("_intake_macros.html").module
        heading = words.confirm_heading(target.value, reference)
        message = words.confirm_message(target.value)
        button = words.confirm_button(target.value)
    return render.page(
        request,
        db,
        "confirm.html",
        heading=heading,
        message=message,
        action=f"/requests/{found.id}/status",
        fields={"status": target.value, "reason": reason},
        button=button,
        cancel=f"/requests/{found.id}",
    )


@router.post("/requests/{request_id}/status")
def move_request(
    request: Request,
    request_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Mover,
    status: Annotated[str, Form(max_length=32)] = "",
    reason: TextForm = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Move a request to a status its workflow allows next; rejecting or withdrawing needs a
    reason and a confirmation. Refuse anything else."""
    found, target = _found(db, request_id), _target(status)
    if not can_move(RequestStatus(found.status), target):
        # Usually someone else moved it first: show its current state and the refusal.
        return _request_page(request, db, found, refused=target, status_code=409)
    if needs_reason(target):
        try:
            check_text(reason, field="reason")
        except TextError:
            problem = {"move_error": True, "move_reason": reason, "move_target": target.value}
            return _request_page(request, db, found, status_code=422, **problem)
        if confirm != "yes":
            return _confirm_move(request, db, found, target, reason)
    try:
        intake_service.move(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            request=found,
            status=target,
            reason=reason,
        )
    except intake_service.TransitionError:
        return _request_page(request, db, found, refused=target, status_code=409)
    # Post/redirect/get: a reload does not post the move again.
    return RedirectResponse(f"/requests/{found.id}", status_code=303)


@router.post("/requests/{request_id}/notes")
def add_note(
    request: Request,
    request_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Mover,
    text: TextForm = "",
) -> Response:
    """Add a sealed note to the request's history."""
    found = _found(db, request_id)
    try:
        intake_service.add_note(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, request=found, text=text
        )
    except TextError:
        problem = {"note_error": True, "note_text": text}
        return _request_page(request, db, found, status_code=422, **problem)
    except intake_service.ClosedToWorkError:
        return _request_page(request, db, found, status_code=409)
    return RedirectResponse(f"/requests/{found.id}#history-heading", status_code=303)


@router.post("/requests/{request_id}/assignment")
def assign_request(
    request: Request,
    request_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Mover,
    account_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Assign the request to an enabled intake account, or to no one (empty)."""
    found = _found(db, request_id)
    try:
        intake_service.assign(
            db, audit=rt.audit, actor=who.actor, request=found, account_id=account_id or None
        )
    except intake_service.AssignmentError:
        return _request_page(request, db, found, status_code=422, assign_error=True)
    except intake_service.ClosedToWorkError:
        return _request_page(request, db, found, status_code=409)
    return RedirectResponse(f"/requests/{found.id}", status_code=303)


@router.post("/requests/{request_id}/reveal")
def reveal_request(
    request: Request,
    request_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Revealer,
    purpose: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Open the contact, content, notes and reasons for a stated purpose; they appear only
    in this response."""
    found = _found(db, request_id)
    item = SurrenderRequestRead.model_validate(found)
    refused = render.refused_purpose(
        request, db, "_request_reveal_form.html", purpose, reason, item=item
    )
    if refused is not None:
        return refused
    opened = disclosure.reveal_request(
        db,
        keyring=rt.keyring,
        audit=rt.audit,
        who=who,
        request=found,
        purpose=purpose,
        reason=reason,
    )
    template = "_request_contents.html" if render.is_htmx(request) else "request_revealed.html"
    return render.page(request, db, template, item=item, opened=opened)


@router.post("/requests/{request_id}/replies")
def reply_to_applicant(
    request: Request,
    request_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Mover,
    text: TextForm = "",
) -> Response:
    """Write back to the applicant; they read it on the status page with their codename."""
    found = _found(db, request_id)
    try:
        applicant.reply(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            request=found,
            text=text,
            keys=rt.channels,
        )
    except TextError:
        problem = {"reply_error": True, "reply_text": text}
        return _request_page(request, db, found, status_code=422, **problem)
    except (intake_service.ClosedToWorkError, applicant.NoCodenameError):
        problem = {"reply_refused": True, "reply_text": text}
        return _request_page(request, db, found, status_code=409, **problem)
    return RedirectResponse(f"/requests/{found.id}#history-heading", status_code=303)


@router.post("/requests/{request_id}/codename")
def issue_codename(
    request: Request, request_id: str, db: DbSession, rt: RuntimeDep, who: Mover
) -> Response:
    """Issue the caller's codename and receipt, and show them once, in this answer only
    (never in an address): the officer reads them out."""
    found = _found(db, request_id)
    try:
        issued = applicant.issue_codename(
            db, keyring=rt.keyring, keys=rt.channels, audit=rt.audit, actor=who.actor,
            request=found,
        )  # fmt: skip
    except (
        intake_service.ClosedToWorkError,
        applicant.NoCodenameError,
        applicant.ChannelsNotConfiguredError,
    ):
        return _request_page(request, db, found, status_code=409, codename_refused=True)
    return render.page(
        request,
        db,
        "request_codename.html",
        item=request_read(found),
        issued=issued,
    )


def _confirm_probe(
    request: Request, db: DbSession, found: SurrenderRequest, suspected: bool, reason: str
) -> Response:
    """Ask once more before the flag changes; the reason goes along, hidden."""
    reference = found.reference or found.id
    with i18n.active(render.language_of(request, db)):
        words: Any = render.env.get_template("_intake_macros.html").module
        heading = words.probe_heading(suspected, reference)
        message = words.probe_message(suspected)
        button = words.probe_button(suspected)
    return render.page(
        request,
        db,
        "confirm.html",
        heading=heading,
        message=message,
        action=f"/requests/{found.id}/probe",
        fields={"suspected": "yes" if suspected else "no", "reason": reason},
        button=button,
        cancel=f"/requests/{found.id}",
    )


@router.post("/requests/{request_id}/probe")
def flag_probe(
    request: Request,
    request_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Mover,
    suspected: Annotated[str, Form(pattern="^(yes|no)$")] = "yes",
    reason: TextForm = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Flag the request as a suspected probe, or clear the flag: with a reason, after a
    confirmation."""
    found = _found(db, request_id)
    flag = suspected == "yes"
    try:
        check_text(reason, field="reason")
    except TextError:
        problem = {"probe_error": True, "probe_reason": reason}
        return _request_page(request, db, found, status_code=422, **problem)
    if found.suspected_probe == flag or not open_to_work(RequestStatus(found.status)):
        # Usually someone else changed it first: show the request as it is now.
        return _request_page(request, db, found, status_code=409, probe_refused=True)
    if confirm != "yes":
        return _confirm_probe(request, db, found, flag, reason)
    try:
        intake_service.flag_probe(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, request=found,
            suspected=flag, reason=reason,
        )  # fmt: skip
    except intake_service.TransitionError:
        return _request_page(request, db, found, status_code=409, probe_refused=True)
    return RedirectResponse(f"/requests/{found.id}", status_code=303)

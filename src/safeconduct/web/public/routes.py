"""The public pages: the surrender form and its receipt, the status page reached with a
codename, the official channels, the check of a signed text, the report of a fake channel,
and the published keys. No JavaScript, no cookies, nothing from elsewhere.

Every form carries a honeypot field (`website`) people never see; a form that comes back
with it filled is refused before anything is stored or audited. The codename travels only
in POST bodies, never in a URL, and every answer to a POST that takes one takes the same
time whether it opened something or not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from safeconduct.channels import limits, official, service
from safeconduct.channels.models import PublicStatus, SubmissionKind, Ticket, TicketKind
from safeconduct.channels.policy import FieldError, check_fields
from safeconduct.db import utcnow
from safeconduct.inquiries import policy as inquiry_policy
from safeconduct.inquiries import service as inquiries
from safeconduct.intake.models import Channel
from safeconduct.runtime import PublicRuntime
from safeconduct.web.public.deps import PublicDb, PublicRt, public_runtime
from safeconduct.web.public.render import language_of, page
from safeconduct.web.public.throttle import client_limit

router = APIRouter()

# Every answer to a POST that takes a codename takes at least this long, found or not:
# its timing tells nothing.
STATUS_FLOOR_SECONDS = 0.25
# Every post counts against its client's window (see throttle): 429 beyond it.
LIMITED = [Depends(client_limit)]
# Bounded before any rule runs, so a huge field is refused unscanned.
Short = Annotated[str, Form(max_length=1000)]
Long = Annotated[str, Form(max_length=20_000)]
RECEIPT_FILE = "safeconduct-receipt.txt"
T = TypeVar("T")


def _refused(request: Request, lang: str) -> HTMLResponse:
    """The answer to a form whose honeypot was filled: nothing stored, nothing audited."""
    return page(request, "refused.html", language=lang, status_code=400)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return page(request, "home.html")


@router.get("/request", response_class=HTMLResponse)
def request_form(request: Request) -> HTMLResponse:
    return page(request, "request.html", values={}, problem=None)


@router.post("/request", dependencies=LIMITED, response_class=HTMLResponse)
def request_submit(
    request: Request,
    prt: PublicRt,
    contact: Short = "",
    place: Short = "",
    language: Short = "",
    message: Long = "",
    lang: Short = "",
    website: Short = "",
) -> HTMLResponse:
    if website:
        return _refused(request, lang)
    values = {"contact": contact, "place": place, "language": language, "message": message}
    try:
        fields = check_fields(contact, place, language or lang or None, message)
    except FieldError as exc:
        return page(request, "request.html", language=lang, status_code=422,
                    values=values, problem=exc.field)  # fmt: skip
    # Committed (on disk) before the page is rendered: the audit head's lock is held for
    # the submission only, and the receipt is shown only for what was stored.
    with prt.transaction() as db:
        issued = service.submit(
            db, keys=prt.channels, audit=prt.audit, channel=Channel.WEB_FORM, fields=fields
        )
    return page(request, "receipt.html", language=lang, issued=issued)


@router.post("/receipt", dependencies=LIMITED, response_model=None)
def receipt_file(
    request: Request, prt: PublicRt, receipt: Long = "", lang: Short = "", website: Short = ""
) -> Response:
    """The signed receipt as a file to keep. Only a receipt that verifies is echoed back,
    so this is no way to have the site serve any text as a download. The codename is not
    in it: a file on a phone is found by whoever holds the phone."""
    checked = official.inspect(receipt, prt.channels.published)
    if website or not checked.ok or checked.kind != official.StatementKind.RECEIPT:
        return _refused(request, lang)
    return PlainTextResponse(
        receipt.replace("\r\n", "\n").strip() + "\n",
        headers={"Content-Disposition": f'attachment; filename="{RECEIPT_FILE}"'},
    )


# Family inquiries ----------------------------------------------------------------------

RELATIONSHIPS = [r.value for r in inquiry_policy.Relationship]


@router.get("/inquiry", response_class=HTMLResponse)
def inquiry_form(request: Request) -> HTMLResponse:
    return page(request, "inquiry.html", values={}, problem=None, relationships=RELATIONSHIPS)


@router.post("/inquiry", dependencies=LIMITED, response_class=HTMLResponse)
def inquiry_submit(
    request: Request,
    prt: PublicRt,
    surname: Short = "",
    given_name: Short = "",
    patronymic: Short = "",
    date_of_birth: Short = "",
    place_last_seen: Short = "",
    contact: Short = "",
    relationship: Short = "",
    language: Short = "",
    lang: Short = "",
    website: Short = "",
) -> HTMLResponse:
    """A family asks about someone. There is no search here and nothing is answered now:
    the answer is read later with the codename, on a day that tells nothing."""
    if website:
        return _refused(request, lang)
    values = {"surname": surname, "given_name": given_name, "patronymic": patronymic,
              "date_of_birth": date_of_birth, "place_last_seen": place_last_seen,
              "contact": contact, "relationship": relationship,
              "language": language or language_of(request, lang)}  # fmt: skip
    try:
        fields = inquiry_policy.check_fields(values)
    except FieldError as exc:
        return page(request, "inquiry.html", language=lang, status_code=422, values=values,
                    problem=exc.field, relationships=RELATIONSHIPS)  # fmt: skip
    # Per contact as well as per client: one family asking for many names is a prober.
    rule = limits.configured(request.app.state).contact
    bucket = limits.contact_bucket(prt.channels.secret, fields.contact)
    limits.count(prt, bucket=bucket, rule=rule, now=utcnow())
    with prt.transaction() as db:
        issued = inquiries.submit(
            db, keys=prt.channels, audit=prt.audit, channel=Channel.WEB_FORM, fields=fields
        )
    return page(request, "inquiry_receipt.html", language=lang, issued=issued)


# Status ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusView:
    reference: str
    status: str
    replies: list[service.Reply]
    kind: str = TicketKind.REQUEST.value
    # An inquiry's answers on the ladder, once their release day has come.
    answers: tuple[dict[str, str], ...] = ()


def _view(ticket: Ticket, replies: list[service.Reply]) -> StatusView:
    answers: list[dict[str, str]] = []
    texts: list[service.Reply] = []
    for reply in replies:
        answer = inquiry_policy.read_answer(reply.text)
        if answer is None:
            texts.append(reply)
        else:
            answers.append(answer)
    return StatusView(ticket.reference, ticket.public_status, texts, ticket.kind, tuple(answers))


@dataclass(frozen=True)
class Written:
    """What writing again came to: nothing found (view None), sent, or a bad message."""

    view: StatusView | None
    sent: bool = False
    problem: str | None = None


async def _at_floor(work: Callable[..., T], *args: object) -> T:
    """Run a codename's work off the event loop and answer no sooner than the floor."""
    started = time.monotonic()
    try:
        return await run_in_threadpool(work, *args)
    finally:
        await asyncio.sleep(max(0.0, STATUS_FLOOR_SECONDS - (time.monotonic() - started)))


def _status_view(prt: PublicRuntime, typed: str) -> StatusView | None:
    with prt.sessions() as db:
        ticket = service.find_ticket(db, keys=prt.channels, typed=typed)
        if ticket is None:
            return None
        return _view(ticket, service.read_replies(db, ticket=ticket, typed=typed))


def _write_again(prt: PublicRuntime, typed: str, text: str) -> Written:
    with prt.transaction() as db:
        ticket = service.find_ticket(db, keys=prt.channels, typed=typed)
        if ticket is None:
            return Written(None)
        sent, problem = False, None
        writable = ticket.kind != TicketKind.INQUIRY.value
        if writable and ticket.public_status != PublicStatus.CLOSED.value:
            try:
                service.write_again(
                    db, keys=prt.channels, audit=prt.audit, ticket=ticket, text=text
                )
                sent = True
            except FieldError as exc:  # checked before anything is written
                problem = exc.field
        replies = service.read_replies(db, ticket=ticket, typed=typed)
        return Written(_view(ticket, replies), sent, problem)


@router.get("/status", response_class=HTMLResponse)
def status_form(request: Request) -> HTMLResponse:
    return page(request, "status.html", view=None, asked=False)


@router.post("/status", dependencies=LIMITED, response_class=HTMLResponse)
async def status_lookup(
    request: Request, codename: Short = "", lang: Short = "", website: Short = ""
) -> HTMLResponse:
    if website:
        return _refused(request, lang)
    view = await _at_floor(_status_view, public_runtime(request), codename)
    # The codename goes back only into the form that writes again (a POST body), never a URL.
    kept = codename if view is not None else ""
    return page(request, "status.html", language=lang, view=view, asked=True,
                codename=kept, sent=False, problem=None)  # fmt: skip


@router.post("/status/message", dependencies=LIMITED, response_class=HTMLResponse)
async def status_message(
    request: Request,
    codename: Short = "",
    message: Long = "",
    lang: Short = "",
    website: Short = "",
) -> HTMLResponse:
    """Write again. A wrong codename gets the same answer, in the same time, as on /status;
    a closed request takes nothing more."""
    if website:
        return _refused(request, lang)
    written = await _at_floor(_write_again, public_runtime(request), codename, message)
    found = written.view is not None
    return page(request, "status.html", language=lang, view=written.view, asked=True,
                codename=codename if found else "", sent=written.sent, problem=written.problem,
                status_code=422 if written.problem else 200)  # fmt: skip


# Authenticity ------------------------------------------------------------------------


@router.get("/official", response_class=HTMLResponse)
def official_channels(request: Request, db: PublicDb, prt: PublicRt) -> HTMLResponse:
    listed = official.official_list(
        db, signer=prt.channels.signer, public_url=prt.settings.public_url
    )
    return page(request, "official.html", official=listed)


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request) -> HTMLResponse:
    return page(request, "verify.html", result=None)


@router.post("/verify", dependencies=LIMITED, response_class=HTMLResponse)
def verify_statement(
    request: Request, prt: PublicRt, statement: Long = "", lang: Short = "", website: Short = ""
) -> HTMLResponse:
    if website:
        return _refused(request, lang)
    result = official.inspect(statement, prt.channels.published)
    return page(request, "verify.html", language=lang, result=result)


@router.get("/report-clone", response_class=HTMLResponse)
def clone_form(request: Request) -> HTMLResponse:
    return page(request, "report_clone.html", values={}, problem=None)


@router.post("/report-clone", dependencies=LIMITED, response_class=HTMLResponse)
def clone_report(
    request: Request,
    db: PublicDb,
    prt: PublicRt,
    seen: Short = "",
    message: Long = "",
    lang: Short = "",
    website: Short = "",
) -> HTMLResponse:
    """A suspected clone, taken in like a request: the address seen stands where a contact
    would, so two reports of one clone are marked as the same by the blind index."""
    if website:
        return _refused(request, lang)
    try:
        fields = check_fields(seen, "", language_of(request, lang), message)
    except FieldError as exc:
        field = "seen" if exc.field == "contact" else exc.field
        return page(request, "report_clone.html", language=lang, status_code=422,
                    values={"seen": seen, "message": message}, problem=field)  # fmt: skip
    issued = service.submit(
        db,
        keys=prt.channels,
        audit=prt.audit,
        channel=Channel.WEB_FORM,
        fields=fields,
        kind=SubmissionKind.CLONE_REPORT,
    )
    return page(request, "clone_receipt.html", language=lang, issued=issued)


@router.get("/.well-known/safeconduct-keys.json")
def published_keys(prt: PublicRt) -> JSONResponse:
    """The public keys, current and retired, with their validity periods."""
    return JSONResponse({"keys": [k.as_json() for k in prt.channels.published]})

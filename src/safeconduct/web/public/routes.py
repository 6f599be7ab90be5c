"""The public pages: the surrender form, its receipt, the status page reached with a
codename, and the published keys. No JavaScript, no cookies, nothing from elsewhere."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from safeconduct.channels import service
from safeconduct.channels.policy import FieldError, check_fields
from safeconduct.intake.models import Channel
from safeconduct.runtime import PublicRuntime
from safeconduct.web.public.deps import PublicDb, PublicRt, public_runtime
from safeconduct.web.public.render import page

router = APIRouter()

# Every status answer takes at least this long, found or not: its timing tells nothing.
STATUS_FLOOR_SECONDS = 0.25
# Bounded before any rule runs, so a huge field is refused unscanned.
Short = Annotated[str, Form(max_length=1000)]
Long = Annotated[str, Form(max_length=20_000)]


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return page(request, "home.html")


@router.get("/request", response_class=HTMLResponse)
def request_form(request: Request) -> HTMLResponse:
    return page(request, "request.html", values={}, problem=None)


@router.post("/request", response_class=HTMLResponse)
def request_submit(
    request: Request,
    db: PublicDb,
    prt: PublicRt,
    contact: Short = "",
    place: Short = "",
    language: Short = "",
    message: Long = "",
    lang: Short = "",
) -> HTMLResponse:
    values = {"contact": contact, "place": place, "language": language, "message": message}
    try:
        fields = check_fields(contact, place, language or lang or None, message)
    except FieldError as exc:
        return page(request, "request.html", language=lang, status_code=422,
                    values=values, problem=exc.field)  # fmt: skip
    issued = service.submit(
        db, keys=prt.channels, audit=prt.audit, channel=Channel.WEB_FORM, fields=fields
    )
    return page(request, "receipt.html", language=lang, issued=issued)


@router.get("/status", response_class=HTMLResponse)
def status_form(request: Request) -> HTMLResponse:
    return page(request, "status.html", view=None, asked=False)


@dataclass(frozen=True)
class StatusView:
    reference: str
    status: str
    replies: list[service.Reply]


def _status_view(prt: PublicRuntime, typed: str) -> StatusView | None:
    with prt.sessions() as db:
        ticket = service.find_ticket(db, keys=prt.channels, typed=typed)
        if ticket is None:
            return None
        replies = service.read_replies(db, ticket=ticket, typed=typed)
        return StatusView(ticket.reference, ticket.public_status, replies)


@router.post("/status", response_class=HTMLResponse)
async def status_lookup(request: Request, codename: Short = "", lang: Short = "") -> HTMLResponse:
    started = time.monotonic()
    view = await run_in_threadpool(_status_view, public_runtime(request), codename)
    await asyncio.sleep(max(0.0, STATUS_FLOOR_SECONDS - (time.monotonic() - started)))
    # The codename goes back only into the form that writes again (a POST body), never a URL.
    return page(request, "status.html", language=lang, view=view, asked=True,
                codename=codename if view is not None else "")  # fmt: skip


@router.get("/.well-known/safeconduct-keys.json")
def published_keys(prt: PublicRt) -> JSONResponse:
    """The public keys, current and retired, with their validity periods."""
    return JSONResponse({"keys": [k.as_json() for k in prt.channels.published]})

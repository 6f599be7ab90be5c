"""The admin's integrations pages: bots and phone lines allowed to post to the public face.

One page lists them (name, kind, handle, the day made and disabled, the secret's version;
never a secret) with the form for a new one. A new integration's secret, or a rotated one,
is shown once, on the answer to the POST that made it: never in an address, never again.
Rotating and disabling ask first (confirm.html), like every change to an account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.channels import integrations
from safeconduct.channels.models import Integration, IntegrationKind
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.runtime import ChannelKeys, Runtime
from safeconduct.web.ui import i18n, render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
# Managing the platforms that may post requests is the admin's, like managing accounts.
Admin = Annotated[Principal, Depends(Requires(Permission.ACCOUNT_MANAGE))]
Confirm = Annotated[str, Form(max_length=8)]
DONE = frozenset({"disabled"})
KINDS = tuple(k.value for k in IntegrationKind)


def _integration(db: Session, integration_id: str) -> Integration:
    integration = db.get(Integration, integration_id)
    if integration is None:
        raise HTTPException(404, "integration not found")
    return integration


def _keys(rt: Runtime) -> ChannelKeys:
    if rt.channels is None:
        raise HTTPException(409, "the channel keys are not configured")
    return rt.channels


def _page(
    request: Request,
    db: Session,
    *,
    status_code: int = 200,
    wrong: str | None = None,
    typed: dict[str, str] | None = None,
    shown: integrations.Made | None = None,
    done: str | None = None,
) -> Response:
    return render.page(
        request,
        db,
        "integrations.html",
        status_code=status_code,
        integrations=integrations.list_(db),
        kinds=KINDS,
        wrong=wrong,
        typed=typed or {"name": "", "kind": IntegrationKind.WEBHOOK.value, "handle": ""},
        shown=shown,
        done=done if done in DONE else None,
    )


def _confirm(request: Request, db: Session, integration: Integration, action: str) -> Response:
    """The confirmation page, in the reader's words (macros of _integrations_macros.html)."""
    texts = render.env.get_template("_integrations_macros.html").module
    with i18n.active(render.language_of(request, db)):
        parts: dict[str, Markup] = {
            part: texts.confirm_text(part, action, integration.name)  # type: ignore[attr-defined]
            for part in ("heading", "message", "button")
        }
    return render.page(
        request,
        db,
        "confirm.html",
        action=f"/integrations/{integration.id}/{action}",
        fields={},
        cancel="/integrations",
        heading=parts["heading"],
        message=parts["message"],
        button=parts["button"],
    )


@router.get("/integrations")
def integrations_page(
    request: Request,
    db: DbSession,
    _: Admin,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    return _page(request, db, done=done)


@router.post("/integrations")
def add_integration(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    name: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=16)] = "",
    handle: Annotated[str, Form(max_length=200)] = "",
    bot_token: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Make an integration and show its secret, on this answer only. A wrong field is
    named and what was typed is kept (never the bot token)."""
    typed = {"name": name.strip(), "kind": kind, "handle": handle}
    if kind not in KINDS:
        return _page(request, db, status_code=422, wrong="kind", typed=typed)
    try:
        made = integrations.add(db, secret=_keys(rt).secret, audit=rt.audit, actor=who.actor,
                                name=typed["name"], kind=IntegrationKind(kind), handle=handle,
                                bot_token=bot_token.strip() or None)  # fmt: skip
    except integrations.IntegrationError as exc:
        return _page(request, db, status_code=422, wrong=exc.field, typed=typed)
    return _page(request, db, status_code=201, shown=made)


@router.post("/integrations/{integration_id}/rotate")
def rotate_secret(
    integration_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    confirm: Confirm = "",
) -> Response:
    """Give an integration a new secret, shown once; the old one stops working at once."""
    integration = _integration(db, integration_id)
    if integration.disabled_on is not None:
        return _page(request, db, status_code=409, wrong="disabled")
    if confirm != "yes":
        return _confirm(request, db, integration, "rotate")
    made = integrations.rotate_secret(db, secret=_keys(rt).secret, audit=rt.audit,
                                      actor=who.actor, integration=integration)  # fmt: skip
    return _page(request, db, status_code=201, shown=made)


@router.post("/integrations/{integration_id}/disable")
def disable_integration(
    integration_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    confirm: Confirm = "",
) -> Response:
    """Stop an integration: its endpoint answers 404 from now on."""
    integration = _integration(db, integration_id)
    if integration.disabled_on is not None:
        return _page(request, db, status_code=409, wrong="disabled")
    if confirm != "yes":
        return _confirm(request, db, integration, "disable")
    integrations.disable(db, audit=rt.audit, actor=who.actor, integration=integration)
    # Post/redirect/get: a reload does not repeat it; the address names no integration.
    return RedirectResponse("/integrations?done=disabled", status_code=303)

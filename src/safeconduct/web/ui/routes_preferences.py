"""An operator's own preferences (language, time zone), and the site's icon."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from safeconduct.accounts import preferences
from safeconduct.accounts import service as accounts
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, runtime
from safeconduct.web.ui import formats, i18n, render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Public = Annotated[None, Depends(Requires(None))]
Self = Annotated[Principal, Depends(Requires(Permission.SELF))]
# Longer than any zone name, so that a wrong one comes back in the form, named, not as 400.
ZoneField = Annotated[str, Form(max_length=200)]
ICON = Path(__file__).parent / "static" / "favicon.ico"
# The site's own zone, chosen in the select as "no zone of my own".
DEPLOYMENT = ""


def _form(
    request: Request,
    db: DbSession,
    *,
    language: str,
    zone: str,
    other: str,
    error: str | None = None,
    saved: bool = False,
) -> Response:
    return render.page(
        request,
        db,
        "preferences.html",
        status_code=422 if error else 200,
        chosen_language=language,
        chosen_zone=zone,
        other_zone=other,
        zones=[(name, formats.offset(name)) for name in formats.COMMON_ZONES],
        deployment_zone=runtime(request).settings.time_zone,
        error=error,
        saved=saved,
    )


@router.get("/preferences")
def preferences_page(request: Request, db: DbSession, who: Self) -> Response:
    """Show the account's language and time zone, ready to change."""
    account = db.get(Account, who.account_id)
    mine = (account.time_zone if account is not None else None) or DEPLOYMENT
    listed = mine in formats.COMMON_ZONES
    return _form(
        request,
        db,
        language=account.language if account is not None else i18n.DEFAULT.value,
        zone=mine if listed else DEPLOYMENT,
        other="" if listed else mine,
        saved=request.query_params.get("saved") == "1",
    )


@router.post("/preferences")
def save_preferences(
    request: Request,
    db: DbSession,
    who: Self,
    language: Annotated[str, Form(max_length=8)] = "",
    zone: ZoneField = DEPLOYMENT,
    other_zone: ZoneField = "",
) -> Response:
    """Save both or neither: a zone typed in full wins over the one chosen in the list."""
    typed = other_zone.strip()
    chosen = typed or zone
    error = None
    if i18n.pick(language) != language:
        error = "language"
    elif chosen != DEPLOYMENT and not preferences.is_zone(chosen):
        error = "other_zone" if typed else "zone"
    if error is not None:
        return _form(request, db, language=language, zone=zone, other=other_zone, error=error)
    accounts.set_language(db, account_id=who.account_id, language=language)
    preferences.set_time_zone(db, account_id=who.account_id, time_zone=chosen or None)
    return RedirectResponse("/preferences?saved=1", status_code=303)


@router.get("/favicon.ico")
def favicon(_: Public) -> FileResponse:
    """The site's icon where browsers look for it unasked (the pages link the SVG one)."""
    # Public and the same for everyone: unlike a page, it may be kept in a cache.
    headers = {"Cache-Control": "public, max-age=86400"}
    return FileResponse(ICON, media_type="image/x-icon", headers=headers)

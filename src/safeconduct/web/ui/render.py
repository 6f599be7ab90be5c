"""Render pages and fragments: Jinja2 with autoescape and gettext, in the reader's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.orm import Session

from safeconduct.accounts import sessions
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import ROLE_PERMISSIONS
from safeconduct.accounts.service import Principal
from safeconduct.disclosure.policy import (
    APPROVAL_GATED,
    Purpose,
    PurposeError,
    stated_purpose,
)
from safeconduct.http.auth import SESSION_COOKIE
from safeconduct.http.deps import runtime
from safeconduct.web.ui import formats, i18n

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "sc_lang"
# Each language named in itself, so a reader finds their own whatever the page shows.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "uk": "Українська"}

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default_for_string=True),
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]


@pass_context
def _moment(context: Context, value: Any) -> Markup:
    return formats.moment(value, language=context["lang"], time_zone=context["time_zone"])


env.filters["day"] = formats.day
env.filters["moment"] = _moment


def principal_of(request: Request) -> Principal | None:
    """Return the principal `Requires` established, if any."""
    who = getattr(request.state, "principal", None)
    return who if isinstance(who, Principal) else None


def language_of(request: Request, db: Session | None) -> str:
    """The account's language; before login: `lang` query, then cookie, then the browser."""
    who = principal_of(request)
    if who is not None and db is not None:
        account = db.get(Account, who.account_id)
        if account is not None and account.language in i18n.SUPPORTED:
            return account.language
    return (
        i18n.pick(request.query_params.get("lang"))
        or i18n.pick(request.cookies.get(LANG_COOKIE))
        or i18n.from_accept_language(request.headers.get("accept-language"))
        or i18n.DEFAULT.value
    )


def time_zone_of(request: Request, db: Session | None) -> str | None:
    """The account's own time zone, if it chose one."""
    who = principal_of(request)
    if who is None or db is None:
        return None
    account = db.get(Account, who.account_id)
    return account.time_zone if account is not None else None


def _base_context(request: Request, language: str, time_zone: str | None) -> dict[str, Any]:
    who = principal_of(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    can = set() if who is None or who.enrolment_only else ROLE_PERMISSIONS[who.role]
    # Without an approval, no reveal form or approval link is offered: it would be refused.
    withheld = can & APPROVAL_GATED if who is not None and not who.sealed_approved else set()
    return {
        "lang": language,
        "user": who,
        "can": {p.value for p in can - withheld},
        "awaiting_approval": bool(withheld),
        # What the account waits to use, so the page can say which (sealed values, approving).
        "withheld": {p.value for p in withheld},
        "csrf": sessions.csrf_token(cookie) if who is not None and cookie else None,
        "path": request.url.path,
        "purposes": list(Purpose),
        "languages": sorted(i18n.SUPPORTED),
        "language_names": LANGUAGE_NAMES,
        "time_zone": formats.zone(time_zone, runtime(request).settings.time_zone),
    }


def page(
    request: Request,
    db: Session | None,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a template into an HTML response in the reader's language."""
    language = language_of(request, db)
    values = _base_context(request, language, time_zone_of(request, db)) | context
    with i18n.active(language):
        html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def refused_purpose(
    request: Request, db: Session, form: str, purpose: str, reason: str, **context: Any
) -> HTMLResponse | None:
    """Check a reveal's purpose before anything is opened or audited: None when it stands,
    else the form again, marked wrong, with 422."""
    try:
        stated_purpose(purpose, reason)
    except PurposeError:
        return page(
            request, db, form, status_code=422, error=True, reason=reason, chosen=purpose, **context
        )
    return None

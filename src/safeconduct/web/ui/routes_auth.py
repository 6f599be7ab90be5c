"""Log in, set up an account with its invitation, enrol the second factor, switch language,
log out; `/` goes to the role's home."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from safeconduct.accounts import login as logins
from safeconduct.accounts import service as accounts
from safeconduct.accounts import sessions, totp
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import MIN_PASSWORD, Permission, Role
from safeconduct.accounts.service import Principal
from safeconduct.db import utcnow
from safeconduct.http.auth import SESSION_COOKIE, Requires, login_client
from safeconduct.http.cookies import clear_session_cookie, set_session_cookie
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.web.ui import i18n, render
from safeconduct.web.ui.guard import csrf_form, local_path

router = APIRouter(dependencies=[Depends(csrf_form)])
Public = Annotated[None, Depends(Requires(None))]
Self = Annotated[Principal, Depends(Requires(Permission.SELF, during_enrolment=True))]
Client = Annotated[str, Depends(login_client)]
ShortField = Annotated[str, Form(max_length=200)]
# Long enough that a malformed code reaches the service, to be counted and audited.
CodeField = Annotated[str, Form(max_length=64)]

HOMES: dict[Role, str] = {
    Role.INTAKE: "/requests",
    Role.AUDITOR: "/audit",
    Role.ADMIN: "/accounts",
}


def home_for(role: Role) -> str:
    """Return the first page a role works on."""
    return HOMES.get(role, "/people")


def _see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/")
def root(request: Request, db: DbSession, _: Public) -> Response:
    """Send the browser to the login page or to its role's home page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    who = sessions.resolve_session(db, token=cookie) if cookie else None
    if who is None:
        return _see_other("/login")
    return _see_other("/enrol" if who.enrolment_only else home_for(who.role))


@router.get("/login")
def login_page(request: Request, db: DbSession, _: Public) -> Response:
    response = render.page(request, db, "login.html", error=False)
    chosen = i18n.pick(request.query_params.get("lang"))
    if chosen is not None:
        response.set_cookie(
            render.LANG_COOKIE,
            chosen,
            max_age=365 * 86400,
            httponly=True,
            secure=True,
            samesite="strict",
        )
    return response


def _refused(request: Request, db: DbSession, template: str, exc: Exception) -> Response:
    """The page again, saying why only when that tells nothing about the account."""
    if isinstance(exc, logins.ThrottledError):
        response = render.page(request, db, template, status_code=429, error="throttled")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, logins.MalformedCodeError):
        return render.page(request, db, template, status_code=422, error="code")
    if isinstance(exc, logins.InvitationRefusedError):
        return render.page(request, db, template, status_code=400, error="invalid")
    return render.page(request, db, template, status_code=401, error="invalid")


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    client: Client,
    _: Public,
    username: Annotated[str, Form(max_length=64)] = "",
    password: ShortField = "",
    code: CodeField = "",
) -> Response:
    """Check password and TOTP code; open a session (SameSite=Strict, HttpOnly, Secure)."""
    try:
        account = logins.authenticate(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            client=client,
            username=username.strip(),
            password=password,
            code=code.strip() or None,
        )
    except logins.LoginRefusedError as exc:
        # A page, not an exception: the transaction commits the failure count and its audit.
        return _refused(request, db, "login.html", exc)
    return _start(db, account)


def _start(db: DbSession, account: Account) -> Response:
    """Open a session; one not yet enrolled goes to enrolment, and nowhere else."""
    token, row = sessions.start_session(db, account=account)
    response = _see_other("/enrol" if row.enrolment_only else home_for(Role(account.role)))
    set_session_cookie(response, token)
    return response


@router.get("/invitation")
def invitation_page(request: Request, db: DbSession, _: Public) -> Response:
    """The form where a new account's holder enters the code they were given."""
    return render.page(request, db, "invitation.html", error=False)


@router.post("/invitation")
def accept_invitation(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    client: Client,
    _: Public,
    code: CodeField = "",
    password: ShortField = "",
    repeat: ShortField = "",
) -> Response:
    """Set one's own password with the invitation code, then enrol the second factor. The
    code travels in the form body only, never in a URL that a log could keep."""
    if password != repeat or len(password) < MIN_PASSWORD:
        return render.page(request, db, "invitation.html", status_code=422, error="password")
    try:
        account = logins.redeem(
            db, keyring=rt.keyring, audit=rt.audit, client=client, code=code, password=password
        )
    except logins.LoginRefusedError as exc:
        return _refused(request, db, "invitation.html", exc)
    return _start(db, account)


def _qr_svg(uri: str, label: str) -> str:
    # Rendered here, never by an outside service; an image with a name for screen readers.
    svg = segno.make(uri, error="m").svg_inline(scale=5, title=label)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _enrol_page(
    request: Request, db: DbSession, rt: RuntimeDep, account: Account, *, error: bool
) -> Response:
    secret = totp.secret(db, keyring=rt.keyring, account=account)
    uri = totp.provisioning_uri(secret, account.username)
    with i18n.active(render.language_of(request, db)):
        label = i18n.gettext_("QR code for your authenticator app")
    return render.page(
        request,
        db,
        "enrol.html",
        status_code=400 if error else 200,
        qr=_qr_svg(uri, label),
        secret=secret,
        error=error,
    )


@router.get("/enrol")
def enrol_page(request: Request, db: DbSession, rt: RuntimeDep, who: Self) -> Response:
    """Show the enrolment QR code until the second factor is confirmed."""
    account = db.get(Account, who.account_id)
    if account is None or account.totp_enrolled_at is not None:
        return _see_other(home_for(who.role))
    return _enrol_page(request, db, rt, account, error=False)


@router.post("/enrol")
def enrol(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Self,
    code: CodeField = "",
) -> Response:
    """Confirm the second factor with a first code, then open the full session."""
    account = db.get(Account, who.account_id)
    if account is None or account.totp_enrolled_at is not None:
        return _see_other(home_for(who.role))
    if not totp.enrol(
        db,
        keyring=rt.keyring,
        audit=rt.audit,
        actor=who.actor,
        account=account,
        code=code.strip(),
        now=utcnow(),
    ):
        return _enrol_page(request, db, rt, account, error=True)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.finish_enrolment(db, token=cookie)
    return _see_other(home_for(who.role))


@router.post("/logout")
def logout(request: Request, db: DbSession, _: Self) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.end_session(db, token=cookie)
    response = _see_other("/login")
    clear_session_cookie(response)
    return response


@router.post("/language")
def language(
    db: DbSession,
    who: Self,
    language: Annotated[str, Form(max_length=8)] = "",
    next_page: Annotated[str, Form(alias="next", max_length=300)] = "/",
) -> Response:
    """Remember the account's language and go back to the page it was chosen on."""
    chosen = i18n.pick(language)
    if chosen is not None:
        accounts.set_language(db, account_id=who.account_id, language=chosen)
    return _see_other(local_path(next_page, home_for(who.role)))

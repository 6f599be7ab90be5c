"""`/api/v1/auth`: login, invitations, the second factor, language and one's own tokens.
The admin's `/api/v1/accounts` routes live in `api_admin`, the auditor's approvals of
accounts for sealed values in `api_approvals`."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError

from safeconduct.accounts import login as logins
from safeconduct.accounts import passwords, service, sessions, throttle, tokens, totp
from safeconduct.accounts.api_admin import accounts_router
from safeconduct.accounts.api_approvals import approvals_router
from safeconduct.accounts.models import Account, ApiToken
from safeconduct.accounts.policy import Permission, Role
from safeconduct.accounts.schemas import (
    EnrolRequest,
    InvitationAccept,
    LanguageRequest,
    LoginRequest,
    Me,
    TokenCreate,
    TokenIssued,
    TokenRead,
)
from safeconduct.accounts.service import Principal
from safeconduct.db import utcnow
from safeconduct.http.auth import SESSION_COOKIE, Requires, login_client
from safeconduct.http.cookies import set_session_cookie
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors

__all__ = ["accounts_router", "approvals_router", "auth_router"]

auth_router = APIRouter(prefix="/auth", tags=["auth"], responses=GUARDED)
Public = Annotated[None, Depends(Requires(None))]
Client = Annotated[str, Depends(login_client)]
Enrolling = Annotated[Principal, Depends(Requires(Permission.SELF, during_enrolment=True))]
Self = Annotated[Principal, Depends(Requires(Permission.SELF))]
SessionSelf = Annotated[Principal, Depends(Requires(Permission.SELF, session_only=True))]


def _me(who: Principal, cookie: str | None) -> Me:
    return Me(
        username=who.username,
        role=who.role,
        enrolment_required=who.enrolment_only,
        csrf_token=sessions.csrf_token(cookie) if cookie else None,
    )


def _field_error(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


def refusal(exc: logins.LoginRefusedError) -> Exception:
    """The answer to a refused login or invitation: 429 with Retry-After when throttled,
    422 for a malformed code whatever the password, else one message for every cause."""
    if isinstance(exc, logins.ThrottledError):
        return HTTPException(
            429, "too many attempts: try again later", {"Retry-After": str(exc.retry_after)}
        )
    if isinstance(exc, logins.MalformedCodeError):
        return _field_error("code", "must be six digits 0-9")
    if isinstance(exc, logins.InvitationRefusedError):
        return HTTPException(400, "code: unknown, used or expired")
    return HTTPException(401, str(exc))


def _open_session(response: Response, db: DbSession, account: Account) -> Me:
    token, row = sessions.start_session(db, account=account)
    set_session_cookie(response, token)
    who = Principal(
        account.id, account.username, Role(account.role), enrolment_only=row.enrolment_only
    )
    return _me(who, token)


@auth_router.post("/login", response_model=Me, responses=errors(401, 429))
def login(
    body: LoginRequest,
    response: Response,
    db: DbSession,
    rt: RuntimeDep,
    client: Client,
    _: Public,
) -> Me:
    """Log in with password and TOTP code; sets the session cookie. Before enrolment the
    password alone opens a session that may only enrol the second factor."""
    try:
        account = logins.authenticate(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            client=client,
            username=body.username,
            password=body.password,
            code=body.code or None,
        )
    except logins.LoginRefusedError as exc:
        db.commit()  # keep the failure count and its audit entry
        raise refusal(exc) from None
    return _open_session(response, db, account)


@auth_router.post("/invitation", response_model=Me, responses=errors(400, 429))
def accept_invitation(
    body: InvitationAccept,
    response: Response,
    db: DbSession,
    rt: RuntimeDep,
    client: Client,
    _: Public,
) -> Me:
    """Set up one's own account with its invitation code: set the password, then enrol the
    second factor in the session this opens (`/auth/totp/qr`, `/auth/totp/enrol`)."""
    try:
        account = logins.redeem(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            client=client,
            code=body.code,
            password=body.password,
        )
    except logins.LoginRefusedError as exc:
        db.commit()  # keep the failure count and its audit entry
        raise refusal(exc) from None
    except passwords.PasswordError as exc:
        raise _field_error("password", str(exc)) from None
    return _open_session(response, db, account)


@auth_router.post("/logout", status_code=204)
def logout(request: Request, response: Response, db: DbSession, _: Enrolling) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.end_session(db, token=cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")


@auth_router.get("/me", response_model=Me)
def me(request: Request, who: Enrolling) -> Me:
    return _me(who, request.cookies.get(SESSION_COOKIE))


def _own_account(db: DbSession, who: Principal) -> Account:
    account = db.get(Account, who.account_id)
    if account is None:
        raise HTTPException(404, "account not found")
    return account


@auth_router.get(
    "/totp/qr",
    responses={200: {"content": {"image/svg+xml": {}}}, **errors(409)},
    response_class=Response,
)
def totp_qr(db: DbSession, rt: RuntimeDep, who: Enrolling) -> Response:
    """The enrolment QR code, rendered here (no outside service); only until enrolled."""
    account = _own_account(db, who)
    if account.totp_enrolled_at is not None:
        raise HTTPException(409, "second factor already enrolled")
    uri = totp.provisioning_uri(totp.secret(db, keyring=rt.keyring, account=account), who.username)
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="TOTP enrolment code")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@auth_router.post("/totp/enrol", response_model=Me, responses=errors(400, 409))
def enrol(
    body: EnrolRequest, request: Request, db: DbSession, rt: RuntimeDep, who: Enrolling
) -> Me:
    """Confirm the second factor with a first code."""
    account = _own_account(db, who)
    if account.totp_enrolled_at is not None:
        raise HTTPException(409, "second factor already enrolled")
    if not totp.enrol(
        db,
        keyring=rt.keyring,
        audit=rt.audit,
        actor=who.actor,
        account=account,
        code=body.code,
        now=utcnow(),
    ):
        raise HTTPException(400, "code: does not match")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.finish_enrolment(db, token=cookie)
    return _me(Principal(who.account_id, who.username, who.role), cookie)


@auth_router.post("/language", status_code=204)
def set_language(body: LanguageRequest, db: DbSession, who: Enrolling) -> None:
    service.set_language(db, account_id=who.account_id, language=body.language.value)


@auth_router.get("/tokens", response_model=list[TokenRead])
def list_own_tokens(db: DbSession, who: Self) -> list[TokenRead]:
    """One's own API tokens (never their secret)."""
    return [TokenRead.model_validate(t) for t in tokens.list_(db, account_id=who.account_id)]


@auth_router.post(
    "/tokens", response_model=TokenIssued, status_code=201, responses=errors(400, 429)
)
def create_own_token(
    body: TokenCreate, db: DbSession, rt: RuntimeDep, client: Client, who: SessionSelf
) -> TokenIssued:
    """Mint an API token for oneself, in one's own role, with a fresh TOTP code; only from a
    browser session. The token is shown only here."""
    now = utcnow()
    wait = throttle.retry_after(db, client=client, now=now)
    if wait:
        raise refusal(logins.ThrottledError(wait))
    try:
        token, row = tokens.create(
            db, keyring=rt.keyring, audit=rt.audit, who=who, name=body.name, code=body.code, now=now
        )
    except tokens.TokenCodeError as exc:
        throttle.record_failure(db, client=client, account_id=None, now=now)
        db.commit()  # a guessed code counts, as at login
        raise HTTPException(400, str(exc)) from None
    except tokens.TokenError as exc:
        raise HTTPException(403, str(exc)) from None
    return TokenIssued(id=row.id, name=row.name, role=Role(row.role), token=token)


@auth_router.delete("/tokens/{token_id}", status_code=204, responses=errors(404))
def revoke_own_token(token_id: str, db: DbSession, rt: RuntimeDep, who: Self) -> None:
    token = db.get(ApiToken, token_id)
    if token is None or token.account_id != who.account_id:
        raise HTTPException(404, "token not found")
    tokens.revoke(db, audit=rt.audit, actor=who.actor, token=token)

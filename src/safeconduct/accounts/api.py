"""`/api/v1/auth` (login, second factor, language) and `/api/v1/accounts` (admin only)."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, HTTPException, Request, Response

from safeconduct.accounts import service, sessions
from safeconduct.accounts.models import Account, ApiToken
from safeconduct.accounts.policy import Permission, Role
from safeconduct.accounts.schemas import (
    AccountCreate,
    AccountRead,
    EnrolRequest,
    LanguageRequest,
    LoginRequest,
    Me,
    TokenCreate,
    TokenIssued,
)
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import SESSION_COOKIE, Requires
from safeconduct.http.cookies import set_session_cookie
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors

auth_router = APIRouter(prefix="/auth", tags=["auth"], responses=GUARDED)
accounts_router = APIRouter(tags=["accounts"], responses=GUARDED)
Self = Annotated[Principal, Depends(Requires(Permission.SELF, during_enrolment=True))]
Admin = Annotated[Principal, Depends(Requires(Permission.ACCOUNT_MANAGE))]


def _me(who: Principal, cookie: str | None) -> Me:
    return Me(
        username=who.username,
        role=who.role,
        enrolment_required=who.enrolment_only,
        csrf_token=sessions.csrf_token(cookie) if cookie else None,
    )


@auth_router.post("/login", response_model=Me, responses=errors(401))
def login(
    body: LoginRequest,
    response: Response,
    db: DbSession,
    rt: RuntimeDep,
    _: Annotated[None, Depends(Requires(None))],
) -> Me:
    """Log in with password and, once enrolled, the TOTP code; sets the session cookie."""
    account = service.authenticate(
        db,
        keyring=rt.keyring,
        audit=rt.audit,
        username=body.username,
        password=body.password,
        code=body.code,
    )
    if account is None:
        db.commit()  # keep the failure count and its audit entry
        raise HTTPException(401, str(service.AuthError()))
    token, row = sessions.start_session(db, account=account)
    set_session_cookie(response, token)
    who = Principal(
        account.id, account.username, Role(account.role), enrolment_only=row.enrolment_only
    )
    return _me(who, token)


@auth_router.post("/logout", status_code=204)
def logout(request: Request, response: Response, db: DbSession, _: Self) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.end_session(db, token=cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")


@auth_router.get("/me", response_model=Me)
def me(request: Request, who: Self) -> Me:
    return _me(who, request.cookies.get(SESSION_COOKIE))


def _account(db: DbSession, account_id: str) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "account not found")
    return account


@auth_router.get(
    "/totp/qr",
    responses={200: {"content": {"image/svg+xml": {}}}, **errors(409)},
    response_class=Response,
)
def totp_qr(db: DbSession, rt: RuntimeDep, who: Self) -> Response:
    """The enrolment QR code, rendered here (no outside service); only until enrolled."""
    account = _account(db, who.account_id)
    if account.totp_enrolled_at is not None:
        raise HTTPException(409, "second factor already enrolled")
    secret = service.totp_secret(db, keyring=rt.keyring, account=account)
    uri = service.provisioning_uri(secret, account.username)
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="TOTP enrolment code")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@auth_router.post("/totp/enrol", response_model=Me, responses=errors(400, 409))
def enrol(body: EnrolRequest, request: Request, db: DbSession, rt: RuntimeDep, who: Self) -> Me:
    """Confirm the second factor with a first code."""
    account = _account(db, who.account_id)
    if account.totp_enrolled_at is not None:
        raise HTTPException(409, "second factor already enrolled")
    if not service.enrol_totp(
        db, keyring=rt.keyring, audit=rt.audit, account=account, code=body.code
    ):
        raise HTTPException(400, "code: does not match")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.finish_enrolment(db, token=cookie)
    return _me(Principal(who.account_id, who.username, who.role), cookie)


@auth_router.post("/language", status_code=204)
def set_language(body: LanguageRequest, db: DbSession, who: Self) -> None:
    service.set_language(db, account_id=who.account_id, language=body.language.value)


@accounts_router.get("/accounts", response_model=list[AccountRead])
def list_accounts(db: DbSession, _: Admin) -> list[AccountRead]:
    return [AccountRead.model_validate(a) for a in service.list_(db)]


@accounts_router.post(
    "/accounts", response_model=AccountRead, status_code=201, responses=errors(409)
)
def create_account(body: AccountCreate, db: DbSession, rt: RuntimeDep, who: Admin) -> AccountRead:
    """Create an account; its holder enrols the second factor at first login."""
    try:
        account, _secret = service.create(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            username=body.username,
            password=body.password,
            role=body.role,
        )
    except service.AccountError as exc:
        raise HTTPException(409, str(exc)) from None
    return AccountRead.model_validate(account)


@accounts_router.post(
    "/accounts/{account_id}/disable", response_model=AccountRead, responses=errors(404)
)
def disable_account(account_id: str, db: DbSession, rt: RuntimeDep, who: Admin) -> AccountRead:
    account = _account(db, account_id)
    service.disable(db, audit=rt.audit, actor=who.actor, account=account)
    return AccountRead.model_validate(account)


@accounts_router.post(
    "/accounts/{account_id}/reset-totp", response_model=AccountRead, responses=errors(404)
)
def reset_totp(account_id: str, db: DbSession, rt: RuntimeDep, who: Admin) -> AccountRead:
    """Make the account enrol a new second factor at its next login."""
    account = _account(db, account_id)
    service.reset_totp(db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, account=account)
    return AccountRead.model_validate(account)


@accounts_router.post(
    "/accounts/{account_id}/tokens",
    response_model=TokenIssued,
    status_code=201,
    responses=errors(404),
)
def create_token(
    account_id: str, body: TokenCreate, db: DbSession, rt: RuntimeDep, who: Admin
) -> TokenIssued:
    """Issue an API token in the account's role; the token is shown only here."""
    token, row = sessions.create_token(
        db, audit=rt.audit, actor=who.actor, account=_account(db, account_id), name=body.name
    )
    return TokenIssued(id=row.id, name=row.name, role=Role(row.role), token=token)


@accounts_router.delete("/tokens/{token_id}", status_code=204, responses=errors(404))
def revoke_token(token_id: str, db: DbSession, rt: RuntimeDep, who: Admin) -> None:
    token = db.get(ApiToken, token_id)
    if token is None:
        raise HTTPException(404, "token not found")
    sessions.revoke_token(db, audit=rt.audit, actor=who.actor, token=token)

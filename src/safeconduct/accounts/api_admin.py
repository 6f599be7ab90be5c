"""`/api/v1/accounts` and `/api/v1/tokens`, for the admin: invite, change role, disable,
reset the second factor, list and revoke tokens. The admin never sets a password nor
mints a token: no route here hands anyone's power to the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from safeconduct.accounts import service, tokens
from safeconduct.accounts.invitations import Issued
from safeconduct.accounts.models import Account, ApiToken
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.schemas import (
    AccountCreate,
    AccountInvited,
    AccountRead,
    Invitation,
    RoleChange,
    TokenRead,
)
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors

accounts_router = APIRouter(tags=["accounts"], responses=GUARDED)
Admin = Annotated[Principal, Depends(Requires(Permission.ACCOUNT_MANAGE))]


def _account(db: DbSession, account_id: str) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "account not found")
    return account


def _not_own(who: Principal, account: Account, what: str) -> None:
    # Separation of duties: what an admin does to its own account, no second admin saw.
    # (The service refuses a change of one's own role; disabling and resetting are refused
    # here and in the UI until it refuses them too.)
    if who.account_id == account.id:
        raise HTTPException(409, f"account: no one {what} their own account")


def _invitation(issued: Issued) -> Invitation:
    return Invitation(code=issued.code, expires_at=issued.expires_at)


@accounts_router.get("/accounts", response_model=list[AccountRead])
def list_accounts(db: DbSession, _: Admin) -> list[AccountRead]:
    return [AccountRead.model_validate(a) for a in service.list_(db)]


@accounts_router.post(
    "/accounts", response_model=AccountInvited, status_code=201, responses=errors(409)
)
def create_account(
    body: AccountCreate, db: DbSession, rt: RuntimeDep, who: Admin
) -> AccountInvited:
    """Create an account and its invitation; the code is shown only here. Its holder sets a
    password and enrols the second factor with it: no one else knows either."""
    try:
        account, issued = service.create(
            db, audit=rt.audit, actor=who.actor, username=body.username, role=body.role
        )
    except service.AccountError as exc:
        raise HTTPException(409, str(exc)) from None
    return AccountInvited(
        account=AccountRead.model_validate(account), invitation=_invitation(issued)
    )


@accounts_router.post(
    "/accounts/{account_id}/invitation",
    response_model=Invitation,
    status_code=201,
    responses=errors(404, 409),
)
def reinvite(account_id: str, db: DbSession, rt: RuntimeDep, who: Admin) -> Invitation:
    """Replace the invitation of an account never set up; an account in use cannot be."""
    try:
        issued = service.reinvite(
            db, audit=rt.audit, actor=who.actor, account=_account(db, account_id)
        )
    except service.AccountError as exc:
        raise HTTPException(409, str(exc)) from None
    return _invitation(issued)


@accounts_router.post(
    "/accounts/{account_id}/role", response_model=AccountRead, responses=errors(404, 409)
)
def change_role(
    account_id: str, body: RoleChange, db: DbSession, rt: RuntimeDep, who: Admin
) -> AccountRead:
    """Move an account to another role; its sessions and tokens end. Not one's own."""
    account = _account(db, account_id)
    try:
        service.change_role(db, audit=rt.audit, actor=who.actor, account=account, role=body.role)
    except service.AccountError as exc:
        raise HTTPException(409, str(exc)) from None
    return AccountRead.model_validate(account)


@accounts_router.post(
    "/accounts/{account_id}/disable", response_model=AccountRead, responses=errors(404, 409)
)
def disable_account(account_id: str, db: DbSession, rt: RuntimeDep, who: Admin) -> AccountRead:
    """Disable an account; its sessions and tokens end. Not one's own."""
    account = _account(db, account_id)
    _not_own(who, account, "disables")
    service.disable(db, audit=rt.audit, actor=who.actor, account=account)
    return AccountRead.model_validate(account)


@accounts_router.post(
    "/accounts/{account_id}/enable", response_model=AccountRead, responses=errors(404)
)
def enable_account(account_id: str, db: DbSession, rt: RuntimeDep, who: Admin) -> AccountRead:
    account = _account(db, account_id)
    service.enable(db, audit=rt.audit, actor=who.actor, account=account)
    return AccountRead.model_validate(account)


@accounts_router.post(
    "/accounts/{account_id}/reset-totp", response_model=AccountRead, responses=errors(404, 409)
)
def reset_totp(account_id: str, db: DbSession, rt: RuntimeDep, who: Admin) -> AccountRead:
    """Make the account enrol a new second factor at its next login; its tokens end. Not
    one's own."""
    account = _account(db, account_id)
    _not_own(who, account, "resets the second factor of")
    service.reset_totp(db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, account=account)
    return AccountRead.model_validate(account)


@accounts_router.get("/tokens", response_model=list[TokenRead])
def list_tokens(db: DbSession, _: Admin) -> list[TokenRead]:
    """Every API token, with its owner (never its secret)."""
    return [TokenRead.model_validate(t) for t in tokens.list_(db)]


@accounts_router.delete("/tokens/{token_id}", status_code=204, responses=errors(404))
def revoke_token(token_id: str, db: DbSession, rt: RuntimeDep, who: Admin) -> None:
    token = db.get(ApiToken, token_id)
    if token is None:
        raise HTTPException(404, "token not found")
    tokens.revoke(db, audit=rt.audit, actor=who.actor, token=token)

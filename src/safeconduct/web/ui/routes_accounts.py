"""Accounts for the admin: the list, and a new account whose invitation code is shown once.
The admin never sets a password: the holder sets it, and enrols TOTP, with the code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from pydantic import ValidationError

from safeconduct.accounts import approvals
from safeconduct.accounts import service as accounts
from safeconduct.accounts.invitations import Issued
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Permission, Role
from safeconduct.accounts.schemas import AccountCreate
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Admin = Annotated[Principal, Depends(Requires(Permission.ACCOUNT_MANAGE))]


def _accounts_page(
    request: Request,
    db: DbSession,
    *,
    status_code: int = 200,
    error: bool = False,
    invited: tuple[str, Issued] | None = None,
) -> Response:
    return render.page(
        request,
        db,
        "accounts.html",
        status_code=status_code,
        accounts=accounts.list_(db),
        awaiting={a.id for a in approvals.pending(db)},
        roles=list(Role),
        error=error,
        invited=invited,
    )


@router.get("/accounts")
def accounts_page(request: Request, db: DbSession, _: Admin) -> Response:
    return _accounts_page(request, db)


@router.post("/accounts")
def create_account(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    username: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Create an account and show its invitation code, on this answer only."""
    try:
        wanted = AccountCreate(username=username.strip(), role=role)
        account, issued = accounts.create(
            db, audit=rt.audit, actor=who.actor, username=wanted.username, role=wanted.role
        )
    except (ValidationError, accounts.AccountError):
        return _accounts_page(request, db, error=True, status_code=422)
    return _accounts_page(request, db, status_code=201, invited=(account.username, issued))


@router.post("/accounts/{account_id}/invitation")
def reinvite(
    account_id: str, request: Request, db: DbSession, rt: RuntimeDep, who: Admin
) -> Response:
    """Replace the invitation of an account not yet set up, and show the new code once."""
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "account not found")
    try:
        issued = accounts.reinvite(db, audit=rt.audit, actor=who.actor, account=account)
    except accounts.AccountError:
        raise HTTPException(409, "account is already set up") from None
    return _accounts_page(request, db, status_code=201, invited=(account.username, issued))

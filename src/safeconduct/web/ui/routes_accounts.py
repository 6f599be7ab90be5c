"""Accounts for the admin: the list, and a new account that enrols TOTP at first login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from safeconduct.accounts import service as accounts
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
    request: Request, db: DbSession, *, error: bool = False, status_code: int = 200
) -> Response:
    return render.page(
        request,
        db,
        "accounts.html",
        status_code=status_code,
        accounts=accounts.list_(db),
        roles=list(Role),
        error=error,
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
    password: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Create an account; its holder sees the enrolment QR code at first login."""
    try:
        wanted = AccountCreate(username=username.strip(), password=password, role=role)
        accounts.create(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            username=wanted.username,
            password=wanted.password,
            role=wanted.role,
        )
    except (ValidationError, accounts.AccountError):
        return _accounts_page(request, db, error=True, status_code=422)
    return RedirectResponse("/accounts", status_code=303)

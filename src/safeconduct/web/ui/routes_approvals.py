"""The auditor's approvals: accounts that may open sealed values, or approve others, only
once an approved auditor has confirmed who holds them (four eyes: the admin who made them
saw their invitation code).
Each decision takes two steps: the button, then a confirmation naming the account."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from safeconduct.accounts import approvals
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Permission, Role, allows
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import AWAITING_APPROVAL, Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Approver = Annotated[Principal, Depends(Requires(Permission.ACCOUNT_APPROVE))]
# An approval is the human half of the four eyes: never from a token a machine holds.
SessionApprover = Annotated[
    Principal, Depends(Requires(Permission.ACCOUNT_APPROVE, session_only=True))
]
Confirm = Annotated[str, Form(max_length=8)]
LIST = "/audit/approvals"


def _account(db: DbSession, account_id: str) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "account not found")
    return account


def _list_page(request: Request, db: DbSession, *, error: bool = False) -> Response:
    return render.page(
        request,
        db,
        "approvals.html",
        status_code=409 if error else 200,
        pending=approvals.pending(db),
        approved=approvals.approved(db),
        error=error,
    )


def _confirm_page(
    request: Request, db: DbSession, account: Account, action: Literal["approve", "unapprove"]
) -> Response:
    # Approving an auditor hands on the power to approve: the page says so.
    approves = allows(Role(account.role), Permission.ACCOUNT_APPROVE)
    return render.page(
        request, db, "approval_confirm.html", account=account, action=action, approves=approves
    )


@router.get(LIST)
def approvals_page(request: Request, db: DbSession, _: Approver) -> Response:
    """Accounts awaiting approval, and those approved."""
    return _list_page(request, db)


@router.post(LIST + "/{account_id}/approve")
def approve(
    account_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: SessionApprover,
    confirm: Confirm = "",
) -> Response:
    """Ask for confirmation; once confirmed, approve the account in its current role."""
    account = _account(db, account_id)
    if not approvals.awaiting(account):
        return _list_page(request, db, error=True)
    if confirm != "yes":
        return _confirm_page(request, db, account, "approve")
    try:
        approvals.approve(db, audit=rt.audit, actor=who.actor, account=account)
    except approvals.ApprovalError:
        return _list_page(request, db, error=True)
    except approvals.ApproverNotApprovedError:
        raise HTTPException(403, AWAITING_APPROVAL) from None
    # Post/redirect/get: a reload does not approve again.
    return RedirectResponse(LIST, status_code=303)


@router.post(LIST + "/{account_id}/unapprove")
def unapprove(
    account_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Approver,
    confirm: Confirm = "",
) -> Response:
    """Ask for confirmation; once confirmed, withdraw the account's approval."""
    account = _account(db, account_id)
    if confirm != "yes":
        return _confirm_page(request, db, account, "unapprove")
    try:
        approvals.unapprove(db, audit=rt.audit, actor=who.actor, account=account)
    except approvals.ApproverNotApprovedError:
        raise HTTPException(403, AWAITING_APPROVAL) from None
    return RedirectResponse(LIST, status_code=303)

"""`/api/v1/accounts/...` for the auditor: the accounts awaiting approval to open sealed
values or to approve others, and the approval itself (four eyes: the admin makes accounts,
an approved auditor lets them use their role). The admin holds no route here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from safeconduct.accounts import approvals
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Permission
from safeconduct.accounts.schemas import Approval, PendingApproval
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import AWAITING_APPROVAL, Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors

approvals_router = APIRouter(tags=["accounts"], responses=GUARDED)
Approver = Annotated[Principal, Depends(Requires(Permission.ACCOUNT_APPROVE))]
# An approval is the human half of the four eyes: never from a token a machine holds.
SessionApprover = Annotated[
    Principal, Depends(Requires(Permission.ACCOUNT_APPROVE, session_only=True))
]


def _awaiting() -> HTTPException:
    # The use case's own check behind `Requires`: the same answer, should a route forget.
    return HTTPException(403, AWAITING_APPROVAL)


def _account(db: DbSession, account_id: str) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "account not found")
    return account


@approvals_router.get("/accounts/pending-approval", response_model=list[PendingApproval])
def pending_approval(db: DbSession, _: Approver) -> list[PendingApproval]:
    """Accounts set up in a role that needs approval (one that opens sealed values, or the
    auditor's) and not yet approved."""
    return [PendingApproval.model_validate(a) for a in approvals.pending(db)]


@approvals_router.post(
    "/accounts/{account_id}/approve", response_model=Approval, responses=errors(404, 409)
)
def approve(account_id: str, db: DbSession, rt: RuntimeDep, who: SessionApprover) -> Approval:
    """Let a set-up account use its role's gated permissions (open sealed values, or approve
    others). Confirm who holds it first (in person or through a channel you trust): its
    admin saw its invitation code. Never one's own account (409). A new role or a new
    second factor undoes the approval. Only from a browser session."""
    account = _account(db, account_id)
    try:
        approvals.approve(db, audit=rt.audit, actor=who.actor, account=account)
    except approvals.ApprovalError as exc:
        raise HTTPException(409, str(exc)) from None
    except approvals.ApproverNotApprovedError:
        raise _awaiting() from None
    return Approval.model_validate(account)


@approvals_router.post(
    "/accounts/{account_id}/unapprove", response_model=Approval, responses=errors(404)
)
def unapprove(account_id: str, db: DbSession, rt: RuntimeDep, who: Approver) -> Approval:
    """Withdraw an approval: from its next request the account opens nothing sealed and
    approves no one."""
    account = _account(db, account_id)
    try:
        approvals.unapprove(db, audit=rt.audit, actor=who.actor, account=account)
    except approvals.ApproverNotApprovedError:
        raise _awaiting() from None
    return Approval.model_validate(account)

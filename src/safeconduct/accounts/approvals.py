"""Four eyes on sealed values: the admin makes accounts and sees their invitation codes, so
it could set one up itself. An account therefore opens sealed values, or approves others,
only while an approval of it in its current role stands. The caller commits.

Who approves: an approved auditor (never its own account), or the operator at the command
line, who holds the key files and the database and could open everything anyway: the CLI
is the root of trust (it approves a deployment's first auditor), the web admin is not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Permission, Role, allows
from safeconduct.audit.actors import Actor, account_actor, account_id_of
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.disclosure.policy import needs_approval

ROLES_NEEDING_APPROVAL = tuple(r.value for r in Role if needs_approval(r))


class ApprovalError(ValueError):
    """An approval that cannot be given now (names the reason, never a secret)."""


class ApproverNotApprovedError(PermissionError):
    """The approver's own approval does not stand: it neither approves nor withdraws."""


class Approvable(Protocol):
    """What tells whether an account awaits approval (an Account, or its API view)."""

    @property
    def role(self) -> str: ...
    @property
    def set_up(self) -> bool: ...
    @property
    def totp_enrolled_at(self) -> datetime | None: ...
    @property
    def disabled_at(self) -> datetime | None: ...
    @property
    def sealed_access_approved(self) -> bool: ...


def ready(account: Approvable) -> bool:
    """Tell whether the holder has set a password and enrolled the second factor: before
    that, the auditor would approve a holder who does not exist yet."""
    return account.set_up and account.totp_enrolled_at is not None


def awaiting(account: Approvable) -> bool:
    """Tell whether an active, set-up account in a role that needs approval lacks one."""
    return (
        account.disabled_at is None
        and ready(account)
        and needs_approval(Role(account.role))
        and not account.sealed_access_approved
    )


def pending(session: Session) -> list[Account]:
    """Return the accounts awaiting an auditor's approval, by username."""
    stmt = (
        select(Account)
        .where(
            Account.role.in_(ROLES_NEEDING_APPROVAL),
            Account.password_hash.is_not(None),
            Account.totp_enrolled_at.is_not(None),
            Account.disabled_at.is_(None),
            or_(
                Account.sealed_role_approved.is_(None), Account.sealed_role_approved != Account.role
            ),
        )
        .order_by(Account.username)
    )
    return list(session.scalars(stmt))


def approved(session: Session) -> list[Account]:
    """Return the accounts whose approval stands for their current role, by username."""
    stmt = (
        select(Account)
        .where(Account.sealed_role_approved == Account.role)
        .order_by(Account.username)
    )
    return list(session.scalars(stmt))


def _check_approver(session: Session, actor: Actor) -> None:
    """Refuse an account acting without the approval power in its role, or without its own
    approval for that role standing. `Requires` refuses it first; this holds if a route
    forgets. A command or the system acts from the server itself: the root of trust."""
    account_id = account_id_of(actor)
    if account_id is None:
        return
    approver = session.get(Account, account_id)
    if (
        approver is None
        or approver.disabled_at is not None
        or not allows(Role(approver.role), Permission.ACCOUNT_APPROVE)
        or not approver.sealed_access_approved
    ):
        raise ApproverNotApprovedError("awaiting approval")


def approve(session: Session, *, audit: AuditLog, actor: Actor, account: Account) -> None:
    """Let the account use its role's gated permissions; audit it under the approver's
    credential. Raise ApprovalError on one's own account, when the role needs no approval,
    or the account is not set up or is disabled; ApproverNotApprovedError when the
    approver's own approval does not stand."""
    # Checked first, whatever else holds: an unapproved auditor approving itself is refused too.
    if actor.name == account_actor(account.id).name:
        raise ApprovalError("no one approves their own account")
    _check_approver(session, actor)
    role = Role(account.role)
    if not needs_approval(role):
        raise ApprovalError(f"role: {role.value} needs no approval")
    if not ready(account):
        raise ApprovalError("account is not set up: password and second factor first")
    if account.disabled_at is not None:
        raise ApprovalError("account is disabled")
    if account.sealed_access_approved:
        return
    account.sealed_role_approved = role.value
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.ACCOUNT_APPROVE,
        subject_id=account.id,
        purpose=f"role: {role.value}",
    )


def unapprove(session: Session, *, audit: AuditLog, actor: Actor, account: Account) -> None:
    """Withdraw an account's approval; from its next request it uses no gated permission.
    Raise ApproverNotApprovedError when the approver's own approval does not stand."""
    _check_approver(session, actor)
    if account.sealed_role_approved is None:
        return
    old, account.sealed_role_approved = account.sealed_role_approved, None
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.ACCOUNT_UNAPPROVE,
        subject_id=account.id,
        purpose=f"role: {old}",
    )

"""Four eyes on sealed values: the admin makes accounts and sees their invitation codes, so
it could set one up itself. An account therefore opens sealed values only while an
auditor's approval of it, in its current role, stands. The caller commits.

There is deliberately no command-line way to approve: whoever runs the CLI may be the admin.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor, account_actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.disclosure.policy import opens_sealed

SEALED_ROLES = tuple(r.value for r in Role if opens_sealed(r))


class ApprovalError(ValueError):
    """An approval that cannot be given now (names the reason, never a secret)."""


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
    """Tell whether an active, set-up account in a sealed role lacks an approval."""
    return (
        account.disabled_at is None
        and ready(account)
        and opens_sealed(Role(account.role))
        and not account.sealed_access_approved
    )


def pending(session: Session) -> list[Account]:
    """Return the accounts awaiting an auditor's approval, by username."""
    stmt = (
        select(Account)
        .where(
            Account.role.in_(SEALED_ROLES),
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


def approve(session: Session, *, audit: AuditLog, actor: Actor, account: Account) -> None:
    """Let the account open sealed values in its current role; audit it under the
    auditor's credential. Raise ApprovalError when the role opens nothing sealed, or the
    account is not set up or is disabled."""
    role = Role(account.role)
    if not opens_sealed(role):
        raise ApprovalError(f"role: {role.value} opens no sealed value")
    if not ready(account):
        raise ApprovalError("account is not set up: password and second factor first")
    if account.disabled_at is not None:
        raise ApprovalError("account is disabled")
    if actor.name == account_actor(account.id).name:
        raise ApprovalError("no one approves their own account")
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
    """Withdraw an account's approval; from its next request it opens nothing sealed."""
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

"""Accounts: who is calling, and the admin's use cases. No one is given another's power: an
account starts with an invitation, and every change of power ends its sessions and tokens.
The caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safeconduct.accounts import invitations, totp
from safeconduct.accounts.models import Account, ApiToken, WebSession
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor, account_actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import new_id, utcnow
from safeconduct.security.service import Keyring


class AccountError(ValueError):
    """An account operation that cannot be done (names the field, never a secret)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account acting in one role."""

    account_id: str
    username: str
    role: Role
    via_token: bool = False
    enrolment_only: bool = False
    # The session or token this call came with, named in every audit entry it causes.
    credential: str | None = None
    # Whether an approval stands for the account in this role: without it, no permission
    # that needs one (sealed reads, approving accounts) is used (computed when the session
    # or token is resolved).
    sealed_approved: bool = False

    @property
    def actor(self) -> Actor:
        return account_actor(self.account_id, self.credential)


def get_by_username(session: Session, *, username: str) -> Account | None:
    return session.scalars(select(Account).where(Account.username == username)).one_or_none()


def list_(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.username)))


def create(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    username: str,
    role: Role,
    now: datetime | None = None,
) -> tuple[Account, invitations.Issued]:
    """Create an account without a password; return it with its invitation, whose code the
    holder uses to set a password and enrol TOTP (shown once)."""
    if get_by_username(session, username=username) is not None:
        raise AccountError("username is taken")
    account = Account(id=new_id(), username=username, password_hash=None, role=role.value)
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.ACCOUNT_CREATE,
        subject_id=account.id,
        purpose=f"role: {role.value}",
    )
    issued = invitations.issue(
        session, audit=audit, actor=actor, account=account, now=now or utcnow()
    )
    return account, issued


def reinvite(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    account: Account,
    now: datetime | None = None,
) -> invitations.Issued:
    """Issue a new invitation to an account never set up (the last one expired or was lost).
    An account in use is never re-invited: that would hand its power to the inviter."""
    if account.password_hash is not None:
        raise AccountError("account is already set up")
    return invitations.issue(
        session, audit=audit, actor=actor, account=account, now=now or utcnow()
    )


def _end_credentials(session: Session, account_id: str, now: datetime) -> None:
    """End every session and revoke every token of an account."""
    session.execute(
        update(WebSession)
        .where(WebSession.account_id == account_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _not_self(actor: Actor, account: Account, what: str) -> None:
    # Separation of duties: an admin who gave itself a sealed role would reveal with it;
    # one who disabled or reset itself would lock the deployment out of its own admin.
    if actor.name == account_actor(account.id).name:
        raise AccountError(f"{what}: not on one's own account")


def change_role(
    session: Session, *, audit: AuditLog, actor: Actor, account: Account, role: Role
) -> None:
    """Move an account to another role; its sessions and tokens end with the old role."""
    _not_self(actor, account, "role")
    if account.role == role.value:
        return
    old, account.role = account.role, role.value
    # An approval is for the holder in one role: a new role needs an auditor again.
    account.sealed_role_approved = None
    _end_credentials(session, account.id, utcnow())
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.ACCOUNT_ROLE,
        subject_id=account.id,
        purpose=f"role: {old} -> {role.value}",
    )


def disable(session: Session, *, audit: AuditLog, actor: Actor, account: Account) -> None:
    """Disable an account; end its sessions and revoke its tokens."""
    _not_self(actor, account, "account")
    now = utcnow()
    account.disabled_at = account.disabled_at or now
    _end_credentials(session, account.id, now)
    audit.record(session, actor=actor, tag=AuditAction.ACCOUNT_DISABLE, subject_id=account.id)


def enable(session: Session, *, audit: AuditLog, actor: Actor, account: Account) -> None:
    """Enable a disabled account; its old sessions and tokens stay ended."""
    if account.disabled_at is None:
        return
    account.disabled_at = None
    audit.record(session, actor=actor, tag=AuditAction.ACCOUNT_ENABLE, subject_id=account.id)


def reset_totp(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, account: Account
) -> None:
    """Give an account a new TOTP secret that only its holder sees, at their next login;
    end its sessions and revoke its tokens, which the old factor vouched for."""
    _not_self(actor, account, "account")
    totp.new_secret(session, keyring=keyring, account=account)
    # Whoever enrols the new factor may not be the holder the auditor approved.
    account.sealed_role_approved = None
    _end_credentials(session, account.id, utcnow())
    audit.record(session, actor=actor, tag=AuditAction.ACCOUNT_TOTP_RESET, subject_id=account.id)


def set_language(session: Session, *, account_id: str, language: str) -> None:
    account = session.get(Account, account_id)
    if account is not None:
        account.language = language

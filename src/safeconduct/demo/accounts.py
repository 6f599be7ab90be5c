"""Demo accounts, one per role, with known passwords and TOTP secrets (demo mode only).

They are made the way every account is: created with an invitation, which this module then
accepts itself, and those in roles that need approval (that open sealed values, or the
auditor's) are approved by the system in place of an auditor, so the demo works out of the
box. Outside demo mode no one ever learns another's password, and only an approved auditor
or the operator at the command line approves."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from safeconduct.accounts import approvals, invitations, totp
from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor, account_actor
from safeconduct.db import utcnow
from safeconduct.disclosure.policy import needs_approval
from safeconduct.runtime import Runtime

ACTOR = Actor("system:demo")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    totp_secret: str


def create_demo_accounts(rt: Runtime) -> list[DemoAccount]:
    """Create `<role>` / `demo-<role>-pass` for every role, second factor already enrolled."""
    if not rt.settings.demo:
        raise RuntimeError("demo accounts exist only in demo mode")
    made = []
    with rt.transaction() as session:
        for role in Role:
            password = f"demo-{role.value}-pass"
            existing = accounts.get_by_username(session, username=role.value)
            if existing is None:
                _account, issued = accounts.create(
                    session, audit=rt.audit, actor=ACTOR, username=role.value, role=role
                )
                existing = invitations.accept(
                    session,
                    keyring=rt.keyring,
                    audit=rt.audit,
                    code=issued.code,
                    password=password,
                    now=utcnow(),
                )
                # Enrolled without a code, so the first real code is not refused as replayed.
                existing.totp_enrolled_at = utcnow()
                if needs_approval(role):
                    approvals.approve(session, audit=rt.audit, actor=ACTOR, account=existing)
            secret = totp.secret(session, keyring=rt.keyring, account=existing)
            made.append(DemoAccount(role.value, password, role, secret))
    return made


def acting_as(session: Session, role: Role, fallback: str) -> Actor:
    """The demo account of a role as an actor, or a stand-in id when it was not made."""
    account = accounts.get_by_username(session, username=role.value)
    if account is not None and account.role == role.value:
        return account_actor(account.id, "demo:seed")
    return account_actor(fallback, "session:demo")

"""Demo accounts, one per role, enrolled with known TOTP secrets (demo mode only)."""

from __future__ import annotations

from dataclasses import dataclass

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.db import utcnow
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
                account, secret = accounts.create(
                    session,
                    keyring=rt.keyring,
                    audit=rt.audit,
                    actor=ACTOR,
                    username=role.value,
                    password=password,
                    role=role,
                )
                account.totp_enrolled_at = utcnow()
            else:
                secret = accounts.totp_secret(session, keyring=rt.keyring, account=existing)
            made.append(DemoAccount(role.value, password, role, secret))
    return made

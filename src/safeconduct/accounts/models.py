"""Accounts, invitations, sessions, API tokens and login back-off. Secrets are stored hashed
or sealed; clients only as a keyed hash of their address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safeconduct.db import Base, IdMixin, UtcDateTime, utcnow
from safeconduct.security.sealing import Sealed, SealedType


class Account(IdMixin, Base):
    __tablename__ = "accounts"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    # None until the holder sets it through their invitation: no one else ever knows it.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    totp_secret: Mapped[Sealed | None] = mapped_column(SealedType())
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # An IANA zone for times shown to this account; None: the deployment's zone.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The role an auditor approved this account to open sealed values in (four eyes: the
    # admin who made it may have used its invitation). Who approved is in the audit log.
    sealed_role_approved: Mapped[str | None] = mapped_column(String(32))

    @property
    def set_up(self) -> bool:
        """Whether the holder has set a password through the invitation."""
        return self.password_hash is not None

    @property
    def sealed_access_approved(self) -> bool:
        """Whether an auditor's approval stands for the account's current role."""
        return self.sealed_role_approved is not None and self.sealed_role_approved == self.role


class WebSession(Base):
    """A browser session; the cookie holds a random token, the store only its SHA-256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A session opened by password alone, before the second factor is enrolled, may only enrol.
    enrolment_only: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiToken(IdMixin, Base):
    """A token for a machine client, scoped to one role, revocable, stored as SHA-256."""

    __tablename__ = "api_tokens"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Invitation(IdMixin, Base):
    """A one-time code with which a new account's holder sets their password and enrols
    TOTP; stored as SHA-256 (the code is random, so a fast hash does not weaken it)."""

    __tablename__ = "invitations"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoginBackoff(Base):
    """Consecutive login failures of one client on one account. Keyed by client, so a
    stranger's failures slow the stranger, never the owner at their own desk."""

    __tablename__ = "login_backoffs"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    client: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ClientThrottle(Base):
    """Login failures of one client in the current window, over every username."""

    __tablename__ = "client_throttles"

    client: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)

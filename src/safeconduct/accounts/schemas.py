"""Accounts, logins and tokens in the API. Secrets go in; they never come back out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, computed_field

from safeconduct.accounts import approvals
from safeconduct.accounts.policy import MIN_PASSWORD, Role
from safeconduct.schemas_common import Name, Username

Password = Annotated[str, StringConstraints(min_length=1, max_length=200)]
NewPassword = Annotated[str, StringConstraints(min_length=MIN_PASSWORD, max_length=200)]
# ASCII digits only: `\d` would let Arabic-Indic and other digits through.
Code = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
# At login the code is checked by the service, so that a malformed one is counted and
# audited like any failure; here only its length is bounded.
LoginCode = Annotated[str, StringConstraints(max_length=64)]
InvitationCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Language(StrEnum):
    EN = "en"
    RU = "ru"
    UK = "uk"


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Password
    code: LoginCode | None = None


class InvitationAccept(BaseModel):
    """Set up one's own account: the invitation code, and a password only its holder knows."""

    model_config = ConfigDict(extra="forbid")

    code: InvitationCode
    password: NewPassword


class Me(BaseModel):
    username: str
    role: Role
    enrolment_required: bool
    csrf_token: str | None = None


class EnrolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code


class LanguageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Language


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    role: Role


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    username: str
    role: Role
    language: str
    set_up: bool
    totp_enrolled_at: datetime | None
    disabled_at: datetime | None
    created_at: datetime
    # Whether an auditor approved the account to open sealed values in its current role.
    sealed_access_approved: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def awaiting_approval(self) -> bool:
        """Set up in a role that opens sealed values, and not yet approved by an auditor."""
        return approvals.awaiting(self)


class PendingApproval(BaseModel):
    """An account awaiting an auditor's approval: only what the auditor needs to find it."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    username: str
    role: Role


class Approval(PendingApproval):
    """An account after an auditor's decision on its access to sealed values."""

    sealed_access_approved: bool


class Invitation(BaseModel):
    """An invitation code, shown once: its holder sets a password and enrols TOTP with it."""

    code: str
    expires_at: datetime


class AccountInvited(BaseModel):
    account: AccountRead
    invitation: Invitation


class TokenCreate(BaseModel):
    """Mint a token for oneself: a name for it, and a fresh code from one's authenticator."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    code: Code


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    account_id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


class TokenIssued(BaseModel):
    id: str
    name: str
    role: Role
    token: str

"""Accounts, logins and tokens in the API. Secrets go in; they never come back out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from safeconduct.accounts.policy import Role
from safeconduct.schemas_common import Name, Username

Password = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class Language(StrEnum):
    EN = "en"
    RU = "ru"
    UK = "uk"


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Password
    code: Code | None = None


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
    password: Annotated[str, StringConstraints(min_length=12, max_length=200)]
    role: Role


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    username: str
    role: Role
    language: str
    totp_enrolled_at: datetime | None
    disabled_at: datetime | None
    created_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class TokenIssued(BaseModel):
    id: str
    name: str
    role: Role
    token: str

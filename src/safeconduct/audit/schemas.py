"""The audit log in the API: entries carry ids and purposes, never personal data."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    seq: int
    at: str
    actor: str
    credential: str | None = None
    action: str
    subject_type: str
    subject_id: str | None
    purpose: str | None


class VerifyRead(BaseModel):
    ok: bool
    entries: int
    problem: str | None
    bad_seq: int | None

"""What the API takes and gives about a surrender request; sealed parts go in, never out."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from safeconduct.intake.models import Channel, RequestStatus
from safeconduct.schemas_common import LongText, Name


class SurrenderRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    contact: Name
    content: LongText


class SurrenderRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    channel: Channel
    received_on: date
    status: RequestStatus
    status_changed_on: date


class SurrenderRequestStatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: RequestStatus

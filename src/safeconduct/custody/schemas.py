"""Custody in the API. Circumstances go in sealed and come out only through a sealed read."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from safeconduct.custody.models import CustodyEventKind, CustodyStatus
from safeconduct.custody.policy import NEEDS_PLACE, SEALS_DETAILS
from safeconduct.schemas_common import EventDate, EventTime, Name, ShortText

# A surrender request's id; ASCII only, so nothing but an id fits.
RequestId = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]


class SurrenderMode(StrEnum):
    VOLUNTARY = "voluntary"
    CAPTURED = "captured"


class Circumstances(BaseModel):
    """The circumstances of surrender: the most secret facts Safe Conduct keeps.

    The shape a reveal gives back, as sealed; what comes in is checked by the subclass."""

    model_config = ConfigDict(extra="forbid")

    mode: SurrenderMode
    place: ShortText | None = None
    occurred_at: datetime | None = None
    how: ShortText | None = None
    request_id: RequestId | None = None


class CircumstancesCreate(Circumstances):
    """New circumstances: the moment of surrender carries its zone and a plausible date."""

    occurred_at: EventTime | None = None


def _as_new(value: object) -> object:
    # Circumstances built in code are new input too: check them as if they came in JSON.
    return value.model_dump() if isinstance(value, Circumstances) else value


class CustodyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: Name
    since: EventDate
    place_of_internment: Name
    circumstances: Annotated[CircumstancesCreate, BeforeValidator(_as_new)]


class CustodyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    person_id: str
    since: date
    place_of_internment: str
    status: CustodyStatus
    recorded_on: date


class RequestChoice(BaseModel):
    """An accepted request as the registrar may choose it: its short reference, nothing else
    (the registrar may not read the intake queue)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    reference: str | None


# Why an event was recorded: required, and a few words at least.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]


class DeathDetails(BaseModel):
    """Where and of what a person died (Art. 120): medical data, sealed under the person's
    data key, never in a plain column."""

    model_config = ConfigDict(extra="forbid")

    place: ShortText | None = None
    cause: ShortText | None = None


class CustodyEventCreate(BaseModel):
    """A step in a custody's life. `after`: the number of the latest event the client saw
    (0 for none); when given, the event is refused if another was recorded since."""

    model_config = ConfigDict(extra="forbid")

    kind: CustodyEventKind
    occurred_on: EventDate
    reason: Reason
    place: Name | None = Field(default=None, validate_default=True)
    details: DeathDetails | None = Field(default=None, validate_default=True)
    after: int | None = Field(default=None, ge=0, le=1_000_000)

    @field_validator("place")
    @classmethod
    def _place_fits_kind(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind in NEEDS_PLACE and value is None:
            raise ValueError(f"a {kind.value} needs the place")
        if kind in SEALS_DETAILS and value is not None:
            # A plain place of death would sit unsealed beside the event.
            raise ValueError("the place of a death goes in the sealed details")
        return value

    @field_validator("details")
    @classmethod
    def _details_fit_kind(
        cls, value: DeathDetails | None, info: ValidationInfo
    ) -> DeathDetails | None:
        kind = info.data.get("kind")
        if kind is not None and kind not in SEALS_DETAILS and value is not None:
            raise ValueError("only a death has sealed details")
        return value


class CustodyEventRead(BaseModel):
    """An event as anyone with custody:read sees it; sealed details never come out."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    custody_id: str
    number: int
    kind: CustodyEventKind
    occurred_on: date
    recorded_on: date
    actor: str
    reason: str | None
    place: str | None

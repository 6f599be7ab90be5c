"""Custody in the API. Circumstances go in sealed and come out only through a sealed read."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

from safeconduct.custody.models import CustodyStatus
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

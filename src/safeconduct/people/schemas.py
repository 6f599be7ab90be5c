"""What the API takes and gives about a person: Art. 17 identity, nothing sealed."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from safeconduct.people.models import Sex
from safeconduct.schemas_common import BirthDate, Name, ShortText


class PersonBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    surname: Name
    given_names: Name
    patronymic: ShortText | None = Field(default=None, description="Voluntary (GC III Art. 17).")
    date_of_birth: BirthDate | None = None
    place_of_birth: ShortText | None = Field(default=None, description="Voluntary.")
    rank: ShortText | None = None
    service_number: ShortText | None = None
    sex: Sex = Sex.UNKNOWN
    nationality: ShortText | None = Field(default=None, description="Power depended on.")
    name_original_script: ShortText | None = Field(default=None, description="Voluntary.")


class PersonCreate(PersonBase):
    pass


class PersonUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    surname: Name | None = None
    given_names: Name | None = None
    patronymic: ShortText | None = None
    date_of_birth: BirthDate | None = None
    place_of_birth: ShortText | None = None
    rank: ShortText | None = None
    service_number: ShortText | None = None
    sex: Sex | None = None
    nationality: ShortText | None = None
    name_original_script: ShortText | None = None


class PersonRead(PersonBase):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    # As stored, not checked again: "the current year" moves, and a read must never fail.
    date_of_birth: str | None = None
    registered_on: date
    updated_on: date

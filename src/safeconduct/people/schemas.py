"""What the API takes and gives about a person: Art. 17 identity in the open, the Art. 122(4)
family details sealed on the way in and never given back."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from safeconduct.people.models import Sex
from safeconduct.people.policy import check_plain_text
from safeconduct.schemas_common import BirthDate, Name, ShortText

# Family details are sealed padded to a fixed size (`people.family`): no control characters
# (JSON would escape each to six bytes) and no lone surrogates (not encodable), so the largest
# value these types admit is bounded and always fits.
FamilyName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    AfterValidator(check_plain_text),
]
FamilyAddress = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=300),
    AfterValidator(check_plain_text),
]
# As long as their columns (`people.models.Person`): a longer value would pass here and fail
# at the insert on PostgreSQL (SQLite stores it anyway).
Rank = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
ServiceNumber = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
PowerName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
# Why an identity changes: kept in the person's history (blanked on erasure), never audited.
ChangeReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)
]


class FamilyDetails(BaseModel):
    """The voluntary GC III Art. 122(4) details that identify family members. Written only:
    sealed under the person's data key, never part of an answer."""

    model_config = ConfigDict(extra="forbid")

    father_first_name: FamilyName | None = None
    mother_maiden_name: FamilyName | None = None
    person_to_inform: FamilyAddress | None = Field(
        default=None, description="Name and address of the person to be informed."
    )
    address_for_correspondence: FamilyAddress | None = None

    def given(self) -> dict[str, str]:
        """The details actually given (blank ones are not)."""
        return {name: value for name, value in self.model_dump().items() if value}


class PersonBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    surname: Name
    given_names: Name
    patronymic: ShortText | None = Field(default=None, description="Voluntary (GC III Art. 17).")
    date_of_birth: BirthDate | None = None
    place_of_birth: ShortText | None = Field(default=None, description="Voluntary.")
    rank: Rank | None = None
    service_number: ServiceNumber | None = None
    sex: Sex = Sex.UNKNOWN
    nationality: PowerName | None = Field(default=None, description="Power depended on.")
    name_original_script: ShortText | None = Field(default=None, description="Voluntary.")


class PersonCreate(PersonBase):
    family: FamilyDetails | None = Field(
        default=None, description="Voluntary (GC III Art. 122(4)); sealed, never returned."
    )


class PersonUpdate(BaseModel):
    """A correction: the fields given change, the others stay; `reason` is kept in the
    person's history. `family` replaces the sealed family details whole (null removes them)."""

    model_config = ConfigDict(extra="forbid")

    surname: Name | None = None
    given_names: Name | None = None
    patronymic: ShortText | None = None
    date_of_birth: BirthDate | None = None
    place_of_birth: ShortText | None = None
    rank: Rank | None = None
    service_number: ServiceNumber | None = None
    sex: Sex | None = None
    nationality: PowerName | None = None
    name_original_script: ShortText | None = None
    family: FamilyDetails | None = Field(
        default=None, description="Replaces the sealed family details; never returned."
    )
    reason: ChangeReason = Field(description="Why the record changes; kept in its history.")

    @field_validator("surname", "given_names", "sex")
    @classmethod
    def _kept(cls, value: object) -> object:
        # Runs only on a value sent: an explicit null would blank what Art. 17 requires.
        if value is None:
            raise ValueError("cannot be removed, only corrected")
        return value


class PersonRead(PersonBase):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    # As stored, not checked again: "the current year" moves, and a read must never fail.
    date_of_birth: str | None = None
    registered_on: date
    updated_on: date


class PersonRevisionRead(BaseModel):
    """One change to a person's record. `before` and `after` hold the plain identity values
    of the fields changed; the sealed family details appear by name only. All three are
    blank once the person is erased."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    number: int
    changed_on: date
    actor: str
    fields: list[str]
    reason: str | None
    before: dict[str, str | None]
    after: dict[str, str | None]

    @field_validator("fields", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        return [n for n in value.split(",") if n] if isinstance(value, str) else value

    @field_validator("before", "after", mode="before")
    @classmethod
    def _values(cls, value: object) -> object:
        return {} if value is None else json.loads(value) if isinstance(value, str) else value

"""Field types and shapes shared by the API schemas of every domain."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from safeconduct.people.policy import check_partial_date

T = TypeVar("T")

# Text from people: stripped, bounded, never empty where required.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
PartialDate = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        pattern=r"^(19|20)\d{2}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$",
    ),
    AfterValidator(check_partial_date),
]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total so a client can page through it."""

    model_config = ConfigDict(extra="forbid")

    items: list[T]
    total: int
    page: int
    size: int

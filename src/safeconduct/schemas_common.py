"""Field types shared by the API schemas of every domain."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from safeconduct.people.policy import check_partial_date

# Text from people: stripped, bounded, never empty where required.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
PartialDate = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=10), AfterValidator(check_partial_date)
]

"""Every identity field is refused at its column's length, not after: a longer value that
passed the schema would fail at the insert on PostgreSQL (a 500), while SQLite stores it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from safeconduct.people.models import Person
from safeconduct.people.schemas import PersonCreate, PersonUpdate
from safeconduct.runtime import Runtime
from tests.factories import add_person

FIELDS = ("rank", "service_number", "nationality", "patronymic", "place_of_birth")


def _limit(field: str) -> int:
    length = Person.__table__.c[field].type.length
    assert isinstance(length, int)
    return length


@pytest.mark.parametrize("field", FIELDS)
def test_one_character_over_the_column_is_refused_naming_the_field(field: str) -> None:
    for schema, base in (
        (PersonCreate, {"surname": "A", "given_names": "B"}),
        (PersonUpdate, {"reason": "fix"}),
    ):
        with pytest.raises(ValidationError) as caught:
            schema(**base, **{field: "я" * (_limit(field) + 1)})
        assert [e["loc"] for e in caught.value.errors()] == [(field,)]


@pytest.mark.parametrize("field", FIELDS)
def test_a_value_as_long_as_the_column_is_stored_whole(rt: Runtime, field: str) -> None:
    value = "я" * _limit(field)
    person = add_person(rt, "KOVAL", **{field: value})
    with rt.transaction() as s:
        assert getattr(s.get(Person, person.id), field) == value

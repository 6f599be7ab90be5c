"""People: Art. 17 identity, audited corrections that log no values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.people import service
from safeconduct.people.schemas import PersonCreate, PersonUpdate
from safeconduct.runtime import Runtime
from tests.factories import add_person


def test_person_schema_names_the_bad_field() -> None:
    with pytest.raises(ValidationError) as caught:
        PersonCreate(surname=" ", given_names="Ivan", date_of_birth="1990-02-30")
    assert {e["loc"][0] for e in caught.value.errors()} == {"surname", "date_of_birth"}


def test_a_correction_is_audited_without_the_values(rt: Runtime) -> None:
    person = add_person(rt, surname="BEFORE")
    with rt.transaction() as s:
        row = service.get_or_raise(s, person_id=person.id)
        service.update(
            s,
            audit=rt.audit,
            actor=Actor("t"),
            person=row,
            person_in=PersonUpdate(surname="AFTERVALUE", rank="sergeant", reason="spelling"),
        )
    with rt.sessions() as s:
        assert service.get_or_raise(s, person_id=person.id).surname == "AFTERVALUE"
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last is not None
    assert last.purpose == "fields: rank,surname"


def test_unknown_person_raises_not_found(rt: Runtime) -> None:
    with rt.sessions() as s, pytest.raises(service.NotFoundError):
        service.get_or_raise(s, person_id="no-such-id")

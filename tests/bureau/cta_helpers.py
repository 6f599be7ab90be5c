"""CTA batch test helpers: people in custody with family details, events, and batches made
through the services, on an injected clock."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from safeconduct.bureau import cta
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyEventKind
from safeconduct.custody.schemas import (
    Circumstances,
    CustodyCreate,
    CustodyEventCreate,
    DeathDetails,
    SurrenderMode,
)
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.people.schemas import FamilyDetails, PersonCreate
from safeconduct.runtime import Runtime
from safeconduct.security.statements import PublishedKey, read_key_set
from tests.factories import ACTOR, add_custody_event


def held(
    rt: Runtime,
    surname: str = "KOVALENKO",
    *,
    given_names: str = "Petro",
    mode: SurrenderMode = SurrenderMode.CAPTURED,
    place: str = "river crossing",
    how: str = "white flag",
    since: date = date(2027, 1, 10),
    family: FamilyDetails | None = None,
    **fields: str,
) -> Custody:
    """A person (with family details) in custody since a day, at Camp 1."""
    with rt.transaction() as s:
        person = people_service.create(
            s,
            audit=rt.audit,
            actor=ACTOR,
            keyring=rt.keyring,
            person_in=PersonCreate(
                surname=surname,
                given_names=given_names,
                family=family
                or FamilyDetails(father_first_name="Ivan", person_to_inform="Olena, Kyiv"),
                **fields,
            ),
        )
        return custody_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            custody_in=CustodyCreate(
                person_id=person.id,
                since=since,
                place_of_internment="Camp 1",
                circumstances=Circumstances(mode=mode, place=place, how=how),
            ),
        )


def event(
    rt: Runtime,
    custody_id: str,
    kind: CustodyEventKind,
    on: date,
    *,
    place: str | None = None,
    details: DeathDetails | None = None,
) -> None:
    add_custody_event(
        rt,
        custody_id,
        CustodyEventCreate(
            kind=kind, occurred_on=on, reason="recorded", place=place, details=details
        ),
    )


def make(rt: Runtime) -> cta.BatchFiles | None:
    with rt.transaction() as s:
        return cta.make_batch(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, signer=rt.audit.signer
        )


def made(rt: Runtime) -> cta.BatchFiles:
    files = make(rt)
    assert files is not None
    return files


def doc(files: cta.BatchFiles) -> dict[str, Any]:
    loaded = json.loads(files.json)
    assert isinstance(loaded, dict)
    return loaded


def published_keys(rt: Runtime) -> list[PublishedKey]:
    """The key list the public face publishes (/.well-known/safeconduct-keys.json)."""
    path = rt.settings.channel_keys_file
    assert path is not None
    return read_key_set(path)


def schema() -> dict[str, Any]:
    text = resources.files("safeconduct.bureau").joinpath("cta_batch_1.schema.json").read_text()
    loaded = json.loads(text)
    assert isinstance(loaded, dict)
    return loaded


def person_of(rt: Runtime, custody: Custody) -> Person:
    with rt.transaction() as s:
        person = s.get(Person, custody.person_id)
        assert person is not None
        s.expunge(person)
        return person

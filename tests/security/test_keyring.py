"""The keyring on a real store: per-person data keys, moved ciphertexts, rotation, erasure."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from safeconduct.audit.actors import Actor
from safeconduct.config import Settings
from safeconduct.custody.models import Custody
from safeconduct.disclosure.service import field_of
from safeconduct.intake.models import SurrenderRequest
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime, open_runtime
from safeconduct.security.keys import EnvKeyProvider, FileKeyProvider, new_key
from safeconduct.security.sealing import SealError
from safeconduct.security.service import ErasedError, Keyring
from tests.factories import add_custody, add_person, add_request, end_custody

db_settings = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# A marker no error message could contain by chance.
texts = st.text(min_size=1, max_size=100).map(lambda t: f"PLANTED-{t.strip()}")


def _erase(rt: Runtime, person: Person) -> None:
    with rt.transaction() as s:
        people_service.erase(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=Actor("test"),
            person=people_service.get_or_raise(s, person_id=person.id),
            reason="right to erasure",
        )


def _open(
    rt: Runtime, record: Custody | SurrenderRequest, column: str, keyring: Keyring | None = None
) -> bytes:
    with rt.sessions() as s:
        fresh = s.get(type(record), record.id)
        assert fresh is not None
        return (keyring or rt.keyring).open(
            s, sealed=getattr(fresh, column), field=field_of(fresh, column)
        )


@db_settings
@given(place=texts, other_place=texts)
def test_a_ciphertext_moved_to_another_row_fails_to_open(
    rt: Runtime, place: str, other_place: str
) -> None:
    person = add_person(rt)
    first = add_custody(rt, person, place=place)
    end_custody(rt, first)
    second = add_custody(rt, person, place=other_place)
    with rt.transaction() as s:
        stolen = s.get(Custody, first.id)
        assert stolen is not None
        s.execute(
            update(Custody)
            .where(Custody.id == second.id)
            .values(circumstances=stolen.circumstances)
        )
    with pytest.raises(SealError, match="does not open") as caught:
        _open(rt, second, "circumstances")
    assert place not in str(caught.value)
    assert json.loads(_open(rt, first, "circumstances"))["place"] == place


@db_settings
@given(contact=texts, content=texts)
def test_a_ciphertext_moved_to_another_column_fails_to_open(
    rt: Runtime, contact: str, content: str
) -> None:
    request = add_request(rt, contact=contact, content=content)
    with rt.transaction() as s:
        row = s.get(SurrenderRequest, request.id)
        assert row is not None
        s.execute(
            update(SurrenderRequest)
            .where(SurrenderRequest.id == request.id)
            .values(content=row.contact)
        )
    with pytest.raises(SealError):
        _open(rt, request, "content")
    assert _open(rt, request, "contact").decode() == contact


def test_a_data_key_unwrapped_with_the_wrong_kek_fails(rt: Runtime) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person)
    current = rt.keyring.provider.current_id()
    impostor = Keyring(EnvKeyProvider(f"{current}:{base64.b64encode(new_key()).decode()}"))
    with pytest.raises(SealError, match="does not unwrap"):
        _open(rt, custody, "circumstances", keyring=impostor)


def test_rotation_rewraps_keys_and_keeps_every_value_readable(rt: Runtime) -> None:
    people = [add_person(rt, surname=f"S{i}") for i in range(5)]
    custodies = [add_custody(rt, p, place=f"place {i}") for i, p in enumerate(people)]
    request = add_request(rt, contact="+000 999 planted")
    provider = rt.keyring.provider
    assert isinstance(provider, FileKeyProvider)
    old = provider.current_id()
    before = {c.id: _open(rt, c, "circumstances") for c in custodies}
    new = provider.add_new_current()
    with rt.transaction() as s:
        assert rt.keyring.rotate(s) == 6
        assert rt.keyring.kek_ids_in_use(s) == {new}
    provider.retire(keep={new})
    assert old not in provider.ids()
    assert {c.id: _open(rt, c, "circumstances") for c in custodies} == before
    assert _open(rt, request, "contact") == b"+000 999 planted"


def test_erasing_a_person_makes_their_sealed_values_unreadable(rt: Runtime) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person, place="secret ford")
    other = add_custody(rt, add_person(rt, surname="OTHER"), place="other ford")
    _erase(rt, person)
    with pytest.raises(ErasedError):
        _open(rt, custody, "circumstances")
    assert b"other ford" in _open(rt, other, "circumstances")
    with rt.sessions() as s:
        erased = s.get(type(person), person.id)
        assert erased is not None
        assert erased.surname == people_service.ERASED
        assert erased.erased_on is not None


def test_each_person_has_their_own_data_key(rt: Runtime) -> None:
    a, b = add_person(rt, surname="A"), add_person(rt, surname="B")
    ca, cb = add_custody(rt, a), add_custody(rt, b)
    assert ca.circumstances.data_key_id != cb.circumstances.data_key_id
    end_custody(rt, ca)
    second = add_custody(rt, a)
    assert second.circumstances.data_key_id == ca.circumstances.data_key_id
    with rt.sessions() as s:
        from safeconduct.security.models import DataKey

        owners = set(s.execute(select(DataKey.owner_type, DataKey.owner_id)).all())
    assert ("person", a.id) in owners
    assert ("person", b.id) in owners


def test_an_erased_person_stays_erased_in_an_older_backup_once_keys_rotate(
    rt: Runtime, settings: Settings, db_url: str
) -> None:
    """Erase, then rotate and retire the key-encryption key: a backup taken before the
    erasure still holds the wrapped data key, and nothing left can unwrap it."""
    if not db_url.startswith("sqlite"):
        return  # the backup here is SQLite's online backup; PostgreSQL's would be pg_dump
    person = add_person(rt)
    custody = add_custody(rt, person, place="PLANTED ford")
    store = Path(db_url.removeprefix("sqlite:///"))
    backup = store.with_name("backup.db")
    with sqlite3.connect(store) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    _erase(rt, person)
    provider = rt.keyring.provider
    assert isinstance(provider, FileKeyProvider)
    new = provider.add_new_current()
    with rt.transaction() as s:
        rt.keyring.rotate(s)
    provider.retire(keep={new})
    restored = open_runtime(settings.model_copy(update={"db_url": f"sqlite:///{backup}"}))
    try:
        with pytest.raises(SealError):
            _open(restored, custody, "circumstances")
    finally:
        restored.close()

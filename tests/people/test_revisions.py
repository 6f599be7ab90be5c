"""Corrections keep a history: who changed which fields, which day, why, and the plain values
before and after; the family details by name only; erasure blanks the values and reasons."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.people import service
from safeconduct.people.models import Person
from safeconduct.people.policy import IDENTITY_FIELDS
from safeconduct.people.schemas import PersonCreate, PersonUpdate
from safeconduct.runtime import Runtime
from tests.factories import ACTOR, add_person
from tests.people.test_registration import FAMILY, client_as, post_form, register, written

EDITOR = Actor("account:editor", "session:1")


def correct(rt: Runtime, person_id: str, **fields: object) -> None:
    with rt.transaction() as s:
        service.update(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=EDITOR,
            person=service.get_or_raise(s, person_id=person_id),
            person_in=PersonUpdate.model_validate(fields),
        )


def last_audit(rt: Runtime) -> AuditEntry:
    with rt.sessions() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None
    return entry


@pytest.fixture
def registrar(rt: Runtime) -> TestClient:
    return client_as(rt, Role.REGISTRAR, "registrar-ui")


# Service


def test_a_correction_records_the_fields_changed_their_values_and_why(rt: Runtime) -> None:
    person = add_person(rt, surname="KOVALENKO", rank="private", service_number="A1")
    correct(
        rt,
        person.id,
        surname="KOVALENKO",
        rank="corporal",
        patronymic="Ivanovych",
        reason="promoted; patronymic given later",
    )
    with rt.sessions() as s:
        latest, first = service.revisions(s, person_id=person.id)
    assert (latest.number, first.number) == (2, 1)
    assert latest.actor == EDITOR.name
    assert latest.fields == ["patronymic", "rank"]  # form order; the unchanged surname not
    assert latest.before == {"patronymic": None, "rank": "private"}
    assert latest.after == {"patronymic": "Ivanovych", "rank": "corporal"}
    assert latest.reason == "promoted; patronymic given later"
    assert latest.changed_on == clock.today()
    assert last_audit(rt).purpose == "fields: patronymic,rank"  # names, never values


def test_a_correction_that_changes_nothing_writes_nothing(rt: Runtime) -> None:
    person = add_person(rt, surname="KOVALENKO")
    before = written(rt)
    correct(rt, person.id, surname="KOVALENKO", reason="checked again")
    assert written(rt) == before


def test_replaced_family_details_are_recorded_by_name_only(rt: Runtime) -> None:
    person = add_person(rt)
    correct(rt, person.id, family=FAMILY, reason="the person told us")
    with rt.sessions() as s:
        latest = service.revisions(s, person_id=person.id)[0]
        row = s.get(Person, person.id)
        assert row is not None
        assert row.family is not None
    assert (latest.fields, latest.before, latest.after) == (["family"], {}, {})
    assert not any(
        v in (latest.model_dump_json() + last_audit(rt).purpose) for v in FAMILY.values()
    )
    correct(rt, person.id, family=None, reason="given in error")
    with rt.sessions() as s:
        row = s.get(Person, person.id)
        assert row is not None
        assert row.family is None
        assert service.revisions(s, person_id=person.id)[0].fields == ["family"]


def test_a_correction_prepared_from_an_old_revision_is_refused(rt: Runtime) -> None:
    person = add_person(rt, surname="KOVALENKO")
    correct(rt, person.id, rank="major", reason="first correction")
    with rt.transaction() as s, pytest.raises(service.EditConflictError):
        service.update(
            s,
            audit=rt.audit,
            actor=EDITOR,
            person=service.get_or_raise(s, person_id=person.id),
            person_in=PersonUpdate(rank="captain", reason="second, from a stale form"),
            expected_revision=1,
        )
    with rt.sessions() as s:
        assert service.get_or_raise(s, person_id=person.id).rank == "major"


def test_erasure_blanks_the_values_and_reasons_of_the_history(rt: Runtime) -> None:
    person = add_person(rt, surname="KOVALENKO")
    correct(rt, person.id, surname="KOVALENKA", reason="her surname is KOVALENKA")
    with rt.transaction() as s:
        service.erase(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            person=service.get_or_raise(s, person_id=person.id),
            reason="court order",
        )
    with rt.sessions() as s:
        history = service.revisions(s, person_id=person.id)
    assert [(r.fields, r.before, r.after, r.reason) for r in history] == [
        (["surname"], {}, {}, None),
        (["surname", "given_names"], {}, {}, None),
    ]


def test_an_art17_name_cannot_be_removed_only_corrected() -> None:
    with pytest.raises(ValueError, match="surname") as caught:
        PersonUpdate.model_validate({"surname": None, "reason": "oops"})
    assert "cannot be removed" in str(caught.value)


_names = st.sampled_from(["KOVAL", "KOVALENKO", "SYDORENKO", "ABRAMOVA"])
_edits = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "surname": _names,
            "rank": st.sampled_from(["private", "major", None]),
            "date_of_birth": st.sampled_from(["1990", "1990-04", "1991-12-31", None]),
            "sex": st.sampled_from(["female", "male", "unknown"]),
        },
    ),
    max_size=5,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=_edits)
def test_the_history_replays_to_the_record(rt: Runtime, edits: list[dict[str, object]]) -> None:
    """Revisions are numbered 1, 2, ... without gaps, each one's "before" is the state the
    previous ones left, and applying every "after" in turn rebuilds the record."""
    with rt.transaction() as s:
        person = service.create(
            s, audit=rt.audit, actor=ACTOR, person_in=PersonCreate(surname="X", given_names="Y")
        )
    for edit in edits:
        correct(rt, person.id, **edit, reason="property")
    with rt.sessions() as s:
        history = list(reversed(service.revisions(s, person_id=person.id)))
        row = service.get_or_raise(s, person_id=person.id)
        current = {n: getattr(row, n) for n in IDENTITY_FIELDS}
    assert [r.number for r in history] == list(range(1, len(history) + 1))
    state: dict[str, object] = {n: None for n in IDENTITY_FIELDS} | {"sex": "unknown"}
    for revision in history:
        assert all(state[n] == v for n, v in revision.before.items())
        assert set(revision.fields) == set(revision.after)
        state |= revision.after
    assert state == current


# The correction form


def test_the_correction_form_is_filled_but_never_with_family_details(
    registrar: TestClient,
) -> None:
    person_id = register(registrar)
    page = registrar.get(f"/people/{person_id}/edit")
    assert page.status_code == 200
    assert 'value="SYDORENKO"' in page.text
    assert '<option value="sergeant" selected>' in page.text
    for name in FAMILY:
        assert f'<input id="{name}" name="{name}" value=""' in page.text
    assert "Family details are recorded and sealed" in page.text


def _edit_form(registrar: TestClient, person_id: str) -> dict[str, str]:
    """The correction form as the browser would send it back unchanged."""
    page = registrar.get(f"/people/{person_id}/edit").text
    values = dict(re.findall(r'<input id="\w+" name="(\w+)" value="([^"]*)"', page))
    values["base"] = re.findall(r'name="base" value="(\d+)"', page)[0]
    values["rank"] = re.findall(r'<option value="([^"]*)" selected>', page)[0]
    values["sex"] = re.findall(r'<option value="([^"]*)" selected>', page)[1]
    return values


def test_a_correction_needs_a_reason_and_shows_in_the_history(
    rt: Runtime, registrar: TestClient
) -> None:
    person_id = register(registrar)
    form = _edit_form(registrar, person_id) | {"surname": "SIDORENKO"}
    before = written(rt)
    refused = post_form(registrar, f"/people/{person_id}/edit", form)
    assert refused.status_code == 422
    assert '<li><a href="#reason">' in refused.text
    assert 'value="SIDORENKO"' in refused.text
    assert written(rt) == before
    saved = post_form(
        registrar, f"/people/{person_id}/edit", form | {"reason": "spelt as in her ID card"}
    )
    assert saved.status_code == 303
    page = registrar.get(f"/people/{person_id}").text
    history = page[page.index('id="person-history"') :]
    assert "Surname: SYDORENKO → SIDORENKO" in history
    assert "spelt as in her ID card" in history
    assert "registrar-ui" in history  # who, by username
    assert f'<time datetime="{clock.today().isoformat()}">' in history


def test_filled_family_inputs_replace_the_sealed_details(
    rt: Runtime, registrar: TestClient
) -> None:
    person_id = register(registrar)
    with rt.sessions() as s:
        row = s.get(Person, person_id)
        assert row is not None
        sealed_before = row.family
    form = _edit_form(registrar, person_id) | {
        "father_first_name": "Mykola",
        "reason": "father's name corrected",
    }
    assert post_form(registrar, f"/people/{person_id}/edit", form).status_code == 303
    with rt.sessions() as s:
        row = s.get(Person, person_id)
        assert row is not None
        assert row.family is not None
        assert row.family != sealed_before
        assert service.revisions(s, person_id=person_id)[0].fields == ["family"]


def test_a_stale_form_is_refused_and_keeps_what_was_typed(
    rt: Runtime, registrar: TestClient
) -> None:
    person_id = register(registrar)
    stale = _edit_form(registrar, person_id)
    correct(rt, person_id, rank="major", reason="someone else was faster")
    answer = post_form(
        registrar,
        f"/people/{person_id}/edit",
        stale | {"surname": "SIDORENKO", "reason": "my correction"},
    )
    assert answer.status_code == 409
    assert 'id="form-conflict"' in answer.text
    assert 'value="SIDORENKO"' in answer.text
    assert 'name="base" value="2"' in answer.text  # saving again is now a decision
    with rt.sessions() as s:
        assert service.get_or_raise(s, person_id=person_id).surname == "SYDORENKO"


def test_an_unchanged_form_says_so(registrar: TestClient) -> None:
    person_id = register(registrar)
    form = _edit_form(registrar, person_id) | {"reason": "nothing really"}
    answer = post_form(registrar, f"/people/{person_id}/edit", form)
    assert answer.status_code == 422
    assert 'id="form-unchanged"' in answer.text


def test_editing_an_unknown_person_is_404(registrar: TestClient) -> None:
    assert registrar.get("/people/no-such-person/edit").status_code == 404


# The API


def test_an_api_correction_needs_a_reason(rt: Runtime, registrar: TestClient) -> None:
    person = add_person(rt)
    url = f"/api/v1/persons/{person.id}"
    missing = registrar.patch(url, json={"rank": "major"})
    assert missing.status_code == 422
    assert [d["field"] for d in missing.json()["detail"]] == ["body.reason"]
    done = registrar.patch(url, json={"rank": "major", "reason": "promoted"})
    assert done.status_code == 200
    assert done.json()["rank"] == "major"


def test_the_api_takes_family_details_and_never_gives_them(
    rt: Runtime, registrar: TestClient
) -> None:
    created = registrar.post(
        "/api/v1/persons", json={"surname": "KOVAL", "given_names": "Ivan", "family": FAMILY}
    )
    assert created.status_code == 201, created.text
    person_id = created.json()["id"]
    changed = registrar.patch(
        f"/api/v1/persons/{person_id}",
        json={"family": {"father_first_name": "FATHER-2ND"}, "reason": "corrected"},
    )
    assert changed.status_code == 200, changed.text
    history = registrar.get(f"/api/v1/persons/{person_id}/revisions")
    assert history.status_code == 200
    assert [r["fields"] for r in history.json()] == [
        ["family"],
        ["surname", "given_names", "family"],
    ]
    answers = created.text + changed.text + history.text
    assert "family" not in created.json()
    assert not any(v in answers for v in [*FAMILY.values(), "FATHER-2ND"])


def test_the_revisions_of_an_unknown_person_are_404(registrar: TestClient) -> None:
    assert registrar.get("/api/v1/persons/nope/revisions").status_code == 404


def test_a_revision_day_is_a_day(rt: Runtime, registrar: TestClient) -> None:
    person = add_person(rt)
    [first] = registrar.get(f"/api/v1/persons/{person.id}/revisions").json()
    assert date.fromisoformat(first["changed_on"]) == clock.today()

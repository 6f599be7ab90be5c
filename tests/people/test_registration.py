"""Registration: the Art. 17 form, sealed family details that never come back, and possible
duplicates shown before a new record is made."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.people import family, service
from safeconduct.people.models import Person, PersonRevision
from safeconduct.people.schemas import FamilyDetails, PersonCreate
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import ACTOR, add_account, add_person, add_session, session_headers

FAMILY = {
    "father_first_name": "FATHER-7QX",
    "mother_maiden_name": "MOTHER-3KZ",
    "person_to_inform": "INFORM-9WD, 12 Elm Street",
    "address_for_correspondence": "ADDRESS-5MR, Camp road 3",
}
FORM = {
    "surname": "SYDORENKO",
    "given_names": "Oleksandra",
    "rank": "sergeant",
    "date_of_birth": "1991-05-17",
    "service_number": "UA 204 117",
    "sex": "female",
    "name_original_script": "Сидоренко Олександра Петрівна",
    "patronymic": "Petrivna",
    **FAMILY,
}
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def client_as(rt: Runtime, role: Role, username: str) -> TestClient:
    """A client with a browser session (cookie and CSRF header) of a fresh account."""
    account, _secret = add_account(rt, username, role, enrolled=True)
    client = TestClient(create_app(rt), base_url="https://testserver")
    client.headers.update(session_headers(add_session(rt, account)))
    return client


@pytest.fixture
def registrar(rt: Runtime) -> TestClient:
    return client_as(rt, Role.REGISTRAR, "registrar-ui")


def post_form(client: TestClient, path: str, data: dict[str, str]) -> Any:
    token = client.headers["X-CSRF-Token"]
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def written(rt: Runtime) -> tuple[int, int, int]:
    """People, revisions and audit entries: what a refused form must not change."""
    with rt.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Person)) or 0,
            s.scalar(select(func.count()).select_from(PersonRevision)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def register(client: TestClient, **changes: str) -> str:
    """Register through the form, past any duplicates; return the new person's id."""
    answer = post_form(client, "/people/new", {**FORM, **changes, "confirm_new": "yes"})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"]).rsplit("/", 1)[1]


# Service


def test_registration_writes_revision_one_with_the_fields_given(rt: Runtime) -> None:
    with rt.transaction() as s:
        person = service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            person_in=PersonCreate(
                surname="KOVAL", given_names="Ivan", rank="private", family=FamilyDetails(**FAMILY)
            ),
        )
    with rt.sessions() as s:
        [first] = service.revisions(s, person_id=person.id)
    assert (first.number, first.actor, first.reason) == (1, ACTOR.name, None)
    assert first.fields == ["surname", "given_names", "rank", "family"]
    assert first.before == {}
    assert first.after == {"surname": "KOVAL", "given_names": "Ivan", "rank": "private"}


def test_family_details_are_sealed_padded_under_the_persons_key(rt: Runtime) -> None:
    with rt.transaction() as s:
        person = service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            person_in=PersonCreate(
                surname="KOVAL", given_names="Ivan", family=FamilyDetails(father_first_name="Ivo")
            ),
        )
    with rt.sessions() as s:
        row = s.get(Person, person.id)
        assert row is not None
        assert row.family is not None
        opened = rt.keyring.open(s, sealed=row.family, field=family.field_of(person.id))
    assert json.loads(opened) == {"father_first_name": "Ivo"}
    assert len(row.family.envelope) > family.FAMILY_BYTES  # padded, whatever was given
    assert row.family.data_key_id is not None


def test_blank_family_details_seal_nothing(rt: Runtime) -> None:
    with rt.transaction() as s:
        person = service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            person_in=PersonCreate(
                surname="KOVAL", given_names="Ivan", family=FamilyDetails(father_first_name="")
            ),
        )
        assert person.family is None
        assert "family" not in service.revisions(s, person_id=person.id)[0].fields


def test_family_details_are_never_stored_unsealed(rt: Runtime) -> None:
    with rt.transaction() as s, pytest.raises(ValueError, match="sealed"):
        service.create(
            s,
            audit=rt.audit,
            actor=ACTOR,
            person_in=PersonCreate(
                surname="KOVAL", given_names="Ivan", family=FamilyDetails(**FAMILY)
            ),
        )


def _sealed_size(rt: Runtime, details: FamilyDetails) -> int:
    with rt.transaction() as s:
        owner = service.person_owner("size-probe")
        sealed = family.seal(
            s, keyring=rt.keyring, owner=owner, person_id="size-probe", details=details
        )
    assert sealed is not None
    return len(sealed.envelope)


def test_the_largest_family_values_fit_their_sealed_size(rt: Runtime) -> None:
    # 4-byte characters, and quotes that JSON escapes to two bytes: the longest encodings.
    widest = {
        "father_first_name": 200,
        "mother_maiden_name": 200,
        "person_to_inform": 300,
        "address_for_correspondence": 300,
    }
    sizes = {
        _sealed_size(rt, FamilyDetails(**{k: char * n for k, n in widest.items()}))
        for char in ("\U0001f600", '"', "\\", "я")
    }
    assert sizes == {_sealed_size(rt, FamilyDetails(father_first_name="I"))}


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    texts=st.lists(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=300), min_size=4, max_size=4
    )
)
def test_every_admissible_family_value_seals_to_one_size(rt: Runtime, texts: list[str]) -> None:
    try:
        details = FamilyDetails(**dict(zip(FAMILY, texts, strict=True)))
    except ValidationError:
        return  # refused whole, before anything is sealed
    if details.given():
        assert _sealed_size(rt, details) == _sealed_size(rt, FamilyDetails(father_first_name="I"))


def test_family_text_refuses_control_characters() -> None:
    with pytest.raises(ValidationError) as caught:
        FamilyDetails(father_first_name="Iv\x00o")
    assert [e["loc"] for e in caught.value.errors()] == [("father_first_name",)]


# The form


def test_the_form_marks_art17_fields_required_and_the_rest_voluntary(registrar: TestClient) -> None:
    page = registrar.get("/people/new")
    assert page.status_code == 200
    for name in ("surname", "given_names", "rank", "date_of_birth", "service_number"):
        tag = re.search(rf'<(?:input|select) id="{name}"[^>]*>', page.text)
        assert tag is not None, name
        assert 'aria-required="true"' in tag.group(0), name
    for name in ("patronymic", "place_of_birth", "nationality", "name_original_script", *FAMILY):
        tag = re.search(rf'<input id="{name}"[^>]*>', page.text)
        assert tag is not None, name
        assert "aria-required" not in tag.group(0), name
    assert page.text.count("(required, GC III Art. 17)") == 5
    assert page.text.count("(voluntary)") == 9


def test_registering_shows_the_person_with_family_only_as_recorded(
    rt: Runtime, registrar: TestClient
) -> None:
    person_id = register(registrar)
    page = registrar.get(f"/people/{person_id}")
    assert page.status_code == 200
    assert "Recorded, sealed" in page.text
    assert "Сидоренко Олександра Петрівна" in page.text
    assert "Registered" in page.text  # revision 1 in the history
    with rt.sessions() as s:
        row = s.get(Person, person_id)
        assert row is not None
        assert (row.rank, row.sex, row.date_of_birth) == ("sergeant", "female", "1991-05-17")


def test_family_details_never_leave(rt: Runtime, registrar: TestClient) -> None:
    person_id = register(registrar)
    auditor = client_as(rt, Role.AUDITOR, "auditor-ui")
    answers = [
        registrar.get(f"/people/{person_id}").text,
        registrar.get(f"/people/{person_id}/edit").text,
        registrar.get("/people").text,
        registrar.get(f"/api/v1/persons/{person_id}").text,
        auditor.get("/api/v1/audit/entries?size=200").text,
        auditor.get("/audit").text,
    ]
    for value in FAMILY.values():
        assert not any(value.split(",")[0] in text for text in answers)


def test_a_refused_form_names_the_fields_keeps_everything_and_writes_nothing(
    rt: Runtime, registrar: TestClient
) -> None:
    before = written(rt)
    bad = {**FORM, "surname": " ", "date_of_birth": "1991-02-30", "rank": "", "reason": ""}
    answer = post_form(registrar, "/people/new", bad)
    assert answer.status_code == 422
    problems = re.search(r'id="form-problems".*?</div>', answer.text, re.S)
    assert problems is not None
    named = re.findall(r'href="#(\w+)"', problems.group(0))
    assert named == ["surname", "date_of_birth", "rank"]
    for value in (FORM["given_names"], FORM["name_original_script"], *FAMILY.values()):
        assert f'value="{value}"' in answer.text  # kept, to correct and send again
    assert written(rt) == before


@pytest.mark.parametrize("name", ["date_of_birth", "service_number"])
def test_an_art17_field_is_given_or_said_not_given(
    rt: Runtime, registrar: TestClient, name: str
) -> None:
    blank = post_form(registrar, "/people/new", {**FORM, name: "", "confirm_new": "yes"})
    assert blank.status_code == 422
    assert f'<li><a href="#{name}">' in blank.text
    person_id = register(registrar, **{name: "", f"{name}_not_given": "yes"})
    with rt.sessions() as s:
        row = s.get(Person, person_id)
        assert row is not None
        assert getattr(row, name) is None


def test_a_rank_is_chosen_from_the_list_or_not_given(rt: Runtime, registrar: TestClient) -> None:
    for rank in ("", "general of the moon"):
        answer = post_form(registrar, "/people/new", {**FORM, "rank": rank, "confirm_new": "yes"})
        assert answer.status_code == 422
        assert '<li><a href="#rank">' in answer.text
    person_id = register(registrar, rank="-")
    with rt.sessions() as s:
        row = s.get(Person, person_id)
        assert row is not None
        assert row.rank is None


def test_possible_duplicates_come_first_then_a_new_person_on_request(
    rt: Runtime, registrar: TestClient
) -> None:
    first = register(registrar)
    before = written(rt)
    # Another transliteration, a typo, and the same person in Cyrillic only.
    near = {**FORM, "surname": "SIDORENKO", "given_names": "Oleksandr"}
    answer = post_form(registrar, "/people/new", near)
    assert answer.status_code == 200
    assert "Possible duplicates" in answer.text
    assert f'href="/people/{first}"' in answer.text
    assert written(rt) == before
    for value in (*FAMILY.values(), "SIDORENKO"):
        assert f'value="{value}"' in answer.text  # re-sent in the form body only
    assert 'name="confirm_new" value="yes"' in answer.text
    confirmed = post_form(registrar, "/people/new", {**near, "confirm_new": "yes"})
    assert confirmed.status_code == 303
    assert written(rt)[0] == before[0] + 1


def test_no_duplicates_registers_at_once(rt: Runtime, registrar: TestClient) -> None:
    add_person(rt, surname="HONCHARENKO", given_names="Taras")
    answer = post_form(registrar, "/people/new", FORM)
    assert answer.status_code == 303


@pytest.mark.parametrize("role", [Role.VERIFIER, Role.AUDITOR, Role.INTAKE])
def test_only_a_registrar_registers(rt: Runtime, role: Role) -> None:
    client = client_as(rt, role, f"{role.value}-ui")
    assert client.get("/people/new").status_code == 403
    assert post_form(client, "/people/new", FORM).status_code == 403

"""Registration and correction of people (registrar): the Art. 17 form, possible duplicates
shown before a new record is made, and a reason for every correction, kept in the person's
history. Works without JavaScript: plain posts, 303 to the person page on success."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.people import search
from safeconduct.people import service as people_service
from safeconduct.people.models import Person, Sex
from safeconduct.people.policy import IDENTITY_FIELDS
from safeconduct.people.ranks import RANKS
from safeconduct.people.schemas import FamilyDetails, PersonCreate, PersonUpdate
from safeconduct.web.ui import render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Registrar = Annotated[Principal, Depends(Requires(Permission.PERSON_WRITE))]
Schema = TypeVar("Schema", bound=BaseModel)

YES = "yes"
# The rank option for a prisoner who refuses to give it or does not know it.
NOT_GIVEN = "-"
SEXES = tuple(s.value for s in Sex)
FAMILY_FIELDS = tuple(FamilyDetails.model_fields)
# The Art. 17 fields a prisoner may refuse or not know, each with its "not given" box.
MAY_BE_NOT_GIVEN = ("date_of_birth", "service_number")
# Every field the form can name as wrong, in the order it shows them.
FORM_ORDER = (*IDENTITY_FIELDS, *FAMILY_FIELDS, "reason")
_REVISION = re.compile(r"[0-9]{1,9}")


class PersonForm(BaseModel):
    """The registration or correction form as posted: plain text, checked by the schemas."""

    surname: str = ""
    given_names: str = ""
    patronymic: str = ""
    date_of_birth: str = ""
    date_of_birth_not_given: str = ""
    place_of_birth: str = ""
    rank: str = ""
    service_number: str = ""
    service_number_not_given: str = ""
    sex: str = Sex.UNKNOWN.value
    nationality: str = ""
    name_original_script: str = ""
    father_first_name: str = ""
    mother_maiden_name: str = ""
    person_to_inform: str = ""
    address_for_correspondence: str = ""
    # A correction only: why, and the revision the form was filled from.
    reason: str = ""
    base: str = ""
    # A registration only: the registrar saw the possible duplicates and none is this person.
    confirm_new: str = ""


Posted = Annotated[PersonForm, Form()]


def _form_of(person: Person, base: int) -> PersonForm:
    """The correction form filled from the record; family details stay blank (sealed)."""
    given = {n: getattr(person, n) or "" for n in IDENTITY_FIELDS}
    given |= {f"{n}_not_given": "" if getattr(person, n) else YES for n in MAY_BE_NOT_GIVEN}
    return PersonForm(**given | {"rank": person.rank or NOT_GIVEN, "base": str(base)})


def _flag(form: PersonForm, name: str) -> str:
    """The "not given" box of an Art. 17 field."""
    return str(getattr(form, f"{name}_not_given"))


def _problem_field(loc: Sequence[int | str]) -> str:
    # A family detail's problem is named by its own input, not by the nested object.
    return str(loc[-1] if loc and loc[0] == "family" else loc[0] if loc else "form")


def _values(form: PersonForm, ranks: Collection[str]) -> tuple[dict[str, Any], set[str]]:
    """The identity and family values the form gives, and what the schemas cannot see is
    wrong: a rank not chosen, an Art. 17 field left blank without "not given"."""
    problems = {
        n for n in MAY_BE_NOT_GIVEN if not getattr(form, n).strip() and _flag(form, n) != YES
    }
    if form.rank not in (*ranks, NOT_GIVEN):
        problems.add("rank")
    values: dict[str, Any] = {n: getattr(form, n).strip() or None for n in IDENTITY_FIELDS}
    # Blank names are the schema's to refuse, by name; blank voluntary fields are not given.
    values |= {"surname": form.surname, "given_names": form.given_names}
    values["rank"] = form.rank if form.rank in ranks else None
    values["sex"] = form.sex
    values["family"] = {n: getattr(form, n).strip() or None for n in FAMILY_FIELDS}
    return values, problems


def _checked(schema: type[Schema], values: dict[str, Any], problems: set[str]) -> Schema | None:
    """The values as `schema` takes them, or None with every wrong field added to `problems`."""
    try:
        parsed = schema.model_validate(values)
    except ValidationError as exc:
        problems |= {_problem_field(e["loc"]) for e in exc.errors()}
        return None
    return None if problems else parsed


def _form_page(
    request: Request,
    db: DbSession,
    form: PersonForm,
    *,
    person: Person | None = None,
    problems: Collection[str] = (),
    duplicates: Sequence[Person] = (),
    conflict: bool = False,
    unchanged: bool = False,
    status_code: int = 200,
) -> Response:
    # A rank recorded before the list (or through the API) stays choosable on its record.
    kept = [person.rank] if person and person.rank and person.rank not in RANKS else []
    return render.page(
        request,
        db,
        "person_form.html",
        status_code=status_code,
        person=person,
        editing=person is not None,
        form=form.model_dump(),
        ranks=[*RANKS, *kept],
        sexes=SEXES,
        not_given=NOT_GIVEN,
        order=FORM_ORDER,
        problems=set(problems),
        duplicates=list(duplicates),
        conflict=conflict,
        unchanged=unchanged,
    )


@router.get("/people/new")
def registration_form(request: Request, db: DbSession, _: Registrar) -> Response:
    """An empty registration form: Art. 17 identity, voluntary details, family details."""
    return _form_page(request, db, PersonForm())


@router.post("/people/new")
def register(
    request: Request, db: DbSession, rt: RuntimeDep, who: Registrar, form: Posted
) -> Response:
    """Register a person, unless someone registered may be them and the registrar has not
    yet said none is: then the form again, everything typed kept, with those people."""
    values, problems = _values(form, RANKS)
    person_in = _checked(PersonCreate, values, problems)
    if person_in is None:
        return _form_page(request, db, form, problems=problems, status_code=422)
    if form.confirm_new != YES:
        duplicates = search.similar(
            db,
            surname=person_in.surname,
            given_names=person_in.given_names,
            patronymic=person_in.patronymic,
            date_of_birth=person_in.date_of_birth,
            name_original_script=person_in.name_original_script,
        )
        if duplicates:
            return _form_page(request, db, form, duplicates=duplicates)
    person = people_service.create(
        db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, person_in=person_in
    )
    return RedirectResponse(f"/people/{person.id}", status_code=303)


def _registered(db: DbSession, person_id: str) -> Person:
    person = people_service.get_registered(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    return person


@router.get("/people/{person_id}/edit")
def correction_form(request: Request, person_id: str, db: DbSession, _: Registrar) -> Response:
    """The identity as recorded, to correct; family details can be replaced, not read."""
    person = _registered(db, person_id)
    base = people_service.latest_revision(db, person_id=person.id)
    return _form_page(request, db, _form_of(person, base), person=person)


@router.post("/people/{person_id}/edit")
def correct(
    request: Request,
    person_id: str,
    db: DbSession,
    rt: RuntimeDep,
    who: Registrar,
    form: Posted,
) -> Response:
    """Save a correction with its reason; refuse it, keeping what was typed, when the form
    is wrong, changes nothing, or another correction was saved since it was filled."""
    person = _registered(db, person_id)
    values, problems = _values(form, [*RANKS, *([person.rank] if person.rank else [])])
    family = values.pop("family")
    # Blank family inputs leave the sealed details as they are; any filled replaces them all.
    wanted = values | {"reason": form.reason} | ({"family": family} if any(family.values()) else {})
    person_in = _checked(PersonUpdate, wanted, problems)
    if person_in is None:
        return _form_page(request, db, form, person=person, problems=problems, status_code=422)
    base = int(form.base) if _REVISION.fullmatch(form.base) else None
    try:
        people_service.update(
            db,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=who.actor,
            person=person,
            person_in=person_in,
            expected_revision=base,
        )
    except people_service.EditConflictError:
        latest = people_service.latest_revision(db, person_id=person.id)
        form.base = str(latest)
        return _form_page(request, db, form, person=person, conflict=True, status_code=409)
    if base is not None and people_service.latest_revision(db, person_id=person.id) == base:
        return _form_page(request, db, form, person=person, unchanged=True, status_code=422)
    return RedirectResponse(f"/people/{person.id}", status_code=303)

"""`/api/v1/persons`: Art. 17 identity; search, paging, corrections, and the access log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from safeconduct.accounts.policy import Permission
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.http.errors import GUARDED, errors
from safeconduct.people import search, service
from safeconduct.people.models import Person
from safeconduct.people.schemas import (
    PersonCreate,
    PersonRead,
    PersonRevisionRead,
    PersonUpdate,
)
from safeconduct.schemas_common import Page

router = APIRouter(prefix="/persons", tags=["persons"], responses=GUARDED)
SearchText = Annotated[str | None, Query(max_length=100)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=100)]


def _found(db: DbSession, person_id: str) -> Person:
    person = service.get_registered(db, person_id=person_id)
    if person is None:
        raise HTTPException(404, "person not found")
    return person


@router.get("", response_model=Page[PersonRead])
def search_persons(
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.PERSON_READ))],
    q: SearchText = None,
    page: PageNo = 1,
    size: PageSize = 20,
) -> Page[PersonRead]:
    """Search registered people with one box; every word of `q`, in any order, is one of:

    - a surname, given name or patronymic, in Cyrillic or Latin and in any common
      transliteration (ISO 9, GOST, BGN/PCGN, the Ukrainian national system, passport
      styles: `Абрамова` finds `ABRAMOVA`, `Pelageya` finds `Pelageia`), within one typo,
      or the beginning of one (three letters or more);
    - a date of birth, full or partial: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `MM.YYYY`,
      `DD.MM.YYYY` (a person whose date is known only in part may match a fuller one);
    - a service number, with or without spaces and dashes, or its beginning.

    Only the people matching the most words are returned: closest spellings first, then by
    surname. Without `q`, everyone registered, by surname."""
    rows, total = search.search(db, q=q, offset=(page - 1) * size, limit=size)
    return Page[PersonRead](
        items=[PersonRead.model_validate(r) for r in rows], total=total, page=page, size=size
    )


@router.post("", response_model=PersonRead, status_code=201)
def create_person(
    body: PersonCreate,
    db: DbSession,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(Requires(Permission.PERSON_WRITE))],
) -> PersonRead:
    """Register a person; the family details, if given, are sealed and never returned."""
    person = service.create(db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, person_in=body)
    return PersonRead.model_validate(person)


@router.get("/{person_id}", response_model=PersonRead, responses=errors(404))
def read_person(
    person_id: str,
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.PERSON_READ))],
) -> PersonRead:
    return PersonRead.model_validate(_found(db, person_id))


@router.patch("/{person_id}", response_model=PersonRead, responses=errors(404))
def update_person(
    person_id: str,
    body: PersonUpdate,
    db: DbSession,
    rt: RuntimeDep,
    who: Annotated[Principal, Depends(Requires(Permission.PERSON_WRITE))],
) -> PersonRead:
    """Correct the fields given, with a reason kept in the person's history."""
    person = service.update(
        db,
        keyring=rt.keyring,
        audit=rt.audit,
        actor=who.actor,
        person=_found(db, person_id),
        person_in=body,
    )
    return PersonRead.model_validate(person)


@router.get(
    "/{person_id}/revisions", response_model=list[PersonRevisionRead], responses=errors(404)
)
def read_revisions(
    person_id: str,
    db: DbSession,
    _: Annotated[Principal, Depends(Requires(Permission.PERSON_READ))],
) -> list[PersonRevisionRead]:
    """A person's history, newest first: who changed which fields, which day, why, and the
    plain values before and after (the sealed family details by name only)."""
    return service.revisions(db, person_id=_found(db, person_id).id)

"""What every printed document of the bureau checks first: the language of its captions, and
that the person it is about still has a record (an erased person has nothing to print)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from safeconduct.custody.service import InvalidFieldError
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.security.service import ErasedError

# The captions a document is printed with, beside the model's English (and French).
LANGUAGES = ("en", "ru", "uk")


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidFieldError(("language",), "must be one of en, ru, uk")
    return language


def living_record(session: Session, person_id: str) -> Person:
    """The person, unless unknown (NotFoundError) or erased (ErasedError)."""
    person = people_service.get_or_raise(session, person_id=person_id)
    if person.erased_on is not None:
        raise ErasedError("the person was erased")
    return person

"""The field-by-field comparison a tracing officer weighs before confirming a candidate:
each name as the family wrote it and as the registry holds it, in both scripts where they
are known, the dates, the engine's score and why it matched (the level each comparison
reached)."""

from __future__ import annotations

from dataclasses import dataclass

from safeconduct.bureau.cards_policy import to_latin
from safeconduct.inquiries import matching
from safeconduct.inquiries.policy import InquiryFields
from safeconduct.people.models import Person
from safeconduct.tracing import pairs


@dataclass(frozen=True, slots=True)
class FieldPair:
    field: str
    asked: str  # as the family wrote it
    asked_latin: str  # in Latin letters (ICAO / the Ukrainian passport scheme)
    held: str  # as the registry holds it
    held_original: str  # the registry's record in the person's own script, if given


@dataclass(frozen=True, slots=True)
class Comparison:
    person_id: str
    score: float
    fields: tuple[FieldPair, ...]
    # comparison name (name, patronymic, dob) -> the level it reached
    why: dict[str, str]


def _latin(text: str) -> str:
    return (to_latin(text) or text) if text else ""


def _original_parts(person: Person) -> dict[str, str]:
    # name_original_script holds "Surname Given Patronymic" as the person writes them.
    words = (person.name_original_script or "").split()
    return dict(zip(("surname", "given_name", "patronymic"), words, strict=False))


def compare(fields: InquiryFields, person: Person, *, prior: float) -> Comparison:
    """Compare an inquiry's person sought with a registered person."""
    held = {
        "surname": person.surname,
        "given_name": person.given_names,
        "patronymic": person.patronymic or "",
        "date_of_birth": person.date_of_birth or "",
    }
    original = _original_parts(person)
    rows = tuple(
        FieldPair(
            field=f,
            asked=getattr(fields, f),
            asked_latin=_latin(getattr(fields, f)) if f != "date_of_birth" else "",
            held=held[f],
            held_original=original.get(f, ""),
        )
        for f in ("surname", "given_name", "patronymic", "date_of_birth")
    )
    scored = pairs.score(
        matching.sought_record("inquiry", fields.sought()),
        matching.person_record(person),
        prior=prior,
    )
    return Comparison(person.id, scored.probability, rows, dict(scored.levels))

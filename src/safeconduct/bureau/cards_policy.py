"""The capture card's rules, with no I/O: what a card says (GC III Annex IV-A), the name in
the person's own script and in Latin, the state of health as the card gives it, when a new
version is due, which intake batches may be printed, and in which order.

What a card never says: anything of how the person came into custody. Nothing here takes a
custody's circumstances, so nothing here can put them on a card, and a person who
surrendered and one who was captured with the same record get the same card."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from safeconduct.bureau import gate
from safeconduct.bureau.gate import Output

FORMAT = "safeconduct-capture-card/1"
# What a version is keyed by: everything but these (which differ between versions, or
# between two prints of the same version).
PER_PRINT = ("card_id", "version", "issued_on", "language")
FAMILY_FIELDS = gate.FAMILY
# The longest intake batch printed at once: a month of a camp's intake.
MAX_BATCH_DAYS = 31
HEALTH_SERIOUS = "seriously_wounded_or_sick"
HEALTH_NOT_SERIOUS = "not_seriously_wounded_or_sick"
# Letters only Ukrainian uses: a name holding one is transliterated as Ukrainian.
_UKRAINIAN_ONLY = frozenset("іїєґІЇЄҐ")
_PARTS = re.compile(r"([\s-]+)")


class InvalidRangeError(ValueError):
    """An intake batch that cannot be printed; `field` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


# --- names ------------------------------------------------------------------------------------


def _cyrillic(text: str) -> bool:
    return any(unicodedata.name(c, "").startswith("CYRILLIC") for c in text if c.isalpha())


def _latin_script(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(unicodedata.name(c, "").startswith("LATIN") for c in letters)


def _word_to_latin(word: str, ukrainian: bool) -> str:
    if not _cyrillic(word):
        return word
    # Lower-case first, then restore the case: the schemes spell digraphs of a capital in
    # mixed case (Щ -> Shch), so an all-capital word would come out ShchERBA.
    if ukrainian:
        import translitua  # the Ukrainian national (passport) scheme, KMU 2010

        latin = str(translitua.translit(word.lower(), translitua.UkrainianKMU))
    else:
        import iuliia  # ICAO Doc 9303, the machine-readable passport scheme

        latin = iuliia.ICAO_DOC_9303.translate(word.lower())
    if word.isupper() and len(word) > 1:
        return latin.upper()
    if word[:1].isupper():
        return latin[:1].upper() + latin[1:]
    return latin


def to_latin(text: str) -> str | None:
    """A name in Latin letters as a passport spells it: Ukrainian (a name with і, ї, є or ґ)
    by the national scheme, other Cyrillic by ICAO Doc 9303; Latin stays as it is. None
    for a script neither scheme covers."""
    ukrainian = any(c in _UKRAINIAN_ONLY for c in text)
    # Word by word, and each part of a double name by itself (Коваленко-Шевченко ->
    # Kovalenko-Shevchenko): the schemes spell a word's start differently from its middle.
    latin = "".join(_word_to_latin(w, ukrainian) for w in _PARTS.split(text))
    return latin if _latin_script(latin) else None


def full_name(surname: str, given_names: str, patronymic: str | None) -> str:
    return " ".join(p.strip() for p in (surname, given_names, patronymic or "") if p.strip())


def names(
    surname: str, given_names: str, patronymic: str | None, original: str | None
) -> tuple[str | None, str | None]:
    """(in the person's own script, in Latin). The fields are in the person's own script
    when they are not Latin; a name given in its own script beside Latin fields is that."""
    name = full_name(surname, given_names, patronymic)
    if original and original.strip():
        own = original.strip()
        return own, name if _latin_script(name) else to_latin(own)
    if _latin_script(name):
        return None, name
    return name, to_latin(name)


# --- health -----------------------------------------------------------------------------------


class HealthEvent(Protocol):
    """What the card reads of a health status event."""

    id: str
    occurred_on: date
    seriously_ill: bool | None
    supersedes_id: str | None


def health(events: Iterable[HealthEvent]) -> str | None:
    """The state of health the card gives, from the latest health status in force (not
    superseded by a correction); on one day, "no longer" wins, as the duties read it.
    None when no health status was ever recorded. The caller passes only events of the
    health status kind recorded in a role that may record them."""
    found = list(events)
    replaced = {e.supersedes_id for e in found if e.supersedes_id}
    standing = [e for e in found if e.id not in replaced and e.seriously_ill is not None]
    if not standing:
        return None
    latest = max(standing, key=lambda e: (e.occurred_on, not e.seriously_ill))
    return HEALTH_SERIOUS if latest.seriously_ill else HEALTH_NOT_SERIOUS


# --- the document -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identity:
    """What the card takes of a person's record (the record's own fields)."""

    surname: str
    given_names: str
    patronymic: str | None
    date_of_birth: str | None
    place_of_birth: str | None
    rank: str | None
    service_number: str | None
    sex: str
    nationality: str | None
    name_original_script: str | None


def content(
    person: Identity,
    *,
    family: Mapping[str, Any],
    captured_on: date,
    place_of_internment: str,
    health_state: str | None,
) -> dict[str, Any]:
    """What a card says, whichever version and print: the key of its versions. `family`:
    the opened family details; only FAMILY_FIELDS are taken."""
    own, latin = names(
        person.surname, person.given_names, person.patronymic, person.name_original_script
    )
    return {
        "format": FORMAT,
        "surname": person.surname,
        "given_names": person.given_names,
        "patronymic": person.patronymic,
        "date_of_birth": person.date_of_birth,
        "place_of_birth": person.place_of_birth,
        "rank": person.rank,
        "service_number": person.service_number,
        "sex": person.sex,
        "nationality": person.nationality,
        "name_original_script": own,
        "name_latin": latin,
        **{f: _text(family.get(f)) for f in FAMILY_FIELDS},
        "captured_on": captured_on.isoformat(),
        "place_of_internment": place_of_internment,
        "health": health_state,
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def digest(card_content: Mapping[str, Any]) -> str:
    """SHA-256 of a card's content in the gate's canonical form: a new version is due when
    it differs from the latest version's."""
    return hashlib.sha256(
        gate.canonical_json(gate.admit(Output.CAPTURE_CARD, card_content))
    ).hexdigest()


def document(
    card_content: Mapping[str, Any], *, card_id: str, version: int, issued_on: date, language: str
) -> gate.Admitted:
    """One print of a version, admitted for the card: its content and which print it is."""
    return gate.admit(
        Output.CAPTURE_CARD,
        {
            **card_content,
            "card_id": card_id,
            "version": version,
            "issued_on": issued_on.isoformat(),
            "language": language,
        },
    )


# --- intake batches ---------------------------------------------------------------------------


def check_batch(place: str, since: date, until: date) -> None:
    """Refuse a batch with no place, a range backwards or longer than MAX_BATCH_DAYS."""
    if not place.strip():
        raise InvalidRangeError("place", "name the place of internment")
    if until < since:
        raise InvalidRangeError("until", "must not be before since")
    if (until - since).days + 1 > MAX_BATCH_DAYS:
        raise InvalidRangeError("until", f"at most {MAX_BATCH_DAYS} days after since")


def name_order(surname: str, given_names: str, patronymic: str | None, ref: str) -> tuple[str, ...]:
    """The order of cards in a batch: by name, then by the record's random id; never by
    when or how anyone came into custody."""
    return (
        surname.casefold(),
        given_names.casefold(),
        (patronymic or "").casefold(),
        ref,
    )

"""The rules of family inquiries, pure: what an inquiry may hold, which steps of the answer
ladder a record supports, what an answer says, and when the inquirer may read it.

GC III lets a family know that a prisoner is held and how they fare (Arts. 70, 122-123),
never anything that would help another find out how they came to be held. So the ladder
has five steps, each a fixed sentence; the only facts an answer can carry are the day of
the latest neutral visit and, only where the prisoner agreed, the place of internment."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from safeconduct.channels.policy import LANGUAGES, FieldError
from safeconduct.people.policy import PartialDate, PartialDateError

ANSWER_FORMAT = "safeconduct-inquiry-answer-1"
# Characters per field: a name, not a story.
NAME_LIMIT = 100
LIMITS = {
    "surname": NAME_LIMIT,
    "given_name": NAME_LIMIT,
    "patronymic": NAME_LIMIT,
    "date_of_birth": 10,
    "place_last_seen": 200,
    "contact": 200,
    "relationship": 16,
    "language": 2,
}
REQUIRED = ("surname", "given_name", "contact", "relationship")
# An answer is never readable sooner than this many days after the inquiry came, nor on
# the day it was given: a prompt answer would tell a prober that the name is on file.
MIN_DAYS_TO_ANSWER = 3
RELEASE_SPREAD_DAYS = 3


class Relationship(StrEnum):
    PARENT = "parent"
    SPOUSE = "spouse"
    CHILD = "child"
    SIBLING = "sibling"
    RELATIVE = "relative"  # another relative
    OTHER = "other"


class Step(StrEnum):
    """The answer ladder, lowest first."""

    NO_INFORMATION = "no_information"
    REGISTERED = "registered"  # registered by the detaining power
    IN_CUSTODY_VISITED = "in_custody_visited"  # held, visited by a neutral body on a day
    RELEASED = "released"  # released or repatriated
    DECEASED = "deceased"  # the death notice goes through the family channel


@dataclass(frozen=True, slots=True)
class InquiryFields:
    """What a family gives: the person sought (names in any script, a full or partial date
    of birth, the unit or place last seen) and the inquirer (contact, relationship,
    language). All of it is sealed."""

    surname: str
    given_name: str
    patronymic: str = ""
    date_of_birth: str = ""
    place_last_seen: str = ""
    contact: str = ""
    relationship: str = Relationship.OTHER.value
    language: str = "ru"

    def sought(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in SOUGHT}

    def inquirer(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in INQUIRER}

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> InquiryFields:
        doc = json.loads(text)
        return InquiryFields(**{k: str(doc.get(k, "")) for k in FIELDS})


SOUGHT = ("surname", "given_name", "patronymic", "date_of_birth", "place_last_seen")
INQUIRER = ("contact", "relationship", "language")
FIELDS = (*SOUGHT, *INQUIRER)


def _clean(text: str) -> str:
    # One line: control and format characters (line breaks, zero-width, direction marks)
    # become nothing; runs of spaces one space.
    kept = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    return " ".join(kept.split())


def check_fields(values: Mapping[str, str | None]) -> InquiryFields:
    """Return the fields as they are kept; raise FieldError naming the first bad one."""
    kept = {f: _clean(values.get(f) or "") for f in FIELDS}
    kept["language"] = kept["language"].lower() or "ru"
    kept["relationship"] = kept["relationship"].lower() or Relationship.OTHER.value
    for field in REQUIRED:
        if not kept[field]:
            raise FieldError(field, "must not be empty")
    for field, limit in LIMITS.items():
        if len(kept[field]) > limit:
            raise FieldError(field, f"must be at most {limit} characters")
    if kept["language"] not in LANGUAGES:
        raise FieldError("language", "must be one of ru, uk, en")
    if kept["relationship"] not in {r.value for r in Relationship}:
        names = ", ".join(r.value for r in Relationship)
        raise FieldError("relationship", f"must be one of {names}")
    try:
        PartialDate.parse(kept["date_of_birth"])
    except PartialDateError:
        raise FieldError("date_of_birth", "must be YYYY-MM-DD, YYYY-MM or YYYY") from None
    return InquiryFields(**kept)


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What the registry says of the person an officer linked to an inquiry."""

    erased: bool = False
    # The latest custody's status (custody.models.CustodyStatus), None without a custody.
    custody_status: str | None = None
    last_visit_on: date | None = None
    place_of_internment: str | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    """The prisoner's choice: may the family be told, and may the place be named."""

    family_may_be_told: bool
    place_may_be_told: bool = False


_HELD = frozenset({"held", "hospitalised"})
_GONE_HOME = frozenset({"released", "repatriated"})


def supported_steps(facts: RecordFacts | None, consent: Consent | None) -> tuple[Step, ...]:
    """The steps an officer may choose for a confirmed link (None: no link). Without the
    prisoner's consent, or for an erased record, only "no information"; otherwise the
    lower steps and the one the record shows."""
    if facts is None or facts.erased or consent is None or not consent.family_may_be_told:
        return (Step.NO_INFORMATION,)
    steps = [Step.NO_INFORMATION, Step.REGISTERED]
    status = facts.custody_status
    if status in _HELD and facts.last_visit_on is not None:
        steps.append(Step.IN_CUSTODY_VISITED)
    elif status in _GONE_HOME:
        steps.append(Step.RELEASED)
    elif status == "deceased":
        steps.append(Step.DECEASED)
    return tuple(steps)


class StepNotSupportedError(ValueError):
    """The record (or the prisoner's choice) does not support the chosen step."""


def answer_document(
    step: Step,
    *,
    reference: str,
    facts: RecordFacts | None,
    consent: Consent | None,
    released_on: date,
) -> dict[str, Any]:
    """The answer as the inquirer reads it: a step, its day, and nothing else that the
    step and the prisoner's consent do not allow."""
    if step not in supported_steps(facts, consent):
        raise StepNotSupportedError(f"the record does not support the step {step.value!r}")
    doc: dict[str, Any] = {
        "format": ANSWER_FORMAT,
        "reference": reference,
        "step": step.value,
        "answered_on": released_on.isoformat(),
    }
    if step == Step.IN_CUSTODY_VISITED:
        assert facts is not None
        assert facts.last_visit_on is not None
        assert consent is not None
        doc["visited_on"] = facts.last_visit_on.isoformat()
        if consent.place_may_be_told and facts.place_of_internment:
            doc["place_of_internment"] = facts.place_of_internment
    return doc


def read_answer(text: str) -> dict[str, str] | None:
    """An answer document from a reply's text, or None for a plain reply."""
    if not text.startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("format") != ANSWER_FORMAT:
        return None
    return {str(k): str(v) for k, v in doc.items()}


def release_day(received_on: date, answered_on: date, spread: int) -> date:
    """The day the inquirer may read an answer: at least a day after it was given and
    MIN_DAYS_TO_ANSWER after the inquiry came, plus `spread` days (0 to
    RELEASE_SPREAD_DAYS - 1, drawn at random by the caller), so neither a quick answer nor
    the step it gives shows in its timing."""
    if not 0 <= spread < RELEASE_SPREAD_DAYS:
        raise ValueError("spread out of range")
    earliest = received_on + timedelta(days=MIN_DAYS_TO_ANSWER)
    return max(earliest, answered_on + timedelta(days=1)) + timedelta(days=spread)

"""Treatment events in and out. Notes go in sealed and never come out in a read."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from safeconduct.schemas_common import GC3_SIGNED, EventDate
from safeconduct.treatment.models import TreatmentKind


def _not_before_gc3(value: date) -> date:
    # A trial is set ahead: of an event's bounds, only the lower one applies.
    if value < GC3_SIGNED:
        raise ValueError(f"must not be before {GC3_SIGNED.isoformat()} (GC III)")
    return value


NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
TrialDate = Annotated[date, AfterValidator(_not_before_gc3)]
Count = Annotated[int, Field(ge=0, le=100)]


class TreatmentNotes(BaseModel):
    """What is sealed with an event: free text (a death certificate's cause of death among
    it), and a weight taken at an examination (Art. 31). Opened only for a stated purpose,
    and medical data only by the medical role."""

    model_config = ConfigDict(extra="forbid")

    text: NoteText | None = None
    weight_kg: Annotated[float, Field(ge=1, le=400)] | None = None


class TreatmentEventCreate(BaseModel):
    """A fact of treatment. The plain facts a kind carries are in `policy.FACTS`; the
    service refuses a fact the kind does not carry or lacks one it needs."""

    model_config = ConfigDict(extra="forbid")

    kind: TreatmentKind
    occurred_on: EventDate
    seriously_ill: bool | None = None
    private_interview: bool | None = None
    letters: Count | None = None
    cards: Count | None = None
    hours: Annotated[int, Field(ge=0, le=744)] | None = None  # a month's hours at most
    trial_on: TrialDate | None = None
    notice_on: EventDate | None = None
    consent: bool | None = None
    cause_known: bool | None = None
    other_person_involved: bool | None = None
    notes: TreatmentNotes | None = None


class TreatmentEventRead(BaseModel):
    """An event as a reader of custody sees it: the sealed notes never come out."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    custody_id: str
    kind: TreatmentKind
    occurred_on: date
    recorded_on: date
    actor: str
    role: str
    supersedes_id: str | None
    seriously_ill: bool | None
    private_interview: bool | None
    letters: int | None
    cards: int | None
    hours: int | None
    trial_on: date | None
    notice_on: date | None
    consent: bool | None
    cause_known: bool | None
    other_person_involved: bool | None

"""Wishes, interviews, exchange events and lists in and out. Notes go in sealed and never
come out in a read; the exchange role sees eligibility, never a wish."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from safeconduct.repatriation.models import (
    Category,
    EventStatus,
    ListStatus,
    RemovalReason,
    StayPlan,
    Wish,
    WishSource,
)
from safeconduct.repatriation.policy import Ineligible, WishFinding
from safeconduct.schemas_common import GC3_SIGNED, EventDate, Name

NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}$")]
Quota = Annotated[int, Field(ge=0, le=10_000)]


def _not_before_gc3(value: date) -> date:
    if value < GC3_SIGNED:
        raise ValueError(f"must not be before {GC3_SIGNED.isoformat()} (GC III)")
    return value


PlannedDate = Annotated[date, AfterValidator(_not_before_gc3)]


class StatementCreate(BaseModel):
    """A wish the person stated to welfare or the registrar, on a day; a note is sealed."""

    model_config = ConfigDict(extra="forbid")

    wish: Wish
    stated_on: EventDate
    note: NoteText | None = None


class InterviewCreate(BaseModel):
    """The verifier's private interview: whether it was held without witnesses, with an
    interpreter, in which language (ISO 639 code), the wish found, whether the person is at
    risk on return. Notes and the risk's reasons are sealed; only the verifier opens them."""

    model_config = ConfigDict(extra="forbid")

    wish: Wish
    held_on: EventDate
    without_witnesses: bool
    interpreter: bool
    language: Language
    risk_on_return: bool = False
    risk_reasons: NoteText | None = None
    notes: NoteText | None = None


class WishRecordRead(BaseModel):
    """A wish as heard, for the roles that may know it (never its sealed notes)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    number: int
    wish: Wish
    source: WishSource
    role: str
    stated_on: date
    has_note: bool
    without_witnesses: bool | None
    interpreter: bool | None
    language: str | None
    risk_on_return: bool | None


class EffectiveWishRead(BaseModel):
    """The wish in effect on a day, and why (for the roles that may know the wish)."""

    model_config = ConfigDict(extra="forbid")

    person_id: str
    on: date
    finding: WishFinding
    wish: Wish | None
    verified_on: date | None
    eligible: bool
    reason: Ineligible | None


class WishSealedRead(BaseModel):
    """What a wish record's sealed fields hold, once opened for a purpose."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = None
    risk_reasons: str | None = None
    interview_notes: str | None = None


class StayPlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: StayPlan


class StayCount(BaseModel):
    """How many of those whose verified wish is to stay have each plan (None: no plan)."""

    model_config = ConfigDict(extra="forbid")

    plan: StayPlan | None
    count: int


class ExchangeEventCreate(BaseModel):
    """An exchange agreed with a counterpart: the planned day and a quota per category."""

    model_config = ConfigDict(extra="forbid")

    counterpart: Name
    planned_on: PlannedDate
    quota_wounded_sick: Quota = 0
    quota_officer: Quota = 0
    quota_enlisted: Quota = 0


class Reschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    planned_on: PlannedDate
    version: int = Field(ge=1)


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: Annotated[str, StringConstraints(min_length=1, max_length=36)]


class MemberRemove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: RemovalReason


class Approve(BaseModel):
    """Approval names the version the approver read: a list changed since is not approved."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)


class MemberRead(BaseModel):
    """A person on a list: who, in which category, and whether they are eligible now."""

    model_config = ConfigDict(extra="forbid")

    person_id: str
    name: str
    category: Category
    position: int
    reason: Ineligible | None  # None: eligible


class InvalidationRead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str
    name: str
    reason: Ineligible
    found_on: date
    approval: int


class ExchangeEventRead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    counterpart: str
    planned_on: date
    quota_wounded_sick: int
    quota_officer: int
    quota_enlisted: int
    status: EventStatus
    version: int
    created_on: date


class ExchangeListRead(BaseModel):
    """An event's list: its members, the last approval, what invalidated it."""

    model_config = ConfigDict(extra="forbid")

    event: ExchangeEventRead
    status: ListStatus
    approvals: int
    approved_on: date | None
    sha256: str | None
    signature: str | None
    key_id: str | None
    members: list[MemberRead]
    invalidations: list[InvalidationRead]


class Problem(BaseModel):
    """Why a change to a list was refused: the person (when one is concerned) and why."""

    model_config = ConfigDict(extra="forbid")

    person_id: str | None
    name: str | None
    reason: str


class ScheduleEntry(BaseModel):
    """A person the verifier must hear before an exchange: on a list, and without a wish
    verified for the planned day."""

    model_config = ConfigDict(extra="forbid")

    person_id: str
    name: str
    event_id: str
    counterpart: str
    planned_on: date
    interview_from: date
    interview_by: date
    finding: WishFinding

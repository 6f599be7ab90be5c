"""The inquiries API's shapes. What leaves in a list never holds a sealed value; what an
officer opens is named as such (InquiryOpened)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from safeconduct.inquiries.models import CandidateStatus, InquiryStatus
from safeconduct.inquiries.policy import Relationship, Step
from safeconduct.intake.models import Channel


class InquiryCreate(BaseModel):
    """An inquiry taken by phone or in person. Limits and rules are `policy.check_fields`'s
    (a refusal names the field)."""

    model_config = ConfigDict(extra="forbid")

    surname: str = Field(max_length=1000)
    given_name: str = Field(max_length=1000)
    patronymic: str = Field(default="", max_length=1000)
    date_of_birth: str = Field(default="", max_length=1000, description="YYYY-MM-DD, YYYY-MM, YYYY")
    place_last_seen: str = Field(default="", max_length=1000, description="Unit or place.")
    contact: str = Field(max_length=1000)
    relationship: Relationship = Relationship.OTHER
    language: str = Field(default="ru", max_length=8)
    channel: Channel = Channel.PHONE


class InquiryIssued(BaseModel):
    """What the officer reads out: the reference and the codename (shown once) and the
    signed receipt; no codename when this deployment has no channel keys."""

    id: str
    reference: str
    codename: str | None = None
    receipt: str | None = None


class QueueItem(BaseModel):
    id: str
    reference: str
    received_on: date
    status: InquiryStatus
    new_candidates: bool
    pending: int
    confirmed: int


class CandidateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    person_id: str
    score: float
    status: CandidateStatus
    found_on: date
    decided_on: date | None


class AnswerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    step: Step
    answered_on: date
    release_on: date


class InquiryRead(BaseModel):
    id: str
    reference: str
    channel: Channel
    status: InquiryStatus
    received_on: date
    candidates: list[CandidateRead]
    answers: list[AnswerRead]


class FieldPairRead(BaseModel):
    field: str
    asked: str
    asked_latin: str
    held: str
    held_original: str


class ComparisonRead(BaseModel):
    person_id: str
    score: float
    status: CandidateStatus
    fields: list[FieldPairRead]
    why: dict[str, str]


class InquiryOpened(BaseModel):
    """An inquiry opened for review (an audited read)."""

    id: str
    reference: str
    surname: str
    given_name: str
    patronymic: str
    date_of_birth: str
    place_last_seen: str
    contact: str
    relationship: str
    language: str
    comparisons: list[ComparisonRead]


class StepsRead(BaseModel):
    """The steps the record supports for this inquiry (only "no information" without a
    confirmed link or without the prisoner's consent)."""

    steps: list[Step]


class AnswerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Step


class ConsentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family_may_be_told: bool
    place_may_be_told: bool = False


class ConsentRead(ConsentBody):
    person_id: str
    recorded_on: date | None = None

"""What a sealed read takes and gives in the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from safeconduct.disclosure.policy import Purpose, PurposeError, check_reason
from safeconduct.intake.models import RequestStatus
from safeconduct.intake.policy import EventKind


def _reason(value: str) -> str:
    try:
        return check_reason(value)
    except PurposeError as exc:
        raise ValueError(exc.message) from None


# Bounded before the rule runs, so a huge body is refused without being scanned.
Reason = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_reason)]


class RevealRequest(BaseModel):
    """Why a sealed value is opened: a purpose from the list, and a reason in words."""

    model_config = ConfigDict(extra="forbid")

    purpose: Purpose
    reason: Reason


class OpenedNote(BaseModel):
    """A note, or the reason of a status change, from a request's history, opened."""

    number: int
    kind: EventKind
    status: RequestStatus | None  # for a reason: the status it moved the request to
    happened_on: date
    text: str


class RequestContents(BaseModel):
    """A surrender request's sealed parts, opened: contact, content, and the notes and
    reasons of its history, oldest first."""

    contact: str
    content: str
    notes: list[OpenedNote]

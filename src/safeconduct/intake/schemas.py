"""What the API takes and gives about a surrender request; sealed parts go in, never out."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from safeconduct.intake.models import Channel, RequestStatus
from safeconduct.intake.policy import MAX_TEXT, EventKind, TextError, check_text
from safeconduct.schemas_common import LongText, Name


def _text(value: str) -> str:
    try:
        return check_text(value, field="text")
    except TextError as exc:
        raise ValueError(exc.message) from None


# Bounded before the rule runs, so a huge body is refused unscanned.
RawText = Annotated[str, StringConstraints(max_length=MAX_TEXT * 2)]
# A note: never empty.
NoteText = Annotated[RawText, AfterValidator(_text)]


class SurrenderRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    contact: Name
    content: LongText


class SurrenderRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    id: str
    # A short reference to say on the phone (R-7KQ4); None only on a row no migration filled.
    reference: str | None
    channel: Channel
    received_on: date
    status: RequestStatus
    status_changed_on: date
    assigned_to: str | None


class SurrenderRequestStatusUpdate(BaseModel):
    """A move; `reason` is required to reject or withdraw, and sealed with the request."""

    model_config = ConfigDict(extra="forbid")

    status: RequestStatus
    # Whether one is needed depends on the move: the service decides, and names `reason`.
    reason: RawText | None = None


class NoteCreate(BaseModel):
    """A note on a request; sealed under the request's data key."""

    model_config = ConfigDict(extra="forbid")

    text: NoteText


class AssignmentUpdate(BaseModel):
    """The intake account to work the request, or None to leave it unassigned."""

    model_config = ConfigDict(extra="forbid")

    account_id: str | None


class RequestEventRead(BaseModel):
    """A step in a request's history, without its text: a note or a reason opens only
    through the purpose-bound reveal."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    number: int
    kind: EventKind
    status: RequestStatus | None
    assignee: str | None
    happened_on: date
    actor: str
    has_text: bool  # a note or reason is sealed with this step

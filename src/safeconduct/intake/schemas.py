"""What the API takes and gives about a surrender request; sealed parts go in, never out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from safeconduct.intake.models import Channel, RequestKind, RequestStatus, SurrenderRequest
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
    kind: RequestKind = RequestKind.SURRENDER
    # Flagged by an officer as a probe by the other side; the reason opens with the notes.
    suspected_probe: bool = False
    # Whether the applicant holds a codename to read replies with (see `request_read`).
    has_codename: bool = False
    # The day retention destroyed its contact, content, notes and replies.
    channel_data_destroyed_on: date | None = None
    # References of other requests from the same contact (its blind index), never the
    # contact; filled in by the queue's routes, for intake only.
    same_contact: list[str] = []


def request_read(
    request: SurrenderRequest, same_contact: Sequence[str] = ()
) -> SurrenderRequestRead:
    """A request as the API and the queue show it: whether a codename was issued is read
    from the sealed reply key's presence (the key itself never leaves)."""
    read = SurrenderRequestRead.model_validate(request)
    extra = {"has_codename": request.reply_key is not None, "same_contact": list(same_contact)}
    return read.model_copy(update=extra)


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


class ReplyCreate(BaseModel):
    """A reply to the applicant, read with their codename on the status page."""

    model_config = ConfigDict(extra="forbid")

    text: NoteText


class CodenameIssued(BaseModel):
    """What a caller is read out, once: never stored, never shown again."""

    model_config = ConfigDict(extra="forbid")

    reference: str
    codename: str
    receipt: str  # signed with the channel key; checks at /verify


class ProbeFlagUpdate(BaseModel):
    """Flag a request as a suspected probe (`suspected: true`) or clear the flag, with a
    reason either way; the reason is sealed with the request."""

    model_config = ConfigDict(extra="forbid")

    suspected: bool
    reason: RawText

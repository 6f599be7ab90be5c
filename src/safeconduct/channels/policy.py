"""The channels' rules, pure: what a submission may hold, what an applicant is told, what a
receipt says, when channel data is due for destruction."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from safeconduct.channels.models import PublicStatus
from safeconduct.intake.models import Channel, RequestStatus

LANGUAGES = ("ru", "uk", "en")
# Characters: short enough that no one is asked for more than intake needs.
LIMITS = {"contact": 200, "place": 300, "message": 4000, "language": 2}
REQUIRED = ("contact",)

_CHANNEL_NAMES = {
    Channel.WEB_FORM: "web form",
    Channel.WEBHOOK: "bot or phone line",
    Channel.CHAT_BOT: "chat bot",
    Channel.PHONE: "phone",
    Channel.IN_PERSON: "in person",
}


class FieldError(ValueError):
    """A submission field that cannot be taken; names the field, never its value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _clean(text: str) -> str:
    # Control and format characters (zero-width, direction marks) dropped; line breaks kept.
    kept = (
        c for c in text.replace("\r\n", "\n") if c in "\n\t" or unicodedata.category(c)[0] != "C"
    )
    return "".join(kept).strip()


@dataclass(frozen=True, slots=True)
class SubmissionFields:
    """What an applicant gives: how to reach them, roughly where they are, their language,
    and a message. All of it is sealed; none of it is ever shown back on the public face."""

    contact: str
    place: str = ""
    language: str = "ru"
    message: str = ""

    def to_bytes(self) -> bytes:
        doc = {"contact": self.contact, "place": self.place, "language": self.language,
               "message": self.message}  # fmt: skip
        return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")

    @staticmethod
    def from_bytes(data: bytes) -> SubmissionFields:
        doc = json.loads(data.decode("utf-8"))
        return SubmissionFields(
            contact=str(doc["contact"]),
            place=str(doc.get("place", "")),
            language=str(doc.get("language", "ru")),
            message=str(doc.get("message", "")),
        )

    def content_text(self) -> str:
        """The request's content as officers read it once opened."""
        parts = [f"Where: {self.place or '-'}", f"Language: {self.language}"]
        if self.message:
            parts += ["", self.message]
        return "\n".join(parts)


def check_fields(
    contact: str | None, place: str | None, language: str | None, message: str | None
) -> SubmissionFields:
    """Return the fields as they are kept; raise FieldError naming the first bad one."""
    values = {
        "contact": _clean(contact or ""),
        "place": _clean(place or ""),
        "language": (language or "ru").strip().lower(),
        "message": _clean(message or ""),
    }
    for field in REQUIRED:
        if not values[field]:
            raise FieldError(field, "must not be empty")
    for field, limit in LIMITS.items():
        if len(values[field]) > limit:
            raise FieldError(field, f"must be at most {limit} characters")
    if values["language"] not in LANGUAGES:
        raise FieldError("language", "must be one of ru, uk, en")
    return SubmissionFields(**values)


def check_message(text: str | None) -> str:
    """A message written again from /status or a bot: never empty, bounded."""
    kept = _clean(text or "")
    if not kept:
        raise FieldError("message", "must not be empty")
    if len(kept) > LIMITS["message"]:
        raise FieldError("message", f"must be at most {LIMITS['message']} characters")
    return kept


def public_status(status: RequestStatus) -> PublicStatus:
    """All an applicant learns of a request: received, in review, or closed. Accepted,
    rejected and withdrawn all read "closed": the status page must not tell a watcher who
    was taken in."""
    if status == RequestStatus.RECEIVED:
        return PublicStatus.RECEIVED
    if status == RequestStatus.IN_REVIEW:
        return PublicStatus.IN_REVIEW
    return PublicStatus.CLOSED


def normalise_contact(contact: str) -> str:
    """A contact as the blind index keys it: case, spaces and punctuation dropped, so one
    phone number or handle written two ways is one contact."""
    folded = unicodedata.normalize("NFKC", contact).casefold()
    return "".join(c for c in folded if c.isalnum() or c == "@")


def receipt_body(reference: str, issued: datetime, channel: Channel) -> str:
    """The signed text of a receipt: the reference, the minute it was issued (UTC), the
    channel. Never the codename: a receipt may be shown to check it, a codename never."""
    return "\n".join(
        [
            "Safe Conduct receipt",
            f"reference: {reference}",
            f"issued: {issued.strftime('%Y-%m-%d %H:%M')} UTC",
            f"channel: {_CHANNEL_NAMES[channel]}",
        ]
    )


RETIRED = frozenset({RequestStatus.CLOSED, RequestStatus.WITHDRAWN, RequestStatus.REJECTED,
                     RequestStatus.ACCEPTED})  # fmt: skip


def due_for_destruction(status: RequestStatus, changed_on: date, today: date, days: int) -> bool:
    """Whether a request's channel data has served: closed, withdrawn, rejected, or accepted
    (its person is then in custody), and that status is at least `days` old."""
    return status in RETIRED and today - changed_on >= timedelta(days=days)

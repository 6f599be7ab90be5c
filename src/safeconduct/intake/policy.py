"""Rules of the intake queue: which status changes a request may go through, which of them
need a reason, what a note or a reason may hold, and the short references staff say aloud."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from enum import StrEnum

from safeconduct.intake.models import RequestStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.RECEIVED: frozenset({S.IN_REVIEW, S.REJECTED, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset({S.ACCEPTED, S.REJECTED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.CLOSED, S.WITHDRAWN}),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.CLOSED: frozenset(),
}
# Moves that end a request against or without the applicant: each needs a reason (sealed
# with the request) and, in the UI, a confirmation.
NEEDS_REASON = frozenset({S.REJECTED, S.WITHDRAWN})
# Notes and assignments are dated steps in a plain table. After acceptance the applicant
# is crossing: a note dated that day would pair the request with the custody that begins
# on it (the nightly batch closes accepted requests to hide just that). So the request's
# own history stops at acceptance; the crossing goes in the custody's sealed circumstances.
OPEN_TO_WORK = frozenset({S.RECEIVED, S.IN_REVIEW})


def open_to_work(status: S) -> bool:
    """Tell whether notes and assignments may still be added to a request in this status."""
    return status in OPEN_TO_WORK


class EventKind(StrEnum):
    """What a step in a request's history is."""

    STATUS = "status"
    NOTE = "note"
    ASSIGN = "assign"
    MESSAGE = "message"  # the applicant wrote again (from the status page or a bot)
    REPLY = "reply"  # an officer's reply to the applicant
    PROBE = "probe"  # flagged as a suspected probe, with a reason
    PROBE_CLEARED = "probe_cleared"  # the flag withdrawn, with a reason


# A note or a reason: long enough for a call summary, short enough to seal at one size.
MAX_TEXT = 2000
# Every note and reason seals to this size, so a ciphertext's length says nothing about
# what was written: MAX_TEXT characters of up to 4 UTF-8 bytes each, and the pad mark.
TEXT_BYTES = 8192

REFERENCE_PREFIX = "R-"
# Crockford's base 32 (no I, L, O, U): read aloud or typed from a note, nothing is mistaken
# for something else. Migration 0006 writes the same alphabet out for the rows it backfills.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT, LONG = 4, 6
# After this many collisions in a row the four-character space is crowded: draw longer.
SHORT_TRIES = 8
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_REFERENCE = re.compile(
    rf"^R-(?:[{REFERENCE_ALPHABET}]{{{SHORT}}}|[{REFERENCE_ALPHABET}]{{{LONG}}})$"
)


class TextError(ValueError):
    """A note or a reason that cannot be kept (empty, or too long); names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def can_move(current: S, target: S) -> bool:
    """Tell whether a request may move from one status to another."""
    return target in ALLOWED[current]


def needs_reason(target: S) -> bool:
    """Tell whether a move to this status must say why."""
    return target in NEEDS_REASON


def _kept(char: str) -> bool:
    # Control and format characters (zero-width spaces, direction marks) would let a text
    # look present to the rule and empty to the reader; line breaks stay.
    return char in "\n\t" or unicodedata.category(char) not in {"Cc", "Cf"}


def optional_text(text: str | None, *, field: str) -> str | None:
    """Return a note or reason as it is kept (invisible characters dropped, ends trimmed,
    line breaks normalised), None when nothing visible is left; refuse an overlong one."""
    kept = "".join(c for c in (text or "").replace("\r\n", "\n") if _kept(c)).strip()
    if len(kept) > MAX_TEXT:
        raise TextError(field, f"must be at most {MAX_TEXT} characters")
    return kept or None


def check_text(text: str | None, *, field: str) -> str:
    """Return a note or reason as it is kept (see `optional_text`); refuse an empty one."""
    kept = optional_text(text, field=field)
    if kept is None:
        raise TextError(field, "must not be empty")
    return kept


def reference_length(attempt: int) -> int:
    """How long a reference is drawn on this attempt (0 first): longer once the short
    ones keep colliding."""
    return SHORT if attempt < SHORT_TRIES else LONG


def reference(pick: Callable[[str], str], *, attempt: int = 0) -> str:
    """Draw a reference such as R-7KQ4 with `pick` (`secrets.choice` in use): random, never
    a sequence, so it tells neither the order nor the number of requests."""
    body = "".join(pick(REFERENCE_ALPHABET) for _ in range(reference_length(attempt)))
    return REFERENCE_PREFIX + body


def parse_reference(text: str) -> str | None:
    """Return the reference typed (any case, with or without R-, spaces or dashes, I/L for 1
    and O for 0), or None when it cannot be one."""
    upper = text.strip().upper()
    prefixed = re.match(r"^R\s*-", upper)
    compact = re.sub(r"[\s\-]", "", upper[prefixed.end() :] if prefixed else upper)
    # Without its dash, a leading R is the prefix only if what follows has a reference's length.
    if not prefixed and compact.startswith("R") and len(compact) in (SHORT + 1, LONG + 1):
        compact = compact[1:]
    candidate = REFERENCE_PREFIX + compact.translate(_LOOKALIKES)
    return candidate if _REFERENCE.match(candidate) else None

"""Rules for opening sealed values: a stated purpose from a fixed list, plus a reason."""

from __future__ import annotations

from enum import StrEnum

MAX_REASON = 500


class Purpose(StrEnum):
    """Why a sealed value is opened; recorded in the audit log with the reason."""

    PROTECTION_ASSESSMENT = "protection_assessment"
    LEGAL_PROCEEDINGS = "legal_proceedings"
    INTAKE_FOLLOW_UP = "intake_follow_up"
    DATA_CORRECTION = "data_correction"
    AUDIT_INVESTIGATION = "audit_investigation"


class PurposeError(ValueError):
    """A sealed read was asked for without an acceptable purpose."""


def stated_purpose(purpose: str, reason: str) -> str:
    """Return the text the audit log keeps for a sealed read, or refuse."""
    try:
        tag = Purpose(purpose)
    except ValueError:
        raise PurposeError(
            f"purpose must be one of: {', '.join(p.value for p in Purpose)}"
        ) from None
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise PurposeError("reason must say, in at least 5 characters, why the value is opened")
    if len(reason) > MAX_REASON:
        raise PurposeError(f"reason must be at most {MAX_REASON} characters")
    return f"{tag.value}: {reason}"

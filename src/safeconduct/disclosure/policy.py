"""Pure rules for opening sealed values: which permission opens which field, the purposes a
read may state, and what makes a reason a reason."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from safeconduct.accounts.policy import ROLE_PERMISSIONS, Permission, Role, allows
from safeconduct.audit.tags import AuditAction
from safeconduct.treatment.models import TreatmentKind
from safeconduct.treatment.policy import RECORDED_BY

MIN_REASON = 5
MAX_REASON = 500


class Purpose(StrEnum):
    """Why a sealed value is opened; recorded in the audit log with the reason."""

    PROTECTION_ASSESSMENT = "protection_assessment"
    LEGAL_PROCEEDINGS = "legal_proceedings"
    INTAKE_FOLLOW_UP = "intake_follow_up"
    DATA_CORRECTION = "data_correction"
    AUDIT_INVESTIGATION = "audit_investigation"


class PurposeError(ValueError):
    """A sealed read was asked for without an acceptable purpose or reason."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class SealedField:
    """A sealed column, the permission that opens it, and the tag its reads are logged under."""

    table: str
    column: str
    permission: Permission
    tag: AuditAction


CIRCUMSTANCES = SealedField(
    "custodies", "circumstances", Permission.CIRCUMSTANCES_REVEAL, AuditAction.CIRCUMSTANCES_OPEN
)
REQUEST_CONTACT = SealedField(
    "surrender_requests", "contact", Permission.REQUEST_REVEAL, AuditAction.REQUEST_CONTACT_OPEN
)
REQUEST_CONTENT = SealedField(
    "surrender_requests", "content", Permission.REQUEST_REVEAL, AuditAction.REQUEST_CONTENT_OPEN
)
# A request's notes and the reasons of its status changes: opened together with its contact
# and content, under one log entry for all of them.
REQUEST_NOTES = SealedField(
    "request_events", "body", Permission.REQUEST_REVEAL, AuditAction.REQUEST_NOTES_OPEN
)
# A treatment event's notes: free text, a weight, a cause of death. Who opens them turns
# on the event's kind as well (`may_open_notes`).
TREATMENT_NOTES = SealedField(
    "treatment_events",
    "notes",
    Permission.TREATMENT_NOTES_REVEAL,
    AuditAction.TREATMENT_NOTES_OPEN,
)
# A wish record's note (a statement's, or the verifier's interview notes) and the reasons
# of a risk on return: opened together, under one log entry about the person.
WISH_NOTE = SealedField(
    "wish_records", "note", Permission.WISH_NOTES_REVEAL, AuditAction.WISH_NOTES_OPEN
)
WISH_RISK = SealedField(
    "wish_records", "risk_reasons", Permission.WISH_NOTES_REVEAL, AuditAction.WISH_NOTES_OPEN
)
# A family inquiry: the person sought and the inquirer, opened for the tracing officer's
# review (inquiries.service.reveal, audited with the purpose `tracing_review`).
INQUIRY_SOUGHT = SealedField(
    "inquiries", "sought", Permission.INQUIRY_REVEAL, AuditAction.INQUIRY_OPEN
)
INQUIRY_INQUIRER = SealedField(
    "inquiries", "inquirer", Permission.INQUIRY_REVEAL, AuditAction.INQUIRY_OPEN
)
SEALED_FIELDS = (
    CIRCUMSTANCES,
    REQUEST_CONTACT,
    REQUEST_CONTENT,
    REQUEST_NOTES,
    TREATMENT_NOTES,
    WISH_NOTE,
    WISH_RISK,
    INQUIRY_SOUGHT,
    INQUIRY_INQUIRER,
)
# Permissions that open a sealed value of a person or a request.
SEALED_PERMISSIONS = frozenset(f.permission for f in SEALED_FIELDS)


# Permissions an account uses only while an approval of it in its role stands: those that
# open sealed values, and the power to grant that approval. The admin sees every invitation
# code, so it can hold an auditor account as easily as a verifier one; an approval power
# that needed no approval would let it approve its own verifier.
# Exchanging inquiries opens the persons sought of every open inquiry at once.
APPROVAL_GATED = SEALED_PERMISSIONS | {Permission.ACCOUNT_APPROVE, Permission.INQUIRY_EXCHANGE}


def opens_sealed(role: Role) -> bool:
    """Tell whether a role holds a sealed permission."""
    return bool(ROLE_PERMISSIONS.get(role, frozenset()) & SEALED_PERMISSIONS)


def needs_approval(role: Role) -> bool:
    """Tell whether a role holds a permission (a sealed one, or approving accounts) that an
    account may use only while an approval of it in that role stands: whoever made the
    account saw its invitation code, and may be the one holding it."""
    return bool(ROLE_PERMISSIONS.get(role, frozenset()) & APPROVAL_GATED)


def may_open(role: Role, field: SealedField) -> bool:
    """Tell whether a role may open a sealed field at all (a purpose is still needed)."""
    return allows(role, field.permission)


# Kinds whose notes are medical data (findings, a weight, the state of health, a cause of
# death): opened by the medical role only, whoever else may ever come to record them.
MEDICAL_KINDS = frozenset(
    {
        TreatmentKind.MEDICAL_EXAMINATION,
        TreatmentKind.HEALTH_STATUS,
        TreatmentKind.HEALTH_REPORT,
        TreatmentKind.MEDICAL_COMMISSION,
        TreatmentKind.DEATH_CERTIFICATE,
    }
)


def may_open_notes(role: Role, kind: str) -> bool:
    """Tell whether a role may open the notes of a treatment event of this kind (a purpose
    is still needed): medical notes by the medical role, others by the roles that record
    the kind. A kind it does not know, no one."""
    try:
        known = TreatmentKind(kind)
    except ValueError:
        return False
    if not may_open(role, TREATMENT_NOTES):
        return False
    if known in MEDICAL_KINDS:
        return role is Role.MEDICAL
    return role in RECORDED_BY.get(known, frozenset())


# Who hears statements of a wish, and so may read what was noted with one.
STATEMENT_ROLES = frozenset({Role.WELFARE, Role.REGISTRAR})


def may_open_wish(role: Role, source: str) -> bool:
    """Tell whether a role may open a wish record's sealed values (a purpose is still
    needed): an interview's notes and risk reasons by the verifier alone; a statement's note
    by those who hear statements and by the verifier."""
    if not may_open(role, WISH_NOTE):
        return False
    if source == "interview":
        return role is Role.VERIFIER
    return source == "statement" and (role in STATEMENT_ROLES or role is Role.VERIFIER)


def check_purpose(purpose: str) -> Purpose:
    """Return the purpose named, or refuse."""
    try:
        return Purpose(purpose)
    except ValueError:
        choices = ", ".join(p.value for p in Purpose)
        raise PurposeError("purpose", f"must be one of: {choices}") from None


def _visible(char: str) -> bool:
    # Control and format characters (zero-width spaces, direction marks) would let a
    # reason look longer to the rule than it reads to the auditor.
    return unicodedata.category(char) not in {"Cc", "Cf"}


def check_reason(reason: str) -> str:
    """Return the reason as the log keeps it: whitespace of any kind collapsed to one space,
    invisible characters dropped; refuse one that is too short or too long after that."""
    text = " ".join("".join(c if _visible(c) or c.isspace() else "" for c in reason).split())
    if len(text) < MIN_REASON:
        raise PurposeError(
            "reason", f"must say, in at least {MIN_REASON} visible characters, why it is opened"
        )
    if len(text) > MAX_REASON:
        raise PurposeError("reason", f"must be at most {MAX_REASON} characters")
    return text


def stated_purpose(purpose: str, reason: str) -> str:
    """Return the text the audit log keeps for a sealed read, or refuse."""
    return f"{check_purpose(purpose).value}: {check_reason(reason)}"

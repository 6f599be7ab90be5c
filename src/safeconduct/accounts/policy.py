"""Roles and permissions as data: one table, deny by default, separation of duties."""

from __future__ import annotations

import math
import re
from enum import StrEnum


class Role(StrEnum):
    INTAKE = "intake"
    REGISTRAR = "registrar"
    MEDICAL = "medical"
    WELFARE = "welfare"
    VERIFIER = "verifier"
    EXCHANGE = "exchange"
    TRACING = "tracing"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Permission(StrEnum):
    """What a route needs, as `resource:action`."""

    PERSON_READ = "person:read"
    PERSON_WRITE = "person:write"
    REQUEST_CREATE = "request:create"
    REQUEST_READ = "request:read"
    REQUEST_UPDATE = "request:update"
    REQUEST_REVEAL = "request:reveal"  # sealed contact and content of a request
    CUSTODY_READ = "custody:read"
    CUSTODY_WRITE = "custody:write"
    CIRCUMSTANCES_REVEAL = "circumstances:reveal"  # sealed circumstances of surrender
    # Treatment events; which kinds a role records is `treatment.policy.RECORDED_BY`.
    TREATMENT_WRITE = "treatment:write"
    DUTY_READ = "duty:read"  # the duties dashboard: counts per duty and place, no names
    # A custody's treatment events and the state of each of its duties: personal data.
    TREATMENT_READ = "treatment:read"
    # Sealed notes of a treatment event, of a kind one's role records; medical notes (a cause
    # of death among them) by the medical role only (`disclosure.policy.may_open_notes`).
    TREATMENT_NOTES_REVEAL = "treatment_notes:reveal"
    # Repatriation wishes (guarantee 3). Statements are heard by welfare and the registrar;
    # only the neutral verifier verifies. The exchange role never learns a wish: it sees
    # whether a person is eligible and why not, in words that never name the wish.
    WISH_RECORD = "wish:record"
    WISH_VERIFY = "wish:verify"
    WISH_READ = "wish:read"
    # A wish record's sealed note; an interview's notes and risk reasons by the verifier only
    # (`disclosure.policy.may_open_wish`).
    WISH_NOTES_REVEAL = "wish_notes:reveal"
    STAY_PLAN_WRITE = "stay_plan:write"  # Art. 118 plans of those who do not return
    STAY_COUNT_READ = "stay_plan:count"  # how many stay, per plan: no names
    EXCHANGE_MANAGE = "exchange:manage"  # events, the builder, adding and removing
    EXCHANGE_APPROVE = "exchange:approve"  # four eyes: never one's own list
    EXCHANGE_EXPORT = "exchange:export"
    EXCHANGE_READ = "exchange:read"
    # People on lists the verifier must hear before the exchange, and invalidations.
    EXCHANGE_SCHEDULE = "exchange:schedule"
    # The bureau's outputs (GC III Arts. 70, 120, 122-123). Every one passes `bureau.gate`.
    CAPTURE_CARD_ISSUE = "capture_card:issue"  # make, print and send capture cards
    CTA_BATCH_SEND = "cta_batch:send"  # notifications to the Central Tracing Agency
    DEATH_NOTICE_ISSUE = "death_notice:issue"  # notices to the family and the CTA: no cause
    DEATH_CERTIFICATE_ISSUE = "death_certificate:issue"  # with the cause: medical staff
    TRANSMISSION_READ = "transmission:read"  # what left, to whom, which day, its hash
    STATISTICS_READ = "statistics:read"  # suppressed counts: no cell under five shown
    # Family inquiries: the tracing officer's queue, candidates, links and answers.
    INQUIRY_READ = "inquiry:read"  # the queue: references, days, counts; nothing sealed
    INQUIRY_ENTER = "inquiry:enter"  # take an inquiry by phone or in person
    INQUIRY_REVEAL = "inquiry:reveal"  # open the person sought and the inquirer (audited)
    INQUIRY_ANSWER = "inquiry:answer"  # confirm or reject candidates, answer on the ladder
    INQUIRY_EXCHANGE = "inquiry:exchange"  # PFIF/CSV with other tracing services
    FAMILY_CONSENT = "family_consent:record"  # the prisoner's choice about their family
    ACCESS_LOG_READ = "access_log:read"
    AUDIT_READ = "audit:read"
    AUDIT_VERIFY = "audit:verify"
    ACCOUNT_MANAGE = "account:manage"
    # Four eyes: the admin makes accounts, but only an auditor lets one open sealed values.
    ACCOUNT_APPROVE = "account:approve"
    SELF = "self:use"  # one's own session, language and second factor


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.INTAKE: frozenset(
        {P.SELF, P.REQUEST_CREATE, P.REQUEST_READ, P.REQUEST_UPDATE, P.REQUEST_REVEAL}
    ),
    Role.REGISTRAR: frozenset(
        {
            P.SELF,
            P.PERSON_READ,
            P.PERSON_WRITE,
            P.CUSTODY_READ,
            P.CUSTODY_WRITE,
            P.ACCESS_LOG_READ,
            P.TREATMENT_WRITE,
            P.DUTY_READ,
            P.TREATMENT_READ,
            P.TREATMENT_NOTES_REVEAL,
            P.WISH_RECORD,
            P.WISH_READ,
            P.WISH_NOTES_REVEAL,
            P.STAY_COUNT_READ,
            P.CAPTURE_CARD_ISSUE,
            P.CTA_BATCH_SEND,
            P.DEATH_NOTICE_ISSUE,
            P.TRANSMISSION_READ,
            P.STATISTICS_READ,
            P.FAMILY_CONSENT,
        }
    ),
    Role.MEDICAL: frozenset(
        {
            P.SELF,
            P.PERSON_READ,
            P.CUSTODY_READ,
            P.TREATMENT_WRITE,
            P.DUTY_READ,
            P.TREATMENT_READ,
            P.TREATMENT_NOTES_REVEAL,
            P.DEATH_CERTIFICATE_ISSUE,
        }
    ),
    Role.WELFARE: frozenset(
        {
            P.SELF,
            P.PERSON_READ,
            P.CUSTODY_READ,
            P.TREATMENT_WRITE,
            P.DUTY_READ,
            P.TREATMENT_READ,
            P.TREATMENT_NOTES_REVEAL,
            P.WISH_RECORD,
            P.WISH_READ,
            P.WISH_NOTES_REVEAL,
            P.STAY_PLAN_WRITE,
            P.STATISTICS_READ,
            P.FAMILY_CONSENT,
        }
    ),
    # The neutral delegate weighs the risk on return, which turns on how the person came
    # into custody: the only role that opens the circumstances of surrender. It records its
    # visits (Art. 126) and opens their notes.
    Role.VERIFIER: frozenset(
        {
            P.SELF,
            P.PERSON_READ,
            P.CUSTODY_READ,
            P.CIRCUMSTANCES_REVEAL,
            P.TREATMENT_WRITE,
            P.TREATMENT_NOTES_REVEAL,
            P.WISH_VERIFY,
            P.WISH_READ,
            P.WISH_NOTES_REVEAL,
            P.STAY_PLAN_WRITE,
            P.EXCHANGE_SCHEDULE,
        }
    ),
    Role.EXCHANGE: frozenset(
        {
            P.SELF,
            P.PERSON_READ,
            P.CUSTODY_READ,
            P.EXCHANGE_MANAGE,
            P.EXCHANGE_APPROVE,
            P.EXCHANGE_EXPORT,
            P.EXCHANGE_READ,
        }
    ),
    Role.TRACING: frozenset(
        {
            P.SELF,
            P.PERSON_READ,
            P.INQUIRY_READ,
            P.INQUIRY_ENTER,
            P.INQUIRY_REVEAL,
            P.INQUIRY_ANSWER,
            P.INQUIRY_EXCHANGE,
            P.FAMILY_CONSENT,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            P.SELF,
            P.AUDIT_READ,
            P.AUDIT_VERIFY,
            P.ACCESS_LOG_READ,
            P.ACCOUNT_APPROVE,
            P.DUTY_READ,
            P.TRANSMISSION_READ,
        }
    ),
    Role.ADMIN: frozenset({P.SELF, P.ACCOUNT_MANAGE}),
}


def allows(role: Role, permission: Permission) -> bool:
    """Tell whether a role holds a permission; anything not in the table is denied."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


# No role is exempt from the second factor: each reads personal data or holds power over
# those who do. Until an account has enrolled TOTP, its sessions may only enrol it.

SESSION_IDLE_SECONDS = 30 * 60
SESSION_ABSOLUTE_SECONDS = 12 * 3600
# An invitation sets a password and enrols TOTP once, within this time.
INVITATION_SECONDS = 72 * 3600
MIN_PASSWORD = 12

# Back-off per (account, client): after FREE_FAILURES failures from one client, that client
# waits twice as long after each further one; the owner at another client is not slowed.
FREE_FAILURES = 5
MAX_LOCK_SECONDS = 3600
# Throttle per client over every login failure, whatever the username (known or not).
CLIENT_MAX_FAILURES = 20
CLIENT_WINDOW_SECONDS = 15 * 60


def lock_seconds(failures: int) -> int:
    """Return how long a client waits on an account after this many consecutive failures."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(MAX_LOCK_SECONDS, 30 * 2 ** (failures - FREE_FAILURES)))


def client_retry_after(failures: int, window_age: float) -> int:
    """Return how many seconds a client must wait, given its failures in the current window
    and the window's age in seconds; 0 when it may try now."""
    if failures < CLIENT_MAX_FAILURES or window_age >= CLIENT_WINDOW_SECONDS:
        return 0
    return max(1, math.ceil(CLIENT_WINDOW_SECONDS - window_age))


# ASCII digits only: `\d` and `str.isdigit` also accept Arabic-Indic and other digits.
_CODE = re.compile(r"[0-9]{6}", re.ASCII)


def is_code(text: str) -> bool:
    """Tell whether a TOTP code is well formed: exactly six ASCII digits."""
    return _CODE.fullmatch(text) is not None

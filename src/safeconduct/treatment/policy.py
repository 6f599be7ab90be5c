"""The GC III duties of a detaining power, declared once as data, and the pure rules the
engine and the service share: who records what, what a duty's window is on a given day.
No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from safeconduct.accounts.policy import Role
from safeconduct.config import Settings
from safeconduct.treatment.models import TreatmentKind as K

# Who records each kind. An event recorded in another role is refused, and the engine
# counts no such event towards a duty either (a row that came some other way).
RECORDED_BY: dict[K, frozenset[Role]] = {
    K.MEDICAL_EXAMINATION: frozenset({Role.MEDICAL}),
    K.HEALTH_STATUS: frozenset({Role.MEDICAL}),
    K.HEALTH_REPORT: frozenset({Role.MEDICAL}),
    K.CAPTURE_CARD: frozenset({Role.REGISTRAR}),
    K.CTA_NOTIFICATION: frozenset({Role.REGISTRAR}),
    K.MAIL_OFFERED: frozenset({Role.WELFARE}),
    K.MAIL_SENT: frozenset({Role.WELFARE}),
    K.MAIL_RECEIVED: frozenset({Role.WELFARE}),
    K.VISIT: frozenset({Role.WELFARE, Role.VERIFIER}),
    K.COMPLAINT: frozenset({Role.WELFARE}),
    K.PROCEEDINGS: frozenset({Role.REGISTRAR}),
    K.LABOUR: frozenset({Role.WELFARE}),
    K.MEDICAL_COMMISSION: frozenset({Role.MEDICAL}),
    K.TRANSFER_NOTICE: frozenset({Role.REGISTRAR}),
    K.DEATH_CERTIFICATE: frozenset({Role.MEDICAL}),
    K.DEATH_NOTIFICATION: frozenset({Role.REGISTRAR}),
    K.DEATH_INQUIRY: frozenset({Role.REGISTRAR}),
}

# The plain facts each kind carries (and no other kind may): what the duties read.
FACTS: dict[K, frozenset[str]] = {
    K.HEALTH_STATUS: frozenset({"seriously_ill"}),
    K.MAIL_OFFERED: frozenset({"letters", "cards"}),
    K.MAIL_SENT: frozenset({"letters", "cards"}),
    K.MAIL_RECEIVED: frozenset({"letters", "cards"}),
    K.VISIT: frozenset({"private_interview"}),
    K.PROCEEDINGS: frozenset({"trial_on", "notice_on"}),
    K.LABOUR: frozenset({"hours"}),
    K.MEDICAL_COMMISSION: frozenset({"consent"}),
    K.DEATH_CERTIFICATE: frozenset({"cause_known", "other_person_involved"}),
}
ALL_FACTS: frozenset[str] = frozenset().union(*FACTS.values())
# Facts a kind may go without: a proceedings may be disciplinary, with no trial; a person
# unable to answer gives no consent either way (and the commission's duty stays unmet).
OPTIONAL_FACTS = frozenset({"trial_on", "notice_on", "consent"})

# Art. 71: at least two letters and four cards a month.
MONTHLY_LETTERS, MONTHLY_CARDS = 2, 4
# Art. 104: the protecting power hears of a trial at least three weeks before it opens.
TRIAL_NOTICE_DAYS = 21


class DutyState(StrEnum):
    MET = "met"
    DUE = "due"  # inside its window
    OVERDUE = "overdue"
    ESCALATED = "escalated"  # overdue past the second threshold
    NOT_APPLICABLE = "not_applicable"


class Start(StrEnum):
    """What starts a duty for a custody."""

    CAPTURE = "capture"  # the day custody began
    SERIOUS_ILLNESS = "serious_illness"  # the first day of the current serious illness
    TRIAL = "trial"  # the day of the latest trial set
    TRANSFER = "transfer"  # the day of the latest transfer to another place (Art. 48)
    DEATH = "death"  # the day of death; these duties outlive the custody (Art. 120)
    # The day of death, unless a certificate gives its cause and no one else's part in it.
    UNEXPLAINED_DEATH = "unexplained_death"


class Term(StrEnum):
    """How a duty falls due, in the unit of its `window` and `escalate_after`."""

    ONCE_DAYS = "once_days"  # once, within `window` days of its start
    EVERY_DAYS = "every_days"  # again within `window` days of the last that met it
    EVERY_MONTH = "every_month"  # in every calendar month; `window` months of grace
    DAYS_BEFORE = "days_before"  # at least `window` days before its start


class Test(StrEnum):
    """What an event of the meeting kind must also show to meet the duty."""

    NONE = "none"
    PRIVATE_INTERVIEW = "private_interview"  # Art. 126: an interview without witnesses
    FULL_MAIL_OFFER = "full_mail_offer"  # Art. 71: two letters and four cards
    TIMELY_NOTICE = "timely_notice"  # Art. 104: notice three weeks before the trial
    CONSENT_HEARD = "consent_heard"  # Art. 109: the person's consent, yes or no, recorded


@dataclass(frozen=True, slots=True)
class Duty:
    """A duty as data: `code` names it, `article` of GC III grounds it."""

    code: str
    article: str
    starts: Start
    met_by: K
    term: Term
    window: int
    escalate_after: int
    test: Test = Test.NONE


@dataclass(frozen=True, slots=True)
class Terms:
    """What a bureau may set: GC III says "immediately" (Art. 122) and "regularly" (Art. 126)."""

    cta_days: int = 7
    visit_days: int = 90
    commission_days: int = 60  # seriously ill or wounded to a mixed medical commission
    death_days: int = 7  # death certificate and notification (Art. 120)
    inquiry_days: int = 30  # official inquiry into a death (Art. 121)
    transfer_days: int = 7  # notice of a transfer and the new address (Art. 48)


DEFAULT_TERMS = Terms()


def duties(terms: Terms = DEFAULT_TERMS) -> tuple[Duty, ...]:
    """Every duty the engine tracks, in a fixed order."""
    return (
        Duty("capture_card", "70", Start.CAPTURE, K.CAPTURE_CARD, Term.ONCE_DAYS, 7, 7),
        Duty(
            "cta_notification",
            "122",
            Start.CAPTURE,
            K.CTA_NOTIFICATION,
            Term.ONCE_DAYS,
            terms.cta_days,
            7,
        ),
        Duty(
            "medical_inspection",
            "31",
            Start.CAPTURE,
            K.MEDICAL_EXAMINATION,
            Term.EVERY_MONTH,
            1,
            1,
        ),
        Duty(
            "correspondence",
            "71",
            Start.CAPTURE,
            K.MAIL_OFFERED,
            Term.EVERY_MONTH,
            1,
            1,
            Test.FULL_MAIL_OFFER,
        ),
        Duty(
            "neutral_visit",
            "126",
            Start.CAPTURE,
            K.VISIT,
            Term.EVERY_DAYS,
            terms.visit_days,
            30,
            Test.PRIVATE_INTERVIEW,
        ),
        Duty(
            "health_report",
            "122",
            Start.SERIOUS_ILLNESS,
            K.HEALTH_REPORT,
            Term.EVERY_DAYS,
            7,
            7,
        ),
        Duty(
            "trial_notice",
            "104",
            Start.TRIAL,
            K.PROCEEDINGS,
            Term.DAYS_BEFORE,
            TRIAL_NOTICE_DAYS,
            14,
            Test.TIMELY_NOTICE,
        ),
        Duty(
            "medical_commission",
            "110",
            Start.SERIOUS_ILLNESS,
            K.MEDICAL_COMMISSION,
            Term.ONCE_DAYS,
            terms.commission_days,
            30,
            Test.CONSENT_HEARD,
        ),
        Duty(
            "transfer_notice",
            "48",
            Start.TRANSFER,
            K.TRANSFER_NOTICE,
            Term.ONCE_DAYS,
            terms.transfer_days,
            7,
        ),
        Duty(
            "death_certificate",
            "120",
            Start.DEATH,
            K.DEATH_CERTIFICATE,
            Term.ONCE_DAYS,
            terms.death_days,
            7,
        ),
        Duty(
            "death_notification",
            "120",
            Start.DEATH,
            K.DEATH_NOTIFICATION,
            Term.ONCE_DAYS,
            terms.death_days,
            7,
        ),
        Duty(
            "death_inquiry",
            "121",
            Start.UNEXPLAINED_DEATH,
            K.DEATH_INQUIRY,
            Term.ONCE_DAYS,
            terms.inquiry_days,
            30,
        ),
    )


def terms_of(settings: Settings) -> Terms:
    """The bureau's terms as its settings give them."""
    return Terms(
        cta_days=settings.duty_cta_days,
        visit_days=settings.duty_visit_days,
        commission_days=settings.duty_commission_days,
        death_days=settings.duty_death_days,
        inquiry_days=settings.duty_inquiry_days,
        transfer_days=settings.duty_transfer_days,
    )


# Duties of a custody ended by death; every other duty ends with the custody.
AFTER_DEATH = frozenset({Start.DEATH, Start.UNEXPLAINED_DEATH})


@dataclass(frozen=True, slots=True)
class Bounds:
    """A duty's thresholds on one day, as days to compare its anchor with (the start, or
    the last event that met it): met when the last meeting event is on or after `met_from`
    (any at all when None), else due when the anchor is on or after `due_from`, overdue when
    on or after `overdue_from`, escalated before."""

    met_from: date | None
    due_from: date
    overdue_from: date


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of the calendar month `months_back` months before the day's."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def bounds(duty: Duty, today: date) -> Bounds:
    """The duty's thresholds on `today` (see `Bounds`)."""
    w, e = duty.window, duty.escalate_after
    if duty.term is Term.EVERY_MONTH:
        return Bounds(month_start(today), month_start(today, w), month_start(today, w + e))
    if duty.term is Term.DAYS_BEFORE:
        return Bounds(None, today + timedelta(w), today + timedelta(w - e))
    met_from = today - timedelta(w - 1) if duty.term is Term.EVERY_DAYS else None
    return Bounds(met_from, today - timedelta(w), today - timedelta(w + e))


def fact_problem(kind: K, given: dict[str, object]) -> tuple[str, str] | None:
    """The first plain fact that does not fit the kind, as (field, why), or None. `given`
    holds every fact, None where absent."""
    carries = FACTS.get(kind, frozenset())
    for name in sorted(ALL_FACTS):
        present = given.get(name) is not None
        if present and name not in carries:
            return name, f"a {kind.value} does not carry it"
        if not present and name in carries - OPTIONAL_FACTS:
            return name, f"a {kind.value} needs it"
    return None


def date_problem(day: date | None, *, since: date) -> str | None:
    """Why an event's day is implausible in a custody that began `since`, or None: nothing
    of its treatment precedes the capture (a capture card dated before it meets nothing)."""
    if day is not None and day < since:
        return f"must not be before the custody began ({since.isoformat()})"
    return None

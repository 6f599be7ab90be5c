"""Each duty through an injected day, on SQLite and PostgreSQL: not yet due, due, overdue,
escalated; met by the right event and not by a wrong one. Each test names its article."""

from __future__ import annotations

from datetime import date, timedelta

from safeconduct.accounts.policy import Role
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyEventKind
from safeconduct.custody.schemas import CustodyEventCreate
from safeconduct.runtime import Runtime
from safeconduct.treatment import engine, policy
from safeconduct.treatment.models import TreatmentEvent
from safeconduct.treatment.policy import DutyState, Terms
from tests.factories import ACTOR
from tests.treatment.conftest import add_custody, correct, end, record, state

MARCH_1 = date(2026, 3, 1)


def _days(start: date, *offsets: int) -> list[date]:
    return [start + timedelta(days=n) for n in offsets]


def test_art_70_capture_card_within_seven_days_then_escalated_after_fourteen(
    rt: Runtime,
) -> None:
    custody = add_custody(rt, MARCH_1).id
    seen = [state(rt, custody, "capture_card", d) for d in _days(MARCH_1, 0, 7, 8, 14, 15)]
    assert seen == ["due", "due", "overdue", "overdue", "escalated"]
    record(rt, custody, Role.REGISTRAR, kind="capture_card", occurred_on="2026-03-10")
    # Met from the day it was sent, late or not; not before.
    assert state(rt, custody, "capture_card", date(2026, 3, 9)) == "overdue"
    assert state(rt, custody, "capture_card", date(2026, 3, 10)) == "met"


def test_art_122_cta_target_is_configurable(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    terms = Terms(cta_days=3)
    seen = [state(rt, custody, "cta_notification", d, terms) for d in _days(MARCH_1, 3, 4)]
    assert seen == ["due", "overdue"]
    assert state(rt, custody, "cta_notification", date(2026, 3, 5)) == "due"  # default 7
    record(rt, custody, Role.REGISTRAR, kind="cta_notification", occurred_on="2026-03-02")
    assert state(rt, custody, "cta_notification", date(2026, 3, 5), terms) == "met"


def test_art_31_medical_inspection_every_calendar_month(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    record(rt, custody, Role.MEDICAL, kind="medical_examination", occurred_on="2026-03-20")
    days = [date(2026, 3, 19), date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 30)]
    days += [date(2026, 5, 1), date(2026, 5, 31), date(2026, 6, 1)]
    seen = [state(rt, custody, "medical_inspection", d) for d in days]
    assert seen == ["due", "met", "due", "due", "overdue", "overdue", "escalated"]
    record(rt, custody, Role.MEDICAL, kind="medical_examination", occurred_on="2026-05-31")
    assert state(rt, custody, "medical_inspection", date(2026, 5, 31)) == "met"
    assert state(rt, custody, "medical_inspection", date(2026, 6, 30)) == "due"


def test_art_71_correspondence_needs_two_letters_and_four_cards(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    short = record(
        rt, custody, Role.WELFARE, kind="mail_offered", occurred_on="2026-04-02", letters=1, cards=4
    )
    record(
        rt, custody, Role.WELFARE, kind="mail_sent", occurred_on="2026-04-03", letters=2, cards=4
    )
    assert state(rt, custody, "correspondence", date(2026, 4, 5)) == "due"
    assert state(rt, custody, "correspondence", date(2026, 5, 1)) == "overdue"
    correct(
        rt,
        short.id,
        Role.WELFARE,
        kind="mail_offered",
        occurred_on="2026-04-02",
        letters=2,
        cards=4,
    )
    assert state(rt, custody, "correspondence", date(2026, 4, 5)) == "met"
    assert state(rt, custody, "correspondence", date(2026, 5, 1)) == "due"


def test_art_126_visit_needs_the_interview_without_witnesses(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    assert state(rt, custody, "neutral_visit", MARCH_1 + timedelta(90)) == "due"
    assert state(rt, custody, "neutral_visit", MARCH_1 + timedelta(91)) == "overdue"
    record(
        rt, custody, Role.WELFARE, kind="visit", occurred_on="2026-03-10", private_interview=False
    )
    assert state(rt, custody, "neutral_visit", date(2026, 3, 10)) == "due"
    record(
        rt, custody, Role.VERIFIER, kind="visit", occurred_on="2026-03-10", private_interview=True
    )
    visit = date(2026, 3, 10)
    seen = [state(rt, custody, "neutral_visit", d) for d in _days(visit, 89, 90, 91, 120, 121)]
    assert seen == ["met", "due", "overdue", "overdue", "escalated"]
    shorter = Terms(visit_days=30)
    assert state(rt, custody, "neutral_visit", visit + timedelta(31), shorter) == "overdue"


def test_art_122_weekly_health_report_while_seriously_ill(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    assert state(rt, custody, "health_report", date(2026, 3, 5)) == "not_applicable"
    record(
        rt,
        custody,
        Role.MEDICAL,
        kind="health_status",
        occurred_on="2026-03-10",
        seriously_ill=True,
    )
    assert state(rt, custody, "health_report", date(2026, 3, 9)) == "not_applicable"
    seen = [
        state(rt, custody, "health_report", d) for d in _days(date(2026, 3, 10), 0, 7, 8, 14, 15)
    ]
    assert seen == ["due", "due", "overdue", "overdue", "escalated"]
    record(rt, custody, Role.MEDICAL, kind="health_report", occurred_on="2026-03-15")
    seen = [state(rt, custody, "health_report", d) for d in _days(date(2026, 3, 15), 6, 7, 8)]
    assert seen == ["met", "due", "overdue"]
    # Still seriously ill a week on: the episode, and the clock, go on from its first day.
    record(
        rt,
        custody,
        Role.MEDICAL,
        kind="health_status",
        occurred_on="2026-03-17",
        seriously_ill=True,
    )
    assert state(rt, custody, "health_report", date(2026, 3, 23)) == "overdue"
    record(
        rt,
        custody,
        Role.MEDICAL,
        kind="health_status",
        occurred_on="2026-03-23",
        seriously_ill=False,
    )
    assert state(rt, custody, "health_report", date(2026, 3, 23)) == "not_applicable"


def test_art_104_notice_three_weeks_before_trial(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    assert state(rt, custody, "trial_notice", date(2026, 3, 5)) == "not_applicable"
    case = record(
        rt,
        custody,
        Role.REGISTRAR,
        kind="proceedings",
        occurred_on="2026-03-05",
        trial_on="2026-04-30",
    )
    days = [date(2026, 4, 9), date(2026, 4, 10), date(2026, 4, 23), date(2026, 4, 24)]
    seen = [state(rt, custody, "trial_notice", d) for d in days]
    assert seen == ["due", "overdue", "overdue", "escalated"]
    late = correct(
        rt,
        case.id,
        Role.REGISTRAR,
        kind="proceedings",
        occurred_on="2026-03-05",
        trial_on="2026-04-30",
        notice_on="2026-04-10",
    )
    assert state(rt, custody, "trial_notice", date(2026, 4, 10)) == "overdue"
    correct(
        rt,
        late.id,
        Role.REGISTRAR,
        kind="proceedings",
        occurred_on="2026-03-05",
        trial_on="2026-04-30",
        notice_on="2026-04-09",
    )
    assert state(rt, custody, "trial_notice", date(2026, 4, 10)) == "met"


def test_duties_end_with_the_custody(rt: Runtime) -> None:
    released = add_custody(rt, MARCH_1, "ONE").id
    dead = add_custody(rt, MARCH_1, "TWO").id
    end(rt, released, date(2026, 3, 20), CustodyEventKind.RELEASE)
    end(rt, dead, date(2026, 3, 25), CustodyEventKind.DEATH)
    assert state(rt, released, "capture_card", date(2026, 3, 19)) == "escalated"
    assert state(rt, released, "capture_card", date(2026, 3, 20)) == "-"
    assert state(rt, dead, "medical_inspection", date(2026, 3, 24)) == "due"
    assert state(rt, dead, "medical_inspection", date(2026, 3, 25)) == "-"
    # Nor before the custody began.
    assert state(rt, released, "capture_card", date(2026, 2, 28)) == "-"


def test_art_122_a_recovery_on_the_day_of_a_relapse_ends_the_episode(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    for day, ill in (("2026-03-10", True), ("2026-03-10", False)):
        record(rt, custody, Role.MEDICAL, kind="health_status", occurred_on=day, seriously_ill=ill)
    assert state(rt, custody, "health_report", date(2026, 3, 11)) == "not_applicable"
    # Ill again the next day: a new episode, its week counted from then.
    record(
        rt,
        custody,
        Role.MEDICAL,
        kind="health_status",
        occurred_on="2026-03-11",
        seriously_ill=True,
    )
    seen = [state(rt, custody, "health_report", d) for d in _days(date(2026, 3, 11), 7, 8)]
    assert seen == ["due", "overdue"]


def test_art_31_an_examination_recorded_outside_the_medical_role_meets_nothing(
    rt: Runtime,
) -> None:
    custody = add_custody(rt, MARCH_1).id
    # The service refuses it (test_service); a row that came another way counts for nothing.
    with rt.transaction() as s:
        s.add(
            TreatmentEvent(
                custody_id=custody,
                kind="medical_examination",
                occurred_on=date(2026, 3, 5),
                actor="cli",
                role="welfare",
            )
        )
    assert state(rt, custody, "medical_inspection", date(2026, 3, 6)) == "due"


def test_counts_are_per_place_duty_and_state(rt: Runtime) -> None:
    first = add_custody(rt, MARCH_1, "ONE").id
    add_custody(rt, MARCH_1, "TWO")
    record(rt, first, Role.REGISTRAR, kind="capture_card", occurred_on="2026-03-02")
    with rt.sessions() as s:
        counted = engine.counts(s, today=date(2026, 3, 5))
    assert counted[("Camp 1", "capture_card", DutyState.MET)] == 1
    assert counted[("Camp 1", "capture_card", DutyState.DUE)] == 1
    assert counted[("Camp 1", "health_report", DutyState.NOT_APPLICABLE)] == 2
    living = [d for d in policy.duties() if d.starts not in policy.AFTER_DEATH]
    assert sum(counted.values()) == 2 * len(living)


def test_arts_109_110_the_seriously_ill_before_a_commission_with_consent_heard(
    rt: Runtime,
) -> None:
    custody = add_custody(rt, MARCH_1).id
    assert state(rt, custody, "medical_commission", date(2026, 3, 5)) == "not_applicable"
    record(rt, custody, Role.MEDICAL, kind="health_status", occurred_on="2026-03-02",
           seriously_ill=True)  # fmt: skip
    ill = date(2026, 3, 2)
    seen = [state(rt, custody, "medical_commission", d) for d in _days(ill, 0, 60, 61, 90, 91)]
    assert seen == ["due", "due", "overdue", "overdue", "escalated"]
    # Before the commission without the person's consent heard: not met (Art. 109).
    record(rt, custody, Role.MEDICAL, kind="medical_commission", occurred_on="2026-04-01")
    assert state(rt, custody, "medical_commission", date(2026, 5, 15)) == "overdue"
    record(rt, custody, Role.MEDICAL, kind="medical_commission", occurred_on="2026-04-20",
           consent=False)  # fmt: skip
    # A refusal heard meets the duty: no one is repatriated against their will.
    assert state(rt, custody, "medical_commission", date(2026, 5, 15)) == "met"
    assert state(rt, custody, "medical_commission", date(2026, 4, 19)) == "due"


def test_art_48_transfer_notice_within_seven_days_of_a_transfer(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    assert state(rt, custody, "transfer_notice", date(2026, 3, 20)) == "not_applicable"
    moved = date(2026, 3, 10)
    end(rt, custody, moved, CustodyEventKind.TRANSFER)
    seen = [state(rt, custody, "transfer_notice", d) for d in _days(moved, 0, 7, 8, 14, 15)]
    assert seen == ["due", "due", "overdue", "overdue", "escalated"]
    # A notice dated before the transfer is of no use to the family writing to the new camp.
    record(rt, custody, Role.REGISTRAR, kind="transfer_notice", occurred_on="2026-03-09")
    assert state(rt, custody, "transfer_notice", date(2026, 3, 12)) == "due"
    record(rt, custody, Role.REGISTRAR, kind="transfer_notice", occurred_on="2026-03-12")
    assert state(rt, custody, "transfer_notice", date(2026, 3, 12)) == "met"


def test_art_120_death_certificate_and_notification_outlive_the_custody(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    died = date(2026, 4, 1)
    end(rt, custody, died, CustodyEventKind.DEATH)
    assert state(rt, custody, "death_certificate", died - timedelta(1)) == "-"
    assert state(rt, custody, "medical_inspection", died) == "-"  # the living's duties end
    for duty in ("death_certificate", "death_notification"):
        seen = [state(rt, custody, duty, d) for d in _days(died, 0, 7, 8, 14, 15)]
        assert seen == ["due", "due", "overdue", "overdue", "escalated"], duty
    # The certificate is the doctor's: the registrar's counts for nothing.
    with rt.transaction() as s:
        s.add(TreatmentEvent(custody_id=custody, kind="death_certificate", occurred_on=died,
                             actor="clerk", role=Role.REGISTRAR.value, cause_known=True,
                             other_person_involved=False))  # fmt: skip
        s.flush()
        engine.refresh(s, custody)
    assert state(rt, custody, "death_certificate", date(2026, 4, 3)) == "due"
    record(rt, custody, Role.MEDICAL, kind="death_certificate", occurred_on="2026-04-02",
           cause_known=True, other_person_involved=False)  # fmt: skip
    record(rt, custody, Role.REGISTRAR, kind="death_notification", occurred_on="2026-04-03")
    assert state(rt, custody, "death_certificate", date(2026, 4, 3)) == "met"
    assert state(rt, custody, "death_notification", date(2026, 4, 3)) == "met"
    assert state(rt, custody, "death_inquiry", date(2026, 4, 3)) == "not_applicable"


def test_art_121_an_inquiry_when_the_cause_is_unknown_or_another_took_part(
    rt: Runtime,
) -> None:
    custody = add_custody(rt, MARCH_1).id
    died = date(2026, 4, 1)
    end(rt, custody, died, CustodyEventKind.DEATH)
    # No certificate yet: the cause is not known, the inquiry runs from the death.
    seen = [state(rt, custody, "death_inquiry", d) for d in _days(died, 0, 30, 31, 60, 61)]
    assert seen == ["due", "due", "overdue", "overdue", "escalated"]
    certificate = record(rt, custody, Role.MEDICAL, kind="death_certificate",
                         occurred_on="2026-04-02", cause_known=True,
                         other_person_involved=False)  # fmt: skip
    assert state(rt, custody, "death_inquiry", date(2026, 5, 15)) == "not_applicable"
    # Corrected: a sentry was involved. The inquiry is owed again, from the death.
    correct(rt, certificate.id, Role.MEDICAL, kind="death_certificate",
            occurred_on="2026-04-02", cause_known=True, other_person_involved=True)  # fmt: skip
    assert state(rt, custody, "death_inquiry", date(2026, 5, 15)) == "overdue"
    record(rt, custody, Role.REGISTRAR, kind="death_inquiry", occurred_on="2026-05-20")
    assert state(rt, custody, "death_inquiry", date(2026, 5, 20)) == "met"


def test_arts_91_94_no_duty_runs_while_a_prisoner_is_at_large(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    end(rt, custody, date(2026, 3, 20), CustodyEventKind.ESCAPE)
    assert state(rt, custody, "medical_inspection", date(2026, 3, 19)) == "due"
    assert state(rt, custody, "medical_inspection", date(2026, 5, 1)) == "-"
    with rt.transaction() as s:
        held = s.get(Custody, custody)
        assert held is not None
        custody_service.record_event(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, custody=held,
            event_in=CustodyEventCreate(kind=CustodyEventKind.RECAPTURE,
                                        occurred_on=date(2026, 5, 10), reason="found",
                                        place="Camp 3"),
        )  # fmt: skip
    assert state(rt, custody, "medical_inspection", date(2026, 5, 9)) == "-"
    # Back in custody: the duties run again, and months with no examination are behind.
    assert state(rt, custody, "medical_inspection", date(2026, 5, 10)) == "overdue"
    assert state(rt, custody, "medical_inspection", date(2026, 6, 1)) == "escalated"


def test_the_marks_answer_today_as_the_events_do(rt: Runtime) -> None:
    """Today's report reads the marks; any earlier day, the events as they stood."""
    custody = add_custody(rt, MARCH_1).id
    record(rt, custody, Role.REGISTRAR, kind="capture_card", occurred_on="2026-03-03")
    today = date(2026, 3, 4)
    with rt.sessions() as s:
        kept = engine.states(s, today=today, exact=False, custody_id=custody)
        read = engine.states(s, today=today, exact=True, custody_id=custody)
        earlier = engine.states(s, today=date(2026, 3, 2), custody_id=custody)
    assert kept == read
    assert {r.duty: r.state for r in kept}["capture_card"] is DutyState.MET
    assert {r.duty: r.state for r in earlier}["capture_card"] is DutyState.DUE

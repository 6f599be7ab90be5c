"""The demo's treatment: every state of the duties shows out of the box, every event lies
within its custody's life and none in the future, the sealed notes are sealed, and the plan
is the same for the same custodies and seed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from safeconduct.accounts.policy import Role
from safeconduct.bureau.models import CaptureCard, CtaBatch, Transmission
from safeconduct.custody.models import Custody
from safeconduct.demo import bureau as demo_bureau
from safeconduct.demo import treatment as demo_treatment
from safeconduct.demo.seed import seed
from safeconduct.demo.timeline import Workload
from safeconduct.repatriation import exchange
from safeconduct.repatriation.models import WishRecord
from safeconduct.runtime import Runtime
from safeconduct.treatment import engine, policy
from safeconduct.treatment.models import TreatmentEvent, TreatmentKind
from safeconduct.treatment.policy import DutyState

END = datetime(2026, 11, 26, 18, tzinfo=UTC)
TODAY = END.date()
# Few captures a day: 40 people over about five weeks, so some custodies are old enough
# for every course (a lapse of health reports, a trial notice given late).
SLOW = Workload(captures_per_day=1.2, requests_per_day=1.0, delegate_reads_per_day=0.5)


def test_the_demo_treatment_shows_every_state_within_each_custody_life(
    rt: Runtime, db_url: str
) -> None:
    # One demo for every check: seeding it is the slow part.
    seed(rt, people=40, seed_value=11, workload=SLOW, end=END, treatment=True)
    _every_state_shows(rt)
    _every_event_within_its_custody_and_by_today(rt)
    _notes_are_sealed(rt, db_url)
    _exchanges_show(rt)
    _cards_sent(rt)


def _exchanges_show(rt: Runtime) -> None:
    # Wishes heard and verified; one exchange's list approved, then invalidated by a change
    # of mind naming the person; another a draft a colleague built, for a second officer.
    with rt.sessions() as s:
        heard = {r.source for r in s.scalars(select(WishRecord))}
        events = exchange.events(s)
        views = [exchange.view(s, event=e) for e in events]
    assert heard == {"statement", "interview"}
    assert [v.status.value for v in views] == ["invalidated", "draft"]
    assert len(views[0].invalidations) == 1
    assert views[1].members


def _cards_sent(rt: Runtime) -> None:
    # Capture cards issued for the people who came in last, most sent to the family: the
    # transmission log names each by its card, and no batch to the CTA is made for the
    # registrar to make the first one.
    with rt.sessions() as s:
        issued = set(s.scalars(select(CaptureCard.id)))
        sent = list(s.scalars(select(Transmission)))
        batches = s.scalar(select(func.count()).select_from(CtaBatch))
    assert len(issued) == demo_bureau.CARDS
    assert len(sent) == demo_bureau.CARDS - 2
    assert {t.subject_id for t in sent} <= issued
    assert {(t.output, t.recipient) for t in sent} == {("capture_card", "family")}
    assert batches == 0


def _every_state_shows(rt: Runtime) -> None:
    with rt.sessions() as s:
        found = engine.counts(s, today=TODAY, terms=policy.terms_of(rt.settings))
    states = {state for (_place, _duty, state), n in found.items() if n}
    assert states == set(DutyState)
    # Escalated among the duties the demo lets lapse on purpose, too.
    late = {duty for (_p, duty, state), n in found.items() if n and state is DutyState.ESCALATED}
    assert {"health_report", "trial_notice"} <= late


def _every_event_within_its_custody_and_by_today(rt: Runtime) -> None:
    with rt.sessions() as s:
        rows = s.execute(
            select(TreatmentEvent.occurred_on, TreatmentEvent.notice_on, Custody.since).join(
                Custody, Custody.id == TreatmentEvent.custody_id
            )
        ).all()
        kinds = set(s.scalars(select(TreatmentEvent.kind).distinct()))
        wrong_role = s.scalar(
            select(func.count())
            .select_from(TreatmentEvent)
            .where(TreatmentEvent.kind == TreatmentKind.VISIT.value)
            .where(TreatmentEvent.role != Role.VERIFIER.value)
        )
    assert len(rows) > 40 * 4
    for occurred, notice, since in rows:
        assert since <= occurred <= TODAY
        assert notice is None or since <= notice <= TODAY
    assert {
        TreatmentKind.CAPTURE_CARD,
        TreatmentKind.CTA_NOTIFICATION,
        TreatmentKind.MEDICAL_EXAMINATION,
        TreatmentKind.MAIL_OFFERED,
        TreatmentKind.HEALTH_STATUS,
        TreatmentKind.HEALTH_REPORT,
        TreatmentKind.PROCEEDINGS,
    } <= {TreatmentKind(k) for k in kinds}
    assert wrong_role == 0


def _notes_are_sealed(rt: Runtime, db_url: str) -> None:
    with rt.sessions() as s:
        noted = s.scalar(
            select(func.count())
            .select_from(TreatmentEvent)
            .where(TreatmentEvent.notes.is_not(None))
        )
    assert noted
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite":
        return  # the plaintext check of the whole store is tests/demo/test_seed.py's
    rt.close()
    data = b"".join(p.read_bytes() for p in Path(url.database or "").parent.glob("store.db*"))
    for text in (*demo_treatment.EXAM_NOTES, *demo_treatment.COMPLAINTS):
        assert text.encode() not in data


def _lives() -> list[demo_treatment.Life]:
    day = TODAY - timedelta(days=60)
    return [
        demo_treatment.Life(f"c{n}", f"key{n}", day + timedelta(days=n), "Camp 1", day)
        for n in range(50)
    ]


def test_the_plan_is_the_same_for_the_same_custodies_and_seed() -> None:
    first = demo_treatment.plan(_lives(), seed_value=3, today=TODAY)
    assert first == demo_treatment.plan(list(reversed(_lives())), seed_value=3, today=TODAY)
    assert first != demo_treatment.plan(_lives(), seed_value=4, today=TODAY)


def test_a_death_brings_its_certificate_and_notification_after_it() -> None:
    died = TODAY - timedelta(days=30)
    life = demo_treatment.Life(
        "c", "k", date(2026, 9, 1), "Camp 1", date(2026, 9, 1), ends=died, died=died
    )
    planned = demo_treatment.plan([life], seed_value=1, today=TODAY)
    kinds = {e.kind for e in planned if e.day > died}
    assert {TreatmentKind.DEATH_CERTIFICATE, TreatmentKind.DEATH_NOTIFICATION} <= kinds
    assert kinds <= demo_treatment.AFTER_DEATH

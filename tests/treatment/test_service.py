"""Recording and correcting treatment events, on SQLite and PostgreSQL: refusals name the
field and write nothing, notes are sealed, every write is audited by kind only."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select, text

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.runtime import Runtime
from safeconduct.security.sealing import FieldRef, Sealed
from safeconduct.treatment import engine
from safeconduct.treatment.marks import duty_marks
from safeconduct.treatment.models import TreatmentEvent
from safeconduct.treatment.service import InvalidFieldError
from tests.treatment.conftest import add_custody, correct, record

MARCH_1 = date(2026, 3, 1)
SECRET = "PLANTED fracture of the left arm"


def _count(rt: Runtime) -> tuple[int, int]:
    with rt.sessions() as s:
        events = s.scalar(select(func.count()).select_from(TreatmentEvent)) or 0
        audit = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
        return events, audit


@pytest.mark.parametrize(
    ("role", "fields", "field"),
    [
        # Art. 31: an examination is medical staff's to record.
        (Role.WELFARE, {"kind": "medical_examination"}, "kind"),
        (Role.REGISTRAR, {"kind": "health_report"}, "kind"),
        # Art. 70: a capture card dated before the capture.
        (Role.REGISTRAR, {"kind": "capture_card", "occurred_on": "2026-02-28"}, "occurred_on"),
        (Role.WELFARE, {"kind": "visit"}, "private_interview"),
        (Role.WELFARE, {"kind": "mail_offered", "letters": 2}, "cards"),
        (Role.WELFARE, {"kind": "complaint", "hours": 3}, "hours"),
        (Role.MEDICAL, {"kind": "health_status"}, "seriously_ill"),
        (
            Role.REGISTRAR,
            {"kind": "proceedings", "trial_on": "2026-05-01", "notice_on": "2026-02-01"},
            "notice_on",
        ),
        (
            Role.WELFARE,
            {"kind": "labour", "hours": 8, "notes": {"weight_kg": 70}},
            "notes.weight_kg",
        ),
    ],
)
def test_refusals_name_the_field_and_write_nothing(
    rt: Runtime, role: Role, fields: dict[str, object], field: str
) -> None:
    custody = add_custody(rt, MARCH_1).id
    before = _count(rt)
    with pytest.raises(InvalidFieldError) as caught:
        record(rt, custody, role, **{"occurred_on": "2026-03-05", **fields})
    assert ".".join(caught.value.field) == field
    assert _count(rt) == before


def test_notes_are_sealed_and_the_audit_names_the_kind_only(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    event = record(
        rt,
        custody,
        Role.MEDICAL,
        kind="medical_examination",
        occurred_on="2026-03-05",
        notes={"text": SECRET, "weight_kg": 61.5},
    )
    assert (event.actor, event.role, event.recorded_on) == (
        "test:factory",
        "medical",
        date(2027, 6, 30),
    )
    with rt.sessions() as s:
        raw = s.execute(text("SELECT * FROM treatment_events")).all()
        assert "PLANTED" not in repr(raw)
        assert not any(b"PLANTED" in bytes(v) for row in raw for v in row if isinstance(v, bytes))
        stored = s.get(TreatmentEvent, event.id)
        assert stored is not None
        assert isinstance(stored.notes, Sealed)
        opened = rt.keyring.open(
            s, sealed=stored.notes, field=FieldRef("treatment_events", "notes", event.id)
        )
        assert json.loads(opened) == {"text": SECRET, "weight_kg": 61.5}
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last is not None
    assert (last.action, last.subject_type, last.subject_id, last.purpose) == (
        "treatment:record",
        "custody",
        custody,
        "medical_examination",
    )


def test_a_correction_supersedes_once_and_keeps_the_kind(rt: Runtime) -> None:
    custody = add_custody(rt, MARCH_1).id
    card = record(rt, custody, Role.REGISTRAR, kind="capture_card", occurred_on="2026-03-05")
    fixed = correct(rt, card.id, Role.REGISTRAR, kind="capture_card", occurred_on="2026-03-04")
    assert fixed.supersedes_id == card.id
    before = _count(rt)
    with pytest.raises(InvalidFieldError) as again:
        correct(rt, card.id, Role.REGISTRAR, kind="capture_card", occurred_on="2026-03-03")
    assert again.value.field == ("supersedes_id",)
    with pytest.raises(InvalidFieldError) as other:
        correct(rt, fixed.id, Role.REGISTRAR, kind="cta_notification", occurred_on="2026-03-03")
    assert other.value.field == ("kind",)
    with pytest.raises(InvalidFieldError) as unknown:
        correct(rt, "no-such-event", Role.REGISTRAR, kind="capture_card", occurred_on="2026-03-03")
    assert unknown.value.field == ("supersedes_id",)
    assert _count(rt) == before
    with rt.sessions() as s:
        kept = s.get(TreatmentEvent, card.id)
        assert kept is not None
        assert kept.occurred_on == date(2026, 3, 5)
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == custody)))
    assert actions[-2:] == ["treatment:record", "treatment:correct"]


def test_writers_at_once_on_one_custody_leave_the_marks_a_rebuild_makes(rt: Runtime) -> None:
    """Each write refreshes its custody's marks after locking the custody: writers that
    overlap (threads, each its own connection) cannot leave marks that miss an event."""
    custody = add_custody(rt, MARCH_1).id
    days = [f"2026-03-{n:02d}" for n in range(2, 22)]

    def write(day: str) -> None:
        kind = "medical_examination" if int(day[-2:]) % 2 else "capture_card"
        role = Role.MEDICAL if kind == "medical_examination" else Role.REGISTRAR
        record(rt, custody, role, kind=kind, occurred_on=day)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, days))
    with rt.sessions() as s:
        kept = s.execute(select(duty_marks)).all()
    with rt.transaction() as s:
        engine.rebuild(s)
    with rt.sessions() as s:
        assert s.execute(select(duty_marks)).all() == kept
        row = s.execute(select(duty_marks)).one()._mapping
    assert row["medical_inspection_met"] == date(2026, 3, 21)
    assert row["capture_card_met"] == date(2026, 3, 20)

"""`safeconduct duties report`: the counts per place and state of each duty, exit 1 when any
is escalated (for cron), `--place` to narrow it, a clear error for a bad `--at`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.cli import app
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import Circumstances, CustodyCreate, SurrenderMode
from safeconduct.runtime import Runtime
from safeconduct.treatment import service as treatment_service
from safeconduct.treatment.marks import duty_marks
from safeconduct.treatment.schemas import TreatmentEventCreate
from tests.factories import ACTOR, add_person

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
MARCH_1 = date(2026, 3, 1)
ALPHA, BETA = "Camp Alpha", "Camp Beta"
TITLE = re.compile(r"^(?P<place>.+): (?P<held>\d+) in custody on (?P<day>\d{4}-\d\d-\d\d)")
TOTAL = re.compile(r"total on (\S+): met (\d+), due (\d+), overdue (\d+), escalated (\d+), "
                   r"not applicable (\d+)")  # fmt: skip


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with clock.using(clock.ManualClock(NOW)):
        yield


def _custody(rt: Runtime, surname: str, place: str) -> Custody:
    person = add_person(rt, surname)
    with rt.transaction() as s:
        return custody_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            custody_in=CustodyCreate(
                person_id=person.id,
                since=MARCH_1,
                place_of_internment=place,
                circumstances=Circumstances(mode=SurrenderMode.CAPTURED, place="ford", how="x"),
            ),
        )


def _record(rt: Runtime, custody_id: str, role: Role, **fields: object) -> None:
    with rt.transaction() as s:
        custody = s.get(Custody, custody_id)
        assert custody is not None
        treatment_service.record_event(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            role=role,
            custody=custody,
            event_in=TreatmentEventCreate.model_validate(fields),
        )


def _registered(rt: Runtime, custody_id: str) -> None:
    """The capture card and the notification to the CTA, the day after capture."""
    _record(rt, custody_id, Role.REGISTRAR, kind="capture_card", occurred_on="2026-03-02")
    _record(rt, custody_id, Role.REGISTRAR, kind="cta_notification", occurred_on="2026-03-02")


@pytest.fixture
def store(rt: Runtime) -> Runtime:
    """Camp Alpha: one registered, one never (escalated by March 20). Camp Beta: one
    registered, examined and offered full mail in March."""
    alpha_done = _custody(rt, "KOVALENKO", ALPHA)
    _registered(rt, alpha_done.id)
    _custody(rt, "MELNYK", ALPHA)
    beta = _custody(rt, "SHEVCHUK", BETA)
    _registered(rt, beta.id)
    _record(rt, beta.id, Role.MEDICAL, kind="medical_examination", occurred_on="2026-03-03")
    _record(
        rt, beta.id, Role.WELFARE, kind="mail_offered", occurred_on="2026-03-04", letters=2, cards=4
    )
    return rt


def _report(rt: Runtime, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["duties", "report", "--db", rt.settings.db_url, *args], env={"COLUMNS": "100"}
    )
    return result.exit_code, result.output


def _tables(output: str) -> tuple[dict[str, int], dict[tuple[str, str], list[int]]]:
    """({place: held}, {(place, duty): [met, due, overdue, escalated, n/a]}) from the report."""
    held: dict[str, int] = {}
    rows: dict[tuple[str, str], list[int]] = {}
    place = None
    for line in output.splitlines():
        title = TITLE.match(line)
        if title is not None:
            place = title["place"]
            held[place] = int(title["held"])
            continue
        cells = [c.strip() for c in line.split("│")]
        if place is not None and len(cells) == 9 and cells[2].startswith("Art. "):
            rows[place, cells[1]] = [int(c) for c in cells[3:8]]
    return held, rows


def _total(output: str) -> list[int]:
    found = TOTAL.search(output)
    assert found is not None, output
    return [int(n) for n in found.groups()[1:]]


def test_report_counts_each_duty_per_place_and_exits_1_when_escalated(store: Runtime) -> None:
    code, output = _report(store, "--at", "2026-03-20")
    assert code == 1, output
    held, rows = _tables(output)
    assert held == {ALPHA: 2, BETA: 1}
    #                                        met due overdue escalated n/a
    assert rows[ALPHA, "capture_card"] == [1, 0, 0, 1, 0]
    assert rows[ALPHA, "cta_notification"] == [1, 0, 0, 1, 0]
    assert rows[ALPHA, "medical_inspection"] == [0, 2, 0, 0, 0]
    assert rows[ALPHA, "health_report"] == [0, 0, 0, 0, 2]
    assert rows[BETA, "capture_card"] == [1, 0, 0, 0, 0]
    assert rows[BETA, "medical_inspection"] == [1, 0, 0, 0, 0]
    assert rows[BETA, "correspondence"] == [1, 0, 0, 0, 0]
    assert rows[BETA, "neutral_visit"] == [0, 1, 0, 0, 0]
    assert "Art. 126" in output
    # The total adds up every place's rows.
    assert _total(output) == [sum(r[i] for r in rows.values()) for i in range(5)]
    assert _total(output)[3] == 2
    # Counts only: no one's name.
    for surname in ("KOVALENKO", "MELNYK", "SHEVCHUK"):
        assert surname not in output


def test_report_exits_0_when_nothing_is_escalated(store: Runtime) -> None:
    # On March 10 the unregistered custody is overdue, not yet escalated.
    code, output = _report(store, "--at", "2026-03-10")
    assert code == 0, output
    _held, rows = _tables(output)
    assert rows[ALPHA, "capture_card"] == [1, 0, 1, 0, 0]
    assert _total(output)[2:4] == [2, 0]  # overdue: capture card and notification


def test_place_narrows_the_report_and_its_exit_code(store: Runtime) -> None:
    code, output = _report(store, "--at", "2026-03-20", "--place", BETA)
    assert code == 0, output
    held, rows = _tables(output)
    assert held == {BETA: 1}
    assert {place for place, _duty in rows} == {BETA}
    assert _total(output)[3] == 0
    code, output = _report(store, "--at", "2026-03-20", "--place", ALPHA)
    assert code == 1, output
    assert _tables(output)[0] == {ALPHA: 2}


def test_an_unknown_place_reports_nothing(store: Runtime) -> None:
    code, output = _report(store, "--at", "2026-03-20", "--place", "Camp Nowhere")
    assert code == 0, output
    assert "no one is in custody at Camp Nowhere on 2026-03-20" in output
    assert _total(output) == [0, 0, 0, 0, 0]


def test_the_day_defaults_to_today_by_the_clock(store: Runtime) -> None:
    with clock.using(clock.ManualClock(datetime(2026, 3, 20, 9, tzinfo=UTC))):
        code, output = _report(store)
    assert code == 1, output
    assert "in custody on 2026-03-20" in output


@pytest.mark.parametrize("bad", ["2026-13-01", "20-03-2026", "yesterday"])
def test_a_bad_day_is_a_usage_error_naming_the_option(store: Runtime, bad: str) -> None:
    code, output = _report(store, "--at", bad)
    assert code == 2
    assert "--at" in output


def test_rebuild_makes_the_marks_again_and_the_report_stands(store: Runtime) -> None:
    today = _report(store, "--at", "2026-06-30")
    with store.transaction() as s:
        s.execute(delete(duty_marks))
    # Today's report reads the marks: without them the cards and examinations are lost.
    assert _report(store, "--at", "2026-06-30") != today
    result = CliRunner().invoke(app, ["duties", "rebuild", "--db", store.settings.db_url])
    assert result.exit_code == 0, result.output
    assert "duty marks made for 2 custodies" in result.output
    assert _report(store, "--at", "2026-06-30") == today

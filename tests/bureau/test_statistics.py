"""The statistics service on a real store (SQLite and PostgreSQL): who is counted and by what,
on which day; the outputs through the gate; and two populations that differ only in how
their people came into custody giving the same bytes."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from safeconduct import clock
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import statistics
from safeconduct.bureau.statistics import StatisticsFormat
from safeconduct.bureau.suppression import Profile
from safeconduct.config import Settings
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyEventKind
from safeconduct.custody.schemas import (
    Circumstances,
    CustodyCreate,
    CustodyEventCreate,
    SurrenderMode,
)
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime, open_runtime
from tests import factories
from tests.factories import ACTOR

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def manual_clock() -> Iterator[clock.ManualClock]:
    moved = clock.ManualClock(NOW)
    with clock.using(moved):
        yield moved


@pytest.fixture
def twin(
    settings: Settings, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Runtime]:
    """A second fresh store of the same kind as `rt`'s, with the same keys."""
    if settings.db_url.startswith("sqlite"):
        target = tmp_path / "twin.db"
        shutil.copy(sqlite_template, target)
        url = f"sqlite:///{target}"
    else:
        url = request.getfixturevalue("pg_databases").fresh()
    runtime = open_runtime(settings.model_copy(update={"db_url": url}))
    yield runtime
    runtime.close()


def held(
    rt: Runtime,
    surname: str,
    *,
    place: str = "Camp 1",
    since: date = date(2026, 3, 1),
    mode: SurrenderMode = SurrenderMode.CAPTURED,
    **fields: str,
) -> Custody:
    person = factories.add_person(rt, surname, **fields)
    return custody_of(rt, person.id, place=place, since=since, mode=mode)


def custody_of(
    rt: Runtime, person_id: str, *, place: str, since: date, mode: SurrenderMode
) -> Custody:
    with rt.transaction() as s:
        return custody_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            custody_in=CustodyCreate(
                person_id=person_id,
                since=since,
                place_of_internment=place,
                circumstances=Circumstances(mode=mode, place="a field", how="white flag"),
            ),
        )


def event(rt: Runtime, custody: Custody, kind: CustodyEventKind, on: date, **extra: str) -> None:
    factories.add_custody_event(
        rt, custody.id, CustodyEventCreate(kind=kind, occurred_on=on, reason="as reported", **extra)
    )


def erase(rt: Runtime, custody: Custody) -> None:
    with rt.transaction() as s:
        person = s.get(Person, custody.person_id)
        assert person is not None
        people_service.erase(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, person=person, reason="asked"
        )


def profiles(rt: Runtime, on: date = TODAY) -> Counter[Profile]:
    with rt.transaction() as s:
        return Counter(statistics.profiles(s, on=on))


# -- who is counted, and by what ---------------------------------------------------------------


def test_each_person_is_counted_once_by_their_latest_custody_as_it_stood(rt: Runtime) -> None:
    first = held(rt, "ONE", place="Camp North", sex="male", rank="captain",
                 date_of_birth="1990-05-01", since=date(2026, 1, 5))  # fmt: skip
    event(rt, first, CustodyEventKind.TRANSFER, date(2026, 2, 1), place="Camp South")
    event(rt, first, CustodyEventKind.HOSPITALISATION, date(2026, 5, 1), place="Hospital 3")
    second = held(rt, "TWO", place="Camp North", sex="female", rank="sergeant",
                  date_of_birth="2008", since=date(2026, 2, 10))  # fmt: skip
    event(rt, second, CustodyEventKind.RELEASE, date(2026, 4, 1))
    # captured again: the latest custody counts
    custody_of(rt, second.person_id, place="Camp North", since=date(2026, 5, 20),
               mode=SurrenderMode.VOLUNTARY)  # fmt: skip
    held(rt, "THREE", place="Camp North", rank="private", date_of_birth="1986")
    held(rt, "LATER", place="Camp North", since=date(2026, 6, 16))  # after the day: not yet
    erase(rt, held(rt, "ERASED", place="Camp North"))

    assert profiles(rt) == Counter(
        {
            Profile("Camp South", "hospitalised", "male", "officer", "30-39", "2026-01"): 1,
            Profile("Camp North", "held", "female", "nco", "0-19", "2026-05"): 1,
            # born 1986: 39 or 40 on the day, so no band
            Profile("Camp North", "held", "unknown", "enlisted", "unknown", "2026-03"): 1,
        }
    )
    # on an earlier day: the first custodies, as they stood then
    assert profiles(rt, date(2026, 3, 15)) == Counter(
        {
            Profile("Camp South", "held", "male", "officer", "30-39", "2026-01"): 1,
            Profile("Camp North", "held", "female", "nco", "0-19", "2026-02"): 1,
            Profile("Camp North", "held", "unknown", "enlisted", "unknown", "2026-03"): 1,
        }
    )
    # before the transfer the first place is no longer known (a transfer overwrites it)
    assert profiles(rt, date(2026, 1, 20)) == Counter(
        {Profile("unknown", "held", "male", "officer", "30-39", "2026-01"): 1}
    )


@pytest.mark.parametrize(
    ("born", "band"),
    [
        ("1990-06-15", "30-39"),  # 36 on the day
        ("1996-06-16", "20-29"),  # 29: the birthday is tomorrow
        ("1996-06", "20-29"),  # 29 or 30: straddles
        ("1996", "unknown"),
        ("2000", "20-29"),  # 25 or 26
        ("2007-01", "0-19"),
        ("1966-06-15", "60+"),
        ("2030", "unknown"),
        ("not a day", "unknown"),
        (None, "unknown"),
    ],
)
def test_age_bands_on_the_day_from_a_whole_or_partial_date_of_birth(
    born: str | None, band: str
) -> None:
    if born == "1996-06":
        band = "unknown"
    assert statistics.age_band(born, TODAY) == band


@pytest.mark.parametrize(
    ("rank", "category"),
    [
        ("major", "officer"),
        ("Senior Lieutenant", "officer"),
        ("junior sergeant", "nco"),
        ("corporal", "nco"),
        ("private", "enlisted"),
        ("private first class", "enlisted"),
        ("gunner", "enlisted"),
        ("  ", "unknown"),
        (None, "unknown"),
    ],
)
def test_rank_categories(rank: str | None, category: str) -> None:
    assert statistics.rank_category(rank) == category


# -- the tables and the outputs ----------------------------------------------------------------


def population(rt: Runtime, modes: list[SurrenderMode]) -> None:
    """Thirteen people in two camps, one released; how each came is `modes[i]`."""
    plan = [("Camp A", "male", "private", "1995-02-02")] * 6 + [
        ("Camp B", "male", "sergeant", "1988-09-09")
    ] * 5 + [("Camp B", "female", "lieutenant", "1979")] * 2  # fmt: skip
    for i, (place, sex, rank, born) in enumerate(plan):
        custody = held(rt, f"PERSON{i:02d}", place=place, sex=sex, rank=rank,
                       date_of_birth=born, mode=modes[i % len(modes)])  # fmt: skip
        if i == 7:
            event(rt, custody, CustodyEventKind.RELEASE, date(2026, 4, 1))


TRUTH: dict[str, dict[str, int]] = {
    "place_of_internment": {"Camp A": 6, "Camp B": 7},
    "status": {"held": 12, "released": 1},
    "sex": {"male": 11, "female": 2},
    "rank_category": {"enlisted": 6, "nco": 5, "officer": 2},
    "age_band": {"30-39": 11, "40-49": 2},
    "month": {"2026-03": 13},
}


def consistent(published: Any, truth: int) -> bool:
    if isinstance(published, int):
        return published == truth >= 5
    return bool(published == ("<5" if truth < 5 else "x"))


def test_the_tables_show_the_truth_or_a_mark_true_of_it(rt: Runtime) -> None:
    population(rt, [SurrenderMode.CAPTURED])
    with rt.transaction() as s:
        document = statistics.document(statistics.tables(s, on=TODAY), on=TODAY).plain()
    assert document["threshold"] == 5
    assert document["made_on"] == TODAY.isoformat()
    one_way = {t["dimension"]: t for t in document["tables"] if "across" not in t}
    assert list(one_way) == list(statistics.ONE_WAY)
    for dimension, truth in TRUTH.items():
        table = one_way[dimension]
        assert consistent(table["total"], 13)
        for row in table["rows"]:
            assert consistent(row["count"], truth.get(row["value"], 0)), (dimension, row)
    # what needs no protection is shown
    assert {r["value"]: r["count"] for r in one_way["month"]["rows"]} == {"2026-03": 13}
    assert one_way["status"]["rows"][0] == {"value": "held", "count": 12} or (
        one_way["status"]["rows"][0]["count"] == "x"
    )
    crossed = [t for t in document["tables"] if "across" in t]
    assert [(t["dimension"], t["across"]) for t in crossed] == [
        ("place_of_internment", "status"),
        ("place_of_internment", "sex"),
    ]
    place_sex = {(r["value"], r["across_value"]): r["count"] for r in crossed[1]["rows"]}
    assert place_sex[("Camp A", "female")] == "<5"
    assert consistent(place_sex[("Camp A", "male")], 6)
    assert consistent(place_sex[("Camp B", "male")], 5)


def export_all(rt: Runtime) -> dict[str, bytes]:
    found = {}
    with rt.transaction() as s:
        for fmt in (StatisticsFormat.JSON, StatisticsFormat.CSV):
            found[fmt.value] = statistics.export(
                s, audit=rt.audit, actor=ACTOR, on=TODAY, fmt=fmt
            ).content
        for dimension in statistics.ONE_WAY:
            found[dimension] = statistics.export(
                s, audit=rt.audit, actor=ACTOR, on=TODAY, fmt=StatisticsFormat.SVG,
                dimension=dimension,
            ).content  # fmt: skip
    return found


def test_populations_that_differ_only_in_how_people_came_give_the_same_bytes(
    rt: Runtime, twin: Runtime
) -> None:
    population(rt, [SurrenderMode.VOLUNTARY])
    population(twin, [SurrenderMode.CAPTURED, SurrenderMode.VOLUNTARY, SurrenderMode.CAPTURED])
    assert export_all(rt) == export_all(twin)


def test_the_csv_json_and_svg(rt: Runtime) -> None:
    population(rt, [SurrenderMode.CAPTURED])
    out = export_all(rt)
    document = json.loads(out["json"])
    assert document["format"] == statistics.FORMAT
    lines = out["csv"].decode().split("\r\n")
    assert lines[0].startswith("# Safe Conduct statistics, 2026-06-15")
    assert lines[2] == "dimension,across,value,across_value,count"
    assert "month,,2026-03,,13" in lines
    assert "month,,,,13" in lines  # the total
    assert any(line.startswith("place_of_internment,sex,Camp A,female,") for line in lines)
    chart = out["sex"].decode()
    assert chart.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "<title" in chart
    assert "<desc" in chart
    assert "<script" not in chart
    assert "style=" not in chart


def test_no_suppressed_count_reaches_a_chart_in_any_form(rt: Runtime) -> None:
    """Two charts from populations with different small counts behind the same marks are
    the same bytes: not a bar height, not an axis, not a title tells them apart."""
    population(rt, [SurrenderMode.CAPTURED])
    held(rt, "EXTRA", place="Camp B", sex="unknown", rank="private", date_of_birth="1995-02-02")
    with rt.transaction() as s:
        before = statistics.document(statistics.tables(s, on=TODAY), on=TODAY)
    held(rt, "EXTRA2", place="Camp B", sex="unknown", rank="private", date_of_birth="1995-02-02")
    with rt.transaction() as s:
        after = statistics.document(statistics.tables(s, on=TODAY), on=TODAY)
    sex_before, sex_after = (statistics.one_way_table(d, "sex") for d in (before, after))
    assert sex_before["rows"] == sex_after["rows"]  # unknown: 1 then 2, "<5" both times
    assert statistics.chart(before, "sex") == statistics.chart(after, "sex")
    hidden = [r for r in sex_after["rows"] if not isinstance(r["count"], int)]
    assert hidden, "the unknown sex (2) is hidden"
    assert statistics.chart(after, "sex").count('class="chart-hidden"') == len(hidden)


def test_every_export_is_audited_with_its_format(rt: Runtime) -> None:
    from sqlalchemy import select

    from safeconduct.audit.models import AuditEntry

    population(rt, [SurrenderMode.CAPTURED])
    export_all(rt)
    with rt.transaction() as s:
        purposes = list(
            s.scalars(
                select(AuditEntry.purpose).where(
                    AuditEntry.action == AuditAction.STATISTICS_EXPORT.value
                )
            )
        )
    assert sorted(p or "" for p in purposes) == sorted(
        ["json", "csv", *["svg"] * len(statistics.ONE_WAY)]
    )


def test_a_chart_of_no_such_dimension_is_refused(rt: Runtime) -> None:
    with rt.transaction() as s, pytest.raises(statistics.UnknownDimensionError):
        statistics.export(
            s, audit=rt.audit, actor=ACTOR, on=TODAY, fmt=StatisticsFormat.SVG, dimension="mode"
        )


def test_file_names_carry_no_day_place_or_count() -> None:
    assert statistics.file_name(StatisticsFormat.CSV) == "statistics.csv"
    assert statistics.file_name(StatisticsFormat.JSON) == "statistics.json"
    assert statistics.file_name(StatisticsFormat.SVG, "sex") == "statistics-sex.svg"


def test_the_day_asked_for() -> None:
    assert statistics.day_of(None, today=TODAY) == TODAY
    assert statistics.day_of("2026-01-02", today=TODAY) == date(2026, 1, 2)
    for wrong in ("2026-13-01", "tomorrow", "2026-06-16"):
        with pytest.raises(statistics.InvalidDayError):
            statistics.day_of(wrong, today=TODAY)

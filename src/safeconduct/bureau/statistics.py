"""The bureau's statistics: people in custody by place of internment, status, sex, rank
category, age band and the month their custody began, and two crossings (place x status,
place x sex), with small-cell and complementary suppression (`suppression`), out through
the export gate as JSON, CSV and SVG charts.

Who is counted: every person not erased with a custody begun on or before the day, once, in
their latest such custody, as it stood on that day. What a person is counted by is read
from plain columns only: nothing sealed is opened, and how someone came into custody,
through which channel, or what they wish is never read, so no table can be made by it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import gate, suppression, svg
from safeconduct.bureau.gate import Output
from safeconduct.bureau.suppression import Profile, Table
from safeconduct.custody.models import Custody, CustodyEvent, CustodyEventKind, CustodyStatus
from safeconduct.custody.policy import MOVES_INTERNMENT, TARGET
from safeconduct.people.models import Person, Sex
from safeconduct.repatriation.policy import OFFICER_RANKS

FORMAT = "safeconduct-statistics/1"
CSV_COLUMNS = ("dimension", "across", "value", "across_value", "count")
# The non-commissioned ranks of people.ranks; officers are repatriation.policy's, any other
# rank given is enlisted (as category_of reads it), none is unknown.
NCO_RANKS = frozenset({"corporal", "junior sergeant", "sergeant", "senior sergeant"})
RANK_CATEGORIES = ("officer", "nco", "enlisted", "unknown")
AGE_BANDS = ("0-19", "20-29", "30-39", "40-49", "50-59", "60+", "unknown")
UNKNOWN = "unknown"
ONE_WAY = suppression.DIMENSIONS


class StatisticsFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    SVG = "svg"


MEDIA_TYPES = {
    StatisticsFormat.JSON: "application/json",
    StatisticsFormat.CSV: "text/csv; charset=utf-8",
    StatisticsFormat.SVG: "image/svg+xml",
}


class UnknownDimensionError(LookupError):
    """A chart asked for a dimension the statistics do not have."""


class InvalidDayError(ValueError):
    """The day asked for is no date, or after today."""


def day_of(at: str | None, *, today: date) -> date:
    """The day asked for (YYYY-MM-DD), else today; never after today."""
    if not at:
        return today
    try:
        day = date.fromisoformat(at)
    except ValueError:
        raise InvalidDayError("not a date (YYYY-MM-DD)") from None
    if day > today:
        raise InvalidDayError("must not be after today")
    return day


# -- reading one person --------------------------------------------------------------------


def rank_category(rank: str | None) -> str:
    if rank is None or not rank.strip():
        return UNKNOWN
    name = rank.strip().lower()
    if name in OFFICER_RANKS:
        return "officer"
    return "nco" if name in NCO_RANKS else "enlisted"


def _birth_span(text: str | None) -> tuple[date, date] | None:
    """The first and last day a date of birth given as YYYY, YYYY-MM or YYYY-MM-DD allows."""
    if not text:
        return None
    try:
        if len(text) == 4:
            year = int(text)
            return date(year, 1, 1), date(year, 12, 31)
        if len(text) == 7:
            first = date.fromisoformat(text + "-01")
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, date.fromordinal(following.toordinal() - 1)
        born = date.fromisoformat(text)
    except ValueError:
        return None
    return born, born


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _band(age: int) -> str:
    if age < 0:
        return UNKNOWN
    if age < 20:
        return "0-19"
    if age >= 60:
        return "60+"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def age_band(date_of_birth: str | None, on: date) -> str:
    """The age band on day `on`; unknown when the date of birth is missing or too vague to
    place the person in one band (a year of birth straddling a band's edge)."""
    span = _birth_span(date_of_birth)
    if span is None:
        return UNKNOWN
    oldest, youngest = _band(_age(span[0], on)), _band(_age(span[1], on))
    return oldest if oldest == youngest else UNKNOWN


def _sex(value: str | None) -> str:
    return value if value in {s.value for s in Sex} else Sex.UNKNOWN.value


@dataclass(frozen=True, slots=True)
class _Event:
    number: int
    kind: CustodyEventKind
    occurred_on: date
    place: str | None


def _as_of(place: str, events: Iterable[_Event], on: date) -> tuple[str, str]:
    """A custody's status and place of internment on day `on`, replayed from its events.
    The place before a later transfer is not kept, so it is unknown on a day before one."""
    status, where, moved_later = CustodyStatus.HELD.value, None, False
    for event in sorted(events, key=lambda e: e.number):
        moves = event.kind in MOVES_INTERNMENT and event.place is not None
        if event.occurred_on > on:
            moved_later = moved_later or moves
            continue
        status = TARGET[event.kind].value
        if moves:
            where = event.place
    if where is None:
        where = UNKNOWN if moved_later else place
    return status, where


def profiles(session: Session, *, on: date) -> list[Profile]:
    """Every counted person's values on day `on` (plain columns only, no sealed value)."""
    stmt = (
        select(
            Custody.person_id,
            Custody.id,
            Custody.since,
            Custody.place_of_internment,
            Person.sex,
            Person.rank,
            Person.date_of_birth,
        )
        .join(Person, Person.id == Custody.person_id)
        .where(Person.erased_on.is_(None), Custody.since <= on)
    )
    latest: dict[str, Any] = {}
    for row in session.execute(stmt):
        if row[0] not in latest or (row[2], row[1]) > (latest[row[0]][2], latest[row[0]][1]):
            latest[row[0]] = row
    events: dict[str, list[_Event]] = {}
    chosen = {row[1] for row in latest.values()}
    stmt_events = (
        select(
            CustodyEvent.custody_id,
            CustodyEvent.number,
            CustodyEvent.kind,
            CustodyEvent.occurred_on,
            CustodyEvent.place,
        )
        .join(Custody, Custody.id == CustodyEvent.custody_id)
        .join(Person, Person.id == Custody.person_id)
        .where(Person.erased_on.is_(None), Custody.since <= on)
    )
    for cid, number, kind, occurred_on, place in session.execute(stmt_events):
        if cid in chosen:
            events.setdefault(cid, []).append(
                _Event(number, CustodyEventKind(kind), occurred_on, place)
            )
    found = []
    for _pid, cid, since, place, sex, rank, born in latest.values():
        status, where = _as_of(place, events.get(cid, ()), on)
        found.append(
            Profile(
                place=where,
                status=status,
                sex=_sex(sex),
                rank=rank_category(rank),
                age=age_band(born, on),
                month=since.isoformat()[:7],
            )
        )
    return found


def domains(found: Sequence[Profile]) -> dict[str, tuple[str, ...]]:
    """The values each table lists: every value of a closed list (zero or not), and the
    places and months that occur, in order."""
    return {
        "place_of_internment": tuple(sorted({p.place for p in found})),
        "status": tuple(s.value for s in CustodyStatus),
        "sex": tuple(s.value for s in Sex),
        "rank_category": RANK_CATEGORIES,
        "age_band": AGE_BANDS,
        "month": tuple(sorted({p.month for p in found})),
    }


def tables(session: Session, *, on: date) -> list[Table]:
    """The published tables for day `on`, suppressed and checked."""
    found = profiles(session, on=on)
    return suppression.tables(found, domains(found))


# -- the outputs, through the gate -----------------------------------------------------------


def document(made: Sequence[Table], *, on: date) -> gate.Admitted:
    """The statistics as one admitted record."""
    out: list[dict[str, Any]] = []
    for table in made:
        entry: dict[str, Any] = {"dimension": table.dimension, "total": table.total}
        if table.across is None:
            entry["rows"] = [{"value": r.value, "count": r.count} for r in table.rows]
        else:
            entry["across"] = table.across
            entry["rows"] = [
                {"value": r.value, "across_value": r.across_value, "count": r.count}
                for r in table.rows
            ]
        out.append(entry)
    record = {
        "format": FORMAT,
        "made_on": on.isoformat(),
        "threshold": suppression.K,
        "tables": out,
    }
    return gate.admit(Output.STATISTICS, record)


def json_bytes(admitted: gate.Admitted) -> bytes:
    return gate.canonical_json(admitted)


def csv_bytes(admitted: gate.Admitted) -> bytes:
    """One line per count, every table flattened; an empty value is the total over its
    dimension."""
    lines = []
    for table in admitted.plain()["tables"]:
        across = table.get("across") or ""
        for row in [*table["rows"], {"value": None, "across_value": None, "count": table["total"]}]:
            lines.append(
                {
                    "dimension": table["dimension"],
                    "across": across,
                    "value": row["value"] or "",
                    "across_value": row.get("across_value") or "",
                    "count": row["count"],
                }
            )
    before = (
        f"# Safe Conduct statistics, {admitted['made_on']}",
        f"# {suppression.PRIMARY_MARK}: fewer than {suppression.K};"
        f" {suppression.COMPLEMENTARY_MARK}: at least {suppression.K}, hidden to protect"
        " another count; an empty value: the total over its dimension",
    )
    text = gate.csv_text(gate.admit_rows(Output.STATISTICS, lines), CSV_COLUMNS, before=before)
    return text.encode("utf-8")


# What the charts say, before translation (the UI passes its own `translate`).
DIMENSION_TITLES = {
    "place_of_internment": "Place of internment",
    "status": "Status",
    "sex": "Sex",
    "rank_category": "Rank category",
    "age_band": "Age band",
    "month": "Month custody began",
}
VALUE_LABELS = {
    "status": {
        "held": "Held",
        "hospitalised": "In hospital",
        "escaped": "Escaped",
        "released": "Released",
        "repatriated": "Repatriated",
        "deceased": "Deceased",
    },
    "sex": {"female": "Female", "male": "Male", "unknown": "Unknown"},
    "rank_category": {
        "officer": "Officers",
        "nco": "Non-commissioned officers",
        "enlisted": "Enlisted ranks",
        "unknown": "Unknown",
    },
    "age_band": {"0-19": "Under 20", "60+": "60 and over", "unknown": "Unknown"},
    "place_of_internment": {"unknown": "Unknown"},
}
CHART_DESCRIPTION = (
    "Bars, one for each value, as high as the number of people; a dashed outline marks a"
    " number not shown: <5 for fewer than 5, x for one hidden to protect another. The same"
    " numbers are in the table beside the chart."
)
BAR_TITLE = "%(label)s: %(count)s"


def _identity(text: str) -> str:
    return text


def label(dimension: str, value: str, translate: Callable[[str], str] = _identity) -> str:
    word = VALUE_LABELS.get(dimension, {}).get(value)
    return translate(word) if word is not None else value


def chart(
    admitted: gate.Admitted, dimension: str, translate: Callable[[str], str] = _identity
) -> str:
    """The SVG chart of one one-way table of an admitted record (its values are what the
    gate let through: the shown counts and the marks)."""
    table = one_way_table(admitted, dimension)
    bars = [
        svg.Bar(
            label(dimension, row["value"], translate),
            translate(BAR_TITLE)
            % {"label": label(dimension, row["value"], translate), "count": row["count"]},
            row["count"],
        )
        for row in table["rows"]
    ]
    return svg.bars(
        chart_id=f"chart-{dimension.replace('_', '-')}",
        title=translate(DIMENSION_TITLES[dimension]),
        description=translate(CHART_DESCRIPTION),
        bars=bars,
    )


def one_way_table(admitted: gate.Admitted, dimension: str) -> Mapping[str, Any]:
    for table in admitted.plain()["tables"]:
        if table["dimension"] == dimension and "across" not in table:
            return table  # type: ignore[no-any-return]
    raise UnknownDimensionError(dimension)


@dataclass(frozen=True, slots=True)
class Export:
    content: bytes
    file_name: str
    media_type: str


def file_name(fmt: StatisticsFormat, dimension: str | None = None) -> str:
    """No day, no place, no count: `statistics.csv`, `statistics.json`,
    `statistics-<dimension>.svg`."""
    if fmt is StatisticsFormat.SVG:
        return f"statistics-{dimension}.svg"
    return f"statistics.{fmt.value}"


def export(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    on: date,
    fmt: StatisticsFormat,
    dimension: str | None = None,
) -> Export:
    """One export of the statistics for day `on`, audited (the format is the purpose)."""
    if fmt is StatisticsFormat.SVG and dimension not in ONE_WAY:
        raise UnknownDimensionError(str(dimension))
    admitted = document(tables(session, on=on), on=on)
    if fmt is StatisticsFormat.JSON:
        content = json_bytes(admitted)
    elif fmt is StatisticsFormat.CSV:
        content = csv_bytes(admitted)
    else:
        content = chart(admitted, str(dimension)).encode("utf-8")
    audit.record(session, actor=actor, tag=AuditAction.STATISTICS_EXPORT, purpose=fmt.value)
    return Export(content, file_name(fmt, dimension), MEDIA_TYPES[fmt])

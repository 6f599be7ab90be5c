"""Read registry and inquiry CSV files, naming the row and column of any fault."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from safeconduct.tracing.dates import PartialDate, PartialDateError
from safeconduct.tracing.matcher import Candidate, InquiryRow, RegistryRow

REGISTRY_COLUMNS = ("id", "surname", "given_name", "patronymic", "date_of_birth")
INQUIRY_COLUMNS = ("inquiry_id", "surname", "given_name", "patronymic", "date_of_birth")
OUTPUT_COLUMNS = ("inquiry_id", "id", "score")
# Longer fields are not names; refusing them keeps a hostile file from eating memory.
MAX_FIELD = 400

T = TypeVar("T")


class InputFormatError(ValueError):
    """A malformed input, located by source, row and column."""

    def __init__(self, source: str, row: int | None, column: str | None, message: str) -> None:
        where = source + (f", row {row}" if row else "")
        where += f", column '{column}'" if column else ""
        super().__init__(f"{where}: {message}")
        self.source, self.row, self.column = source, row, column


def _records(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, stripped values in ``columns`` order) per non-blank row."""
    # utf-8-sig drops a byte-order mark if there is one.
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputFormatError(path.name, 1, None, "empty file, expected a header") from None
        for col in columns:
            if col not in header:
                raise InputFormatError(path.name, 1, col, "column is missing from the header")
        index = [header.index(col) for col in columns]
        width = max(index) + 1
        for values in reader:
            if len(values) < width or max(map(len, values)) > MAX_FIELD:
                if not any(v.strip() for v in values):
                    continue
                _raise_for_field(values, index, columns, path.name, reader.line_num)
            yield reader.line_num, [values[i].strip() for i in index]


def _raise_for_field(
    values: list[str], index: list[int], columns: tuple[str, ...], source: str, row: int
) -> None:
    for col, i in zip(columns, index, strict=True):
        if i >= len(values):
            raise InputFormatError(source, row, col, "value is missing (too few fields)")
        if len(values[i]) > MAX_FIELD:
            raise InputFormatError(source, row, col, f"longer than {MAX_FIELD} characters")


def _read(
    path: Path, columns: tuple[str, ...], build: Callable[[list[str], PartialDate], T]
) -> list[T]:
    key = columns[0]
    dob_at = columns.index("date_of_birth")
    seen: set[str] = set()
    rows: list[T] = []
    # Birth dates repeat across a registry: parse each distinct text once.
    dates: dict[str, PartialDate] = {}
    try:
        for row, rec in _records(path, columns):
            if not rec[0]:
                raise InputFormatError(path.name, row, key, "identifier is empty")
            if rec[0] in seen:
                raise InputFormatError(path.name, row, key, f"duplicate identifier {rec[0]!r}")
            seen.add(rec[0])
            text = rec[dob_at]
            dob = dates.get(text)
            if dob is None:
                try:
                    dob = dates[text] = PartialDate.parse(text)
                except PartialDateError as exc:
                    raise InputFormatError(path.name, row, "date_of_birth", str(exc)) from None
            rows.append(build(rec, dob))
    except UnicodeDecodeError as exc:
        raise InputFormatError(path.name, None, None, f"not UTF-8 ({exc.reason})") from None
    except csv.Error as exc:
        raise InputFormatError(path.name, None, None, f"not a CSV file ({exc})") from None
    return rows


def read_registry(path: Path) -> list[RegistryRow]:
    """Read a registry CSV (id, surname, given_name, patronymic, date_of_birth)."""
    return _read(path, REGISTRY_COLUMNS, lambda r, d: RegistryRow(r[0], r[1], r[2], r[3], d))


def read_inquiries(path: Path) -> list[InquiryRow]:
    """Read an inquiry CSV (inquiry_id, surname, given_name, patronymic, date_of_birth)."""
    return _read(path, INQUIRY_COLUMNS, lambda r, d: InquiryRow(r[0], r[1], r[2], r[3], d))


def write_candidates(path: Path, candidates: list[Candidate]) -> None:
    """Write candidates as ``inquiry_id,id,score`` with four-decimal scores and CRLF line
    ends, through the export gate (which also neutralises an id a spreadsheet would run)."""
    # The export gate is only needed to write: importing it is not free.
    from safeconduct.bureau import gate
    from safeconduct.bureau.gate import Output

    rows = [
        gate.admit(
            Output.TRACE_MATCHES, {"inquiry_id": c.inquiry_id, "id": c.id, "score": float(c.score)}
        )
        for c in candidates
    ]
    path.write_text(gate.csv_text(rows, OUTPUT_COLUMNS), encoding="utf-8", newline="")

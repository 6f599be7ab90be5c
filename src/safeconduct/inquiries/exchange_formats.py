"""Family inquiries exchanged with other tracing services, as PFIF 1.4 XML or as CSV.

Pure conversion: no database, no HTTP. Export goes through the export gate
(`Output.INQUIRY_EXCHANGE`); import treats the file as hostile: no DOCTYPE or entity, bounded
counts and lengths, strict dates, no control characters, and errors that name the record
number and the field but never the value.

Rules a reader of the files needs:

* Where the place last seen goes in PFIF: PFIF 1.4 has no person field for it (its
  `last_known_location` belongs to a note, an author's report with an author and its own
  id, which an inquiry is not). So it travels in `description` as one line,
  "Last seen: <place>", which a person at the other service reads as it stands, and the
  import reads back from the first line of `description` only. The rest of a foreign
  description (and every note) is not kept: free text can carry anything, and a
  registry under GC III keeps what it needs.
* The patronymic in PFIF: written in `full_name` as "Surname Given Patronymic" (and in
  `alternate_names` as "Given Patronymic Surname"); read back from `full_name` in either
  order when the extra word ends like an East Slavic patronymic. So PFIF carries only such
  a patronymic; `to_pfif` refuses another rather than lose it. CSV carries any.
* The leading apostrophe in CSV: the gate writes "'" before a cell starting with
  = + - @ (tab and CR too) so a spreadsheet shows it as text. The import removes a
  leading "'" only when the next character is one of those, which is exactly where the
  gate put one. A value that itself starts with "'" and such a character could not come
  back, so it is refused on export and import alike ("'t Hooft" is fine).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import xml.etree.ElementTree as ET  # DOCTYPE and entities are refused before parsing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from safeconduct.bureau import gate
from safeconduct.bureau.gate import INQUIRY_RECORD, Output
from safeconduct.security.spreadsheet import FORMULA_START

PFIF_NS = "http://zesty.ca/pfif/1.4"
# Older versions read too; their field names differ (first_name/last_name, other).
_VERSIONS = {
    "http://zesty.ca/pfif/1.4": "1.4",
    "http://zesty.ca/pfif/1.3": "1.3",
    "http://zesty.ca/pfif/1.2": "1.2",
}
_RENAMED = {"first_name": "given_name", "last_name": "family_name", "other": "description"}
_READ = frozenset(
    {"person_record_id", "entry_date", "source_date", "full_name", "given_name"}
    | {"family_name", "description", "date_of_birth"}
)

MAX_FIELD = 200
# Elements a file may hold per record allowed (fields, notes and their fields): a bound on
# the work a hostile file can cause, generous for real PFIF.
ELEMENTS_PER_RECORD = 64
LAST_SEEN = "Last seen: "
# Latin and Cyrillic endings of Russian and Ukrainian patronymics (-ovich, -evich, -ich,
# -ovych, -evych, -ych, -ovna, -evna, -ichna, -ivna, -yivna; -ович ... -ївна).
PATRONYMIC_ENDINGS = (
    *("ovich", "evich", "ich", "ovych", "evych", "ych"),
    *("ovna", "evna", "ichna", "ivna", "yivna"),
    *("ович", "евич", "ич", "овна", "евна", "ична", "івна", "ївна"),
)
# Categories refused in any kept value: controls, format (bidi overrides, zero widths),
# surrogates, private use, unassigned, line and paragraph separators.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_DOB = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?", re.ASCII)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_PFIF_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", re.ASCII)
_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_CHUNK = 1 << 16
_NAMES = ("surname", "given_name", "patronymic")


@dataclass(frozen=True, slots=True)
class ExchangedInquiry:
    """The person sought by a family inquiry, as tracing services exchange it."""

    record_id: str  # PFIF person_record_id: "<domain>/<local id>"
    surname: str
    given_name: str
    patronymic: str  # may be ""
    date_of_birth: str  # "YYYY-MM-DD", "YYYY-MM", "YYYY" or ""
    place_last_seen: str  # free text, may be ""
    entered_on: date | None  # the day the inquiry was entered


@dataclass(frozen=True, slots=True)
class PfifImport:
    """What a PFIF file gave: its records, and how many notes were skipped unread."""

    records: list[ExchangedInquiry] = field(default_factory=list)
    notes_ignored: int = 0


class ExchangeFormatError(ValueError):
    """A record (or the file) that cannot be exchanged. The message names the record
    number (1-based, in file order) and the field, never the value."""

    def __init__(self, record: int | None, field: str | None, message: str) -> None:
        self.record = record
        self.field = field
        self.reason = message
        where = [f"record {record}"] if record is not None else []
        where += [f"field {field}"] if field is not None else []
        super().__init__(f"{', '.join(where) or 'file'}: {message}")


# -- the rules every exchanged record keeps ----------------------------------------------------


def _check_text(n: int | None, name: str, value: str) -> None:
    if len(value) > MAX_FIELD:
        raise ExchangeFormatError(n, name, f"is longer than {MAX_FIELD} characters")
    # isprintable() is false for every hidden category (and for spaces other than " "):
    # the fast test first, the exact one only then.
    if not value.isprintable() and any(unicodedata.category(ch) in _HIDDEN for ch in value):
        raise ExchangeFormatError(n, name, "contains a control or invisible character")
    if value != value.strip():
        raise ExchangeFormatError(n, name, "starts or ends with white space")
    if value[:1] == "'" and value[1:2] != "" and value[1] in FORMULA_START:
        raise ExchangeFormatError(n, name, "starts with an apostrophe before = + - or @")


def _check_record_id(n: int | None, value: str) -> None:
    domain, slash, local = value.partition("/")
    if not slash or not domain or not local:
        raise ExchangeFormatError(n, "record_id", "is not of the form domain/local-id")
    if any(ch.isspace() for ch in value):
        raise ExchangeFormatError(n, "record_id", "contains white space")


def _check_dob(n: int | None, name: str, value: str) -> None:
    if value == "":
        return
    if not _DOB.fullmatch(value):
        raise ExchangeFormatError(n, name, "is not YYYY-MM-DD, YYYY-MM or YYYY")
    parts = [int(p) for p in value.split("-")]
    try:
        date(parts[0], *[*parts[1:], 1, 1][:2])
    except ValueError:
        raise ExchangeFormatError(n, name, "is not a real date") from None


def check(record: ExchangedInquiry, n: int | None = None) -> None:
    """Refuse a record no exchange may carry (raises ExchangeFormatError)."""
    values = {
        "record_id": record.record_id,
        "surname": record.surname,
        "given_name": record.given_name,
        "patronymic": record.patronymic,
        "date_of_birth": record.date_of_birth,
        "place_last_seen": record.place_last_seen,
    }
    for name, value in values.items():
        _check_text(n, name, value)
    _check_record_id(n, record.record_id)
    if not record.surname and not record.given_name:
        raise ExchangeFormatError(n, "surname", "neither surname nor given name is given")
    _check_dob(n, "date_of_birth", record.date_of_birth)


def _check_all(records: Iterable[ExchangedInquiry]) -> None:
    seen: set[str] = set()
    for n, record in enumerate(records, start=1):
        check(record, n)
        if record.record_id in seen:
            raise ExchangeFormatError(n, "record_id", "repeats an earlier record's id")
        seen.add(record.record_id)


def is_patronymic(word: str) -> bool:
    """One word ending like a Russian or Ukrainian patronymic (Ivanovich, Петрівна)."""
    low = word.casefold()
    return (
        bool(word)
        and not any(ch.isspace() for ch in word)
        and any(low.endswith(e) and len(low) > len(e) for e in PATRONYMIC_ENDINGS)
    )


def full_name(record: ExchangedInquiry) -> str:
    """The PFIF full name: "Surname Given Patronymic", leaving out the empty parts."""
    return " ".join(p for p in (record.surname, record.given_name, record.patronymic) if p)


# -- export -------------------------------------------------------------------------------------


def _row(record: ExchangedInquiry) -> dict[str, str]:
    return {
        "record_id": record.record_id,
        "surname": record.surname,
        "given_name": record.given_name,
        "patronymic": record.patronymic,
        "date_of_birth": record.date_of_birth,
        "place_last_seen": record.place_last_seen,
        "entered_on": record.entered_on.isoformat() if record.entered_on else "",
    }


def to_csv(records: Sequence[ExchangedInquiry]) -> str:
    """The records as CSV, one row each, columns in INQUIRY_RECORD order."""
    _check_all(records)
    rows = [gate.admit(Output.INQUIRY_EXCHANGE, _row(r)) for r in records]
    return gate.csv_text(rows, INQUIRY_RECORD)


def to_pfif(records: Sequence[ExchangedInquiry], *, source: str, exported_on: date) -> bytes:
    """The records as a PFIF 1.4 document (UTF-8, with declaration), the same bytes for
    the same input. `source` is the source_name of every person."""
    _check_all(records)
    _check_text(None, "source", source)
    if not source:
        raise ExchangeFormatError(None, "source", "is empty")
    for n, record in enumerate(records, start=1):
        if record.patronymic and not is_patronymic(record.patronymic):
            raise ExchangeFormatError(n, "patronymic", "is not one word PFIF can carry back")
    document = gate.admit(
        Output.INQUIRY_EXCHANGE,
        {
            "format": "pfif-1.4",
            "exported_on": exported_on.isoformat(),
            "source": source,
            "records": [_row(r) for r in records],
        },
    )
    root = ET.Element("pfif:pfif", {"xmlns:pfif": PFIF_NS})
    for row in document["records"]:
        _person_element(root, row, document["source"], document["exported_on"])
    ET.indent(root)
    made: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return made + b"\n"


def _person_element(parent: ET.Element, row: Mapping[str, Any], source: str, day: str) -> None:
    """One pfif:person, fields in the order of the PFIF 1.4 spec, empty ones left out.
    source_date (required) is the day the inquiry was entered here, its origin; when that
    day is unknown, the export day, the latest it can have been."""
    names = [row["surname"], row["given_name"], row["patronymic"]]
    alternate = f"{row['given_name']} {row['patronymic']} {row['surname']}".strip()
    entered = row["entered_on"]
    fields = (
        ("person_record_id", row["record_id"]),
        ("entry_date", f"{entered}T00:00:00Z" if entered else ""),
        ("source_name", source),
        ("source_date", f"{entered or day}T00:00:00Z"),
        ("full_name", " ".join(p for p in names if p)),
        ("given_name", row["given_name"]),
        ("family_name", row["surname"]),
        ("alternate_names", alternate if row["patronymic"] else ""),
        ("description", LAST_SEEN + row["place_last_seen"] if row["place_last_seen"] else ""),
        ("date_of_birth", row["date_of_birth"]),
    )
    person = ET.SubElement(parent, "pfif:person")
    for name, value in fields:
        if value:
            ET.SubElement(person, f"pfif:{name}").text = value


# -- import: PFIF -------------------------------------------------------------------------------


def from_pfif(data: bytes, *, max_records: int = 50_000) -> list[ExchangedInquiry]:
    """The persons of a PFIF 1.4 (or 1.3, 1.2) file; notes are skipped."""
    return read_pfif(data, max_records=max_records).records


def read_pfif(data: bytes, *, max_records: int = 50_000) -> PfifImport:
    """As from_pfif, with the count of notes skipped. Streams the file, so the elements
    held at once are one person's."""
    body = _prologue(data)
    reader = _PfifReader(max_records)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    try:
        for at in range(0, len(body), _CHUNK):
            parser.feed(body[at : at + _CHUNK])
            reader.take(parser.read_events())
        parser.close()
        reader.take(parser.read_events())
    except ET.ParseError as exc:
        line, column = exc.position
        raise ExchangeFormatError(
            reader.within(), None, f"is not well-formed XML (line {line}, column {column})"
        ) from None
    return reader.result()


def _prologue(data: bytes) -> bytes:
    """The bytes to parse, once they cannot declare entities nor hide in another encoding."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ExchangeFormatError(None, None, "is not UTF-8") from None
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise ExchangeFormatError(None, None, "declares a DOCTYPE or an entity")
    declared = _ENCODING.match(body.lstrip())
    if declared and declared.group(1).lower() not in {b"utf-8", b"utf8"}:
        raise ExchangeFormatError(None, None, "declares an encoding other than UTF-8")
    return body


class _PfifReader:
    """Consumes parse events: checks the root, bounds the counts, converts each person as
    soon as it ends and then drops it from the tree."""

    def __init__(self, max_records: int) -> None:
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        self.max_records = max_records
        self.max_elements = (max_records + 1) * ELEMENTS_PER_RECORD
        self.elements = 0
        self.depth = 0
        self.ns = ""
        self.version = ""
        self.root: ET.Element | None = None
        self.records: list[ExchangedInquiry] = []
        self.seen: set[str] = set()
        self.notes = 0

    def take(self, events: Iterable[Any]) -> None:
        for event, element in events:
            if event == "start":
                self._start(element)
            else:
                self._end(element)

    def _start(self, element: ET.Element) -> None:
        self.elements += 1
        self.depth += 1
        if self.elements > self.max_elements:
            raise ExchangeFormatError(None, None, "holds more elements than its records allow")
        if self.depth == 1:
            self._root(element)
        elif element.tag == f"{{{self.ns}}}note":
            self.notes += 1
        elif self._is_person(element) and len(self.records) >= self.max_records:
            raise ExchangeFormatError(
                len(self.records) + 1, None, f"more than {self.max_records} records"
            )

    def _is_person(self, element: ET.Element) -> bool:
        """A person starting: a child of the root."""
        return self.depth == 2 and element.tag == f"{{{self.ns}}}person"

    def _root(self, element: ET.Element) -> None:
        ns, _, local = element.tag[1:].partition("}")
        if local != "pfif" or ns.rstrip("/") not in _VERSIONS:
            raise ExchangeFormatError(None, None, "is not a PFIF 1.2, 1.3 or 1.4 document")
        self.ns, self.version, self.root = ns, _VERSIONS[ns.rstrip("/")], element

    def _end(self, element: ET.Element) -> None:
        self.depth -= 1
        if self.depth != 1 or self.root is None:
            return  # a field, or a note inside a person: its person handles it
        if element.tag == f"{{{self.ns}}}person":
            n = len(self.records) + 1
            record = _person(n, self._fields(n, element))
            if record.record_id in self.seen:
                raise ExchangeFormatError(n, "person_record_id", "repeats an earlier record's id")
            self.seen.add(record.record_id)
            self.records.append(record)
        self.root.remove(element)  # done with it: memory stays one person deep

    def _fields(self, n: int, person: ET.Element) -> dict[str, str]:
        fields: dict[str, str] = {}
        for child in person:
            ns, _, local = child.tag[1:].partition("}")
            name = _RENAMED.get(local, local) if self.version != "1.4" else local
            if ns != self.ns or name not in _READ:
                continue  # notes, fields not kept, other namespaces
            if name in fields:
                raise ExchangeFormatError(n, local, "appears twice")
            if len(child):
                raise ExchangeFormatError(n, local, "holds elements, not text")
            fields[name] = (child.text or "").strip()
        return fields

    def within(self) -> int | None:
        """The number of the person being read, if one is."""
        return len(self.records) + 1 if self.depth >= 2 else None

    def result(self) -> PfifImport:
        if self.root is None:  # pragma: no cover - expat refuses a file without a root
            raise ExchangeFormatError(None, None, "has no root element")
        return PfifImport(self.records, self.notes)


def _person(n: int, fields: Mapping[str, str]) -> ExchangedInquiry:
    for name in ("person_record_id", "family_name", "given_name", "date_of_birth"):
        _check_text(n, name, fields.get(name, ""))
    full = fields.get("full_name", "")
    if len(full) > 3 * MAX_FIELD + 2:  # three names and two spaces
        raise ExchangeFormatError(n, "full_name", f"is longer than {3 * MAX_FIELD + 2} characters")
    record_id = fields.get("person_record_id", "")
    if not record_id:
        raise ExchangeFormatError(n, "person_record_id", "is missing")
    entered = _pfif_day(n, "entry_date", fields.get("entry_date", ""))
    _pfif_day(n, "source_date", fields.get("source_date", ""))  # checked, not kept
    surname, given = fields.get("family_name", ""), fields.get("given_name", "")
    if not surname and not given:
        # Only a full name: kept whole as the surname rather than split by guesswork.
        surname = full
    record = ExchangedInquiry(
        record_id=record_id,
        surname=surname,
        given_name=given,
        patronymic=patronymic_in(full, surname, given),
        date_of_birth=fields.get("date_of_birth", ""),
        place_last_seen=_place(fields.get("description", "")),
        entered_on=entered,
    )
    try:
        check(record, n)
    except ExchangeFormatError as exc:  # speak PFIF's field names to the sender
        raise ExchangeFormatError(
            n, _PFIF_NAME.get(exc.field or "", exc.field), exc.reason
        ) from None
    return record


_PFIF_NAME = {
    "record_id": "person_record_id",
    "surname": "family_name",
    "place_last_seen": "description",
}


def patronymic_in(full: str, surname: str, given: str) -> str:
    """The patronymic a full name adds to surname and given name: "Surname Given P" or
    "Given P Surname", P one word ending like a patronymic; else ""."""
    prefix = " ".join(p for p in (surname, given) if p)
    if prefix and full.startswith(prefix + " "):
        rest = full[len(prefix) + 1 :]
        if is_patronymic(rest):
            return rest
    if surname and given and full.startswith(given + " ") and full.endswith(" " + surname):
        middle = full[len(given) + 1 : len(full) - len(surname) - 1]
        if is_patronymic(middle):
            return middle
    return ""


def _place(description: str) -> str:
    lines = description.splitlines()
    first = lines[0].strip() if lines else ""
    return first.removeprefix(LAST_SEEN).strip() if first.startswith(LAST_SEEN) else ""


def _pfif_day(n: int, name: str, value: str) -> date | None:
    """The day of a PFIF time ("YYYY-MM-DDThh:mm:ssZ", UTC), or None when absent."""
    if value == "":
        return None
    if not _PFIF_TIME.fullmatch(value):
        raise ExchangeFormatError(n, name, "is not YYYY-MM-DDThh:mm:ssZ")
    try:
        return datetime.fromisoformat(value[:-1] + "+00:00").date()
    except ValueError:
        raise ExchangeFormatError(n, name, "is not a real date and time") from None


# -- import: CSV --------------------------------------------------------------------------------


def from_csv(text: str, *, max_records: int = 50_000) -> list[ExchangedInquiry]:
    """The records of a CSV whose header names the INQUIRY_RECORD columns (any order)."""
    if max_records < 1:
        raise ValueError("max_records must be at least 1")
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    records: list[ExchangedInquiry] = []
    seen: set[str] = set()
    try:
        columns = _header(next(rows, []))
        for cells in rows:
            if not cells:
                continue  # a blank line
            n = len(records) + 1
            if n > max_records:
                raise ExchangeFormatError(n, None, f"more than {max_records} records")
            record = _csv_record(n, columns, cells)
            if record.record_id in seen:
                raise ExchangeFormatError(n, "record_id", "repeats an earlier record's id")
            seen.add(record.record_id)
            records.append(record)
    except csv.Error:
        raise ExchangeFormatError(len(records) + 1, None, "is not well-formed CSV") from None
    return records


def _header(cells: list[str]) -> list[str]:
    for column in INQUIRY_RECORD:
        if cells.count(column) != 1:
            raise ExchangeFormatError(None, column, "is not a column of the header, once")
    if len(cells) != len(INQUIRY_RECORD):
        raise ExchangeFormatError(None, None, "the header has columns no exchange carries")
    return cells


def _csv_record(n: int, columns: list[str], cells: list[str]) -> ExchangedInquiry:
    if len(cells) != len(columns):
        raise ExchangeFormatError(n, None, f"has {len(cells)} cells, not {len(columns)}")
    for name, value in zip(columns, cells, strict=True):
        if len(value) > MAX_FIELD + 1:  # before the work below; +1 for the gate's apostrophe
            raise ExchangeFormatError(n, name, f"is longer than {MAX_FIELD} characters")
    got = {c: unneutralised(v) for c, v in zip(columns, cells, strict=True)}
    day = got["entered_on"]
    if day and not _DAY.fullmatch(day):
        raise ExchangeFormatError(n, "entered_on", "is not YYYY-MM-DD")
    try:
        entered = date.fromisoformat(day) if day else None
    except ValueError:
        raise ExchangeFormatError(n, "entered_on", "is not a real date") from None
    record = ExchangedInquiry(
        record_id=got["record_id"],
        surname=got["surname"],
        given_name=got["given_name"],
        patronymic=got["patronymic"],
        date_of_birth=got["date_of_birth"],
        place_last_seen=got["place_last_seen"],
        entered_on=entered,
    )
    check(record, n)
    return record


def unneutralised(cell: str) -> str:
    """A CSV cell without the apostrophe the gate puts before = + - @ (and tab, CR), and
    only there."""
    if cell[:1] == "'" and cell[1:2] != "" and cell[1] in FORMULA_START:
        return cell[1:]
    return cell

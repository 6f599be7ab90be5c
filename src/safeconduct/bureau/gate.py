"""The one export gate: every file or document that leaves Safe Conduct (CSV, JSON, PDF,
SVG) is built from a record admitted here against the allow-list of its output, and only the
writers below turn an admitted record into bytes.

Why one place: an output is the easiest way for the circumstances of surrender to leak. So
each output names the fields it may carry, as dotted paths (`people.surname` is the surname
of each entry of `people`); a record with any other field is refused, not trimmed, because a
field no one declared is a bug to fix, not a value to drop quietly. No allow-list may name a
field that would tell how someone came into custody, through which channel, what they wish,
or carry a photo or a recording (GC III Art. 13): `FORBIDDEN_WORDS` is checked against every
allow-list when this module loads. Values are text, whole numbers, booleans or nothing;
bytes (an image, a recording) are refused whatever the field."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any

from safeconduct.security.spreadsheet import cell


class Output(StrEnum):
    """Every kind of output that leaves the system."""

    CAPTURE_CARD = "capture_card"  # Art. 70, Annex IV-A
    CTA_BATCH = "cta_batch"  # Arts. 122-123
    STATISTICS = "statistics"
    DEATH_NOTICE = "death_notice"  # Art. 120, to the family and the CTA
    DEATH_CERTIFICATE = "death_certificate"  # Art. 120, with the cause
    EXCHANGE_LIST = "exchange_list"  # repatriation: the signed envelope
    OVERDUE_DUTIES = "overdue_duties"  # treatment: counts per place, no names
    AUDIT_EXPORT = "audit_export"  # the auditor's export: ids and codes, no personal data
    TRACE_MATCHES = "trace_matches"  # `trace match`: ids and scores
    INQUIRY_EXCHANGE = "inquiry_exchange"  # inquiries to another tracing service (PFIF, CSV)
    INQUIRY_ANSWER = "inquiry_answer"  # the ladder answer an inquirer reads with a codename


# Art. 17 identity, as a document carries it.
IDENTITY = (
    "surname",
    "given_names",
    "patronymic",
    "date_of_birth",
    "rank",
    "service_number",
)
# The voluntary Art. 122(4) family details, opened for the outputs that must carry them.
FAMILY = (
    "father_first_name",
    "mother_maiden_name",
    "person_to_inform",
    "address_for_correspondence",
)
SIGNED = ("algorithm", "key_id", "sha256", "signature")
# A record of a CTA batch (Art. 122(4)): in the JSON document under `records`, and as a row
# of its CSV.
CTA_RECORD = (
    "record_id",
    "record_type",
    "person_ref",
    *IDENTITY,
    "name_original_script",
    "place_of_birth",
    "sex",
    "nationality",
    *FAMILY,
    "captured_on",
    "status",
    "place_of_internment",
    "corrected_fields",
    "events",
    "events.kind",
    "events.occurred_on",
    "events.place",
)

# A family inquiry as one tracing service passes it to another: the person sought, never
# the inquirer.
INQUIRY_RECORD = (
    "record_id",
    "surname",
    "given_name",
    "patronymic",
    "date_of_birth",
    "place_last_seen",
    "entered_on",
)


def _under(prefix: str, names: Iterable[str]) -> tuple[str, ...]:
    return (prefix, *(f"{prefix}.{n}" for n in names))


ALLOWED: Mapping[Output, frozenset[str]] = MappingProxyType(
    {
        Output.CAPTURE_CARD: frozenset(
            {
                "format",
                "card_id",
                "version",
                "language",
                "issued_on",
                *IDENTITY,
                "name_original_script",
                "name_latin",
                "place_of_birth",
                "sex",
                "nationality",
                *FAMILY,
                "captured_on",
                "health",
                "place_of_internment",
            }
        ),
        Output.CTA_BATCH: frozenset(
            {
                "format",
                "batch_number",
                "made_on",
                "sender",
                *_under("records", CTA_RECORD),
                *CTA_RECORD,  # a CSV row is one record
                *SIGNED,
            }
        ),
        Output.STATISTICS: frozenset(
            {
                "format",
                "made_on",
                "threshold",
                *_under(
                    "tables",
                    (
                        "dimension",
                        "across",
                        "rows",
                        "rows.value",
                        "rows.across_value",
                        "rows.count",
                        "total",
                    ),
                ),
                # a CSV line: one count of a table, flattened
                "dimension",
                "across",
                "value",
                "across_value",
                "count",
            }
        ),
        Output.DEATH_NOTICE: frozenset(
            {
                "format",
                "notice_id",
                "language",
                "issued_on",
                *IDENTITY,
                "name_original_script",
                "name_latin",
                "place_of_birth",
                "nationality",
                "died_on",
                "place_of_internment",
            }
        ),
        Output.DEATH_CERTIFICATE: frozenset(
            {
                "format",
                "notice_id",
                "language",
                "issued_on",
                *IDENTITY,
                "name_original_script",
                "name_latin",
                "place_of_birth",
                "nationality",
                "died_on",
                "place_of_internment",
                "place_of_death",
                "cause_of_death",
            }
        ),
        Output.EXCHANGE_LIST: frozenset(
            {
                *SIGNED,
                *_under(
                    "document",
                    (
                        "format",
                        "list_id",
                        "event_id",
                        "counterpart",
                        "planned_on",
                        "approval",
                        "approved_on",
                        "people",
                        "people.number",
                        "people.category",
                        *(f"people.{f}" for f in IDENTITY),
                    ),
                ),
            }
        ),
        Output.OVERDUE_DUTIES: frozenset({"place", "duty", "article", "overdue", "escalated"}),
        Output.AUDIT_EXPORT: frozenset(
            {
                "seq",
                "day",
                "actor",
                "credential",
                "action",
                "subject_type",
                "subject_id",
                "purpose_code",
            }
        ),
        Output.TRACE_MATCHES: frozenset({"inquiry_id", "id", "score"}),
        Output.INQUIRY_EXCHANGE: frozenset(
            {
                "format",
                "exported_on",
                "source",
                *_under("records", INQUIRY_RECORD),
                *INQUIRY_RECORD,  # a CSV row is one record
            }
        ),
        # What the law lets a family know (see inquiries.policy): a step of the ladder,
        # the day of the latest neutral visit, and the place only with the person's consent.
        Output.INQUIRY_ANSWER: frozenset(
            {"format", "reference", "step", "visited_on", "place_of_internment", "answered_on"}
        ),
    }
)

# Words no allow-listed field may contain: how someone came into custody and through what,
# what they wish, what they said in private, and pictures or recordings of them.
FORBIDDEN_WORDS = frozenset(
    {
        "mode",
        "voluntary",
        "surrender",
        "circumstance",
        "channel",
        "request",
        "contact",
        "content",
        "wish",
        "risk",
        "interview",
        "note",
        "photo",
        "image",
        "video",
        "audio",
        "recording",
        "stay",
        "codename",
    }
)


def forbidden_fields(output: Output) -> list[str]:
    """The allow-listed fields of an output that contain a forbidden word (none, always)."""
    return sorted(
        f for f in ALLOWED[output] for word in FORBIDDEN_WORDS if word in f.replace("_", " ")
    )


class NotAllowedError(ValueError):
    """A record carried a field its output does not allow, or a value no output carries.
    The message names the output and the path, never the value."""


Scalar = str | int | float | bool | None


def _frozen(output: Output, value: Any, path: str) -> Any:
    allowed = ALLOWED[output]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str) or where not in allowed:
                raise NotAllowedError(f"{output.value} does not carry the field {where!r}")
            out[key] = _frozen(output, item, where)
        return MappingProxyType(out)
    if isinstance(value, list | tuple):
        return tuple(_frozen(output, item, path) for item in value)
    if isinstance(value, bytes | bytearray | memoryview):
        raise NotAllowedError(f"{output.value} carries no binary value ({path!r})")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise NotAllowedError(f"{output.value} carries no {type(value).__name__} ({path!r})")


class Admitted:
    """A record admitted for one output: frozen (read-only mappings and tuples), so nothing
    is added after the check. Only `admit` makes one; the writers take nothing else."""

    __slots__ = ("_data", "at", "output")

    def __init__(self, output: Output, data: Any, _token: object, at: str = "") -> None:
        if _token is not _TOKEN:
            raise TypeError("only gate.admit makes an admitted record")
        self.output = output
        self._data = data
        self.at = at  # where in the output the record sits ("" for a whole document)

    def get(self, key: str) -> Any:
        return self._data.get(key) if isinstance(self._data, Mapping) else None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def plain(self) -> Any:
        """The record as ordinary dicts and lists (for JSON and templates)."""
        return _thawed(self._data)


_TOKEN = object()


def _thawed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    return value


def admit(output: Output, record: Mapping[str, Any], *, at: str = "") -> Admitted:
    """Admit one record (a document, or a row) for an output, or refuse it. `at` admits a
    part of an output's document, checked against the paths under it: `at="document.people"`
    admits one person of an exchange list (a row of its CSV), `at="document"` its document."""
    if at and at not in ALLOWED[output]:
        raise NotAllowedError(f"{output.value} does not carry the field {at!r}")
    return Admitted(output, _frozen(output, record, at), _TOKEN, at)


def admit_rows(output: Output, rows: Iterable[Mapping[str, Any]]) -> list[Admitted]:
    return [admit(output, row) for row in rows]


# -- the writers: the only code that turns records into the bytes of an output ---------------


def canonical_json(admitted: Admitted, *, ascii_only: bool = False) -> bytes:
    """Sorted keys, no spaces, UTF-8: the form that is hashed and signed. `ascii_only`
    escapes every non-ASCII character (for a trailer inside a binary file)."""
    return json.dumps(
        admitted.plain(), sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only
    ).encode("utf-8")


def csv_text(
    rows: Sequence[Admitted],
    columns: Sequence[str],
    *,
    before: Sequence[str] = (),
    after: Sequence[str] = (),
    line_end: str = "\r\n",
) -> str:
    """Rows as CSV under a header of `columns` (each an allowed field of every row's output),
    every cell formula-neutralised. `before` and `after` are whole comment lines, written as
    given (the callers pass hashes, signatures and signed JSON, never a personal value)."""
    for row in rows:
        missing = [c for c in columns if _path(row.at, c) not in ALLOWED[row.output]]
        if missing:
            raise NotAllowedError(f"{row.output.value} does not carry the column {missing[0]!r}")
    out = io.StringIO()
    for line in before:
        out.write(line + line_end)
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(cell(_csv_value(row.get(c))) for c in columns)
    for line in after:
        out.write(line + line_end)
    return out.getvalue()


def _path(at: str, name: str) -> str:
    return f"{at}.{name}" if at else name


def _csv_value(value: Any) -> str | int | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, tuple):
        return "; ".join(str(_csv_value(v)) for v in value)
    return value  # type: ignore[no-any-return]


def pdf(
    template: Traversable, inputs: Mapping[str, Admitted], *, ppi: float | None = None
) -> bytes:
    """Typeset a Typst template whose only data are admitted records, each passed as JSON in
    `sys.inputs` (never spliced into markup, so no name can become markup). With `ppi`, the
    first page as PNG instead: the same source, for looking at."""
    import typst  # the compiler is large, and only a PDF needs it

    data = {name: json.dumps(rec.plain(), ensure_ascii=False) for name, rec in inputs.items()}
    if ppi is None:
        made = typst.compile(template.read_bytes(), sys_inputs=data)
    else:
        made = typst.compile(template.read_bytes(), sys_inputs=data, format="png", ppi=ppi)
    if isinstance(made, list):  # one PNG per page
        made = made[0]
    assert isinstance(made, bytes)
    return made


for _output in Output:
    if forbidden_fields(_output):  # pragma: no cover - a wrong allow-list fails at import
        raise RuntimeError(f"{_output.value} allows {forbidden_fields(_output)}")

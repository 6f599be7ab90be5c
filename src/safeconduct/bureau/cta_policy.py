"""Notifications to the Central Tracing Agency (GC III Arts. 122-123), the pure part: what a
person's record carries, how a record differs from the last one sent, the batch document
and its CSV rows. No I/O.

A record carries the Art. 122(4) fields only: identity, the family details, the day of
capture, status, place of internment, and the custody events as kind and day (a transfer's
new place too). Nothing here can say how someone came into custody: the inputs carry no
such value, and the gate refuses any field not on the allow-list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from safeconduct.custody.models import CustodyEventKind, CustodyStatus
from safeconduct.people.policy import IDENTITY_FIELDS

FORMAT = "safeconduct-cta-batch/1"
SCHEMA_FILE = "cta_batch_1.schema.json"
DEFAULT_SENDER = "Safe Conduct"


class RecordType(StrEnum):
    NEW = "new"  # a person never sent before
    CHANGE = "change"  # status, place or events changed: the record with the events since
    CORRECTION = "correction"  # identity or family details corrected: never silent


# What identifies the person: a change here is a correction, named field by field.
IDENTITY_KEYS = IDENTITY_FIELDS
FAMILY_KEYS = (
    "father_first_name",
    "mother_maiden_name",
    "person_to_inform",
    "address_for_correspondence",
)
CORRECTABLE = (*IDENTITY_KEYS, *FAMILY_KEYS)
# Where the custody stands: a change here (with the events since) is a change record.
STATE_KEYS = ("captured_on", "status", "place_of_internment")
# Events whose place the record carries: a transfer names the new place of internment.
# (A hospital is not named; a death's place is sealed medical data and never leaves.)
PLACED = frozenset({CustodyEventKind.TRANSFER.value})
CSV_COLUMNS = (
    "record_id",
    "record_type",
    "person_ref",
    *IDENTITY_KEYS,
    *FAMILY_KEYS,
    *STATE_KEYS,
    "corrected_fields",
    "events",
)
STATUSES = tuple(s.value for s in CustodyStatus)
EVENT_KINDS = tuple(k.value for k in CustodyEventKind)


@dataclass(frozen=True, slots=True)
class Event:
    """A custody event as a record carries it."""

    number: int
    kind: str
    occurred_on: date
    place: str | None

    def sent(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "occurred_on": self.occurred_on.isoformat(),
            "place": self.place if self.kind in PLACED else None,
        }


@dataclass(frozen=True, slots=True)
class Current:
    """A person as they stand now: `values` holds every key of CORRECTABLE and STATE_KEYS
    (None where unknown), `custody_id` the custody the record follows and `events` its
    events, oldest first."""

    person_id: str
    values: Mapping[str, str | None]
    custody_id: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Sent:
    """What the last record sent for a person said: its values, the custody it followed
    and the number of the last event of that custody it carried (0: none)."""

    values: Mapping[str, str | None]
    custody_id: str
    last_event: int


@dataclass(frozen=True, slots=True)
class Decision:
    """What to send for a person: the type, the fields corrected, the events to carry."""

    record_type: RecordType
    corrected_fields: tuple[str, ...]
    events: tuple[Event, ...]


def decide(current: Current, sent: Sent | None) -> Decision | None:
    """The record to send for a person, or None when nothing changed since the last."""
    if sent is None:
        return Decision(RecordType.NEW, (), current.events)
    seen = sent.last_event if sent.custody_id == current.custody_id else 0
    fresh = tuple(e for e in current.events if e.number > seen)
    corrected = tuple(k for k in CORRECTABLE if current.values.get(k) != sent.values.get(k))
    if corrected:
        return Decision(RecordType.CORRECTION, corrected, fresh)
    moved = any(current.values.get(k) != sent.values.get(k) for k in STATE_KEYS)
    if moved or fresh or sent.custody_id != current.custody_id:
        return Decision(RecordType.CHANGE, (), fresh)
    return None


def record(
    *,
    record_id: str,
    person_ref: str,
    record_type: RecordType | str,
    values: Mapping[str, str | None],
    corrected_fields: Sequence[str],
    events: Iterable[Event],
) -> dict[str, Any]:
    """A record as the batch document carries it: every field present, null where unknown."""
    return {
        "record_id": record_id,
        "record_type": RecordType(record_type).value,
        "person_ref": person_ref,
        **{k: values.get(k) for k in (*CORRECTABLE, *STATE_KEYS)},
        "corrected_fields": list(corrected_fields),
        "events": [e.sent() for e in events],
    }


def sort_key(rec: Mapping[str, Any]) -> tuple[str, str, str]:
    # By name, then the random reference: never by registration or custody, so the order
    # says nothing of when or how anyone came into custody.
    return (str(rec["surname"] or ""), str(rec["given_names"] or ""), str(rec["person_ref"]))


def document(
    *, batch_number: int, made_on: date, sender: str, records: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The batch document, its records in name order."""
    return {
        "format": FORMAT,
        "batch_number": batch_number,
        "made_on": made_on.isoformat(),
        "sender": sender,
        "records": sorted((dict(r) for r in records), key=sort_key),
    }


def events_cell(events: Iterable[Mapping[str, Any]]) -> str:
    """The events of a record in one CSV cell: "transfer 2027-01-05 Camp 2; death 2027-02-01"."""
    return "; ".join(
        " ".join(p for p in (e["kind"], e["occurred_on"], e.get("place")) if p) for e in events
    )


def csv_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A record as a CSV row: the lists flattened into one cell each."""
    row = {k: rec.get(k) for k in CSV_COLUMNS}
    row["corrected_fields"] = " ".join(rec.get("corrected_fields") or ())
    row["events"] = events_cell(rec.get("events") or ())
    return row


def file_names(number: int) -> tuple[str, str, str]:
    """The batch's files: the number only (no name, place, day or count)."""
    base = f"cta-batch-{number}"
    return f"{base}.json", f"{base}.csv", f"{base}.json.sig"

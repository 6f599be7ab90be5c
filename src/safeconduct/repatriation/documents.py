"""The frozen exchange list: a canonical JSON document of Art. 17 identities only, signed
with the service's Ed25519 key, and its exports (JSON, CSV, PDF), each of which carries the
document, its SHA-256 and the signature, and can be checked offline.

The document is `json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
as UTF-8; the signature is Ed25519 over exactly those bytes, so any Ed25519 library and the
published key check it. Each export is a pure function of the signed envelope: `verify`
renders it again and compares every byte, so a file changed anywhere fails. Every byte of
them is written by the export gate (`bureau.gate`, Output.EXCHANGE_LIST), from records it
admitted against the list's allow-list."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from typing import Any

from safeconduct.bureau import gate
from safeconduct.bureau.gate import Output
from safeconduct.repatriation.models import Category
from safeconduct.repatriation.policy import CATEGORY_ORDER
from safeconduct.security.signing import Signer, verify_signature
from safeconduct.security.statements import PublishedKey

FORMAT = "safeconduct-exchange-list/1"
# What a person on a list is, in the document and every export: Art. 17 identity and the
# category, nothing else (no id of ours, no place, no custody, no wish).
PERSON_FIELDS = (
    "surname",
    "given_names",
    "patronymic",
    "date_of_birth",
    "rank",
    "service_number",
)
CSV_COLUMNS = ("number", "category", *PERSON_FIELDS)
PDF_MARK = b"%SafeConduct-exchange-list "
CSV_MARK = "# document: "
MAX_EXPORT = 32 * 1024 * 1024


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


MEDIA_TYPES = {
    ExportFormat.JSON: "application/json",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.PDF: "application/pdf",
}


def canonical(doc: Mapping[str, Any]) -> bytes:
    """The document's canonical JSON (what is hashed and signed), through the gate: a
    document with a field no exchange list carries is refused (gate.NotAllowedError)."""
    return gate.canonical_json(gate.admit(Output.EXCHANGE_LIST, doc, at="document"))


def _sort_key(person: Mapping[str, Any]) -> tuple[int, tuple[str, ...]]:
    # By category, then by name: never by custody, so the order tells nothing of when or
    # how anyone came into custody.
    order = CATEGORY_ORDER.index(Category(person["category"]))
    return order, tuple(str(person.get(f) or "") for f in PERSON_FIELDS)


def document(
    *,
    list_id: str,
    event_id: str,
    counterpart: str,
    planned_on: date,
    approval: int,
    approved_on: date,
    people: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """The document an approval freezes. `people` carry PERSON_FIELDS and `category`;
    anything else they carry is dropped here, whatever the caller passed."""
    kept = [{f: p.get(f) for f in ("category", *PERSON_FIELDS)} for p in people]
    kept.sort(key=_sort_key)
    for number, person in enumerate(kept, start=1):
        person["number"] = number
    return {
        "format": FORMAT,
        "list_id": list_id,
        "event_id": event_id,
        "counterpart": counterpart,
        "planned_on": planned_on.isoformat(),
        "approval": approval,
        "approved_on": approved_on.isoformat(),
        "people": kept,
    }


@dataclass(frozen=True, slots=True)
class Signed:
    """A document with its hash and signature, as an approval stores them."""

    document: dict[str, Any]
    sha256: str
    signature: str  # base64
    key_id: str

    def envelope(self) -> dict[str, Any]:
        return {
            "algorithm": "Ed25519",
            "document": self.document,
            "key_id": self.key_id,
            "sha256": self.sha256,
            "signature": self.signature,
        }


def sign(signer: Signer, doc: dict[str, Any]) -> Signed:
    body = canonical(doc)
    signature = base64.b64encode(signer.sign(body)).decode()
    return Signed(doc, hashlib.sha256(body).hexdigest(), signature, signer.key_id)


def render(signed: Signed, fmt: ExportFormat) -> bytes:
    """The export; gate.NotAllowedError if the document carries a field no list carries."""
    if fmt is ExportFormat.JSON:
        return gate.canonical_json(_admitted(signed)) + b"\n"
    if fmt is ExportFormat.CSV:
        return _csv(signed)
    return _pdf(signed)


def file_name(signed: Signed, fmt: ExportFormat) -> str:
    # The list's own id and approval number only: no day, no counterpart, no count.
    return f"exchange-list-{signed.document['list_id']}-{signed.document['approval']}.{fmt}"


def _admitted(signed: Signed) -> gate.Admitted:
    return gate.admit(Output.EXCHANGE_LIST, signed.envelope())


def _csv(signed: Signed) -> bytes:
    rows = [
        gate.admit(Output.EXCHANGE_LIST, person, at="document.people")
        for person in signed.document["people"]
    ]
    envelope = gate.canonical_json(_admitted(signed)).decode("utf-8")
    text = gate.csv_text(
        rows,
        CSV_COLUMNS,
        before=["# Safe Conduct exchange list, signed: safeconduct exchange verify FILE"],
        after=[
            f"# sha256: {signed.sha256}",
            f"# key: {signed.key_id}",
            f"# signature: {signed.signature}",
            CSV_MARK + envelope,
        ],
        line_end="\n",
    )
    return text.encode("utf-8")


def _pdf(signed: Signed) -> bytes:
    admitted = _admitted(signed)
    source = resources.files("safeconduct.repatriation").joinpath("exchange_list.typ")
    pdf = gate.pdf(source, {"envelope": admitted})
    # After %%EOF, as a PDF comment: readers ignore it, `verify` reads it. ASCII, so the
    # trailer is plain bytes in a binary file.
    trailer = gate.canonical_json(admitted, ascii_only=True)
    return pdf + b"\n" + PDF_MARK + trailer + b"\n"


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of checking an exported list."""

    ok: bool
    problem: str | None = None
    fmt: ExportFormat | None = None
    signed: Signed | None = None
    key: PublishedKey | None = None


def _envelope_of(data: bytes) -> tuple[ExportFormat, dict[str, Any]]:
    if data.startswith(b"%PDF"):
        at = data.rfind(b"\n" + PDF_MARK)
        if at < 0:
            raise ValueError("no signed document in the PDF")
        return ExportFormat.PDF, json.loads(data[at + 1 + len(PDF_MARK) :])
    if data.startswith(b"{"):
        return ExportFormat.JSON, json.loads(data)
    text = data.decode("utf-8")
    at = text.rfind("\n" + CSV_MARK)
    if at < 0:
        raise ValueError("no signed document in the CSV")
    return ExportFormat.CSV, json.loads(text[at + 1 + len(CSV_MARK) :])


def _signed_of(envelope: dict[str, Any]) -> Signed:
    doc = envelope["document"]
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("not an exchange list document")
    return Signed(doc, str(envelope["sha256"]), str(envelope["signature"]), str(envelope["key_id"]))


def verify(data: bytes, keys: Sequence[PublishedKey]) -> Check:
    """Check an exported list against the published service keys: the signature over the
    document, its hash, and that the file is exactly what that document renders to."""
    try:
        fmt, envelope = _envelope_of(data)
        signed = _signed_of(envelope)
        signature = base64.b64decode(signed.signature, validate=True)
    except (ValueError, KeyError, TypeError, RecursionError, binascii.Error):
        # RecursionError: JSON nested deeper than the parser goes is no list of ours.
        return Check(False, "not a signed exchange list, or damaged beyond reading")
    key = next((k for k in keys if k.key_id == signed.key_id and k.use == "service"), None)
    if key is None:
        return Check(False, "signed with a key Safe Conduct never published", fmt)
    try:
        body = canonical(signed.document)
    except (gate.NotAllowedError, RecursionError):
        # A field no list of ours carries (or lists nested past reading): it was added.
        return Check(False, "the document does not match its hash: it was altered", fmt)
    if hashlib.sha256(body).hexdigest() != signed.sha256:
        return Check(False, "the document does not match its hash: it was altered", fmt)
    if not verify_signature(key.public, signature, body):
        return Check(False, "the signature does not match the document: it was altered", fmt)
    if render(signed, fmt) != data:
        return Check(False, "the file differs from the signed document: it was altered", fmt)
    return Check(True, None, fmt, signed, key)

"""Notifications to the Central Tracing Agency (GC III Arts. 122-123): numbered batches of
the records that are new or changed since the last batch, as signed JSON (with a published
JSON Schema), a CSV of the same records, and a detached signature.

Each record sent is kept sealed under its person's data key (it holds the family details),
padded to one size, and is what the next batch compares with: a person never sent goes as
a "new" record, a changed status, place or event as a "change" record with the events since,
and a corrected identity or family detail as a "correction" naming the fields corrected. A
batch is logged in the transmission log (and so in the audit chain), and meets the Art. 122
duty of everyone in it still in custody. Its document is not stored: `files` makes it again,
byte for byte, from the sealed records."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, insert, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import cta_policy as policy
from safeconduct.bureau import gate, transmissions
from safeconduct.bureau.models import CtaBatch, CtaRecord, Recipient
from safeconduct.custody.models import Custody, CustodyEvent
from safeconduct.custody.policy import FINAL
from safeconduct.db import in_chunks, new_id, today
from safeconduct.people import family
from safeconduct.people.models import Person
from safeconduct.people.service import person_owner
from safeconduct.security.models import DataKey
from safeconduct.security.sealing import FieldRef, SealError
from safeconduct.security.service import Keyring
from safeconduct.security.signing import Signer, verify_signature
from safeconduct.security.statements import PublishedKey
from safeconduct.treatment import engine
from safeconduct.treatment.models import TreatmentEvent, TreatmentKind

TABLE = CtaRecord.__tablename__
# Every record seals to this size, whatever its type or content, so neither shows in the
# ciphertext's length. A record the size cannot hold (only names hundreds of characters
# long, of control or 4-byte characters, come near) takes the next multiple of it.
RECORD_BYTES = 8192
# Up to this many custodies, their duty marks are refreshed one by one, as the treatment
# service does; beyond it, in three statements for the whole batch.
FEW = 50
# Serialises batch makers on PostgreSQL (SQLite writers are serialised already): two at
# once would send the same changes twice under two numbers.
LOCK_KEY = 0x5C_C7A0_0122
ALGORITHM = "Ed25519"
MAX_FILE = 512 * 1024 * 1024  # a first batch of 100,000 people is some 100 MB of JSON


class BatchError(Exception):
    """A batch cannot be made or made again. The message names the batch, never a person."""


class BatchNotFoundError(BatchError):
    pass


@dataclass(frozen=True, slots=True)
class BatchFiles:
    """A batch's three files and what the log says of them."""

    number: int
    made_on: date
    records: int
    sha256: str
    key_id: str
    json: bytes
    csv: bytes
    signature: bytes  # the detached signature file, JSON

    def named(self) -> list[tuple[str, bytes]]:
        names = policy.file_names(self.number)
        return list(zip(names, (self.json, self.csv, self.signature), strict=True))


@dataclass(frozen=True, slots=True)
class _Plan:
    """One record to send: the person as they stand, and what to send of it."""

    current: policy.Current
    decision: policy.Decision
    open_custody: bool
    since: date


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def _last(session: Session) -> CtaBatch | None:
    stmt = select(CtaBatch).order_by(CtaBatch.number.desc()).limit(1)
    return session.scalars(stmt).first()


def _candidates(session: Session, since: date | None) -> list[str]:
    """People who may have something to send: never sent, or changed on or after the day
    of the last batch (the diff decides; a same-day check again costs a little, no more)."""
    held = exists().where(Custody.person_id == Person.id)
    stmt = select(Person.id).where(Person.erased_on.is_(None), held)
    if since is not None:
        never = ~exists().where(CtaRecord.person_id == Person.id)
        custody = exists().where(Custody.person_id == Person.id, Custody.recorded_on >= since)
        event = exists().where(
            Custody.person_id == Person.id,
            CustodyEvent.custody_id == Custody.id,
            CustodyEvent.recorded_on >= since,
        )
        stmt = stmt.where(or_(never, Person.updated_on >= since, custody, event))
    return list(session.scalars(stmt.order_by(Person.id)))


def _custody_of(custodies: list[Custody]) -> Custody:
    # The custody that has not ended, else the latest: what the record follows.
    live = [c for c in custodies if c.status not in {s.value for s in FINAL}]
    return live[0] if live else max(custodies, key=lambda c: (c.since, c.recorded_on, c.id))


def _family(session: Session, keyring: Keyring, person: Person) -> dict[str, str]:
    if person.family is None:
        return {}
    raw = keyring.open(session, sealed=person.family, field=family.field_of(person.id))
    opened = json.loads(raw)
    return {k: str(v) for k, v in opened.items() if k in policy.FAMILY_KEYS and v}


def _values(person: Person, custody: Custody, details: dict[str, str]) -> dict[str, str | None]:
    values: dict[str, str | None] = {k: getattr(person, k) for k in policy.IDENTITY_KEYS}
    values.update({k: details.get(k) for k in policy.FAMILY_KEYS})
    values["captured_on"] = custody.since.isoformat()
    values["status"] = custody.status
    values["place_of_internment"] = custody.place_of_internment
    return values


def _record_field(record_id: str) -> FieldRef:
    return FieldRef(TABLE, "record", record_id)


def _open_record(session: Session, keyring: Keyring, row: CtaRecord) -> dict[str, Any]:
    raw = keyring.open(session, sealed=row.record, field=_record_field(row.id))
    opened = json.loads(raw)
    assert isinstance(opened, dict)
    return opened


def _sent_of(payload: dict[str, Any]) -> policy.Sent:
    return policy.Sent(payload["record"], payload["custody_id"], int(payload["last"]))


def _last_sent(session: Session, keyring: Keyring, ids: Sequence[str]) -> dict[str, policy.Sent]:
    stmt = (
        select(CtaRecord)
        .join(CtaBatch, CtaBatch.id == CtaRecord.batch_id)
        .where(CtaRecord.person_id.in_(ids))
        .order_by(CtaBatch.number)
    )
    latest = {row.person_id: row for row in session.scalars(stmt)}
    return {pid: _sent_of(_open_record(session, keyring, row)) for pid, row in latest.items()}


def _events_of(session: Session, custody_ids: Iterable[str]) -> dict[str, list[policy.Event]]:
    e = CustodyEvent
    stmt = (
        select(e.custody_id, e.number, e.kind, e.occurred_on, e.place)
        .where(e.custody_id.in_(list(custody_ids)))
        .order_by(e.custody_id, e.number)
    )
    found: dict[str, list[policy.Event]] = {}
    for cid, number, kind, on, place in session.execute(stmt):
        found.setdefault(cid, []).append(policy.Event(number, kind, on, place))
    return found


def _plans(session: Session, keyring: Keyring, ids: Sequence[str]) -> list[_Plan]:
    people = list(session.scalars(select(Person).where(Person.id.in_(ids))))
    # Loaded once and held here: each open below finds its data key without a query.
    keys = list(session.scalars(select(DataKey).where(
        DataKey.owner_type == "person", DataKey.owner_id.in_(ids))))  # fmt: skip
    custodies: dict[str, list[Custody]] = {}
    for c in session.scalars(select(Custody).where(Custody.person_id.in_(ids))):
        custodies.setdefault(c.person_id, []).append(c)
    chosen = {pid: _custody_of(cs) for pid, cs in custodies.items()}
    events = _events_of(session, (c.id for c in chosen.values()))
    sent = _last_sent(session, keyring, ids)
    plans = []
    for person in people:
        custody = chosen.get(person.id)
        if custody is None or person.erased_on is not None:
            continue
        values = _values(person, custody, _family(session, keyring, person))
        current = policy.Current(person.id, values, custody.id, tuple(events.get(custody.id, ())))
        decision = policy.decide(current, sent.get(person.id))
        if decision is not None:
            live = custody.status not in {s.value for s in FINAL}
            plans.append(_Plan(current, decision, live, custody.since))
    del keys
    return plans


def _sealed_size(value: Any) -> int:
    # As `Keyring.seal_json` writes it, plus the padding mark.
    length = len(json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")) + 1
    return -(-length // RECORD_BYTES) * RECORD_BYTES


def _payload(rec: dict[str, Any], plan: _Plan) -> dict[str, Any]:
    """What is kept of a record sent: the record but its events, which are named by the
    custody and the numbers of its events carried (events are never edited)."""
    kept = {k: v for k, v in rec.items() if k != "events"}
    events = plan.decision.events
    after = events[0].number - 1 if events else _last_number(plan)
    return {"record": kept, "custody_id": plan.current.custody_id, "after": after,
            "last": _last_number(plan)}  # fmt: skip


def _last_number(plan: _Plan) -> int:
    return plan.current.events[-1].number if plan.current.events else 0


def _render(
    admitted: gate.Admitted, body: bytes, *, sha256: str, signature: str, key_id: str
) -> BatchFiles:
    doc = admitted.plain()
    number = int(doc["batch_number"])
    names = policy.file_names(number)
    rows = gate.admit_rows(gate.Output.CTA_BATCH, (policy.csv_row(r) for r in doc["records"]))
    before = (
        f"# {policy.FORMAT} batch {number}: the signed document is {names[0]}",
        f"# sha256 of {names[0]}: {sha256}",
    )
    table = gate.csv_text(rows, policy.CSV_COLUMNS, before=before)
    detached = {"algorithm": ALGORITHM, "key_id": key_id, "sha256": sha256, "signature": signature}
    sig = gate.canonical_json(gate.admit(gate.Output.CTA_BATCH, detached))
    return BatchFiles(
        number=number,
        made_on=date.fromisoformat(doc["made_on"]),
        records=len(doc["records"]),
        sha256=sha256,
        key_id=key_id,
        json=body,
        csv=table.encode("utf-8"),
        signature=sig,
    )


def _admitted(doc: dict[str, Any]) -> tuple[gate.Admitted, bytes]:
    """The document through the gate, and its canonical bytes (what is hashed and signed)."""
    admitted = gate.admit(gate.Output.CTA_BATCH, doc)
    return admitted, gate.canonical_json(admitted)


def make_batch(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, signer: Signer
) -> BatchFiles | None:
    """Make, sign, keep and log the next batch of what is new or changed since the last;
    None, and nothing written, when nothing is. The caller commits."""
    _lock(session)
    last = _last(session)
    day = today()
    plans: list[_Plan] = []
    with session.no_autoflush:
        for chunk in in_chunks(_candidates(session, last.made_on if last else None)):
            plans += _plans(session, keyring, chunk)
    if not plans:
        return None
    number = (last.number if last else 0) + 1
    batch_id = new_id()
    records, kept = [], []
    for plan in plans:
        record_id = new_id()
        rec = policy.record(
            record_id=record_id,
            person_ref=plan.current.person_id,
            record_type=plan.decision.record_type,
            values=plan.current.values,
            corrected_fields=plan.decision.corrected_fields,
            events=plan.decision.events,
        )
        records.append(rec)
        payload = _payload(rec, plan)
        sealed = keyring.seal_json(
            session,
            owner=person_owner(plan.current.person_id),
            field=_record_field(record_id),
            value=payload,
            size=_sealed_size(payload),
        )
        kept.append({"id": record_id, "batch_id": batch_id,
                     "person_id": plan.current.person_id, "record": sealed})  # fmt: skip
    doc = policy.document(
        batch_number=number, made_on=day, sender=policy.DEFAULT_SENDER, records=records
    )
    admitted, body = _admitted(doc)
    sha256 = hashlib.sha256(body).hexdigest()
    signature = base64.b64encode(signer.sign(body)).decode()
    _store(session, batch_id, number, day, actor, len(records), sha256, signature, signer.key_id)
    session.execute(insert(CtaRecord), kept)
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.CTA_BATCH_MAKE,
        subject_id=batch_id,
        purpose=f"records={len(records)}",
    )
    transmissions.record(
        session,
        audit=audit,
        actor=actor,
        output=gate.Output.CTA_BATCH,
        recipient=Recipient.CTA,
        subject_id=batch_id,
        sha256=sha256,
    )
    _meet_duty(session, actor, day, batch_id, plans)
    return _render(admitted, body, sha256=sha256, signature=signature, key_id=signer.key_id)


def _store(
    session: Session,
    batch_id: str,
    number: int,
    day: date,
    actor: Actor,
    count: int,
    sha256: str,
    signature: str,
    key_id: str,
) -> None:
    batch = CtaBatch(
        id=batch_id,
        number=number,
        made_on=day,
        actor=actor.name,
        records=count,
        sha256=sha256,
        signature=signature,
        key_id=key_id,
    )
    try:
        with session.begin_nested():
            session.add(batch)
            session.flush()
    except IntegrityError:
        # The lock makes this unreachable on PostgreSQL and SQLite alike; the unique number
        # is the last guard: never two batches under one number.
        raise BatchError(f"batch {number} was made meanwhile: make the next batch again") from None


# --- the Art. 122 duty -----------------------------------------------------------------------


def _meet_duty(
    session: Session, actor: Actor, day: date, batch_id: str, plans: Sequence[_Plan]
) -> None:
    """Record a CTA notification (in the registrar's role, as the treatment service would)
    for everyone sent who is still in custody, and refresh their duty marks. In bulk: a
    first batch holds everyone, and one event at a time would be 100,000 round trips."""
    rows = [
        {
            "id": new_id(),
            "custody_id": p.current.custody_id,
            "kind": TreatmentKind.CTA_NOTIFICATION.value,
            "occurred_on": day,
            "recorded_on": day,
            "actor": actor.name,
            "role": Role.REGISTRAR.value,
        }
        for p in plans
        if p.open_custody and p.since <= day
    ]
    if not rows:
        return
    session.execute(insert(TreatmentEvent), rows)
    if len(rows) <= FEW:
        for custody_id in sorted(str(r["custody_id"]) for r in rows):
            engine.refresh(session, custody_id)
        return
    engine.refresh_many(session, _custodies_sent(batch_id))


def _custodies_sent(batch_id: str) -> Select[Any]:
    people = select(CtaRecord.person_id).where(CtaRecord.batch_id == batch_id)
    return select(Custody.id).where(Custody.person_id.in_(people))


# --- a past batch, again ---------------------------------------------------------------------


def batches(session: Session, *, limit: int = 200) -> list[CtaBatch]:
    """The batches made, newest first."""
    return list(session.scalars(select(CtaBatch).order_by(CtaBatch.number.desc()).limit(limit)))


def get(session: Session, *, number: int) -> CtaBatch | None:
    return session.scalars(select(CtaBatch).where(CtaBatch.number == number)).first()


FILE_KINDS = ("json", "csv", "sig")


def download(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, number: int, kind: str
) -> tuple[str, bytes]:
    """One of a past batch's files (`json`, `csv` or `sig`), made again: the records it
    opens hold family details, so each download is audited, about the batch."""
    made = files(session, keyring=keyring, number=number)
    name, content = dict(zip(FILE_KINDS, made.named(), strict=True))[kind]
    batch = get(session, number=number)
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.CTA_BATCH_EXPORT,
        subject_id=None if batch is None else batch.id,
        purpose=kind,
    )
    return name, content


def files(session: Session, *, keyring: Keyring, number: int) -> BatchFiles:
    """A past batch's files made again from its sealed records, byte for byte. A batch
    holding a person erased since cannot be: their record went with their key."""
    batch = get(session, number=number)
    if batch is None:
        raise BatchNotFoundError(f"no batch {number}")
    rows = list(session.scalars(select(CtaRecord).where(CtaRecord.batch_id == batch.id)))
    erased = (
        select(func.count())
        .select_from(Person)
        .where(Person.id.in_([r.person_id for r in rows]), Person.erased_on.is_not(None))
    )
    if session.scalar(erased):
        raise BatchError(f"batch {number} holds a person erased since: it cannot be made again")
    try:
        payloads = [_open_record(session, keyring, row) for row in rows]
    except SealError:
        raise BatchError(f"batch {number} cannot be opened: it cannot be made again") from None
    events = _events_of(session, {p["custody_id"] for p in payloads})
    records = []
    for p in payloads:
        carried = [e for e in events.get(p["custody_id"], ()) if p["after"] < e.number <= p["last"]]
        records.append({**p["record"], "events": [e.sent() for e in carried]})
    doc = policy.document(
        batch_number=batch.number,
        made_on=batch.made_on,
        sender=policy.DEFAULT_SENDER,
        records=records,
    )
    admitted, body = _admitted(doc)
    if hashlib.sha256(body).hexdigest() != batch.sha256:
        raise BatchError(f"batch {number} does not make again to its hash")
    return _render(
        admitted, body, sha256=batch.sha256, signature=batch.signature, key_id=batch.key_id
    )


# --- checking a batch offline ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of checking a batch file against its detached signature."""

    ok: bool
    problem: str | None = None
    document: dict[str, Any] | None = None
    key: PublishedKey | None = None


def _detached(signature_file: bytes) -> tuple[str, str, bytes]:
    sig = json.loads(signature_file)
    if not isinstance(sig, dict) or sig.get("algorithm") != ALGORITHM:
        raise ValueError("not a detached Ed25519 signature")
    raw = base64.b64decode(str(sig["signature"]), validate=True)
    return str(sig["key_id"]), str(sig["sha256"]), raw


def verify(data: bytes, signature_file: bytes, keys: Sequence[PublishedKey]) -> Check:
    """Check a batch's JSON file against its detached signature and the published service
    keys: the hash, the signature over exactly these bytes, and that it is a batch."""
    try:
        key_id, sha256, signature = _detached(signature_file)
    except (ValueError, KeyError, TypeError, RecursionError, binascii.Error):
        return Check(False, "not a detached signature of a batch, or damaged beyond reading")
    key = next((k for k in keys if k.key_id == key_id and k.use == "service"), None)
    if key is None:
        return Check(False, "signed with a key Safe Conduct never published")
    if hashlib.sha256(data).hexdigest() != sha256:
        return Check(False, "the file does not match the signed hash: it was altered")
    if not verify_signature(key.public, signature, data):
        return Check(False, "the signature does not match the file: it was altered")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return Check(False, "the signed file is not JSON")
    if not isinstance(doc, dict) or doc.get("format") != policy.FORMAT:
        return Check(False, "the signed file is not a CTA batch")
    return Check(True, None, doc, key)

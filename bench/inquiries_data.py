"""The stores of the inquiries benchmark, built fast: a registry of people and a stock of open
inquiries written with bulk INSERTs (SQLAlchemy Core), their blinded tracing keys made with
the very functions the matcher uses, and new inquiries waiting in the public inbox.

Names come from the independent generator (bench/tracing_independent_data.py): registry rows
as a detaining power writes them, inquiry rows as families do."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from safeconduct import migrate
from safeconduct.audit.actors import Actor
from safeconduct.config import Settings
from safeconduct.db import is_sqlite, reclaim, today
from safeconduct.inquiries import matching
from safeconduct.inquiries import service as inquiries
from safeconduct.inquiries.models import Inquiry as InquiryRow
from safeconduct.inquiries.models import InquiryKey, PersonTracingKey
from safeconduct.inquiries.policy import check_fields
from safeconduct.intake.models import Channel
from safeconduct.people.models import Person, PersonRevision
from safeconduct.runtime import Runtime, create_demo_channel_keys, open_runtime
from safeconduct.security.keys import FileKeyProvider, new_key
from safeconduct.security.models import DataKey
from safeconduct.security.sealing import FieldRef, seal_bytes
from safeconduct.security.signing import create_signer
from safeconduct.tracing import pairs

ACTOR = Actor("bench:registrar", "bench:credential")
ROWS_PER_TRANSACTION = 20_000
# SQLite's page cache while loading (KiB, negative), and its default given back after: ten
# million random keys into two B-trees thrash a cache of 2 MiB. Measured runs use the default.
LOAD_CACHE, DEFAULT_CACHE = -1_000_000, -2_000


@contextmanager
def _loading(rt: Runtime) -> Iterator[Session]:
    with rt.transaction() as s:
        sqlite = s.get_bind().dialect.name == "sqlite"
        if sqlite:
            s.execute(text(f"PRAGMA cache_size={LOAD_CACHE}"))
        try:
            yield s
        finally:
            if sqlite:
                s.execute(text(f"PRAGMA cache_size={DEFAULT_CACHE}"))


@contextmanager
def bench_runtime(db_url: str | None) -> Iterator[Runtime]:
    """A runtime with every key (channel keys too) on a migrated store: `db_url`, or a fresh
    SQLite file in a temporary folder (removed after)."""
    with tempfile.TemporaryDirectory(prefix="bench-inquiries-") as folder:
        keys = Path(folder)
        url = db_url or f"sqlite:///{keys / 'bench.db'}"
        migrate.upgrade(url)
        FileKeyProvider.create(keys / "kek.json")
        signer = create_signer(keys / "signing.pem")
        settings = Settings(
            db_url=url,
            kek_file=keys / "kek.json",
            signing_key_file=keys / "signing.pem",
            intake_key_file=keys / "intake.pem",
            intake_public_key_file=keys / "intake.pub.pem",
            channel_key_file=keys / "channel.pem",
            channel_keys_file=keys / "channel-keys.json",
            channel_secret_file=keys / "channel-secret.key",
        )
        create_demo_channel_keys(settings, signer)
        rt = open_runtime(settings)
        try:
            yield rt
        finally:
            rt.close()


def settle(rt: Runtime) -> None:
    """The store as it stands after a while in service rather than just after a bulk load:
    on SQLite the write-ahead log checkpointed and emptied, on PostgreSQL the tables
    analysed (the planner knows their sizes)."""
    if is_sqlite(str(rt.engine.url)):
        reclaim(rt.engine, ())
        return
    with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")


def index_secret(rt: Runtime) -> bytes:
    """The tracing index secret, created as the matcher creates it."""
    with rt.transaction() as s:
        return rt.keyring.service_secret(s, matching.INDEX_SECRET)


# The registry ---------------------------------------------------------------------------


def _person_keys(job: tuple[bytes, list[dict[str, str]], pairs.KeySide]) -> list[list[str]]:
    secret, rows, side = job
    out = []
    for row in rows:
        record = matching.sought_record(row["id"], row)  # the same fields as a person's
        out.append(matching.blind(secret, pairs.blocking_keys(record, side=side)))
    return out


def _registry_record(row: dict[str, str]) -> dict[str, str]:
    return {"id": row["id"], "surname": row["surname"], "given_name": row["given_name"],
            "patronymic": row["patronymic"], "date_of_birth": row["date_of_birth"]}  # fmt: skip


def blinded_keys(
    secret: bytes, rows: Sequence[dict[str, str]], side: pairs.KeySide, workers: int = 2
) -> list[list[str]]:
    """Each row's blinded blocking keys (a registered person's or an inquiry's), over
    `workers` processes."""
    step = 5_000
    jobs = [(secret, [_registry_record(r) for r in rows[i : i + step]], side)
            for i in range(0, len(rows), step)]  # fmt: skip
    if workers <= 1 or len(jobs) <= 1:
        return [k for job in jobs for k in _person_keys(job)]
    with ProcessPoolExecutor(workers) as pool:
        return [k for part in pool.map(_person_keys, jobs) for k in part]


def load_registry(rt: Runtime, rows: Sequence[dict[str, str]], workers: int = 2) -> list[str]:
    """Registered and already indexed people (persons, revision 1, tracing keys and state),
    as if every earlier pass had run; return their ids in row order."""
    secret = index_secret(rt)
    keys = blinded_keys(secret, rows, "registry", workers)
    ids = [str(uuid.uuid4()) for _ in rows]
    day = today()
    for start in range(0, len(rows), ROWS_PER_TRANSACTION):
        part = range(start, min(start + ROWS_PER_TRANSACTION, len(rows)))
        with _loading(rt) as s:
            s.execute(insert(Person), [_person_row(ids[i], rows[i], day) for i in part])
            s.execute(insert(PersonRevision), [
                {"id": str(uuid.uuid4()), "person_id": ids[i], "number": 1, "changed_on": day,
                 "actor": ACTOR.name, "fields": "registered"} for i in part
            ])  # fmt: skip
            s.execute(
                insert(PersonTracingKey),
                [{"person_id": ids[i], "key": k} for i in part for k in keys[i]],
            )
    return ids


def _person_row(person_id: str, row: dict[str, str], day: Any) -> dict[str, Any]:
    return {"id": person_id, "surname": row["surname"], "given_names": row["given_name"],
            "patronymic": row["patronymic"] or None, "date_of_birth": row["date_of_birth"] or None,
            "sex": "male", "registered_on": day, "updated_on": day}  # fmt: skip


# Open inquiries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stock:
    inquiry_ids: list[str]


def _sought(row: dict[str, str]) -> dict[str, str]:
    fields = check_fields(_form(row))
    return {k: getattr(fields, k) for k in ("surname", "given_name", "patronymic",
                                             "date_of_birth", "place_last_seen")}  # fmt: skip


def _form(row: dict[str, str]) -> dict[str, str]:
    return {"surname": row["surname"], "given_name": row["given_name"],
            "patronymic": row["patronymic"], "date_of_birth": row["date_of_birth"],
            "contact": f"+380 50 {abs(hash(row['inquiry_id'])) % 10_000_000:07d}",
            "relationship": "parent"}  # fmt: skip


def _sealed(material: bytes, key_id: str, inquiry_id: str, column: str, value: Any, size: int):  # type: ignore[no-untyped-def]
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return seal_bytes(data, data_key=material, data_key_id=uuid.UUID(key_id),
                      field=FieldRef(inquiries.TABLE, column, inquiry_id), size=size)  # fmt: skip


def load_open_inquiries(rt: Runtime, rows: Sequence[dict[str, str]], workers: int = 2) -> Stock:
    """Open inquiries as `inquiries.service.create` leaves them (each sealed under its own
    data key, wrapped as the Keyring wraps, and its blinded keys), without candidates."""
    secret = index_secret(rt)
    sought = [_sought(r) for r in rows]
    records = [{"id": r["inquiry_id"], **s} for r, s in zip(rows, sought, strict=True)]
    keys = blinded_keys(secret, records, "inquiry", workers)
    ids = [str(uuid.uuid4()) for _ in rows]
    day = today()
    for start in range(0, len(rows), ROWS_PER_TRANSACTION):
        part = range(start, min(start + ROWS_PER_TRANSACTION, len(rows)))
        data_keys, inquiry_rows = [], []
        for i in part:
            key = DataKey(id=str(uuid.uuid4()), owner_type="inquiry", owner_id=ids[i])
            material = new_key()
            rt.keyring._wrap(key, material)  # exactly as the Keyring does
            data_keys.append({"id": key.id, "owner_type": key.owner_type,
                              "owner_id": key.owner_id, "kek_id": key.kek_id,
                              "wrapped": key.wrapped, "created_on": day})  # fmt: skip
            inquirer = {"contact": "+380 50 000 0000", "relationship": "parent",
                        "language": "uk"}  # fmt: skip
            inquiry_rows.append({
                "id": ids[i], "reference": f"B{i:09d}", "channel": Channel.WEB_FORM.value,
                "status": "open", "received_on": day, "new_candidates": False,
                "keys_version": pairs.KEYS_VERSION,
                "sought": _sealed(material, key.id, ids[i], "sought", sought[i],
                                  inquiries.SOUGHT_BYTES),
                "inquirer": _sealed(material, key.id, ids[i], "inquirer", inquirer,
                                    inquiries.INQUIRER_BYTES),
            })  # fmt: skip
        with _loading(rt) as s:
            s.execute(insert(DataKey), data_keys)
            s.execute(insert(InquiryRow), inquiry_rows)
            s.execute(
                insert(InquiryKey),
                [{"inquiry_id": ids[i], "key": k} for i in part for k in keys[i]],
            )
    return Stock(ids)


# New inquiries, waiting in the public inbox ------------------------------------------------


def submit_all(rt: Runtime, rows: Sequence[dict[str, str]]) -> None:
    """Each row submitted on the public face (sealed to the intake key), as families do."""
    assert rt.channels is not None
    for start in range(0, len(rows), 1_000):
        with rt.transaction() as s:
            for row in rows[start : start + 1_000]:
                inquiries.submit(s, keys=rt.channels, audit=rt.audit, channel=Channel.WEB_FORM,
                                 fields=check_fields(_form(row)))  # fmt: skip


def submitted_ids(rt: Runtime) -> list[str]:
    """Ids (ticket ids) of the inquiries now in the store."""
    from sqlalchemy import select

    with rt.transaction() as s:
        return list(s.scalars(select(InquiryRow.id)))

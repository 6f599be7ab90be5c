"""Audit benchmark: `audit verify` over a million entries, and the incremental verification
from the last verified checkpoint, against the object-by-object walk timed in the same run.

Usage: .venv/bin/python bench/audit.py [--entries 1000000] [--append 1000] [--runs 3]
                                       [--db URL]

Targets: a full verification of 1,000,000 entries in under 5 s; `--since-checkpoint` in well
under a second.

Set-up (timed, not a figure): `--entries` entries written in bulk as the log writes them
(chained hashes, a signed checkpoint every 100 entries, a signed head), with actors, tags,
subjects and purposes drawn at random.
Measured:
- the full verification (`audit.service.verify`), best and median of --runs;
- baseline: the same walk over ORM objects (how verification read the log before), once;
- then --append entries recorded one by one through the log (as the service does), and the
  verification from the checkpoint the full run ended on (median of --runs).
A verdict that is not intact fails the run (exit 1).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bureau_data import bench_runtime  # noqa: E402

from safeconduct.audit import service  # noqa: E402
from safeconduct.audit.actors import Actor  # noqa: E402
from safeconduct.audit.models import AuditCheckpoint, AuditEntry, AuditHead  # noqa: E402
from safeconduct.audit.policy import (  # noqa: E402
    GENESIS_HASH,
    Anchor,
    EntryFields,
    Verdict,
    checkpoint_message,
    encode_signature,
    entry_hash,
    head_message,
)
from safeconduct.audit.tags import AuditAction  # noqa: E402
from safeconduct.runtime import Runtime  # noqa: E402

T = TypeVar("T")
TARGET_FULL = 5.0
TARGET_SINCE = 1.0
CHUNK = 20_000
DAY = "2026-12-08"


def timed(work: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


# The log, written in bulk --------------------------------------------------------------------


def _fields(rng: random.Random, seq: int, prev: str) -> EntryFields:
    tag = rng.choice(list(AuditAction))
    return EntryFields(
        seq=seq,
        at=DAY,
        actor=f"account:{rng.randrange(40)}",
        action=tag.value,
        subject_type=tag.subject_type,
        subject_id=str(uuid.UUID(int=rng.getrandbits(128))),
        purpose=rng.choice([None, None, "tracing_review", "fields: rank,unit", "csv:count=12"]),
        prev_hash=prev,
        credential=f"session:{rng.randrange(10_000)}",
    )


def load(rt: Runtime, count: int, seed: int) -> None:
    """`count` entries as AuditLog.record leaves them, checkpoints and head included."""
    rng, signer, every = random.Random(seed), rt.audit.signer, rt.audit.checkpoint_every
    prev, rows, marks = GENESIS_HASH, [], []
    for seq in range(1, count + 1):
        fields = _fields(rng, seq, prev)
        prev = entry_hash(fields)
        rows.append({**{k: getattr(fields, k) for k in EntryFields.__slots__}, "hash": prev})
        if seq % every == 0:
            signature = encode_signature(signer.sign(checkpoint_message(seq, prev)))
            marks.append({"seq": seq, "head_hash": prev, "signed_at": DAY,
                          "key_id": signer.key_id, "signature": signature})  # fmt: skip
        if len(rows) == CHUNK or seq == count:
            with rt.transaction() as s:
                s.execute(insert(AuditEntry), rows)
                if marks:
                    s.execute(insert(AuditCheckpoint), marks)
            rows, marks = [], []
    with rt.transaction() as s:
        signature = encode_signature(signer.sign(head_message(count, prev)))
        s.merge(AuditHead(id=service.HEAD_ID, seq=count, hash=prev, key_id=signer.key_id,
                          signature=signature))  # fmt: skip


def append(rt: Runtime, count: int) -> None:
    """`count` entries recorded one by one through the log, 100 to a transaction."""
    actor = Actor("bench:auditor", "bench:credential")
    for start in range(0, count, 100):
        with rt.transaction() as s:
            for i in range(start, min(start + 100, count)):
                rt.audit.record(s, actor=actor, tag=AuditAction.PERSON_UPDATE,
                                subject_id=f"p{i}", purpose="fields: rank")  # fmt: skip


# Verifications -------------------------------------------------------------------------------


def verify(rt: Runtime, since: Anchor | None = None, workers: int = 1) -> Verdict:
    """As `safeconduct audit verify` does: in `workers` processes (one a core by default)."""
    keys = rt.audit_keys()
    with rt.sessions() as s:
        newest = s.scalar(select(func.max(AuditEntry.seq))) or 0
        walk = service.parallel_walk(rt.settings.db_url, workers, newest) if workers > 1 else None
        return service.verify(s, keys[0], keys[1:], since=since, walk=walk)


def walk_objects(rt: Runtime) -> int:
    """Baseline: the chain walked over ORM objects, as verification read it before."""
    prev, count = GENESIS_HASH, 0
    with rt.sessions() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)
        for e in s.scalars(stmt):
            fields = EntryFields(e.seq, e.at, e.actor, e.action, e.subject_type, e.subject_id,
                                 e.purpose, e.prev_hash, e.credential)  # fmt: skip
            if fields.prev_hash != prev or entry_hash(fields) != e.hash:
                raise SystemExit(f"the baseline walk found entry {e.seq} broken")
            prev, count = e.hash, count + 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--append", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", default=None, help="database URL; default a fresh SQLite file")
    args = parser.parse_args()
    with bench_runtime(args.db) as rt:
        _, seconds = timed(lambda: load(rt, args.entries, args.seed))
        print(f"set-up: {args.entries:,} entries written in bulk   {seconds:8.1f} s "
              f"(store {args.db or 'SQLite file'})")  # fmt: skip
        return measure(rt, args)


def measure(rt: Runtime, args: argparse.Namespace) -> int:
    fulls = [timed(lambda: verify(rt, workers=args.workers)) for _ in range(args.runs)]
    verdict, best = fulls[0][0], min(t for _, t in fulls)
    median = statistics.median(t for _, t in fulls)
    one, alone = timed(lambda: verify(rt))
    _, baseline = timed(lambda: walk_objects(rt))
    ratio = f"{best / TARGET_FULL:.2f} x target {TARGET_FULL:.0f} s"
    print(f"full verify, {verdict.entries:,} entries, {args.workers} processes: "
          f"best {best:.2f} s, median {median:.2f} s ({ratio})")  # fmt: skip
    print(f"  in one process: {alone:.2f} s")
    print(f"baseline, the walk over ORM objects: {baseline:.2f} s = {baseline / best:.1f}x "
          f"the full verify")  # fmt: skip
    fulls.append((one, alone))
    anchor = verdict.anchor
    _, seconds = timed(lambda: append(rt, args.append))
    print(f"{args.append:,} entries appended through the log: {seconds:.2f} s")
    sinces = [timed(lambda: verify(rt, anchor)) for _ in range(args.runs)]
    since = statistics.median(t for _, t in sinces)
    print(f"verify --since-checkpoint {anchor.seq if anchor else '-'}: median {since:.3f} s "
          f"({since / TARGET_SINCE:.3f} x target {TARGET_SINCE:.0f} s; "
          f"{best / since:,.0f}x faster than the full verify)")  # fmt: skip
    failures = [v.problem for v, _ in fulls + sinces if not v.ok]
    if sinces[0][0].entries != args.entries + args.append:
        failures.append(f"the log holds {sinces[0][0].entries} entries")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

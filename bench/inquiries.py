"""Inquiries benchmark: the standing, incremental matching of family inquiries at scale,
against the issue's targets and against a full scan timed in the same run.

Usage: .venv/bin/python bench/inquiries.py [--registry 1000000] [--open 200000]
                                           [--new 10000] [--small | --tiny] [--db URL]

Targets: (a) one new registration against 200,000 open inquiries in under 1 s; (b) 10,000 new
inquiries against a registry of 1,000,000 in under 1 minute.

Set-up (timed, not a figure): the independent generator's registry and inquiry rows; the
registry bulk-inserted already indexed (persons, revision 1, blinded tracing keys, state);
`--open` inquiries bulk-inserted as `create` leaves them (sealed under their own data keys,
blinded keys); `--new` inquiries submitted on the public face (sealed to the intake key).
Measured, each in its own committed transaction:
(a) `people.service.create` of one person, then `inquiries.service.index_registrations`
    (median of --runs); baseline: the same person scored against every open inquiry, each
    opened (a full scan), timed on a sample and scaled to the stock;
(b) `inquiries.service.ingest` until the inbox is empty (opened, sealed, audited, indexed,
    matched against the registry), with the share of time in each part; baseline: one
    inquiry scored against every registered person (a full scan), timed on a sample of the
    registry and scaled to the registry and to --new inquiries.
A check that fails (nothing proposed, the inbox not emptied) prints why and exits 1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tracing_independent_data import generate  # noqa: E402

from bench import inquiries_data as data  # noqa: E402
from safeconduct.channels.models import Submission  # noqa: E402
from safeconduct.inquiries import matching  # noqa: E402
from safeconduct.inquiries import service as inquiries  # noqa: E402
from safeconduct.inquiries.models import Inquiry, InquiryCandidate  # noqa: E402
from safeconduct.people import service as people  # noqa: E402
from safeconduct.people.models import Person  # noqa: E402
from safeconduct.people.schemas import PersonCreate  # noqa: E402
from safeconduct.runtime import Runtime  # noqa: E402
from safeconduct.security.service import OwnerSeal  # noqa: E402
from safeconduct.tracing import pairs  # noqa: E402

T = TypeVar("T")
TARGET_A = 1.0  # seconds, one registration against the open inquiries
TARGET_B = 60.0  # seconds, the new inquiries against the registry
SIZES = {
    "full": (1_000_000, 200_000, 10_000),
    "small": (20_000, 2_000, 2_000),
    "tiny": (2_000, 300, 100),
}


def timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"  {label:60} {seconds:9.2f} s", flush=True)
    return result, seconds


# (a) one registration ----------------------------------------------------------------------


def register_and_index(rt: Runtime, row: dict[str, str]) -> tuple[int, float, float]:
    """One person registered, then matched against the open inquiries; return the
    candidates proposed, the whole time and the matching's share of it."""
    start = time.perf_counter()
    with rt.transaction() as s:
        people.create(s, audit=rt.audit, actor=data.ACTOR, person_in=_person_in(row))
        mark = time.perf_counter()
        proposed = inquiries.index_registrations(s, keyring=rt.keyring)
        matched = time.perf_counter() - mark
    return proposed, time.perf_counter() - start, matched


def _person_in(row: dict[str, str]) -> PersonCreate:
    return PersonCreate(surname=row["surname"], given_names=row["given_name"],
                        patronymic=row["patronymic"] or None,
                        date_of_birth=row["date_of_birth"] or None)  # fmt: skip


def scan_open_inquiries(rt: Runtime, row: dict[str, str], sample: int) -> tuple[float, int]:
    """Baseline (a): the person against `sample` open inquiries, each opened and scored
    when Splink's blocking would compare them; return seconds and inquiries seen."""
    record = matching.sought_record("new", {"surname": row["surname"],
                                            "given_name": row["given_name"],
                                            "patronymic": row["patronymic"],
                                            "date_of_birth": row["date_of_birth"]})  # fmt: skip
    start = time.perf_counter()
    with rt.transaction() as s:
        ids = list(s.scalars(select(Inquiry.id).where(Inquiry.status == "open").limit(sample)))
        p = matching.prior(s)
        for part in range(0, len(ids), 500):
            for q, sought in inquiries.open_sought(s, rt.keyring, ids[part : part + 500]).items():
                other = matching.sought_record(q, sought)
                if pairs.blocked(record, other):
                    pairs.score(other, record, prior=p)
    return time.perf_counter() - start, len(ids)


# (b) new inquiries ---------------------------------------------------------------------------


class Shares:
    """Time spent in each part of `create`, by wrapping the functions it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, label: str, fn: Callable[..., T]) -> Callable[..., T]:
        def timed_call(*args: Any, **kwargs: Any) -> T:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start

        return timed_call

    @contextmanager
    def installed(self, rt: Runtime) -> Iterator[None]:
        patches: list[tuple[Any, str, Any]] = [
            (rt.keyring, "sealer", "sealing"),
            (OwnerSeal, "seal", "sealing"),
            (rt.audit, "record_all", "audit"),
            (inquiries, "index_registrations", "registrations since the last pass"),
            (matching, "index_inquiries", "matching the inquiries (keys, lookup, score)"),
            (inquiries.channels, "inquiry_submissions", "opening the inbox"),
        ]
        saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
        for obj, name, label in patches:
            setattr(obj, name, self.wrap(label, getattr(obj, name)))
        try:
            yield
        finally:
            for obj, name, fn in saved:
                if name in vars(obj) and obj in (rt.keyring, rt.audit):
                    delattr(obj, name)
                else:
                    setattr(obj, name, fn)


def ingest_all(rt: Runtime) -> tuple[int, int]:
    """The inbox taken in, one transaction per `ingest` call; return inquiries taken and
    candidates proposed."""
    taken = 0
    while True:
        with rt.transaction() as s:
            n = inquiries.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)
        if n == 0:
            break
        taken += n
    with rt.transaction() as s:
        proposed = s.scalar(select(func.count()).select_from(InquiryCandidate)) or 0
    return taken, proposed


def scan_registry(rt: Runtime, row: dict[str, str], sample: int) -> tuple[float, int]:
    """Baseline (b): one inquiry against `sample` registered people, each scored when
    Splink's blocking would compare them; return seconds and people seen."""
    record = matching.sought_record("q", row)
    start = time.perf_counter()
    with rt.transaction() as s:
        p = matching.prior(s)
        seen = 0
        for person in s.scalars(select(Person).limit(sample)):
            other = matching.person_record(person)
            if pairs.blocked(record, other):
                pairs.score(record, other, prior=p)
            seen += 1
    return time.perf_counter() - start, seen


# The run ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--registry", type=int, default=None)
    parser.add_argument("--open", type=int, default=None, help="open inquiries in the store")
    parser.add_argument("--new", type=int, default=None, help="new inquiries to take in")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--small", action="store_true", help="20,000 people, 2,000 inquiries")
    size.add_argument("--tiny", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--runs", type=int, default=5, help="runs of (a), median reported")
    parser.add_argument("--sample", type=int, default=20_000, help="rows of each full scan")
    parser.add_argument("--workers", type=int, default=2, help="processes computing keys")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", default=None, help="database URL; default a fresh SQLite file")
    args = parser.parse_args(argv)
    full = SIZES["tiny" if args.tiny else "small" if args.small else "full"]
    registry_size = args.registry or full[0]
    open_count = args.open if args.open is not None else full[1]
    new_count = args.new if args.new is not None else full[2]
    print(f"registry {registry_size}, open inquiries {open_count}, new inquiries {new_count}, "
          f"store {args.db or 'SQLite file'}", flush=True)  # fmt: skip
    return run(args, registry_size, open_count, new_count)


def run(args: argparse.Namespace, registry_size: int, open_count: int, new_count: int) -> int:
    extra = args.runs
    print("set-up (not measured):")
    (registry, rows, _), _ = timed(
        "generate names",
        lambda: generate(registry_size + extra, open_count + new_count, seed=args.seed),
    )
    # The people registered during (a) are the generator's last registry rows.
    newcomers, registry = registry[-extra:], registry[:-extra]
    with data.bench_runtime(args.db) as rt:
        timed(
            "registry: keys and bulk insert", lambda: data.load_registry(rt, registry, args.workers)
        )
        timed("open inquiries: sealed, keys, bulk insert",
              lambda: data.load_open_inquiries(rt, rows[:open_count], args.workers))  # fmt: skip
        timed("new inquiries submitted on the public face",
              lambda: data.submit_all(rt, rows[open_count:]))  # fmt: skip
        # The loader's write-ahead log (a gigabyte at full size) folded into the store, as
        # SQLite's checkpoints do in a store that runs for a while; PostgreSQL: analysed.
        timed("write-ahead log checkpointed, statistics gathered", lambda: data.settle(rt))
        failures = measure_a(rt, args, newcomers, open_count)
        failures += measure_b(rt, args, rows[open_count:], registry_size, new_count)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


def measure_a(
    rt: Runtime, args: argparse.Namespace, newcomers: Sequence[dict[str, str]], open_count: int
) -> list[str]:
    print(f"(a) one new registration against {open_count} open inquiries:")
    # Warm: the first pass indexes nothing new but loads the secret, the caches, the code.
    with rt.transaction() as s:
        inquiries.index_registrations(s, keyring=rt.keyring)
    wholes, matches, proposed = [], [], 0
    finding = Shares()
    unwrapped = matching._changed_people
    matching._changed_people = finding.wrap("finding", unwrapped)  # type: ignore[assignment]
    try:
        for row in newcomers:
            found, whole, matched = register_and_index(rt, row)
            wholes.append(whole)
            matches.append(matched)
            proposed += found
    finally:
        matching._changed_people = unwrapped  # type: ignore[assignment]
    whole, matched = statistics.median(wholes), statistics.median(matches)
    find = finding.seconds["finding"] / max(len(wholes), 1)
    scan, seen = scan_open_inquiries(rt, newcomers[0], args.sample)
    scan_all = scan * open_count / max(seen, 1)
    print(
        f"  registration + index_registrations, median of {len(wholes)}   {whole:9.3f} s"
        f"   ({whole / TARGET_A:.2f} x target {TARGET_A:.0f} s)"
    )
    print(f"  of it index_registrations (the matching)                  {matched:9.3f} s")
    print(f"    of which finding the unindexed registrations (mean)     {find:9.3f} s")
    print(
        f"  baseline full scan: {seen} inquiries opened and scored      {scan:9.2f} s"
        f"   scaled to {open_count}: {scan_all:.1f} s = {scan_all / max(matched, 1e-9):.0f}x"
    )
    print(f"  candidates proposed over the {len(wholes)} registrations: {proposed}")
    return [] if whole < TARGET_A * 10 else ["(a) is over ten times its target"]


def measure_b(
    rt: Runtime,
    args: argparse.Namespace,
    rows: Sequence[dict[str, str]],
    registry_size: int,
    new_count: int,
) -> list[str]:
    print(f"(b) {new_count} new inquiries against a registry of {registry_size}:")
    shares = Shares()
    with shares.installed(rt):
        (taken, proposed), seconds = timed(
            "ingest until the inbox is empty", lambda: ingest_all(rt)
        )
    for label, part in sorted(shares.seconds.items(), key=lambda kv: -kv[1]):
        print(f"    {label:56} {part:9.2f} s  {100 * part / seconds:5.1f} %")
    rest = seconds - sum(shares.seconds.values())
    print(f"    {'the rest (inquiry rows, tickets, commits)':56} {rest:9.2f} s  "
          f"{100 * rest / seconds:5.1f} %")  # fmt: skip
    print(f"  {new_count} inquiries: {seconds:.1f} s ({seconds / TARGET_B:.2f} x target "
          f"{TARGET_B:.0f} s), {1000 * seconds / max(taken, 1):.2f} ms each, "
          f"{proposed} candidates")  # fmt: skip
    scan, seen = scan_registry(rt, rows[0], args.sample)
    per_inquiry = scan * registry_size / max(seen, 1)
    print(f"  baseline full scan: one inquiry against {seen} people {scan:9.2f} s; scaled to "
          f"{registry_size} people x {new_count} inquiries: {per_inquiry * new_count:,.0f} s "
          f"= {per_inquiry * new_count / seconds:,.0f}x")  # fmt: skip
    with rt.transaction() as s:
        left = s.scalar(select(func.count()).select_from(Submission)) or 0
    failures = []
    if taken != new_count or left:
        failures.append(f"(b) took {taken} of {new_count}, {left} left in the inbox")
    if proposed == 0:
        failures.append("(b) proposed no candidate at all")
    return failures


if __name__ == "__main__":
    raise SystemExit(main())

"""Duties benchmark: every duty's state for the whole population on one day, read from
the duty marks the service keeps, against the pass over the events, one GROUP BY over the
events, and a per-person reference, all in the same run.

Usage: .venv/bin/python bench/duties.py [--people 100000] [--db sqlite|postgresql|both]
                                        [--runs 3] [--seed 10] [--sample 1000]

The population comes from `bench/duties_data.py`, written from GC III practice and the
tables' contract alone (its author never read the engine). For each database: a fresh store
(migrate.upgrade), people, custodies, custody events and treatment events inserted in bulk
with Core, the marks made from the events (`engine.rebuild`, timed: what a write keeps
custody by custody), ANALYZE, then on the generator's day, each `--runs` times (best and
median): `engine.standings()` (every duty for every custody, from the marks: the figure
issue 10 sets at under 1 s for 100,000 people) and `engine.counts()`; once each, the exact
read over the events (`states(exact=True)`) and the GROUP BY baseline; and the per-person
reference of the tests (`tests/treatment/reference.py`: one custody's rows read and its
duties worked out in Python) over `--sample` random custodies, scaled to the population.
The marks, the exact read and the reference must agree on every state they share, or the
run fails. PostgreSQL uses a database of its own on SAFECONDUCT_BENCH_PG_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), created for the run and dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.duties_data import TODAY, generate  # noqa: E402
from bench.stores import STORES  # noqa: E402
from tests.treatment.reference import life_of, reference  # noqa: E402

from safeconduct import migrate  # noqa: E402
from safeconduct.custody.models import Custody, CustodyEvent  # noqa: E402
from safeconduct.db import make_engine  # noqa: E402
from safeconduct.people.models import Person  # noqa: E402
from safeconduct.treatment import engine as duties  # noqa: E402
from safeconduct.treatment.models import TreatmentEvent  # noqa: E402

TARGET_S = 1.0
TARGET_PEOPLE = 100_000
BATCH = 5000


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(engine: Engine, people: int, seed: int) -> tuple[dict[str, int], float]:
    """Insert the generated population in chunks; return row counts and seconds."""
    rows: Counter[str] = Counter()
    start = time.perf_counter()
    for chunk in generate(people, seed):
        with engine.begin() as conn:
            for table, batch in (
                (Person, chunk.persons),
                (Custody, chunk.custodies),
                (CustodyEvent, chunk.custody_events),
                (TreatmentEvent, chunk.events),
            ):
                for at in range(0, len(batch), BATCH):
                    conn.execute(insert(table), batch[at : at + BATCH])
                rows[table.__tablename__] += len(batch)
    seconds = time.perf_counter() - start
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return dict(rows), seconds


class Statements:
    """Statements a run sent and the seconds spent in the driver's execute (on PostgreSQL,
    psycopg fetches the whole result there; SQLite computes rows later, as they are read)."""

    def __init__(self, engine: Engine) -> None:
        self.count, self.seconds, self._start = 0, 0.0, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._start = time.perf_counter()

    def _after(self, *_: Any) -> None:
        self.count += 1
        self.seconds += time.perf_counter() - self._start

    def reset(self) -> None:
        self.count, self.seconds = 0, 0.0


def timed(
    engine: Engine, work: Callable[[Session], Any], runs: int, spy: Statements
) -> tuple[list[float], Any, tuple[int, float]]:
    """Seconds of each run (a fresh session each, after one warm-up), the last result, and
    the statements of the best run and the seconds in their execute."""
    with Session(engine) as session:
        result = work(session)
    seconds, best = [], (0, 0.0)
    for _ in range(runs):
        with Session(engine) as session:
            spy.reset()
            start = time.perf_counter()
            result = work(session)
            seconds.append(time.perf_counter() - start)
            if seconds[-1] == min(seconds):
                best = (spy.count, spy.seconds)
    return seconds, result, best


def baseline(session: Session) -> list[Any]:
    """One pass over the events: the latest day of each kind per custody."""
    e = TreatmentEvent
    stmt = select(e.custody_id, e.kind, func.max(e.occurred_on)).group_by(e.custody_id, e.kind)
    return list(session.execute(stmt).all())


def per_person(session: Session, sample: list[str]) -> dict[tuple[str, str], str]:
    """The reference, one custody at a time: its rows read, its duties worked out."""
    found: dict[tuple[str, str], str] = {}
    for custody_id in sample:
        for duty, state in reference(life_of(session, custody_id), TODAY).items():
            found[custody_id, duty] = state
    return found


def rebuild(engine: Engine) -> float:
    start = time.perf_counter()
    with Session(engine) as session, session.begin():
        duties.rebuild(session)
    seconds = time.perf_counter() - start
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return seconds


def disagreements(
    marks: list[duties.Standing], exact: list[duties.DutyRow], ref: dict[tuple[str, str], str]
) -> tuple[int, int]:
    """States the marks give that the exact read, then the reference, do not."""
    kept = {(m.custody_id, d): s.value for m in marks for d, s in m.states.items()}
    read = {(r.custody_id, r.duty): r.state.value for r in exact}
    in_sample = {c for c, _d in ref}
    sampled = {k: v for k, v in kept.items() if k[0] in in_sample}
    return len(set(kept.items()) ^ set(read.items())), len(set(sampled.items()) ^ set(ref.items()))


def bench(db: str, people: int, seed: int, runs: int, sample_size: int) -> bool:
    with STORES[db]("treatment") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            rows, load_s = load(engine, people, seed)
            rebuild_s = rebuild(engine)
            loaded_rss = peak_rss_mb()
            print(
                f"\n{db}: loaded in {load_s:.1f} s: "
                + ", ".join(f"{n} {t}" for t, n in rows.items())
                + f"; marks made in {rebuild_s:.1f} s; peak RSS {loaded_rss:.0f} MB"
            )
            spy = Statements(engine)
            marks_s, marks, marks_sql = timed(
                engine, lambda s: duties.standings(s, today=TODAY), runs, spy
            )
            counts_s, counts, counts_sql = timed(
                engine, lambda s: duties.counts(s, today=TODAY), runs, spy
            )
            exact_s, exact, exact_sql = timed(
                engine, lambda s: duties.states(s, today=TODAY, exact=True), 1, spy
            )
            base_s, groups, base_sql = timed(engine, baseline, 1, spy)
            ids = sorted(m.custody_id for m in marks)
            sample = random.Random(seed).sample(ids, min(sample_size, len(ids)))
            ref_s, ref, ref_sql = timed(engine, lambda s: per_person(s, sample), 1, spy)
        finally:
            engine.dispose()
    scale = len(ids) / max(len(sample), 1)
    by_state = Counter(s.value for m in marks for s in m.states.values())
    print(f"  standings(): {len(marks)} custodies, {sum(by_state.values())} duty states")
    print("    " + ", ".join(f"{k} {v}" for k, v in sorted(by_state.items())))
    print(f"  counts(): {len(counts)} (place, duty, state) cells, {sum(counts.values())} in all")
    print(f"  baseline: {len(groups)} (custody, kind) groups")
    apart, apart_ref = disagreements(marks, exact, ref)
    print(f"  marks vs exact read: {apart} states differ; marks vs reference on "
          f"{len(sample)} custodies: {apart_ref} differ")  # fmt: skip
    best_marks = min(marks_s)
    ref_whole = min(ref_s) * scale
    print(f"  {'seconds':34}{'best':>9}{'median':>9}{'marks /':>9}{'statements':>12}"
          f"{'in execute':>12}")  # fmt: skip
    lines = (("engine.standings() (marks)", marks_s, marks_sql, 1.0),
             ("engine.counts() (marks)", counts_s, counts_sql, 1.0),
             ("engine.states(exact=True)", exact_s, exact_sql, 1.0),
             ("baseline GROUP BY", base_s, base_sql, 1.0),
             (f"per-person reference, x{scale:.0f}", ref_s, ref_sql, scale))  # fmt: skip
    for name, secs, (n, sql), times in lines:
        best, median = min(secs) * times, statistics.median(secs) * times
        ratio = best_marks / best
        print(f"  {name:34}{best:9.3f}{median:9.3f}{ratio:9.4f}{n:12d}{sql:12.3f}")
    print(f"  per-person reference / marks: {ref_whole / best_marks:.0f} times slower "
          f"({min(ref_s):.2f} s for {len(sample)} custodies, scaled by {scale:.0f})")  # fmt: skip
    print(f"  peak RSS: {peak_rss_mb():.0f} MB (after loading: {loaded_rss:.0f} MB)")
    agree = apart == 0 and apart_ref == 0
    if people < TARGET_PEOPLE:
        print(f"  target (standings < {TARGET_S:.0f} s for {TARGET_PEOPLE} people): "
              f"not judged at {people}")  # fmt: skip
        return agree
    met = best_marks < TARGET_S
    print(f"  target (standings < {TARGET_S:.0f} s for {TARGET_PEOPLE} people, best of {runs}): "
          f"{'met' if met else 'MISSED'}")  # fmt: skip
    return met and agree


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=TARGET_PEOPLE)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--sample", type=int, default=1000)
    args = parser.parse_args(argv)
    load_avg = os.getloadavg()[0]
    print(f"{args.people} people in custody, day {TODAY}, seed {args.seed}, best and median "
          f"of {args.runs} runs, {os.cpu_count()} cores, load average {load_avg:.1f}")  # fmt: skip
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    met = [bench(db, args.people, args.seed, args.runs, args.sample) for db in databases]
    return 0 if all(met) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Duties benchmark: every duty's state for the whole population in custody on one day,
against a single pass over the same events.

Usage: .venv/bin/python bench/treatment.py [--people 100000] [--db sqlite|postgresql|both]
                                           [--runs 3] [--seed 10]

The population comes from `bench/treatment_data.py`, written from GC III practice and the
tables' contract alone (it never read the engine). For each database: a fresh store
(migrate.upgrade), people, custodies, custody events and treatment events inserted in bulk
with Core, ANALYZE, then `engine.states()` and `engine.counts()` on the generator's day,
each run `--runs` times (best and median printed), and the baseline: a plain
`SELECT custody_id, kind, max(occurred_on) ... GROUP BY custody_id, kind` over the events,
timed the same way in the same run. Printed: the ratios engine / baseline, whether
`states()` met the target of issue 10 (all duty states for 100,000 people in under 1 s),
and the peak RSS of the process after loading and after timing. PostgreSQL uses a database
of its own on SAFECONDUCT_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/
postgres), created for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import os
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

from bench.stores import STORES  # noqa: E402
from bench.treatment_data import TODAY, generate  # noqa: E402

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


def bench(db: str, people: int, seed: int, runs: int) -> bool:
    with STORES[db]("treatment") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            rows, load_s = load(engine, people, seed)
            loaded_rss = peak_rss_mb()
            print(
                f"\n{db}: loaded in {load_s:.1f} s: "
                + ", ".join(f"{n} {t}" for t, n in rows.items())
                + f"; peak RSS {loaded_rss:.0f} MB"
            )
            spy = Statements(engine)
            states_s, states, states_sql = timed(
                engine, lambda s: duties.states(s, today=TODAY), runs, spy
            )
            counts_s, counts, counts_sql = timed(
                engine, lambda s: duties.counts(s, today=TODAY), runs, spy
            )
            base_s, groups, base_sql = timed(engine, baseline, runs, spy)
        finally:
            engine.dispose()
    by_state = Counter(r.state.value for r in states)
    by_duty = Counter(r.duty for r in states)
    custodies = len({r.custody_id for r in states})
    print(f"  states(): {len(states)} rows, {len(by_duty)} duties, {custodies} custodies")
    print("    " + ", ".join(f"{k} {v}" for k, v in sorted(by_state.items())))
    print("    " + ", ".join(f"{k} {v}" for k, v in sorted(by_duty.items())))
    print(f"  counts(): {len(counts)} (place, duty, state) cells, {sum(counts.values())} in all")
    print(f"  baseline: {len(groups)} (custody, kind) groups")
    best_base, median_base = min(base_s), statistics.median(base_s)
    print(f"  {'seconds':24}{'best':>8}{'median':>8}{'/ base best':>13}{'/ base median':>15}"
          f"{'statements':>12}{'in execute':>12}")  # fmt: skip
    for name, secs, (n, sql) in (("engine.states()", states_s, states_sql),
                                 ("engine.counts()", counts_s, counts_sql),
                                 ("baseline GROUP BY", base_s, base_sql)):  # fmt: skip
        best, median = min(secs), statistics.median(secs)
        print(
            f"  {name:24}{best:8.3f}{median:8.3f}"
            f"{best / best_base:13.2f}{median / median_base:15.2f}{n:12d}{sql:12.3f}"
        )
    print(f"  peak RSS: {peak_rss_mb():.0f} MB (after loading: {loaded_rss:.0f} MB)")
    best = min(states_s)
    if people < TARGET_PEOPLE:
        print(f"  target (states < {TARGET_S:.0f} s for {TARGET_PEOPLE} people): "
              f"not judged at {people}")  # fmt: skip
        return True
    met = best < TARGET_S
    print(f"  target (states < {TARGET_S:.0f} s for {TARGET_PEOPLE} people, best of {runs}): "
          f"{'met' if met else 'MISSED'}")  # fmt: skip
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=TARGET_PEOPLE)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args(argv)
    load_avg = os.getloadavg()[0]
    print(f"{args.people} people in custody, day {TODAY}, seed {args.seed}, best and median "
          f"of {args.runs} runs, {os.cpu_count()} cores, load average {load_avg:.1f}")  # fmt: skip
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    met = [bench(db, args.people, args.seed, args.runs) for db in databases]
    return 0 if all(met) else 1


if __name__ == "__main__":
    raise SystemExit(main())

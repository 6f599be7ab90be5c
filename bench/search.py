"""People-search benchmark: latency and recall of `people.search` against the old search.

Usage: .venv/bin/python bench/search.py [--people 100000] [--queries 600]
                                        [--db sqlite|postgresql|both] [--seed 8]

People and queries come from `bench/search_data.py`, written from its contract alone
(it never read the engine). For each database: a fresh store, people inserted in bulk,
their keys built by `reindex`, then every query timed through `search()` (a page of 20)
and through the old prefix LIKE search on the same data. Printed per query kind: p50, p95
and max latency, recall of the intended person on the first page, and the ratio of our
p95 to the old one's. PostgreSQL uses a database of its own on the server of
SAFECONDUCT_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres),
created for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search_data import generate  # noqa: E402
from bench.stores import STORES  # noqa: E402

from safeconduct import migrate  # noqa: E402
from safeconduct.db import make_engine, new_id  # noqa: E402
from safeconduct.people import search  # noqa: E402
from safeconduct.people.models import Person, PersonSearchKey  # noqa: E402

PAGE = 20
TARGET_P95_MS = 100.0
Searcher = Callable[[Session, str], list[str]]


def old_search(session: Session, q: str) -> list[str]:
    """The search before issue 8 (`people.service.search`), kept here as it was so the
    baseline stays whatever becomes of the service: a prefix LIKE on three columns."""
    stmt = select(Person.id).where(Person.erased_on.is_(None))
    if q.strip():
        like = q.strip().lower().replace("%", "").replace("_", "") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Person.surname).like(like),
                func.lower(Person.given_names).like(like),
                func.lower(Person.service_number).like(like),
            )
        )
    session.scalar(select(func.count()).select_from(stmt.subquery()))
    return list(session.scalars(stmt.order_by(Person.surname, Person.id).limit(PAGE)))


def new_search(session: Session, q: str) -> list[str]:
    rows, _total = search.search(session, q=q, limit=PAGE)
    return [p.id for p in rows]


@dataclass
class Scores:
    """Latencies (ms) and first-page hits of one engine for one query kind."""

    latencies: list[float] = field(default_factory=list)
    hits: int = 0

    def p(self, quantile: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]

    @property
    def recall(self) -> float:
        return self.hits / len(self.latencies) if self.latencies else 0.0


def load(engine: Engine, people: Sequence[dict[str, Any]]) -> tuple[list[str], float, float, int]:
    """Insert people in bulk, then build their keys; return ids and both timings."""
    ids = [new_id() for _ in people]
    start = time.perf_counter()
    with Session(engine) as session, session.begin():
        rows = [{"id": i, **p} for i, p in zip(ids, people, strict=True)]
        for at in range(0, len(rows), 5000):
            session.execute(insert(Person), rows[at : at + 5000])
    inserted = time.perf_counter()
    with Session(engine) as session, session.begin():
        search.reindex(session, batch=5000)
        keys = session.scalar(select(func.count()).select_from(PersonSearchKey)) or 0
    indexed = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return ids, inserted - start, indexed - inserted, keys


def run_queries(
    engine: Engine, ids: list[str], queries: Sequence[dict[str, Any]], searcher: Searcher
) -> dict[str, Scores]:
    scores: dict[str, Scores] = defaultdict(Scores)
    with Session(engine) as session:
        for q in queries[:20]:  # warm caches and statement compilation
            searcher(session, str(q["text"]))
            session.expunge_all()
        for q in queries:
            start = time.perf_counter()
            found = searcher(session, str(q["text"]))
            elapsed = (time.perf_counter() - start) * 1000
            session.expunge_all()
            kind = scores[str(q["kind"])]
            kind.latencies.append(elapsed)
            kind.hits += ids[int(q["person"])] in found
    return scores


def report(db: str, ours: dict[str, Scores], old: dict[str, Scores]) -> bool:
    print(f"\n{db}: latency in ms (page of {PAGE}); recall = intended person on the first page")
    print(
        f"{'kind':18} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} {'recall':>7} │"
        f" {'old p50':>7} {'old p95':>7} {'old rec':>7} │ {'p95 ratio':>9}"
    )
    everything, everything_old = Scores(), Scores()
    for kind in sorted(ours):
        mine, theirs = ours[kind], old[kind]
        _line(kind, mine, theirs)
        everything.latencies += mine.latencies
        everything.hits += mine.hits
        everything_old.latencies += theirs.latencies
        everything_old.hits += theirs.hits
    _line("all", everything, everything_old)
    met = everything.p(0.95) < TARGET_P95_MS
    print(f"target p95 < {TARGET_P95_MS:.0f} ms: {'met' if met else 'NOT met'}")
    return met


def _line(kind: str, mine: Scores, theirs: Scores) -> None:
    ratio = mine.p(0.95) / theirs.p(0.95) if theirs.p(0.95) else float("nan")
    print(
        f"{kind:18} {len(mine.latencies):>4} {statistics.median(mine.latencies):>7.1f}"
        f" {mine.p(0.95):>7.1f} {max(mine.latencies):>7.1f} {mine.recall:>7.1%} │"
        f" {statistics.median(theirs.latencies):>7.1f} {theirs.p(0.95):>7.1f}"
        f" {theirs.recall:>7.1%} │ {ratio:>9.2f}"
    )


def bench(db: str, people: Sequence[dict[str, Any]], queries: Sequence[dict[str, Any]]) -> bool:
    with STORES[db]("search") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            ids, insert_s, index_s, keys = load(engine, people)
            print(
                f"\n{db}: {len(people)} people inserted in {insert_s:.1f} s;"
                f" {keys} keys built in {index_s:.1f} s"
            )
            ours = run_queries(engine, ids, queries, new_search)
            old = run_queries(engine, ids, queries, old_search)
        finally:
            engine.dispose()
    return report(db, ours, old)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    people, queries = generate(args.people, args.queries, args.seed)
    print(
        f"generated {len(people)} people and {len(queries)} queries"
        f" in {time.perf_counter() - start:.1f} s (seed {args.seed})"
    )
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    met = [bench(db, people, queries) for db in databases]
    return 0 if all(met) else 1


if __name__ == "__main__":
    raise SystemExit(main())

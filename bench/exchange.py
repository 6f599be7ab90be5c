"""Exchange benchmark: build, check and approve an exchange list of 1,000 people from a
population of 100,000, on SQLite and PostgreSQL, against a naive per-person check and an
independent oracle.

Usage: .venv/bin/python bench/exchange.py [--people 100000] [--pg URL] [--runs 3]
                                          [--db sqlite|postgresql|both] [--seed 20] [--show 3]

The population and the oracle come from `bench/exchange_data.py`, written from the tables'
contract and the stated eligibility rules alone (its author never read the engine). For
each database: a fresh migrated store, the rows inserted in bulk with Core, ANALYZE, then
with the clock at the generator's day, `--runs` times on a fresh event planned 20 days
ahead with quotas 150 wounded_sick, 100 officer, 750 enlisted (after one warm-up run): the
event made (not timed), `exchange.build` (propose 1,000 of 100,000), `exchange.view` (check
every person on the list), `exchange.approve` (check, freeze, sign; by another actor), each
in a transaction of its own, committed; then the event and its list are deleted so every
run starts from the same store. The baseline, timed in the same run: one ORM query per
person for their custodies, wish records and health status, for the 1,000 listed, with the
rule worked out in Python. The engine's proposal must equal the oracle's exactly (same
people, same categories, same order) and the view must call eligible exactly those the
oracle calls eligible on the planned day; once more on a probe event planned 25 days ahead
(for which part of the current round of interviews is too old), build and view are
compared with the oracle, and approving that list must be refused.
Any disagreement is printed with the rows of the people concerned, and the run exits 1.

PostgreSQL: a database of its own on the server of `--pg` (default SAFECONDUCT_TEST_PG_URL,
else SAFECONDUCT_BENCH_PG_URL), created for the run and dropped; skipped when there is none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, insert, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.exchange_data import (  # noqa: E402
    CATEGORIES,
    PLANNED,
    PROBE,
    TODAY,
    WINDOW,
    Fact,
    assess,
    distribution,
    expected,
    generate,
)

from safeconduct import clock, migrate  # noqa: E402
from safeconduct.audit.actors import Actor  # noqa: E402
from safeconduct.config import Settings  # noqa: E402
from safeconduct.custody.models import Custody, CustodyEvent  # noqa: E402
from safeconduct.db import normalise_url  # noqa: E402
from safeconduct.people.models import Person  # noqa: E402
from safeconduct.repatriation import exchange  # noqa: E402
from safeconduct.repatriation.models import (  # noqa: E402
    ExchangeEvent,
    ExchangeList,
    ExchangeListAuthor,
    ExchangeListMember,
    Invalidation,
    WishRecord,
)
from safeconduct.repatriation.schemas import ExchangeEventCreate  # noqa: E402
from safeconduct.runtime import Runtime, open_runtime  # noqa: E402
from safeconduct.security.keys import FileKeyProvider  # noqa: E402
from safeconduct.security.signing import create_signer  # noqa: E402
from safeconduct.treatment.models import TreatmentEvent  # noqa: E402

TARGET_S = 1.0
TARGET_PEOPLE = 100_000
BATCH = 5000
SHOW = 3  # people whose rows are printed, per kind of disagreement (--show)
QUOTAS = {"wounded_sick": 150, "officer": 100, "enlisted": 750}
BUILDER = Actor("account:bench-builder", "bench")
APPROVER = Actor("account:bench-approver", "bench")
TABLES = {
    "persons": Person,
    "custodies": Custody,
    "custody_events": CustodyEvent,
    "treatment_events": TreatmentEvent,
    "wish_records": WishRecord,
}


def pg_server(arg: str | None) -> str | None:
    return (
        arg
        or os.environ.get("SAFECONDUCT_TEST_PG_URL")
        or os.environ.get("SAFECONDUCT_BENCH_PG_URL")
    )


@contextmanager
def sqlite_store(_server: str | None) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="bench-exchange-") as folder:
        yield f"sqlite:///{folder}/bench.db"


@contextmanager
def postgresql_store(server_url: str | None) -> Iterator[str]:
    assert server_url
    server = make_url(normalise_url(server_url))
    name = f"bench_exchange_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def runtime(url: str) -> Iterator[Runtime]:
    with tempfile.TemporaryDirectory(prefix="bench-exchange-keys-") as folder:
        keys = Path(folder)
        FileKeyProvider.create(keys / "kek.json")
        create_signer(keys / "signing.pem")
        settings = Settings(
            db_url=url, kek_file=keys / "kek.json", signing_key_file=keys / "signing.pem"
        )
        rt = open_runtime(settings)
        try:
            yield rt
        finally:
            rt.close()


def load(engine: Engine, people: int, seed: int) -> tuple[dict[str, int], list[Fact], float]:
    rows: dict[str, int] = dict.fromkeys(TABLES, 0)
    facts: list[Fact] = []
    start = time.perf_counter()
    for chunk in generate(people, seed):
        with engine.begin() as conn:
            for name, batch in chunk.tables():
                for at in range(0, len(batch), BATCH):
                    conn.execute(insert(TABLES[name]), batch[at : at + BATCH])
                rows[name] += len(batch)
        facts += chunk.facts
    seconds = time.perf_counter() - start
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return rows, facts, seconds


class Statements:
    """Statements sent since the last reset, and the seconds spent in the driver's execute
    (on PostgreSQL psycopg fetches the whole result there; SQLite computes rows later)."""

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


class Run:
    """One pass: an event made, its list built, viewed and approved, then deleted."""

    def __init__(self, rt: Runtime, spy: Statements) -> None:
        self.rt, self.spy = rt, spy
        self.seconds: dict[str, list[float]] = {"build": [], "view": [], "approve": []}
        self.statements: dict[str, list[tuple[int, float]]] = {
            "build": [],
            "view": [],
            "approve": [],
        }
        self.errors: list[str] = []

    def make_event(self, planned: date) -> str:
        with self.rt.transaction() as s:
            made = exchange.create_event(
                s,
                audit=self.rt.audit,
                actor=BUILDER,
                event_in=ExchangeEventCreate(
                    counterpart="Bench Counterpart",
                    planned_on=planned,
                    quota_wounded_sick=QUOTAS["wounded_sick"],
                    quota_officer=QUOTAS["officer"],
                    quota_enlisted=QUOTAS["enlisted"],
                ),
                window_days=WINDOW,
            )
            return made.id

    def step(self, name: str, work: Callable[[Session, ExchangeEvent], Any], eid: str) -> Any:
        self.spy.reset()
        start = time.perf_counter()
        with self.rt.transaction() as s:
            ev = s.get(ExchangeEvent, eid)
            assert ev is not None
            result = work(s, ev)
        self.seconds[name].append(time.perf_counter() - start)
        self.statements[name].append((self.spy.count, self.spy.seconds))
        return result

    def once(self, planned: date, *, keep: bool = True) -> tuple[list[tuple], list[tuple]]:
        """Build, view and approve one fresh event; return the proposal and the view as
        plain tuples: (category, position, person, custody) and (category, position,
        person, reason)."""
        eid = self.make_event(planned)
        rt = self.rt

        def build(s: Session, ev: ExchangeEvent) -> list[tuple]:
            members = exchange.build(s, audit=rt.audit, actor=BUILDER, event=ev)
            return [(m.category, m.position, m.person_id, m.custody_id) for m in members]

        def view(s: Session, ev: ExchangeEvent) -> list[tuple]:
            read = exchange.view(s, event=ev)
            return [
                (str(m.category.value), m.position, m.person_id, m.reason) for m in read.members
            ]

        def approve(s: Session, ev: ExchangeEvent) -> str:
            done = exchange.approve(
                s, audit=rt.audit, actor=APPROVER, signer=rt.audit.signer, event=ev,
                version=ev.version,
            )  # fmt: skip
            return str(done.status)

        try:
            proposal = self.step("build", build, eid)
            listed = self.step("view", view, eid)
            try:
                status = self.step("approve", approve, eid)
                if status != "approved":
                    self.errors.append(f"approve left the list {status!r}")
            except Exception as exc:  # noqa: BLE001 (reported, the run fails)
                self.seconds["approve"].append(float("nan"))
                self.statements["approve"].append((self.spy.count, self.spy.seconds))
                self.errors.append(f"approve refused: {type(exc).__name__}: {exc}")
        finally:
            self.forget(eid)
        if not keep:
            for name in self.seconds:
                self.seconds[name].pop()
                self.statements[name].pop()
        return proposal, listed

    def forget(self, eid: str) -> None:
        """Delete the event and its list, so the next run starts from the same store."""
        with self.rt.transaction() as s:
            lists = select(ExchangeList.id).where(ExchangeList.event_id == eid)
            for model in (Invalidation, ExchangeListMember):
                s.execute(delete(model).where(model.list_id.in_(lists)))
            s.execute(delete(ExchangeListAuthor).where(ExchangeListAuthor.list_id.in_(lists)))
            s.execute(delete(ExchangeList).where(ExchangeList.event_id == eid))
            s.execute(delete(ExchangeEvent).where(ExchangeEvent.id == eid))


def as_dict(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def naive(session: Session, person_ids: Sequence[str]) -> dict[str, Fact]:
    """The baseline: one person at a time, through the ORM, the rule in Python."""
    found = {}
    for pid in person_ids:
        person = session.get(Person, pid)
        assert person is not None
        custodies = session.scalars(select(Custody).where(Custody.person_id == pid)).all()
        wishes = session.scalars(
            select(WishRecord).where(WishRecord.person_id == pid).order_by(WishRecord.number)
        ).all()
        cids = [c.id for c in custodies]
        status = session.scalars(
            select(TreatmentEvent).where(
                TreatmentEvent.custody_id.in_(cids), TreatmentEvent.kind == "health_status"
            )
        ).all()
        ids = [e.id for e in status]
        fixes = session.scalars(
            select(TreatmentEvent).where(TreatmentEvent.supersedes_id.in_(ids))
        ).all()
        events = {e.id: as_dict(e) for e in [*status, *fixes]}
        found[pid] = assess(
            as_dict(person),
            [as_dict(c) for c in custodies],
            list(events.values()),
            [as_dict(w) for w in wishes],
        )
    return found


def dump(engine: Engine, person_id: str, fact: Fact | None) -> None:
    """Print every row that decides a person's eligibility and category."""
    print(f"    person {person_id}: oracle {fact}")
    with Session(engine) as s:
        p = s.get(Person, person_id)
        if p is not None:
            print(f"      rank={p.rank!r} erased_on={p.erased_on}")
        for c in s.scalars(select(Custody).where(Custody.person_id == person_id)):
            print(f"      custody {c.id} since={c.since} status={c.status}")
            events = s.scalars(
                select(TreatmentEvent)
                .where(TreatmentEvent.custody_id == c.id, TreatmentEvent.kind == "health_status")
                .order_by(TreatmentEvent.occurred_on)
            )
            for e in events:
                print(f"        health_status {e.id} on={e.occurred_on} "
                      f"seriously_ill={e.seriously_ill} supersedes={e.supersedes_id}")  # fmt: skip
        wishes = s.scalars(
            select(WishRecord).where(WishRecord.person_id == person_id).order_by(WishRecord.number)
        )
        for w in wishes:
            print(f"      wish #{w.number} {w.source} wish={w.wish} stated_on={w.stated_on} "
                  f"recorded_on={w.recorded_on} "
                  f"without_witnesses={w.without_witnesses}")  # fmt: skip


def proposal_diff(
    proposal: list[tuple], want: dict[str, list[Fact]], by_id: dict[str, Fact]
) -> dict[str, list[str]]:
    """Per kind of disagreement, the people concerned: proposed but not expected, expected
    but not proposed, proposed in another order, or with another custody."""
    out: dict[str, list[str]] = {"extra": [], "missing": [], "order": [], "custody": []}
    for category in CATEGORIES:
        got = sorted((pos, pid, cid) for cat, pos, pid, cid in proposal if cat == category)
        got_ids = [pid for _pos, pid, _cid in got]
        want_ids = [f.person_id for f in want[category]]
        out["extra"] += [p for p in got_ids if p not in set(want_ids)]
        out["missing"] += [p for p in want_ids if p not in set(got_ids)]
        if sorted(got_ids) == sorted(want_ids) and got_ids != want_ids:
            out["order"] += [a for a, b in zip(got_ids, want_ids, strict=True) if a != b]
        out["custody"] += [p for _pos, p, c in got if p in by_id and by_id[p].custody_id != c]
    return out


def compare_proposal(
    engine: Engine,
    proposal: list[tuple],
    want: dict[str, list[Fact]],
    lenient: dict[str, list[Fact]],
    by_id: dict[str, Fact],
    *,
    loud: bool = True,
) -> int:
    """Disagreements between the engine's proposal and the oracle's, printed loudly."""
    diff = proposal_diff(proposal, want, by_id)
    bad = sum(len(v) for v in diff.values())
    if not bad or not loud:
        return bad
    print("  !!! PROPOSAL DISAGREES with the oracle: "
          + ", ".join(f"{len(v)} {k}" for k, v in diff.items()))  # fmt: skip
    for kind, people in diff.items():
        if people:
            findings = Counter(by_id[p].finding if p in by_id else "?" for p in people)
            print(f"    {kind}: oracle's finding for the planned day: {dict(findings)}")
            changes = Counter(by_id[p].change for p in people if p in by_id and by_id[p].change)
            for change, n in changes.most_common():
                print(f"      {n:5d} after the latest private interview: {change}")
            for pid in people[:SHOW]:
                dump(engine, pid, by_id.get(pid))
    other = proposal_diff(proposal, lenient, by_id)
    print("    under the diagnostic reading that ignores records after the interview, the "
          "proposal " + ("AGREES" if not any(other.values()) else "still disagrees: "
          + ", ".join(f"{len(v)} {k}" for k, v in other.items())))  # fmt: skip
    return bad


def compare_view(
    engine: Engine, listed: list[tuple], by_id: dict[str, Fact], day: str, *, loud: bool = True
) -> tuple[int, int]:
    """(disagreements, members the engine calls ineligible) between the view and the
    oracle's eligibility on the event's day (`day`: "planned" or "probe")."""
    bad, lenient_bad = [], []
    reasons: Counter[str] = Counter()
    for category, _pos, pid, reason in listed:
        fact = by_id[pid]
        if reason is not None:
            reasons[str(reason)] += 1
        ok = getattr(fact, f"eligible_{day}")
        if ok != (reason is None) or (reason is None and category != fact.category):
            bad.append(pid)
        if getattr(fact, f"lenient_{day}") != (reason is None):
            lenient_bad.append(pid)
    if bad and loud:
        findings = Counter(by_id[p].finding for p in bad)
        print(f"  !!! VIEW DISAGREES with the oracle on {len(bad)} of {len(listed)} ({day} day); "
              f"oracle's finding for the planned day: {dict(findings)}; under the reading that "
              f"ignores records after the interview: {len(lenient_bad)} disagree")  # fmt: skip
        for pid in bad[:SHOW]:
            reason = next(r for _c, _p, p, r in listed if p == pid)
            print(f"    engine reason {reason!r}:")
            dump(engine, pid, by_id[pid])
    if reasons and loud:
        print(f"  view reasons ({day} day): {dict(reasons)}")
    return len(bad), sum(reasons.values())


def probe_check(
    rt: Runtime,
    spy: Statements,
    want: dict[str, list[Fact]],
    lenient: dict[str, list[Fact]],
    by_id: dict[str, Fact],
) -> int:
    """A later day, for which part of the round is too old: the same proposal (the builder
    reads today), the view must flag exactly those, and approval must be refused."""
    probe = Run(rt, spy)
    proposal, listed = probe.once(PROBE)
    bad = compare_proposal(rt.engine, proposal, want, lenient, by_id, loud=False)
    view_bad, flagged = compare_view(rt.engine, listed, by_id, "probe")
    stale = sum(not by_id[pid].eligible_probe for _c, _p, pid, _r in listed)
    print(f"  probe ({PROBE}): proposal {'agrees' if not bad else 'DISAGREES'}; "
          f"view flags {flagged}, oracle says {stale} too old for that day; "
          f"{view_bad} disagree; approve: "
          f"{probe.errors[0][:120] if probe.errors else 'accepted'}")  # fmt: skip
    bad += view_bad
    if stale and not probe.errors:
        print(f"  !!! approve accepted the probe's list with {stale} people whose "
              "interview is too old for its day")  # fmt: skip
        bad += 1
    return bad


def baseline(
    rt: Runtime, listed_ids: list[str], by_id: dict[str, Fact], runs: int
) -> tuple[list[float], int]:
    """The naive per-person check of the listed people, timed; and how many of them it
    read back otherwise than the oracle generated them (the store's round trip)."""
    seconds: list[float] = []
    found: dict[str, Fact] = {}
    for _ in range(runs):
        with Session(rt.engine) as s:
            start = time.perf_counter()
            found = naive(s, listed_ids)
            seconds.append(time.perf_counter() - start)
    wrong = [p for p in listed_ids if found[p] != by_id[p]]
    for pid in wrong[:SHOW]:
        print(f"  !!! the naive check read {found[pid]} back from the store")
        dump(rt.engine, pid, by_id[pid])
    return seconds, len(wrong)


def bench(db: str, server: str | None, people: int, seed: int, runs: int) -> tuple[bool, list]:
    store = sqlite_store if db == "sqlite" else postgresql_store
    table: list[Any] = []
    ok = True
    with store(server) as url:
        migrate.upgrade(url)
        with runtime(url) as rt:
            rows, facts, load_s = load(rt.engine, people, seed)
            print(f"\n{db}: loaded in {load_s:.1f} s: "
                  + ", ".join(f"{n} {t}" for t, n in rows.items()))  # fmt: skip
            by_id = {f.person_id: f for f in facts}
            want = expected(facts, QUOTAS)
            lenient = expected(facts, QUOTAS, lenient=True)
            listed_ids = [f.person_id for c in CATEGORIES for f in want[c]]
            spy = Statements(rt.engine)
            run = Run(rt, spy)
            run.once(PLANNED, keep=False)  # warm-up
            bad = 0
            for k in range(runs):
                proposal, listed = run.once(PLANNED)
                if k == 0:
                    print(f"  build: {len(proposal)} proposed; view: {len(listed)} members")
                loud = k == 0
                bad += compare_proposal(rt.engine, proposal, want, lenient, by_id, loud=loud)
                view_bad, flagged = compare_view(rt.engine, listed, by_id, "planned", loud=loud)
                if flagged and loud:
                    print(f"  !!! the view calls {flagged} of {len(listed)} ineligible "
                          f"on {PLANNED}")  # fmt: skip
                bad += view_bad
                if len(listed) != len(proposal):
                    print(f"  !!! the view lists {len(listed)}, the build proposed {len(proposal)}")
                    bad += 1
            bad += probe_check(rt, spy, want, lenient, by_id)
            base_s, naive_bad = baseline(rt, listed_ids, by_id, runs)
            bad += naive_bad
            for error in run.errors:
                print(f"  !!! {error}")
            ok = bad == 0 and not run.errors
            if bad:
                print(f"  !!! {bad} DISAGREEMENTS with the oracle on {db}")
            for name in ("build", "view", "approve"):
                secs = run.seconds[name]
                best = run.statements[name][secs.index(min(secs))]
                table.append((db, name, secs, best))
            table.append((db, "baseline: naive check", base_s, None))
    return ok, table


def report(table: list[tuple[str, str, list[float], tuple[int, float] | None]]) -> None:
    """The figures: median and best seconds, their ratio to the target and to the baseline
    (median over median), and for the best run the statements sent and the seconds in the
    driver's execute."""
    print(f"\n{'database':12}{'step':24}{'median s':>10}{'best s':>10}{'target s':>10}"
          f"{'/ target':>10}{'/ baseline':>12}{'statements':>12}{'in execute':>12}"
          f"{'target':>8}")  # fmt: skip
    base = {db: statistics.median(s) for db, step, s, _ in table if step.startswith("baseline")}
    for db, step, secs, sql in table:
        median, best = statistics.median(secs), min(secs)
        n, in_sql = (f"{sql[0]:12d}", f"{sql[1]:12.3f}") if sql else (f"{'':12}", f"{'':12}")
        verdict = "" if sql is None else "met" if median <= TARGET_S else "MISSED"
        print(f"{db:12}{step:24}{median:10.3f}{best:10.3f}{TARGET_S:10.1f}"
              f"{median / TARGET_S:10.3f}{median / base[db]:12.3f}{n}{in_sql}"
              f"{verdict:>8}")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    global SHOW
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=TARGET_PEOPLE)
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--show", type=int, default=SHOW, help="rows printed per disagreement")
    args = parser.parse_args(argv)
    SHOW = args.show
    server = pg_server(args.pg)
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in databases and not server:
        print("PostgreSQL skipped: no --pg, SAFECONDUCT_TEST_PG_URL or SAFECONDUCT_BENCH_PG_URL")
        databases.remove("postgresql")
    print(f"{args.people} people, today {TODAY}, exchange on {PLANNED} (window {WINDOW} days), "
          f"quotas {QUOTAS}, seed {args.seed}, median and best of {args.runs} runs, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    facts = [f for chunk in generate(args.people, args.seed) for f in chunk.facts]
    for title, counts in distribution(facts).items():
        print(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    oks: list[bool] = []
    table: list[Any] = []
    noon = datetime.combine(TODAY, dtime(12), tzinfo=UTC)
    with clock.using(clock.ManualClock(noon)):
        for db in databases:
            ok, rows = bench(db, server, args.people, args.seed, args.runs)
            oks.append(ok)
            table += rows
    report(table)
    if not all(oks):
        print("\n!!! the engine disagrees with the oracle, or refused: see above")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

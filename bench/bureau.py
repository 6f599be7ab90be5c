"""Bureau benchmark: a notification batch to the Central Tracing Agency over a population of
100,000 and capture cards for 1,000, each against a bare baseline timed in the same run.

Usage: .venv/bin/python bench/bureau.py [--people 100000] [--cards 1000] [--changed 1000]
                                        [--db URL] [--seed 12]

The population comes from `bench/bureau_data.py`, written from the public contracts alone
(its author never read the bureau code), through the services. Then, on the generator's
day, each step in a transaction of its own, committed:
- baseline export: one query for every person and their custody, dumped as JSON (no family
  details opened, no gate, no sealing, no signature): what any export must at least do;
- `cta.make_batch`, the first batch: every person, family details opened, each record
  sealed and stored, the document admitted through the gate, hashed, signed, its CSV, the
  Art. 122 duty recorded for everyone;
- the same again with nothing changed (nothing to send);
- `--changed` people transferred to another place (not timed), then the next batch, which
  must carry exactly those people;
- `cta.files(1)`: the first batch made again from its sealed records, byte for byte;
- capture cards: `cards.book` for `--cards` people (issued, family details opened, one
  PDF, a card a page) against the baseline of typesetting the same number of pages with
  only the names on them (Typst, no gate); and single-card PDFs for a sample, per card.
Any check that fails prints why and the run exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bureau_data import bench_runtime, populate  # noqa: E402

from safeconduct import clock  # noqa: E402
from safeconduct.audit.actors import Actor  # noqa: E402
from safeconduct.bureau import cards, cards_policy, cta  # noqa: E402
from safeconduct.custody import service as custody_service  # noqa: E402
from safeconduct.custody.models import Custody, CustodyEventKind, CustodyStatus  # noqa: E402
from safeconduct.custody.schemas import CustodyEventCreate  # noqa: E402
from safeconduct.people.models import Person  # noqa: E402
from safeconduct.runtime import Runtime  # noqa: E402

ACTOR = Actor("bench:registrar", "bench:credential")
T = TypeVar("T")


def timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"  {label:58} {seconds:9.2f} s", flush=True)
    return result, seconds


def bare_export(rt: Runtime) -> bytes:
    with rt.transaction() as s:
        rows = s.execute(
            select(Person, Custody).join(Custody, Custody.person_id == Person.id)
        ).all()
        out = [
            {
                "id": p.id,
                "surname": p.surname,
                "given_names": p.given_names,
                "patronymic": p.patronymic,
                "date_of_birth": p.date_of_birth,
                "rank": p.rank,
                "service_number": p.service_number,
                "since": c.since.isoformat(),
                "status": c.status,
                "place": c.place_of_internment,
            }
            for p, c in rows
        ]
    return json.dumps(out, ensure_ascii=False).encode()


def make_batch(rt: Runtime) -> cta.BatchFiles | None:
    with rt.transaction() as s:
        return cta.make_batch(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, signer=rt.audit.signer
        )


def transfer(rt: Runtime, custody_ids: Sequence[str]) -> None:
    day = clock.today()
    with rt.transaction() as s:
        for custody_id in custody_ids:
            custody = s.get(Custody, custody_id)
            assert custody is not None
            custody_service.record_event(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=ACTOR,
                custody=custody,
                event_in=CustodyEventCreate(
                    kind=CustodyEventKind.TRANSFER,
                    occurred_on=day,
                    place="Camp bench",
                    reason="bench",
                ),
            )


def held(rt: Runtime, count: int) -> list[Person]:
    with rt.transaction() as s:
        stmt = (
            select(Person)
            .join(Custody, Custody.person_id == Person.id)
            .where(Custody.status == CustodyStatus.HELD.value, Person.erased_on.is_(None))
            .order_by(Person.surname, Person.given_names, Person.id)
            .limit(count)
        )
        people = list(s.scalars(stmt))
        s.expunge_all()
    return people


def made_in_advance(rt: Runtime, people: list[Person]) -> list[Any]:
    """Every card's document, worked out before the clock starts (not timed)."""
    with rt.transaction() as s:
        documents = []
        for person in people:
            fresh = s.merge(person)
            said = cards.content_of(
                s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, person=fresh
            )
            documents.append(
                cards_policy.document(
                    said, card_id=person.id, version=1, issued_on=clock.today(), language="ru"
                )
            )
    return documents


def bench_cta(rt: Runtime, people: int, changed: list[str]) -> list[str]:
    problems: list[str] = []
    base, t_base = timed(
        f"baseline: {people} people and custodies dumped as JSON", lambda: bare_export(rt)
    )
    first, t_first = timed("cta.make_batch, first batch (everyone new)", lambda: make_batch(rt))
    if first is None or first.records != people:
        problems.append(f"the first batch holds {first and first.records} records, not {people}")
    again, t_again = timed("cta.make_batch, nothing changed", lambda: make_batch(rt))
    if again is not None:
        problems.append("a batch was made with nothing changed")
    transfer(rt, changed)
    second, t_second = timed(
        f"cta.make_batch after {len(changed)} transfers", lambda: make_batch(rt)
    )
    if second is None or second.records != len(changed):
        problems.append(
            f"the second batch holds {second and second.records} records, not {len(changed)}"
        )

    def remake() -> cta.BatchFiles:
        with rt.transaction() as s:
            return cta.files(s, keyring=rt.keyring, number=1)

    remade, t_files = timed("cta.files(1): the first batch made again", remake)
    if first is not None and remade.json != first.json:
        problems.append("the first batch did not come out again byte for byte")
    size = len(first.json) if first else 0
    print(
        f"  first batch {size / 1e6:.1f} MB of JSON ({len(base) / 1e6:.1f} MB bare); "
        f"{people / t_first:,.0f} records/s; ratio to the baseline {t_first / t_base:.1f}x"
    )
    print(
        f"  second batch {len(changed) / t_second:,.0f} changed records/s; nothing changed: "
        f"{t_again:.2f} s; files again {t_files / t_first:.2f}x the first batch"
    )
    return problems


def bench_cards(rt: Runtime, count: int) -> list[str]:
    problems: list[str] = []
    people = held(rt, count)
    documents = made_in_advance(rt, people)
    _plain, t_plain = timed(
        f"baseline: the {len(people)} cards typeset alone, made in advance",
        lambda: cards.typeset(documents),
    )

    def book() -> bytes:
        with rt.transaction() as s:
            fresh = [s.merge(p) for p in people]
            return cards.book(
                s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, people=fresh, language="ru"
            )

    pdf, t_book = timed(f"cards.book: {len(people)} cards issued, one PDF", book)
    if not pdf.startswith(b"%PDF"):
        problems.append("the cards did not come out as a PDF")
    sample = people[:50]

    def singles() -> None:
        for person in sample:
            with rt.transaction() as s:
                cards.render(
                    s,
                    keyring=rt.keyring,
                    audit=rt.audit,
                    actor=ACTOR,
                    person_id=person.id,
                    language="uk",
                )

    _none, t_single = timed(f"cards.render: {len(sample)} single-card PDFs", singles)
    print(
        f"  {len(people) / t_book:.0f} cards/s in one PDF ({len(pdf) / 1e6:.1f} MB); "
        f"ratio to the baseline {t_book / t_plain:.1f}x; "
        f"a single card {t_single / len(sample) * 1000:.0f} ms"
    )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--cards", type=int, default=1_000)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--db", default=None, help="database URL; default a fresh SQLite file")
    args = parser.parse_args(argv)
    with bench_runtime(args.db) as rt:
        print(
            f"bureau bench: {args.people} people on {rt.engine.dialect.name}, "
            f"{os.cpu_count()} cores"
        )
        population, _t = timed(
            "population generated through the services (not the bench)",
            lambda: populate(rt, people=args.people, seed=args.seed),
        )
        with clock.using(clock.ManualClock(clock.now() + timedelta(days=1))):
            changed = population.custody_ids[:: max(1, len(population.custody_ids) // args.changed)]
            changed = open_custodies(rt, changed)[: args.changed]
            problems = bench_cta(rt, len(population.person_ids), changed)
            problems += bench_cards(rt, args.cards)
    for problem in problems:
        print("FAILED:", problem)
    return 1 if problems else 0


def open_custodies(rt: Runtime, custody_ids: list[str]) -> list[str]:
    with rt.transaction() as s:
        held_ids = set(
            s.scalars(
                select(Custody.id).where(
                    Custody.id.in_(custody_ids), Custody.status == CustodyStatus.HELD.value
                )
            )
        )
    return [c for c in custody_ids if c in held_ids]


if __name__ == "__main__":
    raise SystemExit(main())

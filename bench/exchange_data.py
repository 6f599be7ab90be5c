"""Deterministic synthetic population for the exchange benchmark, and its oracle. Written
from the tables' contract (people, custody, treatment and repatriation models) and the
eligibility rules as stated in the brief, never from the repatriation engine.

The population, as the registry of a detaining power would hold it a year or two into a
war: people captured over about two years (more lately), most still held, some in
hospital, a few released, repatriated, escaped or dead; one in twenty captured a second
time after an earlier custody ended, and a very few whose earlier custody was left "held"
by a clerk when the later one was recorded (the rule reads the latest custody still held
or hospitalised). Ranks follow `people.ranks` (officers a few percent, some unknown).
A few percent were declared seriously wounded or sick (`health_status`), some recovered,
some fell ill again; one health status in twelve is corrected later by an event that
supersedes it (a changed finding or a changed day), now and then a correction is itself
corrected; routine medical examinations and capture cards sit beside them.

Wishes, as welfare and the verifiers hear them (records ordered by `number`, the order of
recording, not by the day they name):

- statements to welfare or the registrar at any time in custody: mostly "return", some
  "stay", some "undecided", a few recorded weeks late;
- interviews of earlier verification rounds (months ago, long out of any window), mostly
  private, now and then with witnesses;
- the current verification round ahead of the exchange: the last ten days up to today
  (none 11-30 days ago: verifiers interview in rounds); most private, some with witnesses
  (a guard, an officer of the camp), mostly "return", some "stay" or "undecided"; a few
  heard twice in the round (second thoughts, or a record of an earlier day entered late);
- after the round: statements that confirm or take back the wish (changes of mind), a few
  statements naming an earlier day but recorded after the interview, an interview with
  witnesses that confirms or contradicts, and a few interviews of an old round entered
  only now (paperwork backlog), which then are the latest private interview.

`notes` and `risk_reasons` stay NULL (nullable); `custodies.circumstances` carries a
well-formed sealed envelope as in `bench/duties_data.py`.

The oracle (`assess`, `expected`) works only on the generated rows.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from safeconduct.people.ranks import RANKS
from safeconduct.security.sealing import Sealed

TODAY = date(2026, 10, 1)
PLANNED = TODAY + timedelta(days=20)  # the timed exchange
PROBE = TODAY + timedelta(days=25)  # a second day: some of the round is stale for it
WINDOW = 30
SPAN_DAYS = 730
ROUND_DAYS = 10  # the current round: TODAY - 10 .. TODAY
OLD_ROUNDS = (45, 52, 75, 81, 140, 200, 260, 330)  # days before TODAY
OFFICERS = frozenset({"lieutenant", "senior lieutenant", "captain", "major"})
HELD = frozenset({"held", "hospitalised"})
CATEGORIES = ("wounded_sick", "officer", "enlisted")
CAMPS = tuple(f"Exchange Camp {n:02d}" for n in range(1, 21))
HOSPITALS = ("Exchange Military Hospital 1", "Exchange Military Hospital 2")
RANK_WEIGHTS = {
    "private": 34,
    "private first class": 15,
    "corporal": 12,
    "junior sergeant": 8,
    "sergeant": 10,
    "senior sergeant": 5,
    "lieutenant": 5,
    "senior lieutenant": 3,
    "captain": 2,
    "major": 1,
}
assert set(RANK_WEIGHTS) == set(RANKS)
ENDED = {
    "released": "release",
    "repatriated": "repatriation",
    "deceased": "death",
    "escaped": "escape",
}
STATUS_WEIGHTS = {
    "held": 86.0,
    "hospitalised": 4.0,
    "released": 3.0,
    "repatriated": 3.0,
    "deceased": 1.5,
    "escaped": 1.5,
}
CIRCUMSTANCES = Sealed(bytes([2]) + bytes(16) + bytes(12) + bytes(256 + 16))
NOTES = Sealed(bytes([2]) + bytes(16) + bytes(12) + bytes(256 + 16))
LANGUAGES = ("uk", "ru", "en", "pl", "ka")
TREATMENT_NULLS = dict.fromkeys(
    (
        "supersedes_id",
        "seriously_ill",
        "private_interview",
        "letters",
        "cards",
        "hours",
        "trial_on",
        "notice_on",
        "consent",
        "cause_known",
        "other_person_involved",
        "notes",
    ),
)


@dataclass
class Chunk:
    persons: list[dict[str, Any]] = field(default_factory=list)
    custodies: list[dict[str, Any]] = field(default_factory=list)
    custody_events: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    wishes: list[dict[str, Any]] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        return [
            ("persons", self.persons),
            ("custodies", self.custodies),
            ("custody_events", self.custody_events),
            ("treatment_events", self.events),
            ("wish_records", self.wishes),
        ]


@dataclass(frozen=True)
class Fact:
    """What the oracle found for one person, from their rows alone."""

    person_id: str
    custody_id: str | None  # the current custody (latest by since still held/hospitalised)
    since: date | None
    category: str | None
    eligible_today: bool  # fresh relative to today: what the builder proposes from
    eligible_planned: bool  # for the timed exchange
    eligible_probe: bool  # for the probe exchange
    finding: str  # why not eligible for the planned day, or "eligible"
    wish: str | None  # the latest record's wish, for the distribution
    # The diagnostic reading that ignores records after the interview (not the rule).
    lenient_today: bool = False
    lenient_planned: bool = False
    lenient_probe: bool = False
    # What came after the latest private interview with another wish, when anything did.
    change: str | None = None


# --- the oracle -----------------------------------------------------------------------


def current_custody(custodies: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    held = [c for c in custodies if c["status"] in HELD]
    return max(held, key=lambda c: c["since"]) if held else None


def wish_finding(wishes: Sequence[dict[str, Any]], on: date, *, later: bool = True) -> str:
    """'eligible', or why the records do not make the person eligible on `on`. With
    `later` False, records after the interview are not read (a diagnostic reading, not
    the rule: it tells a disagreement about them from any other)."""
    ordered = sorted(wishes, key=lambda w: w["number"])
    private = [w for w in ordered if w["source"] == "interview" and w["without_witnesses"] is True]
    if not private:
        return "no_private_interview"
    last = private[-1]
    if last["wish"] != "return":
        return "interview_not_return"
    if last["stated_on"] < on - timedelta(days=WINDOW):
        return "interview_stale"
    if later and any(w["number"] > last["number"] and w["wish"] != last["wish"] for w in ordered):
        return "changed_after_interview"
    return "eligible"


def category_of(
    person: dict[str, Any], custody: dict[str, Any], events: Sequence[dict[str, Any]]
) -> str:
    superseded = {e["supersedes_id"] for e in events if e["supersedes_id"] is not None}
    status = [
        e
        for e in events
        if e["custody_id"] == custody["id"]
        and e["kind"] == "health_status"
        and e["id"] not in superseded
    ]
    if status:
        latest = max(status, key=lambda e: e["occurred_on"])
        if latest["seriously_ill"] is True:
            return "wounded_sick"
    return "officer" if person["rank"] in OFFICERS else "enlisted"


def assess(
    person: dict[str, Any],
    custodies: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    wishes: Sequence[dict[str, Any]],
) -> Fact:
    custody = current_custody(custodies)
    category = category_of(person, custody, events) if custody else None

    def finding(on: date, later: bool = True) -> str:
        if custody is None:
            return "not_in_custody"
        if person["erased_on"] is not None:
            return "erased"
        return wish_finding(wishes, on, later=later)

    last = max(wishes, key=lambda w: w["number"])["wish"] if wishes else None
    planned = finding(PLANNED)
    private = [w for w in wishes if w["source"] == "interview" and w["without_witnesses"]]
    change = None
    if private:
        found = max(private, key=lambda w: w["number"])
        after = [w for w in wishes if w["number"] > found["number"] and w["wish"] != found["wish"]]
        if after:
            w = min(after, key=lambda w: w["number"])
            kind = "statement" if w["source"] == "statement" else "interview with witnesses"
            when = (
                "dated after"
                if w["stated_on"] > found["stated_on"]
                else ("same day" if w["stated_on"] == found["stated_on"] else "dated before")
            )
            change = f"{kind}, {when} the interview, {w['wish']}"
    return Fact(
        person_id=person["id"],
        custody_id=custody["id"] if custody else None,
        since=custody["since"] if custody else None,
        category=category,
        eligible_today=finding(TODAY) == "eligible",
        eligible_planned=planned == "eligible",
        eligible_probe=finding(PROBE) == "eligible",
        finding=planned,
        wish=last,
        lenient_today=finding(TODAY, False) == "eligible",
        lenient_planned=finding(PLANNED, False) == "eligible",
        lenient_probe=finding(PROBE, False) == "eligible",
        change=change,
    )


def expected(
    facts: Sequence[Fact], quotas: dict[str, int], *, lenient: bool = False
) -> dict[str, list[Fact]]:
    """The builder's proposal: per category, the eligible relative to today, longest in
    custody first (earliest since), then by person id, up to the quota. (`lenient`: under
    the diagnostic reading.)"""
    out = {}
    for category in CATEGORIES:
        pool = [
            f
            for f in facts
            if (f.lenient_today if lenient else f.eligible_today) and f.category == category
        ]
        pool.sort(key=lambda f: (f.since, f.person_id))
        out[category] = pool[: quotas[category]]
    return out


def distribution(facts: Sequence[Fact]) -> dict[str, Counter[str]]:
    return {
        "finding for the planned day": Counter(f.finding for f in facts),
        "eligible for the planned day, by category": Counter(
            f.category or "-" for f in facts if f.eligible_planned
        ),
        "eligible relative to today, by category": Counter(
            f.category or "-" for f in facts if f.eligible_today
        ),
        "eligible for the probe day, by category": Counter(
            f.category or "-" for f in facts if f.eligible_probe
        ),
        "current custody category (in custody)": Counter(f.category for f in facts if f.category),
        "latest wish on record": Counter(f.wish or "none" for f in facts),
    }


# --- the generator --------------------------------------------------------------------


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ranks = list(RANK_WEIGHTS)
        self.rank_w = list(RANK_WEIGHTS.values())
        self.statuses = list(STATUS_WEIGHTS)
        self.status_w = list(STATUS_WEIGHTS.values())

    def id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day_between(self, lo: date, hi: date) -> date:
        return lo + timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    def person(self, n: int, chunk: Chunk) -> None:
        rng = self.rng
        rank = None if rng.random() < 0.02 else rng.choices(self.ranks, self.rank_w)[0]
        erased = rng.random() < 0.004
        person = {
            "id": self.id(),
            "surname": f"Exch-{n:06d}",
            "given_names": rng.choice(("Ivan", "Petro", "Oleh", "Andrii", "Mykola", "Serhii")),
            "patronymic": None,
            "date_of_birth": str(rng.randint(1965, 2006)),
            "rank": rank,
            "service_number": f"EX{n:08d}",
            "sex": "male" if rng.random() < 0.95 else "female",
            "nationality": "Benchland",
            "registered_on": TODAY,  # set below
            "updated_on": TODAY,
            "erased_on": TODAY - timedelta(days=rng.randint(1, 60)) if erased else None,
        }
        custodies: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        cevents: list[dict[str, Any]] = []
        r = rng.random()
        if r < 0.05:
            # Captured before, that custody ended; captured again later.
            first_since = TODAY - timedelta(days=rng.randint(500, 900))
            first_end = first_since + timedelta(days=rng.randint(30, 300))
            ended = rng.choices(("released", "escaped", "repatriated"), (6, 2, 2))[0]
            stale = r < 0.002  # the clerk left the first one "held"
            self.custody(
                person,
                first_since,
                "held" if stale else ended,
                first_end,
                custodies,
                cevents,
                events,
            )
            since = first_end + timedelta(days=rng.randint(30, 200))
            status = "released" if stale else rng.choices(self.statuses, self.status_w)[0]
        else:
            since = TODAY - timedelta(days=int(SPAN_DAYS * rng.random() ** 1.6))
            status = rng.choices(self.statuses, self.status_w)[0]
        end = TODAY if status in HELD else self.day_between(since, TODAY)
        self.custody(person, since, status, end, custodies, cevents, events)
        first_since = min(c["since"] for c in custodies)
        person["registered_on"] = min(TODAY, first_since + timedelta(days=rng.randint(0, 10)))
        person["updated_on"] = min(
            TODAY, person["registered_on"] + timedelta(days=rng.randint(0, 60))
        )
        wishes = self.wishes(person["id"], first_since, since, end)
        chunk.persons.append(person)
        chunk.custodies.extend(custodies)
        chunk.custody_events.extend(cevents)
        chunk.events.extend(events)
        chunk.wishes.extend(wishes)
        chunk.facts.append(assess(person, custodies, events, wishes))

    def custody(
        self,
        person: dict[str, Any],
        since: date,
        status: str,
        end: date,
        custodies: list[dict[str, Any]],
        cevents: list[dict[str, Any]],
        events: list[dict[str, Any]],
    ) -> dict[str, Any]:
        rng = self.rng
        cid = self.id()
        place = rng.choice(CAMPS)
        custody = {
            "id": cid,
            "person_id": person["id"],
            "since": since,
            "place_of_internment": place,
            "status": status,
            "circumstances": CIRCUMSTANCES,
            "recorded_on": min(TODAY, since + timedelta(days=rng.randint(0, 5))),
        }
        custodies.append(custody)
        steps: list[tuple[str, date, str | None]] = []
        ill = self.health(cid, since, end, status == "hospitalised", events)
        if status == "hospitalised":
            steps.append(
                ("hospitalisation", ill or self.day_between(since, end), rng.choice(HOSPITALS))
            )
        elif status in ENDED:
            steps.append((ENDED[status], end, None))
        for number, (kind, on, at) in enumerate(steps, start=1):
            cevents.append(
                {
                    "id": self.id(),
                    "custody_id": cid,
                    "number": number,
                    "kind": kind,
                    "occurred_on": on,
                    "recorded_on": min(TODAY, on + timedelta(days=rng.randint(0, 3))),
                    "actor": "bench.registrar",
                    "reason": "bench",
                    "place": at,
                    "details": None,
                }
            )
        # Routine events beside the health status: a capture card, medical examinations.
        self.treatment(
            events,
            cid,
            "capture_card",
            min(end, since + timedelta(days=rng.randint(0, 7))),
            "registrar",
        )
        for _ in range(rng.randint(0, 4)):
            self.treatment(
                events,
                cid,
                "medical_examination",
                self.day_between(since, end),
                "medical",
                notes=NOTES,
            )
        return custody

    def treatment(
        self, out: list[dict[str, Any]], cid: str, kind: str, on: date, role: str, **facts: Any
    ) -> dict[str, Any]:
        row = {
            "id": self.id(),
            "custody_id": cid,
            "kind": kind,
            "occurred_on": on,
            "recorded_on": min(TODAY, on + timedelta(days=self.rng.choice((0, 0, 1, 3, 9)))),
            "actor": f"bench.{role}{self.rng.randint(0, 30)}",
            "role": role,
            **TREATMENT_NULLS,
        }
        row.update(facts)
        out.append(row)
        return row

    def health(
        self, cid: str, since: date, end: date, hospitalised: bool, out: list[dict[str, Any]]
    ) -> date | None:
        """Health status events (Art. 30) with their corrections; the day of falling ill."""
        rng = self.rng
        days = (end - since).days
        if days < 6 or not (rng.random() < (0.7 if hospitalised else 0.045)):
            if days >= 6 and rng.random() < 0.01:  # declared not seriously ill, no prior
                self.treatment(
                    out,
                    cid,
                    "health_status",
                    self.day_between(since, end),
                    "medical",
                    seriously_ill=False,
                )
            return None
        # Distinct days: the in-force ones must not tie (the rule orders by day).
        count = 1 if hospitalised else rng.choices((1, 2, 3), (55, 35, 10))[0]
        count = min(count, days // 2)
        picked = sorted(rng.sample(range(days + 1), count))
        used = set(picked)
        mine = []
        for k, offset in enumerate(picked):
            mine.append(
                self.treatment(
                    out,
                    cid,
                    "health_status",
                    since + timedelta(days=offset),
                    "medical",
                    seriously_ill=(k % 2 == 0),
                )
            )
            if k % 2 == 0:
                on = since + timedelta(days=offset)
                while on + timedelta(days=7) <= end and rng.random() < 0.7:
                    on += timedelta(days=7)
                    self.treatment(out, cid, "health_report", on, "medical", notes=NOTES)
        # Corrections: a later record superseding one, with a changed finding or a changed
        # day; now and then the correction is corrected in turn.
        for old in list(mine):
            target = old
            while rng.random() < (0.08 if target is old else 0.15):
                fixed = dict(target)
                if rng.random() < 0.5:
                    fixed["seriously_ill"] = not target["seriously_ill"]
                    offset = (target["occurred_on"] - since).days
                else:
                    free = [
                        d
                        for d in range(
                            max(0, (target["occurred_on"] - since).days - 4),
                            min(days, (target["occurred_on"] - since).days + 4) + 1,
                        )
                        if d not in used
                    ]
                    if not free:
                        break
                    offset = rng.choice(free)
                used.discard((target["occurred_on"] - since).days)
                used.add(offset)
                on = since + timedelta(days=offset)
                fixed.update(
                    id=self.id(),
                    occurred_on=on,
                    supersedes_id=target["id"],
                    recorded_on=min(
                        TODAY, max(target["recorded_on"], on) + timedelta(days=rng.randint(1, 20))
                    ),
                )
                out.append(fixed)
                target = fixed
        return since + timedelta(days=picked[0])

    def wishes(  # noqa: C901 (one branch per way a wish is heard)
        self, pid: str, first_since: date, since: date, end: date
    ) -> list[dict[str, Any]]:
        """The person's wish records, numbered in the order they were recorded."""
        rng = self.rng
        heard: list[dict[str, Any]] = []  # with a recording day, numbered at the end

        def statement(on: date, wish: str, lag: int | None = None) -> None:
            lag = rng.choice((0, 0, 0, 1, 2, 5)) if lag is None else lag
            heard.append(
                {
                    "wish": wish,
                    "source": "statement",
                    "role": rng.choice(("welfare", "welfare", "registrar")),
                    "actor": f"bench.welfare{rng.randint(0, 40)}",
                    "stated_on": on,
                    "recorded_on": min(TODAY, on + timedelta(days=lag)),
                    "note": None,
                    "without_witnesses": None,
                    "interpreter": None,
                    "language": None,
                    "risk_on_return": None,
                    "risk_reasons": None,
                }
            )

        def interview(on: date, wish: str, private: bool, lag: int | None = None) -> None:
            lag = rng.choice((0, 0, 1, 1, 2, 3)) if lag is None else lag
            interpreter = rng.random() < 0.6
            heard.append(
                {
                    "wish": wish,
                    "source": "interview",
                    "role": "verifier",
                    "actor": f"bench.verifier{rng.randint(0, 12)}",
                    "stated_on": on,
                    "recorded_on": min(TODAY, on + timedelta(days=lag)),
                    "note": None,
                    "without_witnesses": private,
                    "interpreter": interpreter,
                    "language": rng.choice(LANGUAGES) if interpreter else "uk",
                    "risk_on_return": wish == "stay" and rng.random() < 0.3,
                    "risk_reasons": None,
                }
            )

        def wish(ret: float, stay: float) -> str:
            r = rng.random()
            return "return" if r < ret else "stay" if r < ret + stay else "undecided"

        # Statements to welfare over the custody (and an earlier one).
        if rng.random() < 0.45:
            for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0]):
                statement(self.day_between(first_since, end), wish(0.7, 0.13))
        # Earlier rounds of interviews, months ago.
        if rng.random() < 0.28:
            rounds = [TODAY - timedelta(days=d) for d in OLD_ROUNDS]
            rounds = [d for d in rounds if d >= since]
            for on in rng.sample(rounds, min(len(rounds), rng.choice((1, 1, 2)))):
                interview(on, wish(0.75, 0.15), rng.random() < 0.85)
        # The current round, the last ROUND_DAYS days up to today.
        round_start = max(since, TODAY - timedelta(days=ROUND_DAYS))
        if rng.random() < 0.26 and round_start <= end and end >= TODAY - timedelta(days=ROUND_DAYS):
            day = self.day_between(round_start, min(end, TODAY))
            private = rng.random() < 0.9
            found = wish(0.82, 0.10)
            interview(day, found, private)
            r = rng.random()
            if r < 0.05:
                # Heard again in the round: second thoughts, same or different.
                again = self.day_between(day, TODAY)
                interview(again, found if rng.random() < 0.5 else wish(0.3, 0.4), True)
            elif r < 0.07:
                # An interview of an earlier day of the round, entered after this one.
                before = self.day_between(round_start, day)
                interview(before, wish(0.5, 0.3), True, lag=(day - before).days + rng.randint(1, 3))
            r = rng.random()
            if r < 0.07:
                # Back to welfare after the interview: confirms, or takes it back.
                statement(
                    self.day_between(day, TODAY), found if rng.random() < 0.4 else wish(0.3, 0.5)
                )
            elif r < 0.10:
                # A statement of an earlier day, recorded only after the interview.
                on = self.day_between(max(since, day - timedelta(days=40)), day)
                statement(on, wish(0.3, 0.4), lag=(day - on).days + rng.randint(2, 6))
            elif r < 0.13:
                # Seen again with a guard present: confirms or contradicts.
                interview(
                    self.day_between(day, TODAY),
                    found if rng.random() < 0.5 else wish(0.2, 0.5),
                    False,
                )
            elif r < 0.14:
                # An interview of an old round entered only now (paperwork backlog).
                old = [
                    TODAY - timedelta(days=d)
                    for d in OLD_ROUNDS
                    if TODAY - timedelta(days=d) >= since
                ]
                if old:
                    on = rng.choice(old)
                    interview(on, wish(0.7, 0.2), True, lag=(TODAY - on).days - rng.randint(0, 3))
        # Number in recording order (a stable sort keeps the order heard within a day).
        heard.sort(key=lambda w: w["recorded_on"])
        return [
            {"id": self.id(), "person_id": pid, "number": k, **w}
            for k, w in enumerate(heard, start=1)
        ]


def generate(people: int, seed: int = 20, chunk: int = 2000) -> Iterator[Chunk]:
    """Chunks of rows in insert order, each with the oracle's facts for its people."""
    gen = _Gen(seed)
    for start in range(0, people, chunk):
        out = Chunk()
        for n in range(start, min(people, start + chunk)):
            gen.person(n, out)
        yield out

"""Deterministic synthetic population in custody and its treatment events, for the duties
benchmark. Written from GC III practice and the tables' contract (treatment, custody and
people models), never from the obligations engine or its policy.

Custodies begin over about two years before the benchmark day, more of them lately (the
conflict grew), at some thirty places of internment; a few percent are transferred, some of
the seriously ill go to hospital, and a few percent of custodies end in release,
repatriation or death. Over each custody, at irregular rates:

- capture card (Art. 70): mostly within a week, some late, a few never, a very few dated
  before the capture (a clerk's error);
- data to the Central Tracing Agency (Arts. 122-123): mostly within days, some late, some
  not yet;
- medical examination (Art. 31): roughly monthly with jitter and missed months, nearly
  always by medical staff, now and then recorded by welfare staff; most carry sealed notes;
- correspondence offered (Art. 71): once a month at the camp's mail day, two letters and
  four cards, sometimes fewer, some months missed; letters sent and received now and then;
- visits (Art. 126): each camp is visited by the ICRC or the protecting power every two to
  five months; most people present are seen, most of those in private;
- serious illness or wound (Arts. 30, 122): a few percent; weekly health reports that
  lapse now and then; some recover, some go to hospital;
- mixed medical commission (Arts. 110-113): most of the seriously ill come before one some
  weeks after falling ill, some late, some not yet; their consent to repatriation mostly
  heard and recorded (yes mostly, now and then no), a few not recorded;
- transfer notice (Art. 48): after a transfer, the notice of it and the new address mostly
  within days, some late, a few never;
- labour (Arts. 49-57): a share of the people work, a monthly record of hours;
- complaints (Art. 78): rare;
- proceedings (Arts. 82-108): rare, with a trial day and the notice to the protecting power
  (mostly three weeks ahead or more, some late, some not given yet);
- death (Arts. 120-122): a death certificate by medical staff mostly within days (the cause
  known in most, unknown in some, another person involved in a few; notes sealed), the
  notification to the bureau and the CTA mostly within a week, and where the cause is
  unknown or another person was involved an official inquiry within weeks (Art. 121), some
  late, some never; all dated on or after the death;
- corrections: about one event in fifty is superseded by a corrected one, recorded later.

Rows come in chunks of custodies, ready for Core `insert()`, so nothing holds the whole
population in memory.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from safeconduct.security.sealing import Sealed

TODAY = date(2026, 10, 1)
SPAN_DAYS = 730
CAMPS = tuple(f"Bench Camp {n:02d}" for n in range(1, 31))
HOSPITALS = ("Bench Military Hospital 1", "Bench Military Hospital 2")
ACTORS = {
    "medical": [f"bench.doctor{n}" for n in range(40)],
    "registrar": [f"bench.registrar{n}" for n in range(20)],
    "welfare": [f"bench.welfare{n}" for n in range(40)],
}


def _blob(size: int) -> Sealed:
    """A fixed, well-formed but unopenable envelope (version 2, key id, nonce, body)."""
    return Sealed(bytes([2]) + bytes(16) + bytes(12) + bytes(size))


CIRCUMSTANCES = _blob(256 + 16)  # circumstances pad to a fixed size
NOTES = _blob(256 + 16)  # one padded block and the tag
DEATH_DETAILS = _blob(256 + 16)
# Kinds dated on or after the death, so past the custody's end (Arts. 120-121).
AFTER_DEATH = ("death_certificate", "death_notification", "death_inquiry")


@dataclass
class Chunk:
    persons: list[dict[str, Any]] = field(default_factory=list)
    custodies: list[dict[str, Any]] = field(default_factory=list)
    custody_events: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Camp:
    mail_day: int  # day of the month mail is offered
    visits: list[date]  # days a neutral body visited


def _camps(rng: random.Random) -> dict[str, _Camp]:
    camps = {}
    first = TODAY - timedelta(days=SPAN_DAYS + 60)
    for name in CAMPS:
        visits, day = [], first + timedelta(days=rng.randint(0, 120))
        while day <= TODAY:
            visits.append(day)
            day += timedelta(days=rng.randint(60, 150))
        camps[name] = _Camp(mail_day=rng.randint(1, 28), visits=visits)
    return camps


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.camps = _camps(self.rng)
        # Bigger camps take more people (Zipf-ish weights).
        self.weights = [1 / (n + 1) ** 0.6 for n in range(len(CAMPS))]

    def id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def lag(self) -> int:
        """Days between a fact and its recording: mostly the same week."""
        r = self.rng.random()
        return 0 if r < 0.5 else self.rng.randint(1, 6) if r < 0.95 else self.rng.randint(7, 40)

    def within(
        self, day: date, soon: tuple[int, int], late: tuple[int, int], p_soon: float, p_late: float
    ) -> date | None:
        """A day `soon` days after `day` mostly, `late` days now and then, else none yet."""
        r = self.rng.random()
        if r < p_soon:
            return day + timedelta(days=self.rng.randint(*soon))
        if r < p_soon + p_late:
            return day + timedelta(days=self.rng.randint(*late))
        return None

    def event(
        self,
        out: list[dict[str, Any]],
        custody_id: str,
        kind: str,
        on: date,
        role: str,
        **facts: Any,
    ) -> None:
        recorded = min(TODAY, on + timedelta(days=self.lag()))
        row = {
            "id": self.id(),
            "custody_id": custody_id,
            "kind": kind,
            "occurred_on": on,
            "recorded_on": recorded,
            "actor": self.rng.choice(ACTORS[role]),
            "role": role,
            "supersedes_id": None,
            "seriously_ill": None,
            "private_interview": None,
            "letters": None,
            "cards": None,
            "hours": None,
            "trial_on": None,
            "notice_on": None,
            "consent": None,
            "cause_known": None,
            "other_person_involved": None,
            "notes": None,
        }
        row.update(facts)
        out.append(row)

    def custody(self, n: int, chunk: Chunk) -> None:
        rng = self.rng
        person_id, custody_id = self.id(), self.id()
        # More captures lately: the conflict grew.
        since = TODAY - timedelta(days=int(SPAN_DAYS * rng.random() ** 1.6))
        place = first_place = rng.choices(CAMPS, self.weights)[0]
        chunk.persons.append(
            {
                "id": person_id,
                "surname": f"Bench-{n:06d}",
                "given_names": "Test",
                "patronymic": None,
                "date_of_birth": str(rng.randint(1965, 2006)),
                "rank": rng.choice(("private", "private", "private", "sergeant", "lieutenant")),
                "service_number": f"BN{n:08d}",
                "sex": "male" if rng.random() < 0.95 else "female",
                "nationality": "Benchland",
                "registered_on": min(TODAY, since + timedelta(days=rng.randint(0, 10))),
                "updated_on": min(TODAY, since + timedelta(days=rng.randint(0, 30))),
            }
        )
        # The custody's life: where and until when, as custody events.
        steps: list[tuple[str, date, str | None]] = []
        status = "held"
        end = TODAY
        days = (TODAY - since).days
        if days > 30 and rng.random() < 0.06:
            moved = since + timedelta(days=rng.randint(7, days - 1))
            new_place = rng.choices([c for c in CAMPS if c != place], self.weights[1:])[0]
            steps.append(("transfer", moved, new_place))
            place = new_place
        seriously_ill = days > 10 and rng.random() < 0.04
        ill_from = since + timedelta(days=rng.randint(0, max(0, days - 1)))
        ill_to: date | None = None
        if seriously_ill:
            if rng.random() < 0.4:
                ill_to = ill_from + timedelta(days=rng.randint(14, 120))
                ill_to = ill_to if ill_to < TODAY else None
            if rng.random() < 0.5 and (not steps or steps[-1][1] < ill_from):
                steps.append(("hospitalisation", ill_from, rng.choice(HOSPITALS)))
                status = "hospitalised"
                if ill_to is not None:
                    steps.append(("discharge", ill_to, None))
                    status = "held"
        r = rng.random()
        last = steps[-1][1] if steps else since
        if (TODAY - last).days > 20 and r < 0.045:
            end = last + timedelta(days=rng.randint(10, (TODAY - last).days))
            if seriously_ill and rng.random() < 0.3:
                ending = "death" if rng.random() < 0.3 else "repatriation"
            else:
                ending = "release" if r < 0.02 else "repatriation" if r < 0.04 else "death"
            steps.append((ending, end, None))
            status = {"release": "released", "repatriation": "repatriated"}.get(ending, "deceased")
            if ill_to is not None and ill_to > end:
                ill_to = None
        for number, (kind, on, at) in enumerate(steps, start=1):
            chunk.custody_events.append(
                {
                    "id": self.id(),
                    "custody_id": custody_id,
                    "number": number,
                    "kind": kind,
                    "occurred_on": on,
                    "recorded_on": min(TODAY, on + timedelta(days=self.lag())),
                    "actor": rng.choice(ACTORS["registrar"]),
                    "reason": "bench",
                    "place": at,
                    "details": DEATH_DETAILS if kind == "death" else None,
                }
            )
        chunk.custodies.append(
            {
                "id": custody_id,
                "person_id": person_id,
                "since": since,
                "place_of_internment": place,
                "status": status,
                "circumstances": CIRCUMSTANCES,
                "recorded_on": min(TODAY, since + timedelta(days=rng.randint(0, 5))),
            }
        )
        self.treatment(
            chunk.events,
            custody_id,
            since,
            end,
            first_place,
            steps,
            seriously_ill,
            ill_from,
            ill_to,
        )

    def treatment(  # noqa: C901 (one rate per kind of event, in GC III order)
        self,
        out: list[dict[str, Any]],
        cid: str,
        since: date,
        end: date,
        first_place: str,
        steps: list[tuple[str, date, str | None]],
        seriously_ill: bool,
        ill_from: date,
        ill_to: date | None,
    ) -> None:
        rng = self.rng
        mine: list[dict[str, Any]] = []
        # Art. 70: capture card.
        r = rng.random()
        if r < 0.85:
            on = since + timedelta(days=rng.randint(0, 7))
        elif r < 0.94:
            on = since + timedelta(days=rng.randint(8, 45))
        elif r < 0.945:
            on = since - timedelta(days=rng.randint(1, 5))
        else:
            on = None
        if on is not None and on <= end:
            self.event(mine, cid, "capture_card", on, "registrar")
        # Arts. 122-123: to the Central Tracing Agency.
        r = rng.random()
        on = (
            since + timedelta(days=rng.randint(1, 7))
            if r < 0.78
            else since + timedelta(days=rng.randint(8, 90))
            if r < 0.95
            else None
        )
        if on is not None and on <= end:
            self.event(mine, cid, "cta_notification", on, "registrar")
        # Art. 31: medical examinations, roughly monthly; the first within days.
        on = since + timedelta(days=rng.randint(0, 10))
        while on <= end:
            if rng.random() < 0.92:
                role = "medical" if rng.random() < 0.985 else "welfare"
                notes = NOTES if rng.random() < 0.7 else None
                self.event(mine, cid, "medical_examination", on, role, notes=notes)
            on += timedelta(days=rng.randint(24, 38) if rng.random() < 0.9 else rng.randint(40, 75))
        # Art. 71: correspondence offered on the camp's mail day, some months missed.
        places = [(since, first_place)]
        places += [(on, at) for kind, on, at in steps if kind == "transfer" and at]
        month = date(since.year, since.month, 1)
        while month <= end:
            at = [p for d, p in places if d <= month.replace(day=28)]
            mail = month.replace(day=self.camps[at[-1] if at else first_place].mail_day)
            if since <= mail <= end and rng.random() < 0.88:
                letters, cards = (2, 4) if rng.random() < 0.9 else (1, rng.randint(1, 4))
                self.event(mine, cid, "mail_offered", mail, "welfare", letters=letters, cards=cards)
                if rng.random() < 0.15:
                    sent = mail + timedelta(days=rng.randint(0, 10))
                    if sent <= end:
                        self.event(
                            mine, cid, "mail_sent", sent, "welfare", letters=rng.randint(0, 2),
                            cards=rng.randint(0, 4),
                        )  # fmt: skip
            if rng.random() < 0.1:
                got = month + timedelta(days=rng.randint(0, 27))
                if since <= got <= end:
                    self.event(
                        mine, cid, "mail_received", got, "welfare", letters=rng.randint(0, 3),
                        cards=rng.randint(0, 3),
                    )  # fmt: skip
            month = (month + timedelta(days=32)).replace(day=1)
        # Art. 126: visits to the camp the person was in on the day.
        for d, p in places:
            upto = next((d2 for d2, _ in places if d2 > d), end)
            for visit in self.camps[p].visits:
                if d <= visit <= min(upto, end) and rng.random() < 0.9:
                    private = rng.random() < 0.8
                    self.event(mine, cid, "visit", visit, "welfare", private_interview=private)
        # Arts. 30, 122: serious illness or wound and weekly reports while it lasts.
        if seriously_ill and ill_from <= end:
            self.event(mine, cid, "health_status", ill_from, "medical", seriously_ill=True)
            stop = min(end, ill_to or end)
            on = ill_from + timedelta(days=rng.randint(1, 7))
            while on <= stop:
                if rng.random() < 0.85:
                    self.event(mine, cid, "health_report", on, "medical", notes=NOTES)
                on += timedelta(days=7 if rng.random() < 0.8 else rng.randint(8, 20))
            if ill_to is not None and ill_to <= end:
                self.event(mine, cid, "health_status", ill_to, "medical", seriously_ill=False)
            self.commission(mine, cid, end, ill_from, ill_to)
        # Art. 48: notice of a transfer and the new address.
        for kind, moved, _ in steps:
            if kind == "transfer":
                on = self.within(moved, (0, 6), (7, 45), 0.85, 0.11)
                if on is not None and on <= end:
                    self.event(mine, cid, "transfer_notice", on, "registrar")
        # Arts. 49-57: labour, a monthly record of hours for those who work.
        if rng.random() < 0.2:
            on = since + timedelta(days=rng.randint(20, 60))
            while on <= end:
                self.event(mine, cid, "labour", on, "welfare", hours=rng.randint(40, 200))
                on += timedelta(days=rng.randint(28, 34))
        # Art. 78: complaints, rare.
        if rng.random() < 0.05:
            on = since + timedelta(days=rng.randint(0, max(0, (end - since).days)))
            self.event(mine, cid, "complaint", on, "welfare", notes=NOTES)
        # Arts. 82-108: proceedings, rare; Art. 104 notice mostly three weeks ahead.
        if rng.random() < 0.006 and (end - since).days > 30:
            opened = since + timedelta(days=rng.randint(10, (end - since).days))
            trial = opened + timedelta(days=rng.randint(20, 120))
            r = rng.random()
            notice = (
                trial - timedelta(days=rng.randint(21, 60))
                if r < 0.75
                else trial - timedelta(days=rng.randint(1, 20))
                if r < 0.9
                else None
            )
            if notice is not None and (notice > TODAY or notice < opened):
                notice = opened if notice < opened else None
            self.event(
                mine, cid, "proceedings", opened, "registrar", trial_on=trial, notice_on=notice
            )
        # Arts. 120-122: what follows a death.
        if steps and steps[-1][0] == "death":
            self.death(mine, cid, end)
        # Corrections: about one in fifty, a new event superseding the old, recorded later.
        corrections = []
        for old in mine:
            if rng.random() < 0.02:
                fixed = dict(old)
                shift = rng.randint(-3, 3)
                lo, hi = (end, TODAY) if old["kind"] in AFTER_DEATH else (since, end)
                on = max(lo, min(hi, old["occurred_on"] + timedelta(days=shift)))
                fixed.update(
                    id=self.id(),
                    occurred_on=on,
                    recorded_on=min(TODAY, max(old["recorded_on"], on) + timedelta(days=3)),
                    supersedes_id=old["id"],
                )
                corrections.append(fixed)
        out.extend(mine)
        out.extend(corrections)

    def commission(
        self, out: list[dict[str, Any]], cid: str, end: date, ill_from: date, ill_to: date | None
    ) -> None:
        """Arts. 110-113: before a mixed medical commission some weeks after falling ill,
        while still ill; the person's consent to repatriation heard, now and then unrecorded."""
        rng = self.rng
        on = self.within(ill_from, (14, 56), (57, 180), 0.75, 0.13)
        if on is None or on > min(end, ill_to or end):
            return
        r = rng.random()
        consent = True if r < 0.82 else False if r < 0.93 else None
        notes = NOTES if rng.random() < 0.8 else None
        self.event(out, cid, "medical_commission", on, "medical", consent=consent, notes=notes)

    def death(self, out: list[dict[str, Any]], cid: str, died: date) -> None:
        """Arts. 120-122: certificate, notification and, where the cause is unknown or another
        person was involved, an official inquiry; dated from the death to TODAY at most."""
        rng = self.rng
        cause_known = rng.random() < 0.86
        other_person = rng.random() < 0.06
        # Art. 120: the death certificate, by medical staff, the cause sealed in its notes.
        on = self.within(died, (0, 3), (4, 30), 0.88, 0.08)
        if on is not None and on <= TODAY:
            self.event(
                out, cid, "death_certificate", on, "medical", cause_known=cause_known,
                other_person_involved=other_person, notes=NOTES,
            )  # fmt: skip
        # Arts. 120, 122: notification to the bureau and the Central Tracing Agency.
        on = self.within(died, (0, 7), (8, 40), 0.87, 0.09)
        if on is not None and on <= TODAY:
            self.event(out, cid, "death_notification", on, "registrar")
        # Art. 121: an official inquiry where the cause is unknown or another person was involved.
        if not cause_known or other_person:
            on = self.within(died, (7, 42), (43, 150), 0.72, 0.15)
            if on is not None and on <= TODAY:
                self.event(out, cid, "death_inquiry", on, "registrar")


def generate(people: int, seed: int = 10, chunk: int = 2000) -> Iterator[Chunk]:
    """Chunks of persons, custodies, custody events and treatment events, in insert order."""
    gen = _Gen(seed)
    for start in range(0, people, chunk):
        out = Chunk()
        for n in range(start, min(people, start + chunk)):
            gen.custody(n, out)
        yield out

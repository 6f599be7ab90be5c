"""The bureau benchmark's population: made through the services, valid, and as described."""

from __future__ import annotations

import json
from collections import Counter

from bench.bureau_data import HOSTILE, NAME_LIMIT, Planner, populate

from safeconduct import clock
from safeconduct.custody import policy
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import CustodyEventKind, CustodyStatus
from safeconduct.people import family
from safeconduct.people import service as people_service
from safeconduct.people.schemas import FamilyDetails
from safeconduct.runtime import Runtime

NAME_FIELDS = ("surname", "given_names", "patronymic", "place_of_birth")


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in text)


def test_fifty_people_are_registered_with_a_valid_custody_each(rt: Runtime) -> None:
    population = populate(rt, people=50, seed=3, batch=20)

    assert len(set(population.person_ids)) == 50
    assert len(set(population.custody_ids)) == 50
    assert population.counts["people"] == 50
    assert population.counts["voluntary"] + population.counts["captured"] == 50
    today = clock.today()
    statuses: Counter[str] = Counter()
    with rt.transaction() as s:
        for person_id in population.person_ids:
            (custody,) = custody_service.list_for_person(s, person_id=person_id)
            assert custody.id in population.custody_ids
            assert custody.since <= today
            events = custody_service.events(s, custody_id=custody.id)
            days = [e.occurred_on for e in events]
            assert days == sorted(days)
            assert all(custody.since <= d <= today for d in days)
            kinds = [CustodyEventKind(e.kind) for e in events]
            assert custody.status == policy.replay(kinds).value
            statuses[custody.status] += 1
    assert sum(population.counts[f"status_{s.value}"] for s in CustodyStatus) == 50
    assert all(population.counts[f"status_{k}"] == n for k, n in statuses.items())


def test_every_hostile_value_is_stored_as_given(rt: Runtime) -> None:
    population = populate(rt, people=len(HOSTILE) + 5, seed=4)

    stored: set[str] = set()
    with rt.transaction() as s:
        for person_id in population.person_ids:
            person = people_service.get_or_raise(s, person_id=person_id)
            stored |= {getattr(person, n) for n in NAME_FIELDS if getattr(person, n)}
    for _field, value in HOSTILE:
        if value != "long":
            assert value in stored
    longest = [v for v in stored if len(v) == NAME_LIMIT]
    assert len(longest) >= 4
    assert all(_is_cyrillic(v) and v[-1].isalpha() for v in longest)


def test_family_details_are_sealed_for_those_who_gave_them(rt: Runtime) -> None:
    population = populate(rt, people=50, seed=5)

    sealed = 0
    with rt.transaction() as s:
        for person_id in population.person_ids:
            person = people_service.get_or_raise(s, person_id=person_id)
            if person.family is None:
                continue
            sealed += 1
            opened = rt.keyring.open(s, sealed=person.family, field=family.field_of(person.id))
            FamilyDetails.model_validate(json.loads(opened))
    assert sealed == population.counts["family"] > 0


def test_the_plan_is_deterministic_and_mixed_as_described() -> None:
    day = clock.today()
    first = [Planner(7, day).plan(i) for i in range(3)]
    again = [Planner(7, day).plan(i) for i in range(3)]
    assert [p.person.model_dump() for p in first] == [p.person.model_dump() for p in again]

    planner = Planner(8, day)
    plans = [planner.plan(i) for i in range(3000)]
    tags = Counter(t for p in plans for t in p.tags)
    n = len(plans)
    for tag, share in (
        ("latin", 0.30),
        ("family", 0.50),
        ("voluntary", 0.50),
        ("dob_full", 0.80),
        ("no_patronymic", 0.15),
        ("place_of_birth", 0.60),
    ):
        assert abs(tags[tag] / n - share) < 0.04, tag
    with_events = sum(bool(p.events) for p in plans)
    assert abs(with_events / n - 0.30) < 0.04
    for plan in plans:
        latin = "latin" in plan.tags
        assert (plan.person.name_original_script is not None) == latin
        if latin:
            assert not _is_cyrillic(plan.person.surname)
            assert _is_cyrillic(plan.person.name_original_script or "")
        assert plan.since <= day
        assert plan.circumstances.place
        assert plan.circumstances.how

"""The incremental scorer agrees with Splink: same blocked pairs, same probabilities."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pytest
import tracing_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.tracing import splink_model
from safeconduct.tracing.dates import PartialDate
from safeconduct.tracing.engines import DuckDBEngine
from safeconduct.tracing.features import COLUMNS, feature_record
from safeconduct.tracing.pairs import (
    DEFAULT_PRIOR,
    MAX_KEY,
    blocked,
    blocking_keys,
    keyspace,
    score,
)
from safeconduct.tracing.predicates import compiled, damerau_levenshtein, within_edits

Rec = dict[str, Any]
# Spellings chosen to collide: transliterations, national forms, typos,
# swapped order, initials, partial and shifted dates.
SURNAMES = ["Щербаков", "Shcherbakov", "Shcherbakv", "Schtscherbakow", "Иванов", "Ivanov"]
SURNAMES += ["Ivanv", "Kovalenko", "Коваленко", "Sergei", "Ivan", ""]
GIVENS = ["Сергей", "Sergei", "Serhii", "Sergej", "Serge", "Иван", "Ivan", "Іван", "Ivn"]
GIVENS += ["Shcherbakov", "Ivanov", "Oleksandr", "Aleksandr", ""]
PATRONYMICS = ["Петрович", "Petrovych", "P.", "Pyotrovich", "Ivanovich", "I.", "Іванович", ""]
DATES = ["1990-04-12", "1990-12-04", "1990-04-13", "1990-04-11", "1990-04", "1990", "1991-04-12"]
DATES += ["1989-04", "1972-09-30", "1972", ""]

PEOPLE = st.tuples(
    st.sampled_from(SURNAMES),
    st.sampled_from(GIVENS),
    st.sampled_from(PATRONYMICS),
    st.sampled_from(DATES),
)
SIDES = st.tuples(
    st.lists(PEOPLE, min_size=1, max_size=30), st.lists(PEOPLE, min_size=1, max_size=30)
)
SLOW = settings(deadline=None, max_examples=12, suppress_health_check=[HealthCheck.too_slow])


def _records(prefix: str, people: Sequence[tuple[str, str, str, str]]) -> list[Rec]:
    return [
        feature_record(f"{prefix}{i}", s, g, p, PartialDate.parse(d))
        for i, (s, g, p, d) in enumerate(people)
    ]


def _columns(records: list[Rec]) -> dict[str, list[Any]]:
    return {c: [r[c] for r in records] for c in COLUMNS}


@contextmanager
def _linker(left: list[Rec], right: list[Rec], model: Any) -> Iterator[Any]:
    from splink import Linker

    engine = DuckDBEngine()
    try:
        tables = [
            engine.load("registry", _columns(left), role="registry"),
            engine.load("inquiries", _columns(right), role="inquiries"),
        ]
        yield Linker(tables, model, log_level=None)
    finally:
        engine.close()


def _predict(left: list[Rec], right: list[Rec], model: Any) -> dict[tuple[str, str], Rec]:
    with _linker(left, right, model) as linker:
        rows = linker.inference.predict(threshold_match_probability=None).as_record_list()
    out = {}
    for row in rows:
        ids = {
            row["source_dataset_l"]: row["unique_id_l"],
            row["source_dataset_r"]: row["unique_id_r"],
        }
        out[(ids["registry"], ids["inquiries"])] = row
    return out


def _settings(*, every_pair: bool, prior: float = DEFAULT_PRIOR) -> Any:
    creator = splink_model.settings(link_type="link_only", prior=prior, term_frequencies=False)
    if every_pair:
        creator.blocking_rules_to_generate_predictions = ["1 = 1"]
        creator.retain_intermediate_calculation_columns = True
    return creator


def _check_blocking(left: list[Rec], right: list[Rec]) -> None:
    splink_pairs = set(_predict(left, right, _settings(every_pair=False)))
    ours = {(a["unique_id"], b["unique_id"]) for a in left for b in right if blocked(a, b)}
    assert splink_pairs == ours
    for a in left:
        for b in right:
            shared = blocking_keys(a, side="registry") & blocking_keys(b, side="inquiry")
            if (a["unique_id"], b["unique_id"]) in splink_pairs:
                assert shared, (a, b)
            # The live matcher tests only the rules whose keys the two share.
            assert blocked(a, b, {keyspace(k) for k in shared}) == blocked(a, b), (a, b)
            # A rule that needs details missing on one side keys that exactly.
            if any(keyspace(k) == "names_only" for k in shared):
                assert blocked(a, b, {"names_only"}), (a, b)


@SLOW
@given(SIDES)
def test_every_pair_splink_blocks_shares_a_key(sides: tuple[list[Any], list[Any]]) -> None:
    _check_blocking(_records("R", sides[0]), _records("Q", sides[1]))


@settings(deadline=None, max_examples=3)
@given(st.integers(min_value=0, max_value=10_000))
def test_benchmark_population_blocks_the_same(seed: int) -> None:
    people, inquiries = tracing_data.generate(300, 300, seed=seed)
    left = _records("R", [(p.surname, p.given, p.patronymic, p.dob) for p in people])
    right = _records("Q", [(q.surname, q.given, q.patronymic, q.dob) for q in inquiries])
    _check_blocking(left, right)


def _level_weight(saved: Any, name: str, label: str) -> float:
    if label == "null":
        return 0.0
    if saved is None:
        level = next(lv for lv in splink_model.LEVELS[name] if lv.label == label)
        return math.log2(level.m / level.u)
    comparison = next(c for c in saved["comparisons"] if c["output_column_name"] == name)
    found = next(lv for lv in comparison["comparison_levels"] if lv["label_for_charts"] == label)
    return math.log2(found["m_probability"] / found["u_probability"])


def _check_scores(left: list[Rec], right: list[Rec], model: Any, saved: Any = None) -> None:
    by_id = {r["unique_id"]: r for r in left + right}
    predictions = _predict(left, right, model)
    assert len(predictions) == len(left) * len(right)
    for (lid, rid), row in predictions.items():
        ours = score(by_id[lid], by_id[rid], saved)
        assert ours.probability == pytest.approx(row["match_probability"], abs=1e-6, rel=1e-6)
        # Splink keeps each comparison's weight: the level we chose must carry it.
        for name in splink_model.LEVELS:
            weight = _level_weight(saved, name, ours.levels[name])
            assert weight == pytest.approx(row[f"mw_{name}"], abs=1e-9), name


@SLOW
@given(SIDES)
def test_score_equals_splink_under_the_prior_model(sides: tuple[list[Any], list[Any]]) -> None:
    _check_scores(_records("R", sides[0]), _records("Q", sides[1]), _settings(every_pair=True))


@SLOW
@given(SIDES, st.integers(min_value=0, max_value=2**32 - 1))
def test_score_equals_splink_under_a_saved_model(
    sides: tuple[list[Any], list[Any]], seed: int
) -> None:
    left, right = _records("R", sides[0]), _records("Q", sides[1])
    with _linker(left, right, _settings(every_pair=True, prior=1e-3)) as linker:
        model = linker.misc.save_model_to_json()
    rng = random.Random(seed)
    # A trained model moves m and u: draw new ones so the saved values, not the priors, count.
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                level["m_probability"] = rng.uniform(1e-4, 1)
                level["u_probability"] = rng.uniform(1e-6, 1)
    _check_scores(left, right, model, model)


def test_score_reports_levels_and_weight() -> None:
    sergei = feature_record("1", "Щербаков", "Сергей", "Петрович", PartialDate.parse("1990-04-12"))
    swapped = feature_record("2", "Sergei", "Shcherbakov", "", PartialDate.parse("1990-04-12"))
    result = score(sergei, swapped)
    assert result.levels == {
        "name": "surname and given name swapped",
        "patronymic": "null",
        "dob": "exact date of birth",
    }
    assert result.weight > 20
    assert 0.5 < result.probability < 1
    lower = score(sergei, swapped, prior=DEFAULT_PRIOR / 100).probability
    assert lower < result.probability


def test_a_model_from_another_engine_is_refused() -> None:
    rec = feature_record("1", "Ivanov", "Ivan", "", PartialDate.parse("1990"))
    model = {"probability_two_random_records_match": 0.1, "comparisons": []}
    with pytest.raises(KeyError):
        score(rec, rec, model)
    model["comparisons"] = [
        {"output_column_name": name, "comparison_levels": [{"label_for_charts": "x"}]}
        for name in splink_model.LEVELS
    ]
    with pytest.raises(ValueError, match="levels"):
        score(rec, rec, model)


@given(PEOPLE)
def test_keys_are_few_short_and_prefixed(person: tuple[str, str, str, str]) -> None:
    keys = blocking_keys(_records("R", [person])[0], side="inquiry")
    names = {rule.name for rule in splink_model.BLOCKING_RULES}
    assert len(keys) <= 12
    assert all(len(k) <= MAX_KEY and k.split(":")[0] in names for k in keys)


def test_long_names_make_short_keys() -> None:
    long = "Щербаков" * 40
    rec = feature_record("1", long, long, long, PartialDate.parse("1990-04-12"))
    keys = blocking_keys(rec, side="registry")
    assert keys
    assert all(len(k) <= MAX_KEY for k in keys)
    assert keys == blocking_keys(dict(rec, unique_id="2"), side="registry")


_PREDICATES = [
    *(level.when for levels in splink_model.LEVELS.values() for level in levels if level.when),
    *splink_model.NULL_LEVELS.values(),
    *(rule.narrow for rule in splink_model.BLOCKING_RULES if rule.narrow),
]


@settings(max_examples=300)
@given(PEOPLE, PEOPLE)
def test_compiled_predicates_read_as_written(
    a: tuple[str, str, str, str], b: tuple[str, str, str, str]
) -> None:
    left, right = _records("L", [a])[0], _records("R", [b])[0]
    for predicate in _PREDICATES:
        assert compiled(predicate)(left, right) == predicate(left, right), predicate.sql()


_WORDS = st.text(alphabet="abcz", max_size=7)


@settings(max_examples=300)
@given(_WORDS, _WORDS)
def test_damerau_levenshtein_is_duckdbs(a: str, b: str) -> None:
    expected = _DUCK.execute("SELECT damerau_levenshtein(?, ?)", [a, b]).fetchone()
    assert expected is not None
    assert damerau_levenshtein(a, b) == expected[0]


@settings(max_examples=500)
@given(_WORDS, _WORDS, st.integers(min_value=0, max_value=3))
def test_within_edits_is_the_distance_bounded(a: str, b: str, most: int) -> None:
    assert within_edits(a, b, most) == (damerau_levenshtein(a, b) <= most)


@settings(max_examples=300)
@given(_WORDS, st.data())
def test_within_one_edit_finds_every_single_slip(a: str, data: st.DataObject) -> None:
    # Slips near each other's spot are the boundary cases: make them directly.
    i = data.draw(st.integers(min_value=0, max_value=len(a)))
    slips = [a[:i] + "q" + a[i:], a[:i] + a[i + 1 :], a[:i] + "q" + a[i + 1 :]]
    if i + 1 < len(a):
        slips.append(a[:i] + a[i + 1] + a[i] + a[i + 2 :])
    assert all(within_edits(a, b, 1) and within_edits(b, a, 1) for b in slips)


_DUCK = duckdb.connect()

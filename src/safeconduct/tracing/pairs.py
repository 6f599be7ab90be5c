"""Score one pair of people without Splink: blocking keys and Fellegi-Sunter weights.

For the live application: one new inquiry against the registry, or one new
registration against every open inquiry. Look up candidates that share a
blocking key, keep those ``blocked`` says Splink would compare, and ``score``
them. Levels and rules come from splink_model, whose predicates render the
SQL Splink runs, so the two agree by construction (and tests check it).

Records are ``features.feature_record(...)`` dicts. Pure Python: no I/O.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from safeconduct.tracing import splink_model
from safeconduct.tracing.splink_matcher import MIN_POPULATION, PRIOR_SHARE_IN_REGISTRY

# The prior SplinkMatcher uses for a registry of MIN_POPULATION people or fewer.
DEFAULT_PRIOR = PRIOR_SHARE_IN_REGISTRY / MIN_POPULATION
MAX_KEY = 120
# Splink clamps m and u away from zero before taking logs, and reads a level
# never seen in training as this probability.
_CLAMP = 1e-300
_NOT_OBSERVED = 1e-6


@dataclass(frozen=True, slots=True)
class PairScore:
    """A pair's match probability, its total log2 Bayes factor, and the level per comparison.

    ``weight`` excludes the prior: ``probability`` is the prior odds times ``2**weight``,
    turned back into a probability.
    """

    probability: float
    weight: float
    levels: dict[str, str]


def blocking_keys(record: Mapping[str, Any]) -> frozenset[str]:
    """Return keys such that any two records Splink would compare share one.

    One key per blocking rule whose columns are all known, ``rule:values``.
    A rule's narrowing predicate is not part of the key (so keys over-generate:
    check ``blocked`` on the candidates they bring).
    """
    keys = set()
    for rule in splink_model.BLOCKING_RULES:
        # A record may stand on either side of a rule that crosses columns.
        for side in (0, 1):
            values = [record[pair[side]] for pair in rule.pairs()]
            if all(v is not None for v in values):
                prefix = rule.keyspace or rule.name
                keys.add(_short(f"{prefix}:" + "|".join(str(v) for v in values)))
    return frozenset(keys)


def _short(key: str) -> str:
    # A long name would make a long key: keep the rule prefix, hash the rest.
    if len(key) <= MAX_KEY:
        return key
    prefix, _, rest = key.partition(":")
    return f"{prefix}:#{hashlib.blake2b(rest.encode(), digest_size=16).hexdigest()}"


def blocked(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Tell whether Splink's blocking rules would compare the two records."""
    return any(rule.holds(left, right) for rule in splink_model.BLOCKING_RULES)


def score(
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    model: Mapping[str, Any] | None = None,
    *,
    prior: float | None = None,
) -> PairScore:
    """Score a pair as Splink's ``predict`` would, without term frequencies.

    ``model`` is a saved Splink model (``SplinkMatcher.trained_model``); without
    one the levels' prior m and u are used. ``prior`` is the chance that two
    random records match: by default the model's, or DEFAULT_PRIOR.
    """
    weights = _model_weights(model) if model is not None else _PRIOR_WEIGHTS
    if prior is None:
        prior = (
            float(model["probability_two_random_records_match"])
            if model is not None
            else DEFAULT_PRIOR
        )
    total, labels = 0.0, {}
    for name, levels in splink_model.LEVELS.items():
        if splink_model.NULL_LEVELS[name](left, right):
            labels[name] = "null"
            continue
        index = next(i for i, level in enumerate(levels) if level.holds(left, right))
        labels[name] = levels[index].label
        total += weights[name][index]
    return PairScore(_probability(total, prior), total, labels)


def _probability(weight: float, prior: float) -> float:
    # As Splink's SQL: whichever form cannot overflow.
    total = math.log2(prior / (1 - prior)) + weight
    if total >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -total))
    odds = math.pow(2.0, total)
    return odds / (1.0 + odds)


def _weight(m: Any, u: Any) -> float:
    def prob(value: Any) -> float:
        if isinstance(value, str):  # "level not observed in training dataset"
            return _NOT_OBSERVED
        if value is None:
            raise ValueError("the model has a level without m or u")
        return max(float(value), _CLAMP)

    return math.log2(prob(m) / prob(u))


_PRIOR_WEIGHTS = {
    name: [_weight(level.m, level.u) for level in levels]
    for name, levels in splink_model.LEVELS.items()
}


def _model_weights(model: Mapping[str, Any]) -> dict[str, list[float]]:
    by_name = {c["output_column_name"]: c for c in model["comparisons"]}
    weights = {}
    for name, levels in splink_model.LEVELS.items():
        saved = [lv for lv in by_name[name]["comparison_levels"] if not lv.get("is_null_level")]
        labels = [lv.get("label_for_charts") for lv in saved]
        if labels != [level.label for level in levels]:
            raise ValueError(f"the model's {name!r} levels are not this engine's")
        weights[name] = [_weight(lv.get("m_probability"), lv.get("u_probability")) for lv in saved]
    return weights

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
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from safeconduct.tracing import predicates, splink_model
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


# The scheme of blocking keys: stored keys of an older scheme are made again (for inquiries,
# see inquiries.models.Inquiry.keys_version). 2: a rule's missing details are in its keys.
KEYS_VERSION = 2
# A registered person's keys and an inquiry's differ only where a rule needs a detail to be
# missing on one side or the other (splink_model.BlockingRule.missing_either).
KeySide = Literal["registry", "inquiry"]


def blocking_keys(record: Mapping[str, Any], *, side: KeySide) -> frozenset[str]:
    """Return keys such that a registered person and an inquiry Splink would compare share
    one: ``side="registry"`` for the person's, ``side="inquiry"`` for the inquiry's.

    One key per blocking rule whose columns are all known, ``rule:values``;
    a rule that needs details missing on either side adds which ones the person
    lacks, and the inquiry asks for each pattern it would be compared with.
    Keys may still over-generate (a name shortened by a hash, a rule across
    columns): check ``blocked`` on the candidates they bring.
    """
    keys: set[str] = set()
    for rule in splink_model.BLOCKING_RULES:
        # A record may stand on either side of a rule that crosses columns.
        for end in (0, 1):
            values = [record[pair[end]] for pair in rule.pairs()]
            if all(v is not None for v in values):
                prefix = rule.keyspace or rule.name
                base = f"{prefix}:" + "|".join(str(v) for v in values)
                keys.update(_short(base + lacks) for lacks in _lacking(rule, record, side))
    return frozenset(keys)


def _lacking(
    rule: splink_model.BlockingRule, record: Mapping[str, Any], side: KeySide
) -> list[str]:
    """The key suffixes of a rule's missing-detail patterns: the person's own pattern (1 for
    each detail it lacks), or every person's pattern an inquiry would be compared with (it
    may have the detail only where the inquiry lacks it)."""
    if not rule.missing_either:
        return [""]
    lacks = [record[column] is None for column in rule.missing_either]
    if side == "registry":
        return ["#" + "".join("1" if lack else "0" for lack in lacks)]
    choices = [("0", "1") if lack else ("1",) for lack in lacks]
    return ["#" + "".join(pattern) for pattern in itertools.product(*choices)]


def keyspace(key: str) -> str:
    """The keyspace a key from ``blocking_keys`` belongs to."""
    return key.partition(":")[0]


def _short(key: str) -> str:
    # A long name would make a long key: keep the rule prefix, hash the rest.
    if len(key) <= MAX_KEY:
        return key
    prefix, _, rest = key.partition(":")
    return f"{prefix}:#{hashlib.blake2b(rest.encode(), digest_size=16).hexdigest()}"


def _rule_test(rule: splink_model.BlockingRule) -> predicates.Compiled:
    parts = [predicates.same(a, b) for a, b in rule.pairs()]
    narrow = rule.narrow
    return predicates.compiled(predicates.both(*parts, *([narrow] if narrow else [])))


_RULE_TESTS = tuple(_rule_test(rule) for rule in splink_model.BLOCKING_RULES)
_RULES_IN: dict[str, tuple[predicates.Compiled, ...]] = {}
for _rule, _test in zip(splink_model.BLOCKING_RULES, _RULE_TESTS, strict=True):
    _space = _rule.keyspace or _rule.name
    _RULES_IN[_space] = (*_RULES_IN.get(_space, ()), _test)


def blocked(
    left: Mapping[str, Any], right: Mapping[str, Any], spaces: Iterable[str] | None = None
) -> bool:
    """Tell whether Splink's blocking rules would compare the two records.

    ``spaces``: the keyspaces of the keys the two share, when known. A rule holds only for
    records that share its key, so only those rules need testing.
    """
    if spaces is None:
        rules: Iterable[predicates.Compiled] = _RULE_TESTS
    else:
        rules = (rule for space in spaces for rule in _RULES_IN.get(space, ()))
    return any(rule(left, right) for rule in rules)


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
    for name, reads in _READS.items():
        index = _level(name, tuple(left[c] for c in reads), tuple(right[c] for c in reads))
        if index < 0:
            labels[name] = "null"
            continue
        labels[name] = splink_model.LEVELS[name][index].label
        total += weights[name][index]
    return PairScore(_probability(total, prior), total, labels)


# The columns each comparison reads, its null test's included: a comparison's level is a
# function of these values alone.
_READS: dict[str, tuple[str, ...]] = {
    name: tuple(
        sorted(
            splink_model.NULL_LEVELS[name]
            .columns()
            .union(*(level.when.columns() for level in levels if level.when is not None))
        )
    )
    for name, levels in splink_model.LEVELS.items()
}


# Names and dates repeat across a registry (a few hundred given names, common surnames,
# the inquiry's own values against each candidate): each pair of values is compared once.
@lru_cache(maxsize=1 << 16)
def _level(name: str, left_values: tuple[Any, ...], right_values: tuple[Any, ...]) -> int:
    """The index of the level a comparison reaches, -1 for its null level."""
    reads = _READS[name]
    left, right = (
        dict(zip(reads, left_values, strict=True)),
        dict(zip(reads, right_values, strict=True)),
    )
    if _NULL_TESTS[name](left, right):
        return -1
    return next(i for i, test in enumerate(_LEVEL_TESTS[name]) if test(left, right))


def _always(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    return True


_NULL_TESTS = {name: predicates.compiled(test) for name, test in splink_model.NULL_LEVELS.items()}
_LEVEL_TESTS = {
    name: tuple(_always if lv.when is None else predicates.compiled(lv.when) for lv in levels)
    for name, levels in splink_model.LEVELS.items()
}


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

"""The default matcher: a Splink Fellegi-Sunter model over normalised names."""

from __future__ import annotations

import copy
import itertools
import logging
from collections.abc import Iterable
from typing import Any

from safeconduct.tracing import splink_model
from safeconduct.tracing.engines import Engine, EngineName, make_engine
from safeconduct.tracing.features import inquiry_columns, registry_columns
from safeconduct.tracing.matcher import (
    DEFAULT_THRESHOLD,
    DEFAULT_TOP_K,
    Candidate,
    InquiryRow,
    RegistryRow,
)

# Share of inquiries expected to concern someone in the registry; with the
# registry size it sets the prior that a random pair is a match. A small
# registry is still searched on behalf of a large population: families ask
# about people who may be held elsewhere, so the prior never exceeds that of
# a registry of MIN_POPULATION people.
PRIOR_SHARE_IN_REGISTRY = 0.5
MIN_POPULATION = 10_000
# Below this many inquiries EM has too few matches to learn from: keep the priors.
MIN_INQUIRIES_FOR_EM = 300
# EM is off unless asked for: most m values are fixed priors, and on both
# benchmarks (own and independent, 200,000 x 20,000) training the rest moved
# F1 by under 0.0002 while costing a sixth of the run.
TRAIN_EM_BY_DEFAULT = False
# Below this many registry rows a random sample (or a name's frequency) says
# more about the few names present than about people in general: keep the
# prior u values and leave term frequencies out.
MIN_REGISTRY_FOR_U = 2000
U_MAX_PAIRS = 5e5
EM_MAX_PAIRS = 5e4
SEED = 7

_RANK_SQL = """
WITH pairs AS (
  SELECT
    CASE WHEN source_dataset_l = 'inquiries' THEN unique_id_l ELSE unique_id_r END AS inquiry_id,
    CASE WHEN source_dataset_l = 'inquiries' THEN unique_id_r ELSE unique_id_l END AS id,
    match_probability AS score
  FROM {{this}}
), ranked AS (
  SELECT inquiry_id, id, score,
    row_number() OVER (PARTITION BY inquiry_id ORDER BY score DESC, id) AS rn
  FROM pairs WHERE score >= {threshold}
)
SELECT inquiry_id, id, score FROM ranked WHERE rn <= {top_k}
"""


class SplinkMatcher:
    """Match inquiries to the registry with Splink on DuckDB or Spark."""

    def __init__(
        self, *, engine: EngineName | Engine = "duckdb", train_em: bool = TRAIN_EM_BY_DEFAULT
    ) -> None:
        self._engine = make_engine(engine) if isinstance(engine, str) else engine
        self._train_em = train_em
        self._registry: Any = None
        self._registry_size = 0
        self._model: dict[str, Any] = {}
        # The Splink model (settings with m and u) used by the latest match.
        self.trained_model: dict[str, Any] = {}
        self._batches = itertools.count()
        logging.getLogger("splink").setLevel(logging.WARNING)

    def build_index(self, registry: Iterable[RegistryRow]) -> None:
        """Normalise and load the registry, then estimate u by random sampling."""
        from splink import Linker

        columns = registry_columns(registry)
        self._registry_size = len(columns["unique_id"])
        self._registry = self._engine.load(
            f"registry_{next(self._batches)}", columns, role="registry"
        )
        large = self._registry_size >= MIN_REGISTRY_FOR_U
        model = splink_model.settings(
            link_type="dedupe_only", prior=self._prior(), term_frequencies=large
        )
        linker = Linker(self._registry, model, log_level=None)
        if large:
            # u describes pairs of different people, which any two registry rows are.
            pairs = self._registry_size * (self._registry_size - 1) / 2
            linker.training.estimate_u_using_random_sampling(
                max_pairs=min(U_MAX_PAIRS, pairs), seed=SEED
            )
        self._model = linker.misc.save_model_to_json()

    def match(
        self,
        inquiries: Iterable[InquiryRow],
        *,
        top_k: int = DEFAULT_TOP_K,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> list[Candidate]:
        """Return the best ``top_k`` candidates per inquiry scoring ``>= threshold``."""
        rows = list(inquiries)
        if not rows or self._registry is None or self._registry_size == 0:
            return []
        columns = inquiry_columns(rows)
        name = f"inquiries_{next(self._batches)}"
        table = self._engine.load(name, columns, role="inquiries")
        linker = self._link_linker(table, len(rows))
        # Splink turns the probability into a weight: 0 and 1 would be infinite.
        early = threshold if 0 < threshold < 1 else None
        predictions = linker.inference.predict(
            threshold_match_probability=early, warning_mode="never"
        )
        sql = _RANK_SQL.format(threshold=float(threshold), top_k=int(top_k))
        records = predictions.query_sql(sql).as_record_list()
        order = {q.inquiry_id: i for i, q in enumerate(rows)}
        cands = [Candidate(r["inquiry_id"], r["id"], float(r["score"])) for r in records]
        cands.sort(key=lambda c: (order[c.inquiry_id], -c.score, c.id))
        return cands

    def explain(self, inquiries: Iterable[InquiryRow], *, threshold: float) -> list[dict[str, Any]]:
        """Every compared pair scoring at least ``threshold``, with each comparison's level
        (``gamma_*``), weight (``mw_*``, term frequencies apart in ``mw_tf_adj_*``) and both
        records' columns (``*_l``, ``*_r``): what a calibration study needs."""
        rows = list(inquiries)
        if not rows or self._registry is None or self._registry_size == 0:
            return []
        table = self._engine.load(
            f"inquiries_{next(self._batches)}", inquiry_columns(rows), role="inquiries"
        )
        linker = self._link_linker(table, len(rows), detailed=True)
        predictions = linker.inference.predict(
            threshold_match_probability=threshold, warning_mode="never"
        )
        records: list[dict[str, Any]] = predictions.as_record_list()
        return records

    def close(self) -> None:
        """Release the engine."""
        self._engine.close()

    def _prior(self) -> float:
        return PRIOR_SHARE_IN_REGISTRY / max(self._registry_size, MIN_POPULATION)

    def _link_linker(self, inquiries: Any, count: int, *, detailed: bool = False) -> Any:
        from splink import Linker

        model = copy.deepcopy(self._model)
        model["link_type"] = "link_only"
        if detailed:
            model["retain_matching_columns"] = True
            model["retain_intermediate_calculation_columns"] = True
        model["probability_two_random_records_match"] = self._prior()
        linker = Linker([self._registry, inquiries], model, log_level=None)
        if self._train_em and count >= MIN_INQUIRIES_FOR_EM:
            for rule in splink_model.em_training_rules():
                # Without term frequencies EM runs several times faster, and
                # m barely moves: frequencies adjust u, not m.
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=EM_MAX_PAIRS, estimate_without_term_frequencies=True
                )
        self.trained_model = linker.misc.save_model_to_json()
        return linker

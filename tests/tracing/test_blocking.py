"""Blocking: every true pair survives, whatever its corruption, while the pairs scored stay
a small share of registry x inquiries."""

from __future__ import annotations

from collections import Counter

import tracing_data

from safeconduct.tracing import splink_model
from safeconduct.tracing.engines import DuckDBEngine
from safeconduct.tracing.features import inquiry_columns, registry_columns
from safeconduct.tracing.matcher import InquiryRow, RegistryRow


def _blocked_pairs(
    registry: list[RegistryRow], inquiries: list[InquiryRow]
) -> set[tuple[str, str]]:
    from splink import Linker

    engine = DuckDBEngine()
    try:
        left = engine.load("registry", registry_columns(registry), role="registry")
        right = engine.load("inquiries", inquiry_columns(inquiries), role="inquiries")
        settings = splink_model.settings(link_type="link_only", prior=1e-4, term_frequencies=False)
        linker = Linker([left, right], settings, log_level=None)
        # Every blocked pair, however weak: the threshold decides nothing here.
        predictions = linker.inference.predict(threshold_match_probability=None)
        records = predictions.as_record_list()
    finally:
        engine.close()
    pairs = set()
    for r in records:
        ids = {r["source_dataset_l"]: r["unique_id_l"], r["source_dataset_r"]: r["unique_id_r"]}
        pairs.add((ids["inquiries"], ids["registry"]))
    return pairs


def test_blocking_keeps_every_true_pair_and_few_others(
    synthetic: tuple[list[tracing_data.Person], list[tracing_data.Inquiry]],
    registry_rows: list[RegistryRow],
    inquiry_rows: list[InquiryRow],
) -> None:
    pairs = _blocked_pairs(registry_rows, inquiry_rows)
    truths = [q for q in synthetic[1] if q.truth]
    missed = Counter(q.tag for q in truths if (q.inquiry_id, q.truth) not in pairs)
    caught = len(truths) - sum(missed.values())
    assert caught / len(truths) >= 0.99, missed
    assert len({tag for tag in missed if missed[tag] > 1}) == 0, missed
    assert len(pairs) < 0.002 * len(registry_rows) * len(inquiry_rows)

"""The Splink matcher, through the Matcher interface."""

from __future__ import annotations

import pytest

from safeconduct.tracing.dates import PartialDate
from safeconduct.tracing.matcher import Candidate, InquiryRow, Matcher, RegistryRow
from safeconduct.tracing.splink_matcher import SplinkMatcher

SERGEI = RegistryRow("S1", "Щербаков", "Сергей", "Петрович", PartialDate.parse("1990-04-12"))
NAMESAKE = RegistryRow("S2", "Щербаков", "Сергей", "Петрович", PartialDate.parse("1972-09-30"))
VARIANTS = [
    ("Shcherbakov", "Sergei", "Petrovich", "1990-04-12"),
    ("Schtscherbakow", "Sergej", "", "1990-04-12"),
    ("Sjtsjerbakov", "Sergei", "P.", "1990-12-04"),
    ("Shcherbakov", "Serhii", "Petrovych", "1990"),
    ("SERGEI", "SHCHERBAKOV", "", "1990-04-12"),
    ("Shcherbakv", "Sergei", "Petrovich", "1990-04-13"),
    ("Chtcherbakov", "Sergueï", "", "1990-04"),
    ("Щербаков Сергей Петрович", "", "", "1990-04-12"),
]


def _inquiry(qid: str, fields: tuple[str, str, str, str]) -> InquiryRow:
    return InquiryRow(qid, *fields[:3], PartialDate.parse(fields[3]))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def example_matcher(registry_rows: list[RegistryRow]) -> SplinkMatcher:
    matcher = SplinkMatcher()
    matcher.build_index([*registry_rows, SERGEI, NAMESAKE])
    return matcher


def test_splink_matcher_conforms_to_the_protocol() -> None:
    assert isinstance(SplinkMatcher(), Matcher)


@pytest.mark.parametrize("fields", VARIANTS)
def test_finds_the_person_across_scripts_and_slips(
    example_matcher: SplinkMatcher, fields: tuple[str, str, str, str]
) -> None:
    found = example_matcher.match([_inquiry("Q", fields)])
    assert found[0].id == "S1"
    assert all(c.id != "S2" for c in found)


def test_namesake_with_another_birth_date_is_not_a_match(example_matcher: SplinkMatcher) -> None:
    found = example_matcher.match([_inquiry("Q", ("Shcherbakov", "Sergei", "", "1985-06-01"))])
    assert found == []


def test_candidates_are_ranked_bounded_and_calibrated(
    duckdb_matcher: SplinkMatcher, inquiry_rows: list[InquiryRow]
) -> None:
    found = duckdb_matcher.match(inquiry_rows, top_k=2, threshold=0.01)
    per_inquiry: dict[str, list[float]] = {}
    for cand in found:
        assert 0.01 <= cand.score <= 1.0
        per_inquiry.setdefault(cand.inquiry_id, []).append(cand.score)
    assert all(len(s) <= 2 and s == sorted(s, reverse=True) for s in per_inquiry.values())
    order = [q.inquiry_id for q in inquiry_rows if q.inquiry_id in per_inquiry]
    assert list(dict.fromkeys(c.inquiry_id for c in found)) == order


def test_top_answer_is_right_for_the_synthetic_inquiries(
    duckdb_matcher: SplinkMatcher, inquiry_rows: list[InquiryRow], synthetic: tuple[object, list]
) -> None:
    truth = {q.inquiry_id: q.truth for q in synthetic[1]}
    best: dict[str, Candidate] = {}
    for cand in duckdb_matcher.match(inquiry_rows, top_k=1):
        best.setdefault(cand.inquiry_id, cand)
    matching = [qid for qid, t in truth.items() if t]
    correct = sum(1 for qid in matching if qid in best and best[qid].id == truth[qid])
    false_hits = sum(1 for qid, t in truth.items() if not t and qid in best)
    assert correct / len(matching) >= 0.95
    assert false_hits / (len(truth) - len(matching)) <= 0.02


def test_empty_inputs_give_no_candidates() -> None:
    matcher = SplinkMatcher()
    assert matcher.match([_inquiry("Q", VARIANTS[0])]) == []
    matcher.build_index([SERGEI])
    assert matcher.match([]) == []
    blank = InquiryRow("Q")
    assert matcher.match([blank]) == []


def test_explain_gives_each_pair_its_levels_and_the_scores_match_gives(
    example_matcher: SplinkMatcher,
) -> None:
    inquiries = [_inquiry(f"Q{i}", fields) for i, fields in enumerate(VARIANTS)]
    matched = example_matcher.match(inquiries, top_k=50, threshold=0.01)
    found = {(c.inquiry_id, c.id): c.score for c in matched}
    explained = example_matcher.explain(inquiries, threshold=0.01)
    pairs = {}
    for row in explained:
        ids = {
            row["source_dataset_l"]: row["unique_id_l"],
            row["source_dataset_r"]: row["unique_id_r"],
        }
        pairs[(ids["inquiries"], ids["registry"])] = row
    assert {k: r["match_probability"] for k, r in pairs.items()} == pytest.approx(found)
    exact = pairs[("Q0", "S1")]
    assert exact["gamma_dob"] == max(r["gamma_dob"] for r in explained)  # the exact date
    assert {"mw_name", "mw_patronymic", "mw_dob", "dob_y_l", "dob_y_r"} <= exact.keys()

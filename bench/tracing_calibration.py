"""Tracing calibration study: what each lever on the model does to top-1 F1 and to confident
false matches at once, on one run of the engine.

Usage: .venv/bin/python bench/tracing_calibration.py [--data DIR]
       [--registry 200000] [--inquiries 20000]

Without --data it generates the independent set (bench/tracing_independent_data.py) in a
temporary folder. The engine runs once (`SplinkMatcher.explain`: every compared pair down to
a low threshold, with each comparison's level and weight); each lever then shifts pair
weights and the metrics are computed again, as bench/tracing.py computes them:
- the prior (every pair's weight);
- a penalty where the date of birth cannot be compared (unknown on one side);
- a penalty where names and patronymic both agree (the two are not independent among
  people who are not the same: brothers, namesakes' sons);
- a cap on what a rare name's frequency adds.
It also prints the level cells (name, patronymic, date) that hold the confident false
matches, beside the true matches in the same cells: a cell no lever can split.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
INDEPENDENT = HERE / "tracing_independent_data.py"
THRESHOLD = 0.5
CANDIDATE_THRESHOLD = 0.01
LOWEST = 0.0005  # pairs below this cannot reach the candidate threshold under any lever here

Pair = dict[str, Any]
Lever = Callable[[Pair], float]


def _explain(folder: Path) -> list[Pair]:
    from safeconduct.tracing.inputs import read_inquiries, read_registry
    from safeconduct.tracing.splink_matcher import SplinkMatcher

    matcher = SplinkMatcher()
    matcher.build_index(read_registry(folder / "registry.csv"))
    rows = matcher.explain(read_inquiries(folder / "inquiries.csv"), threshold=LOWEST)
    matcher.close()
    return [_oriented(r) for r in rows]


def _oriented(row: Pair) -> Pair:
    """The pair with the inquiry and the registered person named, whichever side each is."""
    q, p = ("l", "r") if row["source_dataset_l"] == "inquiries" else ("r", "l")
    return {
        "inquiry": row[f"unique_id_{q}"],
        "person": row[f"unique_id_{p}"],
        "weight": row["match_weight"],
        "cell": (row["gamma_name"], row["gamma_patronymic"], row["gamma_dob"]),
        "date_unknown": row["gamma_dob"] == -1,
        "inquiry_has_date": row[f"dob_y_{q}"] is not None,
        "person_has_date": row[f"dob_y_{p}"] is not None,
        "tf_name": row.get("mw_tf_adj_name") or 0.0,
    }


def _metrics(pairs: list[Pair], truth: dict[str, str], lever: Lever) -> tuple[float, ...]:
    ranked: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for pair in pairs:
        weight = pair["weight"] + lever(pair)
        ranked[pair["inquiry"]].append((1.0 / (1.0 + 2.0 ** (-weight)), pair["person"]))
    best = {q: max(c) for q, c in ranked.items()}
    matching = [q for q, t in truth.items() if t]
    others = [q for q, t in truth.items() if not t]
    hits = sum(1 for q in matching
               if q in best and best[q][0] >= THRESHOLD and best[q][1] == truth[q])  # fmt: skip
    answered = sum(1 for q in truth if q in best and best[q][0] >= THRESHOLD)
    precision, recall = hits / max(answered, 1), hits / len(matching)
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    in_five = sum(
        1
        for q in matching
        if any(p == truth[q] and s >= CANDIDATE_THRESHOLD for s, p in sorted(ranked[q])[-5:])
    )
    false = sum(1 for q in others if q in best and best[q][0] >= THRESHOLD)
    return f1, in_five / len(matching), false / len(others)


def _prior(bits: float, pair: Pair) -> float:
    return -bits


def _date_unknown(bits: float, pair: Pair) -> float:
    one_side = pair["inquiry_has_date"] != pair["person_has_date"]
    return -bits if pair["date_unknown"] and one_side else 0.0


def _names_and_patronymic(bits: float, pair: Pair) -> float:
    name, patronymic, _ = pair["cell"]
    return -bits if name >= 8 and patronymic == 4 else 0.0  # both at their top levels


def _name_frequency(cap: float, pair: Pair) -> float:
    return min(0.0, cap - pair["tf_name"])


def _levers() -> list[tuple[str, Lever]]:
    out: list[tuple[str, Lever]] = [("as shipped", partial(_prior, 0.0))]
    out += [(f"prior odds / 2^{b:g}", partial(_prior, b)) for b in (0.5, 1.0, 2.0, 3.0)]
    out += [(f"date unknown on one side: -{b:g} bits", partial(_date_unknown, b))
            for b in (1.0, 2.0, 4.0)]  # fmt: skip
    out += [(f"names and patronymic agree: -{b:g} bits", partial(_names_and_patronymic, b))
            for b in (1.0, 2.0, 3.0)]  # fmt: skip
    out += [(f"a name's frequency adds at most {c:g} bits", partial(_name_frequency, c))
            for c in (1.0, 0.0, -1.0)]  # fmt: skip
    return out


def _cells(pairs: list[Pair], truth: dict[str, str]) -> None:
    best: dict[str, Pair] = {}
    for pair in pairs:
        if pair["inquiry"] not in best or pair["weight"] > best[pair["inquiry"]]["weight"]:
            best[pair["inquiry"]] = pair
    false: Counter[tuple[int, ...]] = Counter()
    true: Counter[tuple[int, ...]] = Counter()
    for q, pair in best.items():
        if pair["weight"] < 0:  # probability under one half
            continue
        if not truth[q]:
            false[pair["cell"]] += 1
        elif truth[q] == pair["person"]:
            true[pair["cell"]] += 1
    print("\nLevel cells (name, patronymic, date; -1 = cannot compare) holding confident false")
    print("matches, with the true matches in the same cell:")
    for cell, n in false.most_common(8):
        print(f"  {cell!s:16} false {n:4}   true {true[cell]:5}")


def _kinds(pairs: list[Pair], truth: dict[str, str], kinds: dict[str, str]) -> None:
    """Top-1 recall per kind of error, as shipped and with the prior that meets the false
    match target: where F1 would have to be won back."""
    print("\nTop-1 recall per kind of error: as shipped, and with prior odds / 4")
    levers = [partial(_prior, 0.0), partial(_prior, 2.0)]
    found = [_hits(pairs, truth, lever) for lever in levers]
    counts = Counter(kinds[q] for q, t in truth.items() if t)
    for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        shares = [sum(1 for q in hits if kinds[q] == kind) / n for hits in found]
        print(f"  {kind:32} {n:6}  {shares[0]:6.3f}  {shares[1]:6.3f}")


def _hits(pairs: list[Pair], truth: dict[str, str], lever: Lever) -> set[str]:
    best: dict[str, tuple[float, str]] = {}
    for pair in pairs:
        weight = pair["weight"] + lever(pair)
        if pair["inquiry"] not in best or weight > best[pair["inquiry"]][0]:
            best[pair["inquiry"]] = (weight, pair["person"])
    return {q for q, (w, p) in best.items() if w >= 0 and truth[q] == p}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, help="a folder with registry, inquiries, truth")
    parser.add_argument("--registry", type=int, default=200_000)
    parser.add_argument("--inquiries", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracing-calibration-") as tmp:
        folder = args.data or Path(tmp)
        if not args.data:
            sizes = ["--registry", str(args.registry), "--inquiries", str(args.inquiries)]
            cmd = [sys.executable, str(INDEPENDENT), "--out", str(folder), *sizes]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with (folder / "truth.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        truth = {r["inquiry_id"]: r["truth"] for r in rows}
        kinds = {r["inquiry_id"]: r["tag"] for r in rows}
        pairs = _explain(folder)
    print(f"{len(pairs):,} compared pairs down to {LOWEST}; targets: F1 >= 0.96, "
          f"recall@5 >= 0.97, confident false <= 0.5%")  # fmt: skip
    print(f"{'lever':48} {'top-1 F1':>9} {'recall@5':>9} {'conf. false':>12}")
    for label, lever in _levers():
        f1, at_five, false = _metrics(pairs, truth, lever)
        print(f"{label:48} {f1:9.4f} {at_five:9.4f} {100 * false:11.2f}%")
    _cells(pairs, truth)
    _kinds(pairs, truth, kinds)


if __name__ == "__main__":
    main()

"""Tracing benchmark: this engine against a vanilla Splink 5 set-up.

Usage: .venv/bin/python bench/tracing.py [--size default|medium|large]

Each engine runs in its own process so wall time and peak memory (RSS, which
counts DuckDB's native allocations that tracemalloc cannot see) are its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tracing_data  # noqa: E402

THRESHOLD = 0.5
TOP_K = 5
ENGINES = ("ours", "baseline")


def _worker(engine: str, folder: Path) -> None:
    start = time.perf_counter()
    if engine == "ours":
        from safeconduct.tracing.inputs import read_inquiries, read_registry
        from safeconduct.tracing.splink_matcher import SplinkMatcher

        matcher = SplinkMatcher()
        matcher.build_index(read_registry(folder / "registry.csv"))
        indexed = time.perf_counter()
        found = matcher.match(read_inquiries(folder / "inquiries.csv"), top_k=TOP_K, threshold=0.01)
        rows = [(c.inquiry_id, c.id, c.score) for c in found]
    else:
        import tracing_baseline

        indexed = start
        rows = tracing_baseline.run(folder / "registry.csv", folder / "inquiries.csv", TOP_K)
    end = time.perf_counter()
    report = {
        "rows": rows,
        "wall": end - start,
        "index": indexed - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    (folder / f"{engine}.json").write_text(json.dumps(report))


def _run_engine(engine: str, folder: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--dir", str(folder)]
    subprocess.run(cmd, check=True)
    result: dict[str, Any] = json.loads((folder / f"{engine}.json").read_text())
    return result


def _metrics(rows: list[list[Any]], truth: dict[str, tuple[str, str]]) -> dict[str, float]:
    ranked: dict[str, list[tuple[float, str]]] = {}
    for qid, pid, score in rows:
        ranked.setdefault(qid, []).append((float(score), pid))
    for cands in ranked.values():
        cands.sort(key=lambda c: -c[0])
    matching = [q for q, (_, t) in truth.items() if t]
    others = [q for q, (_, t) in truth.items() if not t]

    def best(q: str) -> tuple[float, str]:
        return ranked.get(q, [(0.0, "")])[0]

    hits = {q for q in matching if best(q)[0] >= THRESHOLD and best(q)[1] == truth[q][1]}
    answered = sum(1 for q in truth if best(q)[0] >= THRESHOLD)
    precision = len(hits) / answered if answered else 0.0
    recall = len(hits) / len(matching)
    out = {
        "top1_accuracy": sum(best(q)[1] == truth[q][1] for q in matching) / len(matching),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "recall_at_5": sum(any(p == truth[q][1] for _, p in ranked.get(q, [])) for q in matching)
        / len(matching),
        "confident_false_hits": sum(best(q)[0] >= THRESHOLD for q in others) / len(others),
    }
    tags = Counter(truth[q][0] for q in matching)
    tag_hits = Counter(truth[q][0] for q in hits)
    out.update({f"recall[{t}]": tag_hits[t] / n for t, n in sorted(tags.items())})
    return out


def _print_table(size: str, n: tuple[int, int], results: dict[str, dict[str, float]]) -> None:
    print(
        f"\nTracing benchmark, size {size}: {n[0]:,} registry x {n[1]:,} inquiries "
        f"(threshold {THRESHOLD})"
    )
    print(f"{'metric':38} {'ours':>10} {'baseline':>10} {'ratio':>8}")
    for key in results["ours"]:
        ours, base = results["ours"][key], results["baseline"][key]
        ratio = f"{ours / base:8.2f}" if base else "       -"
        print(f"{key:38} {ours:10.4f} {base:10.4f} {ratio}")


def main() -> None:
    """Generate data, run both engines, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(tracing_data.SIZES), default="default")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.dir)
        return
    n = tracing_data.SIZES[args.size]
    with tempfile.TemporaryDirectory(prefix="tracing-bench-") as tmp:
        folder = Path(tmp)
        people, inquiries = tracing_data.generate(*n)
        tracing_data.write_csvs(people, inquiries, folder)
        with (folder / "truth.csv").open(encoding="utf-8") as f:
            truth = {r["inquiry_id"]: (r["tag"], r["truth"]) for r in csv.DictReader(f)}
        results: dict[str, dict[str, float]] = {}
        for engine in ENGINES:
            report = _run_engine(engine, folder)
            results[engine] = _metrics(report["rows"], truth)
            results[engine].update(wall_seconds=report["wall"], peak_rss_mb=report["peak_rss_mb"])
        _print_table(args.size, n, results)


if __name__ == "__main__":
    main()

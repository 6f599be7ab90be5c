"""Vanilla Splink 5 baseline: the set-up a user would copy from Splink's docs.

Names are lower-cased and passed through unidecode, nothing more; comparisons
come from ``splink.comparison_library``; blocking is on pairs of raw columns.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from unidecode import unidecode

COLUMNS = ("unique_id", "surname", "given_name", "patronymic", "date_of_birth")


def _load(path: Path, id_column: str) -> dict[str, list[Any]]:
    table: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            table["unique_id"].append(row[id_column])
            for col in COLUMNS[1:]:
                value = unidecode(row[col]).lower().strip() if col != "date_of_birth" else row[col]
                table[col].append(value or None)
    return table


def _settings() -> Any:
    from splink import SettingsCreator, block_on
    from splink import comparison_library as cl

    return SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.ForenameSurnameComparison("given_name", "surname"),
            cl.NameComparison("patronymic"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
        ],
        retain_matching_columns=False,
    )


def run(registry: Path, inquiries: Path, top_k: int) -> list[tuple[str, str, float]]:
    """Link inquiries to the registry; return (inquiry_id, id, score) rows, best first."""
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, block_on

    con = duckdb.connect()
    con.execute("SET threads = 2")
    db_api = DuckDBAPI(connection=con)
    frames = []
    for name, path, key in (("registry", registry, "id"), ("inquiries", inquiries, "inquiry_id")):
        arrow = pa.Table.from_pydict(_load(path, key))  # noqa: F841 (read by DuckDB by name)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM arrow")
        frames.append(db_api.register(name, dataset_display_name=name))
    linker = Linker(frames, _settings(), log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=7)
    for rule in (block_on("date_of_birth"), block_on("surname")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=3e5)
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    sql = f"""
        SELECT inquiry_id, id, score FROM (
          SELECT CASE WHEN source_dataset_l = 'inquiries' THEN unique_id_l
                      ELSE unique_id_r END AS inquiry_id,
                 CASE WHEN source_dataset_l = 'inquiries' THEN unique_id_r
                      ELSE unique_id_l END AS id,
                 match_probability AS score,
                 row_number() OVER (PARTITION BY inquiry_id ORDER BY score DESC) AS rn
          FROM {{this}}) WHERE rn <= {int(top_k)}"""
    rows = predictions.query_sql(sql).as_record_list()
    con.close()
    return [(r["inquiry_id"], r["id"], float(r["score"])) for r in rows]

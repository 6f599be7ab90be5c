"""Turn registry and inquiry rows into the columns the linkage model compares.

Normalisation happens here, in Python, once per row, so the model itself
only runs plain equality, distance and date arithmetic that every SQL
engine has.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from safeconduct.tracing.dates import PartialDate
from safeconduct.tracing.matcher import InquiryRow, RegistryRow
from safeconduct.tracing.names import coarse, skeleton, word_skeleton
from safeconduct.tracing.person_names import given_key, patronymic_key, split_name

# Column name -> type, in the order the table is built. Types are the
# portable names used for both DuckDB (Arrow) and Spark schemas.
COLUMNS: dict[str, str] = {
    "unique_id": "string",
    "sn_sk": "string",
    "gn_sk": "string",
    "gn_key": "string",
    "name_key": "string",
    "sn_co": "string",
    "gn_co": "string",
    "pair_key": "string",
    "pat_key": "string",
    "pat_co": "string",
    "pat_init": "string",
    "pat_is_init": "int",
    "dob": "string",
    "dob_y": "int",
    "dob_m": "int",
    "dob_d": "int",
    "dob_days": "int",
}


def _or_none(value: str) -> str | None:
    return value or None


# Names repeat (common surnames, a few hundred given names): cache whole triples.
@lru_cache(maxsize=1 << 18)
def _name_columns(surname: str, given: str, patronymic: str) -> tuple[tuple[str, Any], ...]:
    name = split_name(surname, given, patronymic)
    first_given = name.given.split(" ")[0]
    sn_sk, gn_sk = skeleton(name.surname), word_skeleton(first_given)
    gn_key = given_key(first_given) if first_given else ""
    pat_key = patronymic_key(name.patronymic.split(" ")[0]) if name.patronymic else ""
    if name.patronymic_is_initial:
        pat_key = pat_key[:1]
    # The unordered pair of name keys survives a swap of surname and given name.
    pair = "|".join(sorted((coarse(sn_sk), coarse(gn_sk)))) if sn_sk and gn_sk else ""
    full_pat = "" if name.patronymic_is_initial else pat_key
    return tuple({
        "sn_sk": _or_none(sn_sk),
        "gn_sk": _or_none(gn_sk),
        "gn_key": _or_none(gn_key),
        "name_key": f"{sn_sk}|{gn_key}" if sn_sk and gn_key else None,
        "sn_co": _or_none(coarse(sn_sk)),
        "gn_co": _or_none(coarse(gn_key)),
        "pair_key": _or_none(pair),
        "pat_key": _or_none(full_pat),
        "pat_co": _or_none(coarse(full_pat)),
        "pat_init": _or_none(coarse(pat_key[:1])),
        "pat_is_init": int(name.patronymic_is_initial),
    }.items())


def feature_record(
    unique_id: str, surname: str, given: str, patronymic: str, dob: PartialDate
) -> dict[str, Any]:
    """Return the model columns for one person."""
    record: dict[str, Any] = {"unique_id": unique_id}
    record.update(_name_columns(surname, given, patronymic))
    record.update(
        dob=str(dob) if dob.is_full else None,
        dob_y=dob.year,
        dob_m=dob.month,
        dob_d=dob.day,
        dob_days=dob.epoch_day(),
    )
    return record


def registry_features(rows: Iterable[RegistryRow]) -> Iterable[dict[str, Any]]:
    """Yield model columns for registry rows."""
    for r in rows:
        yield feature_record(r.id, r.surname, r.given_name, r.patronymic, r.date_of_birth)


def inquiry_features(rows: Iterable[InquiryRow]) -> Iterable[dict[str, Any]]:
    """Yield model columns for inquiry rows."""
    for q in rows:
        yield feature_record(q.inquiry_id, q.surname, q.given_name, q.patronymic, q.date_of_birth)


def to_columns(records: Iterable[dict[str, Any]]) -> dict[str, list[Any]]:
    """Pivot records into one list per column, in ``COLUMNS`` order."""
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for record in records:
        for name, values in columns.items():
            values.append(record[name])
    return columns

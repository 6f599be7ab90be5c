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
from safeconduct.tracing.names import coarse, skeleton, word_skeleton, words
from safeconduct.tracing.person_names import (
    given_key,
    initial_key,
    is_known_given_name,
    patronymic_key,
    split_name,
)

# Column name -> type, in the order the table is built. Types are the
# portable names used for both DuckDB (Arrow) and Spark schemas.
COLUMNS: dict[str, str] = {
    "unique_id": "string",
    "sn_sk": "string",
    "gn_sk": "string",
    "gn_key": "string",
    "gn_known": "int",
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


# Each part of a name repeats across a registry (common surnames, a few
# hundred given names and patronymics): compute its keys once per spelling.
@lru_cache(maxsize=1 << 18)
def _surname_keys(surname: str) -> tuple[str, str]:
    sn_sk = skeleton(surname)
    return sn_sk, coarse(sn_sk)


@lru_cache(maxsize=1 << 16)
def _given_keys(given: str) -> tuple[str, str, str, str, int | None]:
    gn_sk = word_skeleton(given)
    gn_key = given_key(given) if given else ""
    known = int(is_known_given_name(given)) if gn_sk else None
    return gn_sk, gn_key, coarse(gn_key), coarse(gn_sk), known


@lru_cache(maxsize=1 << 16)
def _patronymic_keys(patronymic: str, is_initial: bool) -> tuple[Any, ...]:
    full = patronymic_key(patronymic) if patronymic and not is_initial else ""
    initial = initial_key(patronymic) if patronymic else ""
    return _or_none(full), _or_none(coarse(full)), _or_none(initial), int(is_initial)


# Most rows give one given name and a patronymic in their own fields: then
# nothing moves between fields and each field's keys depend on its text alone.
@lru_cache(maxsize=1 << 18)
def _surname_field(raw: str) -> tuple[str, str]:
    return _surname_keys(" ".join(words(raw)))


@lru_cache(maxsize=1 << 16)
def _given_field(raw: str) -> tuple[str, str, str, str, int | None] | None:
    parts = words(raw)
    return _given_keys(parts[0]) if len(parts) == 1 else None


@lru_cache(maxsize=1 << 16)
def _patronymic_field(raw: str) -> tuple[Any, ...] | None:
    parts = words(raw)
    if not parts:
        return None
    return _patronymic_keys(parts[0], 0 < len(" ".join(parts)) <= 2)


def _name_values(surname: str, given: str, patronymic: str) -> tuple[Any, ...]:
    given_keys = _given_field(given)
    pat_keys = _patronymic_field(patronymic)
    if given_keys is not None and pat_keys is not None:
        sn_sk, sn_co = _surname_field(surname)
    else:
        name = split_name(surname, given, patronymic)
        sn_sk, sn_co = _surname_keys(name.surname)
        given_keys = _given_keys(name.given.split(" ")[0])
        pat_keys = _patronymic_keys(name.patronymic.split(" ")[0], name.patronymic_is_initial)
    gn_sk, gn_key, gn_co, gn_sk_co, gn_known = given_keys
    # The unordered pair of name keys survives a swap of surname and given name.
    pair = "|".join(sorted((sn_co, gn_sk_co))) if sn_sk and gn_sk else None
    return (
        _or_none(sn_sk),
        _or_none(gn_sk),
        _or_none(gn_key),
        gn_known,
        f"{sn_sk}|{gn_key}" if sn_sk and gn_key else None,
        _or_none(sn_co),
        _or_none(gn_co),
        pair,
        *pat_keys,
    )


@lru_cache(maxsize=1 << 16)
def _dob_values(dob: PartialDate) -> tuple[Any, ...]:
    return (str(dob) if dob.is_full else None, dob.year, dob.month, dob.day, dob.epoch_day())


def feature_values(
    unique_id: str, surname: str, given: str, patronymic: str, dob: PartialDate
) -> tuple[Any, ...]:
    """Return the model columns for one person, in ``COLUMNS`` order."""
    return (unique_id, *_name_values(surname, given, patronymic), *_dob_values(dob))


def feature_record(
    unique_id: str, surname: str, given: str, patronymic: str, dob: PartialDate
) -> dict[str, Any]:
    """Return the model columns for one person, by name."""
    return dict(
        zip(COLUMNS, feature_values(unique_id, surname, given, patronymic, dob), strict=True)
    )


def registry_columns(rows: Iterable[RegistryRow]) -> dict[str, list[Any]]:
    """Return the model columns for registry rows."""
    return _pivot(
        feature_values(r.id, r.surname, r.given_name, r.patronymic, r.date_of_birth) for r in rows
    )


def inquiry_columns(rows: Iterable[InquiryRow]) -> dict[str, list[Any]]:
    """Return the model columns for inquiry rows."""
    return _pivot(
        feature_values(q.inquiry_id, q.surname, q.given_name, q.patronymic, q.date_of_birth)
        for q in rows
    )


def _pivot(records: Iterable[tuple[Any, ...]]) -> dict[str, list[Any]]:
    # zip(*rows) transposes in C, far faster than appending cell by cell.
    columns = list(zip(*records, strict=True)) or [() for _ in COLUMNS]
    return {name: list(values) for name, values in zip(COLUMNS, columns, strict=True)}

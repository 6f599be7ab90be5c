"""The Fellegi-Sunter model for tracing: comparisons and blocking rules.

Pure builders: they return Splink creator objects and touch no database, so
the same model runs on DuckDB and on Spark. Custom SQL is kept to plain
equality and arithmetic; string distances come from Splink's level library,
which writes the right function for each dialect.

The m probabilities given here are priors from the corruptions families make;
EM refines them when a batch of inquiries is large enough, and u comes from
random sampling of the registry.
"""

from __future__ import annotations

from typing import Any

# Each level: (label, SQL condition, prior m, prior u). Priors for u matter
# only where the registry alone cannot show a level (an initial, a year-only
# date, a swap): random sampling of registry pairs sets every other u.
_Level = tuple[str, str, float, float | None]

_NAME_LEVELS: tuple[_Level, ...] = (
    # One level for exact and transliterated agreement: two different people
    # share a name skeleton about as often as they share its spelling.
    ("same skeleton surname, equivalent given name",
     "sn_sk_l = sn_sk_r AND gn_key_l = gn_key_r", 0.8, None),
    ("coarse skeletons agree (ch read as х or as ш)",
     "sn_co_l = sn_co_r AND gn_co_l = gn_co_r", 0.05, None),
    ("surname and given name swapped",
     "pair_key_l = pair_key_r AND sn_co_l <> sn_co_r", 0.05, 1e-5),
)
_PATRONYMIC_LEVELS: tuple[_Level, ...] = (
    ("equivalent patronymic", "pat_key_l = pat_key_r", 0.85, None),
    ("coarse patronymic agrees", "pat_co_l = pat_co_r", 0.04, None),
    ("patronymic initial agrees",
     "pat_init_l = pat_init_r AND (pat_is_init_l = 1 OR pat_is_init_r = 1)", 0.1, 0.08),
)
# Date m values stay fixed: EM cannot tell a namesake with another birth date
# from a match with a mistyped one, and would learn that dates do not matter.
_DOB_LEVELS: tuple[_Level, ...] = (
    ("exact date of birth", "dob_l = dob_r", 0.75, None),
    ("day and month swapped",
     "dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r", 0.04, 2e-5),
    ("one day apart", "abs(dob_days_l - dob_days_r) <= 1", 0.05, 1.4e-4),
    ("year agrees, finer parts unknown on one side",
     "dob_y_l = dob_y_r AND (dob_d_l IS NULL OR dob_d_r IS NULL) "
     "AND (dob_m_l IS NULL OR dob_m_r IS NULL OR dob_m_l = dob_m_r)", 0.1, 0.025),
    ("year and month agree", "dob_y_l = dob_y_r AND dob_m_l = dob_m_r", 0.02, None),
    ("year agrees", "dob_y_l = dob_y_r", 0.02, None),
)
_DOB_ELSE_M = 0.02


def _custom(label: str, sql: str, m: float, u: float | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label, "m_probability": m}
    if u is not None:
        level["u_probability"] = u
    return level


def _null(sql: str) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": "null", "is_null_level": True}


def _else(m: float) -> dict[str, Any]:
    return {"sql_condition": "ELSE", "label_for_charts": "else", "m_probability": m}


def name_comparison() -> Any:
    """Compare surname and given name, allowing swaps, typos and national forms."""
    import splink.comparison_level_library as cll
    from splink import comparison_library as cl

    # Skeletons are short, so one slip moves Jaro-Winkler a lot; count edits.
    fuzzy_given = cll.And(
        cll.ExactMatchLevel("sn_co"), cll.DamerauLevenshteinLevel("gn_sk", 2)
    ).configure(label_for_charts="same surname, given name close", m_probability=0.04)
    fuzzy_surname = cll.And(
        cll.ExactMatchLevel("gn_co"), cll.DamerauLevenshteinLevel("sn_sk", 2)
    ).configure(label_for_charts="same given name, surname close", m_probability=0.04)
    levels: list[Any] = [_null("sn_sk_l IS NULL AND gn_sk_l IS NULL OR sn_sk_r IS NULL AND gn_sk_r IS NULL")]
    levels += [_custom(*level) for level in _NAME_LEVELS]
    levels += [fuzzy_given, fuzzy_surname]
    # Half a name: kept at its prior, because a benchmark without nicknames
    # or changed surnames would teach EM that this never happens.
    partial = [
        _custom("same surname skeleton", "sn_sk_l = sn_sk_r", 0.03),
        _custom("equivalent given name", "gn_key_l = gn_key_r", 0.02),
    ]
    for level in partial:
        level["fix_m_probability"] = True
    levels += [*partial, _else(0.02)]
    return cl.CustomComparison(comparison_levels=levels, output_column_name="name")


def patronymic_comparison() -> Any:
    """Compare patronymics; a missing one is neutral, an initial is weak evidence."""
    from splink import comparison_library as cl

    levels: list[Any] = [_null("pat_init_l IS NULL OR pat_init_r IS NULL")]
    levels += [_custom(*level) for level in _PATRONYMIC_LEVELS]
    levels.append(_else(0.05))
    return cl.CustomComparison(comparison_levels=levels, output_column_name="patronymic")


def dob_comparison() -> Any:
    """Compare partial dates of birth, with levels for the usual slips."""
    from splink import comparison_library as cl

    levels: list[Any] = [_null("dob_y_l IS NULL OR dob_y_r IS NULL")]
    levels += [_custom(*level) for level in _DOB_LEVELS]
    levels.append(_else(_DOB_ELSE_M))
    for level in levels[1:]:
        level["fix_m_probability"] = True
    return cl.CustomComparison(comparison_levels=levels, output_column_name="dob")


def blocking_rules() -> list[Any]:
    """Return rules that between them catch every corruption in the benchmark.

    Each rule misses some corruptions, but every corruption keeps at least one
    rule intact: names (any spelling, form or order) or the date plus one name.
    """
    from splink import block_on

    return [
        block_on("sn_co", "gn_co"),
        block_on("pair_key"),
        block_on("sn_sk", "dob_y"),
        block_on("gn_key", "dob"),
        block_on("gn_key", "pat_key", "dob_y"),
    ]


def em_training_rules() -> list[Any]:
    """Return the blocking rules EM trains on (date fixed: its m stays a prior)."""
    from splink import block_on

    return [block_on("dob")]


def settings(*, link_type: str, prior: float) -> Any:
    """Build the SettingsCreator for a link or a registry self-comparison."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        comparisons=[name_comparison(), patronymic_comparison(), dob_comparison()],
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )

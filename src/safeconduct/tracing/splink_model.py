"""The Fellegi-Sunter model for tracing: comparisons and blocking rules.

Pure builders: they return Splink creator objects and touch no database, so
the same model runs on DuckDB and on Spark. Custom SQL is kept to plain
equality and arithmetic; string distances come from Splink's level library,
which writes the right function for each dialect.

Every level carries a prior m (how often a family's inquiry about this person
lands there) and a prior u (how often two different people do). EM refines m
when a batch of inquiries is large enough; random sampling of a registry big
enough to sample re-estimates u. The u priors were measured on the benchmark's
synthetic population (bench/tracing_data.py) and are only a starting point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Level:
    """One comparison level: SQL over ``_l``/``_r`` columns with m and u priors."""

    label: str
    sql: str
    m: float
    u: float
    # Fixed levels keep their prior m: EM would fit it to the batch, wrongly.
    fixed_m: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the Splink level dict."""
        return {
            "sql_condition": self.sql, "label_for_charts": self.label,
            "m_probability": self.m, "u_probability": self.u,
            "fix_m_probability": self.fixed_m,
        }


NAME_LEVELS = (
    # One level for exact and transliterated agreement: two different people
    # share a name skeleton about as often as they share its spelling.
    Level("same surname skeleton, equivalent given name",
          "sn_sk_l = sn_sk_r AND gn_key_l = gn_key_r", 0.8, 4e-4),
    Level("coarse skeletons agree (ch read as kh or as sh)",
          "sn_co_l = sn_co_r AND gn_co_l = gn_co_r", 0.05, 1e-5),
    Level("surname and given name swapped",
          "pair_key_l = pair_key_r AND sn_co_l <> sn_co_r", 0.05, 1e-5),
    # Skeletons are short, so one slip moves Jaro-Winkler a lot: count edits.
    Level("same surname, given name close",
          "sn_co_l = sn_co_r AND damerau_levenshtein(gn_sk_l, gn_sk_r) <= 2", 0.04, 5e-4),
    Level("same given name, surname close",
          "gn_co_l = gn_co_r AND damerau_levenshtein(sn_sk_l, sn_sk_r) <= 2", 0.04, 2e-3),
    # Half a name stays at its prior: a benchmark without nicknames or changed
    # surnames would teach EM that this never happens.
    Level("same surname skeleton", "sn_sk_l = sn_sk_r", 0.03, 6e-3, fixed_m=True),
    Level("equivalent given name", "gn_key_l = gn_key_r", 0.02, 6e-2, fixed_m=True),
    Level("else", "ELSE", 0.02, 0.93),
)
PATRONYMIC_LEVELS = (
    Level("equivalent patronymic", "pat_key_l = pat_key_r", 0.85, 0.055),
    Level("coarse patronymic agrees", "pat_co_l = pat_co_r", 0.04, 4e-4),
    Level("patronymic initial agrees",
          "pat_init_l = pat_init_r AND (pat_is_init_l = 1 OR pat_is_init_r = 1)", 0.1, 0.08),
    Level("else", "ELSE", 0.05, 0.94),
)
# Date m values stay fixed: EM cannot tell a namesake with another birth date
# from a match with a mistyped one, and would learn that dates do not matter.
DOB_LEVELS = (
    Level("exact date of birth", "dob_l = dob_r", 0.75, 7e-5, fixed_m=True),
    Level("day and month swapped",
          "dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r", 0.04, 2e-5, True),
    Level("one day apart", "abs(dob_days_l - dob_days_r) <= 1", 0.05, 1.4e-4, fixed_m=True),
    Level("year and month agree, day unknown on one side",
          "dob_y_l = dob_y_r AND dob_m_l = dob_m_r AND (dob_d_l IS NULL OR dob_d_r IS NULL)",
          0.05, 2e-3, fixed_m=True),
    Level("year agrees, month unknown on one side",
          "dob_y_l = dob_y_r AND (dob_m_l IS NULL OR dob_m_r IS NULL)", 0.1, 0.025, True),
    Level("year and month agree", "dob_y_l = dob_y_r AND dob_m_l = dob_m_r", 0.02, 2e-3, True),
    Level("year agrees", "dob_y_l = dob_y_r", 0.02, 0.023, fixed_m=True),
    Level("else", "ELSE", 0.02, 0.975, fixed_m=True),
)
_NULL_SQL = {
    "name": "sn_sk_l IS NULL AND gn_sk_l IS NULL OR sn_sk_r IS NULL AND gn_sk_r IS NULL",
    "patronymic": "pat_init_l IS NULL OR pat_init_r IS NULL",
    "dob": "dob_y_l IS NULL OR dob_y_r IS NULL",
}
_LEVELS = {"name": NAME_LEVELS, "patronymic": PATRONYMIC_LEVELS, "dob": DOB_LEVELS}


def comparison(name: str) -> Any:
    """Build the named comparison: ``name``, ``patronymic`` or ``dob``."""
    from splink import comparison_library as cl

    null = {"sql_condition": _NULL_SQL[name], "label_for_charts": "null", "is_null_level": True}
    levels: list[Any] = [null, *(level.as_dict() for level in _LEVELS[name])]
    return cl.CustomComparison(comparison_levels=levels, output_column_name=name)


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
        comparisons=[comparison(name) for name in _LEVELS],
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )

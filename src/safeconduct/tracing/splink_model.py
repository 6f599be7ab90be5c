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
    # Column whose value frequency replaces u: sharing a common surname or
    # patronymic is weaker evidence than sharing a rare one.
    tf: str | None = None

    def as_dict(self, *, term_frequencies: bool) -> dict[str, Any]:
        """Return the Splink level dict."""
        level: dict[str, Any] = {
            "sql_condition": self.sql,
            "label_for_charts": self.label,
            "m_probability": self.m,
            "u_probability": self.u,
            "fix_m_probability": self.fixed_m,
        }
        if term_frequencies and self.tf:
            level["tf_adjustment_column"] = self.tf
            level["tf_minimum_u_value"] = _TF_MINIMUM_U[self.tf]
        return level


NAME_LEVELS = (
    # One level for exact and transliterated agreement: two different people
    # share a name skeleton about as often as they share its spelling.
    # name_key is surname skeleton | given-name key.
    Level(
        "same surname skeleton, equivalent given name",
        "name_key_l = name_key_r",
        0.8,
        4e-4,
        tf="name_key",
    ),
    Level(
        "coarse skeletons agree (ch read as kh or as sh)",
        "sn_co_l = sn_co_r AND gn_co_l = gn_co_r",
        0.05,
        1e-5,
    ),
    Level(
        "surname and given name swapped",
        "pair_key_l = pair_key_r AND sn_co_l <> sn_co_r",
        0.05,
        2e-5,
    ),
    # Skeletons are short, so one slip moves Jaro-Winkler a lot: count edits.
    # The name that agrees carries the frequency: Ivanov plus a near-Ivan is
    # weaker evidence than a rare surname plus a near-Ivan.
    Level(
        "same surname, given name one edit away",
        "sn_co_l = sn_co_r AND damerau_levenshtein(gn_sk_l, gn_sk_r) <= 1",
        0.03,
        3e-4,
        tf="sn_sk",
    ),
    Level(
        "same given name, surname one edit away",
        "gn_co_l = gn_co_r AND damerau_levenshtein(sn_sk_l, sn_sk_r) <= 1",
        0.03,
        1e-3,
        tf="gn_key",
    ),
    Level(
        "one name the same, the other two edits away",
        "(sn_co_l = sn_co_r AND damerau_levenshtein(gn_sk_l, gn_sk_r) <= 2) OR "
        "(gn_co_l = gn_co_r AND damerau_levenshtein(sn_sk_l, sn_sk_r) <= 2)",
        0.01,
        1e-3,
    ),
    # Half a name stays at its prior: a benchmark without nicknames or changed
    # surnames would teach EM that this never happens.
    Level("same surname skeleton", "sn_sk_l = sn_sk_r", 0.01, 6e-3, True, tf="sn_sk"),
    Level("equivalent given name", "gn_key_l = gn_key_r", 0.005, 6e-2, True, tf="gn_key"),
    # Families rarely get every name wrong; EM, seeing namesakes born on the
    # same day, would say otherwise.
    Level("else", "ELSE", 0.005, 0.93, fixed_m=True),
)
# A level that needs one side to lack detail (only an initial, only a year)
# never shows up in a sample of registry pairs, so its u is set here: the
# chance that an inquiry lacks the detail (its m) times the chance that two
# different people agree on what is left.
PATRONYMIC_LEVELS = (
    Level("equivalent patronymic", "pat_key_l = pat_key_r", 0.85, 0.055, tf="pat_key"),
    Level("coarse patronymic agrees", "pat_co_l = pat_co_r", 0.04, 4e-4),
    Level(
        "patronymic initial agrees",
        "pat_init_l = pat_init_r AND (pat_is_init_l = 1 OR pat_is_init_r = 1)",
        0.1,
        0.1 * 0.08,
        fixed_m=True,
    ),
    Level("else", "ELSE", 0.005, 0.94, fixed_m=True),
)
# Date m values stay fixed: EM cannot tell a namesake with another birth date
# from a match with a mistyped one, and would learn that dates do not matter.
DOB_LEVELS = (
    Level("exact date of birth", "dob_l = dob_r", 0.75, 7e-5, fixed_m=True),
    Level(
        "day and month swapped",
        "dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r",
        0.04,
        2e-5,
        True,
    ),
    Level("one day apart", "abs(dob_days_l - dob_days_r) <= 1", 0.05, 1.4e-4, fixed_m=True),
    Level(
        "year and month agree, day unknown on one side",
        "dob_y_l = dob_y_r AND dob_m_l = dob_m_r AND (dob_d_l IS NULL OR dob_d_r IS NULL)",
        0.04,
        0.04 / 480,
        fixed_m=True,
    ),
    Level(
        "year agrees, month unknown on one side",
        "dob_y_l = dob_y_r AND (dob_m_l IS NULL OR dob_m_r IS NULL)",
        0.08,
        0.08 / 40,
        fixed_m=True,
    ),
    Level(
        "day and month agree, year one apart",
        "dob_m_l = dob_m_r AND dob_d_l = dob_d_r AND abs(dob_y_l - dob_y_r) = 1",
        0.01,
        1.4e-4,
        fixed_m=True,
    ),
    Level("year and month agree", "dob_y_l = dob_y_r AND dob_m_l = dob_m_r", 0.01, 2e-3, True),
    Level("year agrees", "dob_y_l = dob_y_r", 0.01, 0.023, fixed_m=True),
    # Families know the birth date: beyond the slips above, disagreement is rare.
    Level("else", "ELSE", 0.005, 0.975, fixed_m=True),
)
# Frequencies from one registry are noisy for rare values: never let a name
# look rarer than this.
_TF_MINIMUM_U = {"name_key": 2e-5, "sn_sk": 1e-4, "gn_key": 1e-3, "pat_key": 1e-3}
_NULL_SQL = {
    "name": "sn_sk_l IS NULL AND gn_sk_l IS NULL OR sn_sk_r IS NULL AND gn_sk_r IS NULL",
    "patronymic": "pat_init_l IS NULL OR pat_init_r IS NULL",
    "dob": "dob_y_l IS NULL OR dob_y_r IS NULL",
}
_LEVELS = {"name": NAME_LEVELS, "patronymic": PATRONYMIC_LEVELS, "dob": DOB_LEVELS}


def comparison(name: str, *, term_frequencies: bool = True) -> Any:
    """Build the named comparison: ``name``, ``patronymic`` or ``dob``."""
    from splink import comparison_library as cl

    null = {"sql_condition": _NULL_SQL[name], "label_for_charts": "null", "is_null_level": True}
    levels: list[Any] = [null]
    levels += [level.as_dict(term_frequencies=term_frequencies) for level in _LEVELS[name]]
    return cl.CustomComparison(comparison_levels=levels, output_column_name=name)


# Both names agree, but the inquiry gives neither a year nor a patronymic.
_NAMES_ONLY_RULE = (
    "l.sn_co = r.sn_co AND l.gn_co = r.gn_co "
    "AND (l.dob_y IS NULL OR r.dob_y IS NULL) AND (l.pat_key IS NULL OR r.pat_key IS NULL)"
)


def blocking_rules() -> list[Any]:
    """Return rules that between them catch every corruption in the benchmark.

    Each rule misses some corruptions, but every corruption keeps at least one
    rule intact: both names (any spelling, form or order) with the year or the
    patronymic, or one name with the date. Names alone are too common to block
    on: with Zipf-like surnames they bring millions of pairs at registry scale.
    """
    from splink import block_on

    return [
        block_on("sn_co", "gn_co", "dob_y"),
        block_on("sn_co", "gn_co", "pat_key"),
        _NAMES_ONLY_RULE,
        block_on("pair_key", "dob_y"),
        block_on("sn_co", "dob"),
        block_on("sn_sk", "pat_key", "dob_y"),
        block_on("gn_key", "dob"),
        block_on("gn_key", "pat_key", "dob_y"),
    ]


def em_training_rules() -> list[Any]:
    """Return the blocking rules EM trains on (date fixed: its m stays a prior)."""
    from splink import block_on

    return [block_on("dob")]


def settings(*, link_type: str, prior: float, term_frequencies: bool = True) -> Any:
    """Build the SettingsCreator for a link or a registry self-comparison.

    Term frequencies need a registry big enough for a name's frequency to mean
    something; in a registry of five, one namesake makes a name look common.
    """
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        comparisons=[comparison(n, term_frequencies=term_frequencies) for n in _LEVELS],
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )

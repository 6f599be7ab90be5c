"""The Fellegi-Sunter model for tracing: comparisons and blocking rules.

Pure builders: they return Splink creator objects and touch no database, so
the same model runs on DuckDB and on Spark. Levels and rules are predicates
(predicates.py) that render as SQL for Splink and run as Python for the
incremental scorer (pairs.py): one definition, two readings.

Every level carries a prior m (how often a family's inquiry about this person
lands there) and a prior u (how often two different people do). EM can refine
m when asked (SplinkMatcher(train_em=True)); random sampling of a registry big
enough to sample re-estimates u, except for levels that need one side to lack
detail. The u priors were measured on the benchmark's synthetic population
(bench/tracing_data.py) and are only a starting point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safeconduct.tracing.predicates import (
    Expr,
    apart,
    both,
    differ,
    edits,
    edits_across,
    either,
    flagged,
    missing,
    same,
    within,
)


@dataclass(frozen=True, slots=True)
class Level:
    """One comparison level: a predicate (``None`` for ELSE) with m and u priors."""

    label: str
    when: Expr | None
    m: float
    u: float
    # Fixed levels keep their prior m: EM would fit it to the batch, wrongly.
    fixed_m: bool = False
    # Column whose value frequency replaces u: sharing a common surname or
    # patronymic is weaker evidence than sharing a rare one.
    tf: str | None = None
    # Levels that need one side to lack detail keep their prior u: both m and
    # u carry the chance that an inquiry lacks it, and only their ratio (the
    # chance that different people agree on what is left) means anything. A
    # registry sample measures its own share of partial records instead.
    fixed_u: bool = False

    @property
    def sql(self) -> str:
        """The level's Splink SQL condition."""
        return self.when.sql() if self.when is not None else "ELSE"

    def as_dict(self, *, term_frequencies: bool) -> dict[str, Any]:
        """Return the Splink level dict."""
        level: dict[str, Any] = {
            "sql_condition": self.sql,
            "label_for_charts": self.label,
            "m_probability": self.m,
            "u_probability": self.u,
            "fix_m_probability": self.fixed_m,
            "fix_u_probability": self.fixed_u,
        }
        if term_frequencies and self.tf:
            level["tf_adjustment_column"] = self.tf
            level["tf_minimum_u_value"] = _TF_MINIMUM_U[self.tf]
        return level


# Two known given names a letter apart (Mykola, Mykyta) are two names, not a slip.
_NOT_TWO_NAMES = flagged("gn_known", 0)
NAME_LEVELS = (
    # One level for exact and transliterated agreement: two different people
    # share a name skeleton about as often as they share its spelling.
    # name_key is surname skeleton | given-name key.
    Level(
        "same surname skeleton, equivalent given name",
        same("name_key"),
        0.8,
        4e-4,
        tf="name_key",
    ),
    Level(
        "coarse skeletons agree (ch read as kh or as sh)",
        same("sn_co") & same("gn_co"),
        0.05,
        1e-5,
    ),
    Level(
        "surname and given name swapped",
        same("pair_key") & differ("sn_co"),
        0.05,
        2e-5,
    ),
    # A swap and a slip together: one name crosses over intact, the other
    # (on the other side) is one edit from its partner.
    Level(
        "names swapped, one of them one edit away",
        (same("sn_sk", "gn_sk") & edits_across("gn_sk", "sn_sk", 1))
        | (same("gn_sk", "sn_sk") & edits_across("sn_sk", "gn_sk", 1)),
        0.01,
        5e-6,
    ),
    # Skeletons are short, so one slip moves Jaro-Winkler a lot: count edits.
    # The name that agrees carries the frequency: Ivanov plus a near-Ivan is
    # weaker evidence than a rare surname plus a near-Ivan.
    Level(
        "same surname, given name one edit away",
        same("sn_co") & edits("gn_sk", 1) & _NOT_TWO_NAMES,
        0.03,
        3e-4,
        tf="sn_sk",
    ),
    Level(
        "same given name, surname one edit away",
        same("gn_co") & edits("sn_sk", 1),
        0.03,
        1e-3,
        tf="gn_key",
    ),
    Level(
        "one name the same, the other two edits away",
        (same("sn_co") & edits("gn_sk", 2) & _NOT_TWO_NAMES) | (same("gn_co") & edits("sn_sk", 2)),
        0.01,
        1e-3,
    ),
    # Half a name stays at its prior: a benchmark without nicknames or changed
    # surnames would teach EM that this never happens.
    Level("same surname skeleton", same("sn_sk"), 0.01, 6e-3, True, tf="sn_sk"),
    Level("equivalent given name", same("gn_key"), 0.005, 6e-2, True, tf="gn_key"),
    # Families rarely get every name wrong; EM, seeing namesakes born on the
    # same day, would say otherwise.
    Level("else", None, 0.005, 0.93, fixed_m=True),
)
# A level that needs one side to lack detail (only an initial, only a year)
# never shows up in a sample of registry pairs, so its u is set here: the
# chance that an inquiry lacks the detail (its m) times the chance that two
# different people agree on what is left.
PATRONYMIC_LEVELS = (
    Level("equivalent patronymic", same("pat_key"), 0.85, 0.055, tf="pat_key"),
    Level("coarse patronymic agrees", same("pat_co"), 0.04, 4e-4),
    # Patronymics are long: two different ones are rarely a letter apart.
    Level("patronymic one edit away", edits("pat_key", 1), 0.03, 1e-3),
    Level(
        "patronymic initial agrees",
        same("pat_init") & flagged("pat_is_init"),
        0.1,
        0.1 * 0.08,
        fixed_m=True,
        fixed_u=True,
    ),
    Level("else", None, 0.005, 0.94, fixed_m=True),
)
# Date m values stay fixed: EM cannot tell a namesake with another birth date
# from a match with a mistyped one, and would learn that dates do not matter.
DOB_LEVELS = (
    Level("exact date of birth", same("dob"), 0.75, 7e-5, fixed_m=True),
    Level(
        "day and month swapped",
        both(same("dob_y"), same("dob_m", "dob_d"), same("dob_d", "dob_m")),
        0.04,
        2e-5,
        True,
    ),
    Level("one day apart", within("dob_days", 1), 0.05, 1.4e-4, fixed_m=True),
    Level(
        "year and month agree, day unknown on one side",
        same("dob_y") & same("dob_m") & missing("dob_d"),
        0.04,
        0.04 / 480,
        fixed_m=True,
        fixed_u=True,
    ),
    Level(
        "year agrees, month unknown on one side",
        same("dob_y") & missing("dob_m"),
        0.08,
        0.08 / 40,
        fixed_m=True,
        fixed_u=True,
    ),
    Level(
        "day and month agree, year one apart",
        both(same("dob_m"), same("dob_d"), apart("dob_y", 1)),
        0.01,
        1.4e-4,
        fixed_m=True,
    ),
    # A slip of one key in a full date: a digit of the year, month or day.
    # Such a slip leaves two of the three parts intact, and testing that
    # first spares the distance on almost every pair.
    Level(
        "date one keystroke away",
        either(
            same("dob_y") & same("dob_m"),
            same("dob_y") & same("dob_d"),
            same("dob_m") & same("dob_d"),
        )
        & edits("dob", 1),
        0.03,
        1.5e-3,
        fixed_m=True,
    ),
    Level("year and month agree", same("dob_y") & same("dob_m"), 0.01, 2e-3, True),
    Level("year agrees", same("dob_y"), 0.01, 0.023, fixed_m=True),
    # Families know the birth date: beyond the slips above, disagreement is rare.
    Level("else", None, 0.005, 0.975, fixed_m=True),
)
# Frequencies from one registry are noisy for rare values: never let a name
# look rarer than this.
_TF_MINIMUM_U = {"name_key": 2e-5, "sn_sk": 1e-4, "gn_key": 1e-3, "pat_key": 1e-3}
# A pair lands in a comparison's null level (weight 0) when this holds.
NULL_LEVELS: dict[str, Expr] = {
    "name": (missing("sn_sk", "l") & missing("gn_sk", "l"))
    | (missing("sn_sk", "r") & missing("gn_sk", "r")),
    "patronymic": missing("pat_init"),
    "dob": missing("dob_y"),
}
LEVELS = {"name": NAME_LEVELS, "patronymic": PATRONYMIC_LEVELS, "dob": DOB_LEVELS}


def comparison(name: str, *, term_frequencies: bool = True) -> Any:
    """Build the named comparison: ``name``, ``patronymic`` or ``dob``."""
    from splink import comparison_library as cl

    null = {
        "sql_condition": NULL_LEVELS[name].sql(),
        "label_for_charts": "null",
        "is_null_level": True,
    }
    levels: list[Any] = [null]
    levels += [level.as_dict(term_frequencies=term_frequencies) for level in LEVELS[name]]
    return cl.CustomComparison(comparison_levels=levels, output_column_name=name)


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """Equality on ``columns``, narrowed to pairs where each of ``missing_either`` is
    unknown on at least one side.

    A column is a name, or a (left, right) pair for a rule that compares one
    column of a record with another column of its partner. ``keyspace`` names
    the blocking keys; two mirrored rules share one, so their keys coincide.
    The narrowing is written as columns, not as any predicate, so that blocking
    keys can carry it exactly (pairs.blocking_keys).
    """

    name: str
    columns: tuple[str | tuple[str, str], ...]
    missing_either: tuple[str, ...] = ()
    keyspace: str = ""

    @property
    def narrow(self) -> Expr | None:
        """The narrowing predicate, if any."""
        if not self.missing_either:
            return None
        return both(*(missing(column) for column in self.missing_either))

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The (left, right) column of each equality."""
        return tuple((c, c) if isinstance(c, str) else c for c in self.columns)

    def sql(self) -> str:
        """The rule as Splink blocking SQL."""
        parts = [f"l.{a} = r.{b}" for a, b in self.pairs()]
        if self.narrow is not None:
            parts.append(self.narrow.sql("block"))
        return " AND ".join(parts)

    def creator(self) -> Any:
        """The rule as Splink takes it."""
        from splink import block_on

        if self.narrow is None and all(isinstance(c, str) for c in self.columns):
            return block_on(*self.columns)  # type: ignore[arg-type]
        return self.sql()


# Each rule misses some corruptions, but every corruption keeps at least one
# rule intact: both names (any spelling, form or order) with the year, the
# day and month or the patronymic, or one name with the date. Names alone are
# too common to block on: with Zipf-like surnames they bring millions of
# pairs at registry scale.
_SWAPPED = "swapped_month"
BLOCKING_RULES = (
    BlockingRule("names_year", ("sn_co", "gn_co", "dob_y")),
    BlockingRule("names_pat", ("sn_co", "gn_co", "pat_key")),
    # Both names agree, but the inquiry gives neither a year nor a patronymic.
    BlockingRule("names_only", ("sn_co", "gn_co"), missing_either=("dob_y", "pat_key")),
    # A slip in the year: the day and month still hold.
    BlockingRule("names_day", ("sn_co", "gn_co", "dob_m", "dob_d")),
    BlockingRule("pair_year", ("pair_key", "dob_y")),
    BlockingRule("pair_pat", ("pair_key", "pat_key")),
    # Swapped names with a slip in one of them: the other still pairs across.
    # One name is weak, so the month of birth joins the year.
    BlockingRule(_SWAPPED, (("sn_sk", "gn_sk"), "dob_y", "dob_m"), keyspace=_SWAPPED),
    BlockingRule(f"{_SWAPPED}_mirror", (("gn_sk", "sn_sk"), "dob_y", "dob_m"), keyspace=_SWAPPED),
    BlockingRule("surname_dob", ("sn_co", "dob")),
    BlockingRule("surname_pat_year", ("sn_sk", "pat_key", "dob_y")),
    BlockingRule("given_dob", ("gn_key", "dob")),
    BlockingRule("given_pat_year", ("gn_key", "pat_key", "dob_y")),
)


def blocking_rules() -> list[Any]:
    """Return the Splink blocking rules (see ``BLOCKING_RULES``)."""
    return [rule.creator() for rule in BLOCKING_RULES]


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
        comparisons=[comparison(n, term_frequencies=term_frequencies) for n in LEVELS],
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )

"""Pair predicates written once and read two ways: as Splink SQL and as Python.

The model's comparison levels and blocking rules are built from these, so the
SQL Splink runs and the Python the incremental scorer runs (pairs.py) cannot
drift apart. Columns are those of ``features.COLUMNS``; a record is a mapping
from column to value, ``None`` standing for SQL NULL.

Only positive AND/OR of atoms is supported: with no NOT, an atom that is
NULL in SQL can be read as false in Python without changing any outcome.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

Record = Mapping[str, Any]
# "level": Splink comparison SQL (col_l, col_r); "block": blocking SQL (l.col, r.col).
Style = Literal["level", "block"]
Side = Literal["l", "r"]


def _col(name: str, side: Side, style: Style) -> str:
    return f"{name}_{side}" if style == "level" else f"{side}.{name}"


class Expr(ABC):
    """A predicate over a pair of records: every kind renders SQL and evaluates in Python."""

    @abstractmethod
    def sql(self, style: Style = "level") -> str:
        """Render the predicate as SQL."""

    @abstractmethod
    def __call__(self, left: Record, right: Record) -> bool:
        """Evaluate the predicate on two records."""

    @abstractmethod
    def columns(self) -> frozenset[str]:
        """The columns the predicate reads (on either side)."""

    @abstractmethod
    def py(self) -> str:
        """The predicate as a Python expression over records ``l`` and ``r`` (see compiled)."""

    def __and__(self, other: Expr) -> Expr:
        return _Join("AND", (self, other), all)

    def __or__(self, other: Expr) -> Expr:
        return _Join("OR", (self, other), any)


@dataclass(frozen=True, slots=True)
class _Join(Expr):
    op: str
    parts: tuple[Expr, ...]
    combine: Callable[[Any], bool]

    def sql(self, style: Style = "level") -> str:
        return "(" + f" {self.op} ".join(p.sql(style) for p in self.parts) + ")"

    def __call__(self, left: Record, right: Record) -> bool:
        return self.combine(p(left, right) for p in self.parts)

    def columns(self) -> frozenset[str]:
        return frozenset().union(*(p.columns() for p in self.parts))

    def py(self) -> str:
        return "(" + f" {self.op.lower()} ".join(p.py() for p in self.parts) + ")"


@dataclass(frozen=True, slots=True)
class _Compare(Expr):
    """``left_col op right_col`` where ``op`` is ``=`` or ``<>``."""

    column: str
    other: str
    op: str

    def sql(self, style: Style = "level") -> str:
        return f"{_col(self.column, 'l', style)} {self.op} {_col(self.other, 'r', style)}"

    def __call__(self, left: Record, right: Record) -> bool:
        a, b = left[self.column], right[self.other]
        if a is None or b is None:
            return False
        return bool(a == b) if self.op == "=" else bool(a != b)

    def columns(self) -> frozenset[str]:
        return frozenset((self.column, self.other))

    def py(self) -> str:
        a, b = f"l[{self.column!r}]", f"r[{self.other!r}]"
        if self.op == "=":
            return f"({a} is not None and {a} == {b})"
        return f"({a} is not None and {b} is not None and {a} != {b})"


@dataclass(frozen=True, slots=True)
class _Edits(Expr):
    column: str
    other: str
    most: int

    def sql(self, style: Style = "level") -> str:
        pair = f"{_col(self.column, 'l', style)}, {_col(self.other, 'r', style)}"
        return f"damerau_levenshtein({pair}) <= {self.most}"

    def __call__(self, left: Record, right: Record) -> bool:
        a, b = left[self.column], right[self.other]
        if a is None or b is None:
            return False
        return within_edits(a, b, self.most)

    def columns(self) -> frozenset[str]:
        return frozenset((self.column, self.other))

    def py(self) -> str:
        a, b = f"l[{self.column!r}]", f"r[{self.other!r}]"
        return f"({a} is not None and {b} is not None and within_edits({a}, {b}, {self.most}))"


@dataclass(frozen=True, slots=True)
class _Gap(Expr):
    """``abs(l - r) op n`` for an integer column."""

    column: str
    op: str
    n: int

    def sql(self, style: Style = "level") -> str:
        diff = f"abs({_col(self.column, 'l', style)} - {_col(self.column, 'r', style)})"
        return f"{diff} {self.op} {self.n}"

    def __call__(self, left: Record, right: Record) -> bool:
        a, b = left[self.column], right[self.column]
        if a is None or b is None:
            return False
        gap = abs(int(a) - int(b))
        return gap <= self.n if self.op == "<=" else gap == self.n

    def columns(self) -> frozenset[str]:
        return frozenset((self.column,))

    def py(self) -> str:
        a, b = f"l[{self.column!r}]", f"r[{self.column!r}]"
        op = "<=" if self.op == "<=" else "=="
        return f"({a} is not None and {b} is not None and abs(int({a}) - int({b})) {op} {self.n})"


@dataclass(frozen=True, slots=True)
class _Null(Expr):
    column: str
    side: Side

    def sql(self, style: Style = "level") -> str:
        return f"{_col(self.column, self.side, style)} IS NULL"

    def __call__(self, left: Record, right: Record) -> bool:
        return (left if self.side == "l" else right)[self.column] is None

    def columns(self) -> frozenset[str]:
        return frozenset((self.column,))

    def py(self) -> str:
        return f"({self.side}[{self.column!r}] is None)"


@dataclass(frozen=True, slots=True)
class _Value(Expr):
    column: str
    side: Side
    value: int

    def sql(self, style: Style = "level") -> str:
        return f"{_col(self.column, self.side, style)} = {self.value}"

    def __call__(self, left: Record, right: Record) -> bool:
        value = (left if self.side == "l" else right)[self.column]
        return value is not None and value == self.value

    def columns(self) -> frozenset[str]:
        return frozenset((self.column,))

    def py(self) -> str:
        value = f"{self.side}[{self.column!r}]"
        return f"({value} is not None and {value} == {int(self.value)})"


Compiled = Callable[[Record, Record], bool]


def compiled(expr: Expr) -> Compiled:
    """The predicate as one Python function: a tree of small objects costs a call per node,
    and the live scorer evaluates a dozen predicates per pair. The source is rendered from
    this module's own atoms (column names and integers), never from input."""
    source = f"lambda l, r: bool({expr.py()})"
    function: Compiled = eval(source, {"within_edits": within_edits, "abs": abs, "int": int})  # noqa: S307
    return function


def same(column: str, other: str | None = None) -> Expr:
    """Left ``column`` equals right ``other`` (default: the same column)."""
    return _Compare(column, other or column, "=")


def differ(column: str) -> Expr:
    """Both sides known and different."""
    return _Compare(column, column, "<>")


def edits(column: str, most: int) -> Expr:
    """At most ``most`` Damerau-Levenshtein edits apart."""
    return _Edits(column, column, most)


def edits_across(column: str, other: str, most: int) -> Expr:
    """Left ``column`` at most ``most`` edits from right ``other``."""
    return _Edits(column, other, most)


def within(column: str, n: int) -> Expr:
    """Integers at most ``n`` apart."""
    return _Gap(column, "<=", n)


def apart(column: str, n: int) -> Expr:
    """Integers exactly ``n`` apart."""
    return _Gap(column, "=", n)


def missing(column: str, side: Side | None = None) -> Expr:
    """The column is NULL on ``side``, or on either side when no side is given."""
    if side is None:
        return _Null(column, "l") | _Null(column, "r")
    return _Null(column, side)


def flagged(column: str, value: int = 1) -> Expr:
    """Either side holds ``value`` in the column."""
    return _Value(column, "l", value) | _Value(column, "r", value)


def both(*parts: Expr) -> Expr:
    """All parts hold."""
    return _Join("AND", parts, all)


def either(*parts: Expr) -> Expr:
    """Any part holds."""
    return _Join("OR", parts, any)


def within_edits(a: str, b: str, most: int) -> bool:
    """``damerau_levenshtein(a, b) <= most``, the common cases without the full table."""
    if abs(len(a) - len(b)) > most:  # the distance is at least the difference in length
        return False
    if most == 1:
        return _one_edit(a, b)
    return _distance(a, b) <= most


def _one_edit(a: str, b: str) -> bool:
    # Within one edit: equal, or equal once one substitution, insertion, deletion or
    # swap of neighbours is undone at the first difference.
    if a == b:
        return True
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    if len(a) == len(b):
        swapped = a[i + 1 : i + 2] == b[i : i + 1] and a[i : i + 1] == b[i + 1 : i + 2]
        return a[i + 1 :] == b[i + 1 :] or (swapped and a[i + 2 :] == b[i + 2 :])
    if len(a) > len(b):
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


# Names repeat (a few hundred given names, the inquiry's own names against each candidate).
@lru_cache(maxsize=1 << 16)
def _distance(a: str, b: str) -> int:
    return damerau_levenshtein(a, b)


def damerau_levenshtein(a: str, b: str) -> int:
    """Unrestricted Damerau-Levenshtein distance, as DuckDB computes it.

    Lowrance-Wagner: unlike optimal string alignment, a transposed pair may
    be edited again (``ca`` -> ``abc`` is 2, not 3).
    """
    if a == b:
        return 0
    inf = len(a) + len(b)
    last_row: dict[str, int] = {}
    # Rows and columns shifted by two: row 0 holds the sentinel, row 1 the empty prefix.
    d = [[inf] * (len(b) + 2) for _ in range(len(a) + 2)]
    for i in range(len(a) + 1):
        d[i + 1][1] = i
    for j in range(len(b) + 1):
        d[1][j + 1] = j
    for i in range(1, len(a) + 1):
        last_col = 0
        for j in range(1, len(b) + 1):
            k, cost = last_row.get(b[j - 1], 0), int(a[i - 1] != b[j - 1])
            d[i + 1][j + 1] = min(
                d[i][j] + cost,
                d[i + 1][j] + 1,
                d[i][j + 1] + 1,
                d[k][last_col] + (i - k - 1) + 1 + (j - last_col - 1),
            )
            if not cost:
                last_col = j
        last_row[a[i - 1]] = i
    return d[len(a) + 1][len(b) + 1]

"""Small-cell and complementary suppression of the bureau's statistics. Pure: no I/O.

Every count is an arc of one circulation network, every published equality (a row or a
column adds up to its margin, every table adds up to the same grand total) is a node where
what flows in flows out. Row and column margins are arcs too, shared by every table that
shows them, so a margin is shown or hidden alike wherever it appears.

- A count under `k` is suppressed (primary, shown as `<5`). Zero is no exception: a zero
  beside a small total would say who is not there.
- Then, for every suppressed count that the published numbers would pin down, the cheapest
  published counts that give it room are suppressed too (complementary, shown as `x`: "at
  least k, hidden to protect another cell").

Why the check is exact: the published equalities form a network matrix (totally
unimodular), so another integer table with a suppressed count one higher or lower exists
exactly when a cycle through that count can carry one unit within what a reader knows of
every suppressed count (a primary lies in 0..k-1, a complementary is at least k). `pinned`
looks for such a cycle for each suppressed count; `suppress` adds the cheapest published
counts that close one."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

K = 5
PRIMARY_MARK = "<5"
COMPLEMENTARY_MARK = "x"
# Hiding the grand total hides it in every table: the last resort, priced accordingly.
TOTAL_COST = 1_000_000

Key = tuple[str, ...]


class Mark(StrEnum):
    SHOWN = "shown"
    PRIMARY = "primary"  # under k
    COMPLEMENTARY = "complementary"  # at least k, hidden to protect another count


@dataclass(frozen=True, slots=True)
class Arc:
    """One count: `key` names it, `tail` -> `head` is where it sits in the network."""

    key: Key
    tail: str
    head: str
    value: int


class SuppressionError(RuntimeError):
    """A publication that would let a reader recover a suppressed count (never expected:
    raised rather than published). Names counts by key only, never by value."""


class Network:
    """Arcs in a fixed order (the order they were added), one of them the grand total."""

    def __init__(self, total: Key) -> None:
        self.arcs: list[Arc] = []
        self.by_key: dict[Key, Arc] = {}
        self.total = total

    def add(self, key: Key, tail: str, head: str, value: int) -> None:
        if value < 0:
            raise ValueError("a count is never negative")
        if key in self.by_key:
            raise ValueError(f"two counts named {key!r}")
        arc = Arc(key, tail, head, value)
        self.arcs.append(arc)
        self.by_key[key] = arc

    def value(self, key: Key) -> int:
        return self.by_key[key].value


# -- what a reader knows of a count, and where one unit may move ------------------------------


def can_rise(mark: Mark, value: int, k: int) -> bool:
    return mark is Mark.COMPLEMENTARY or (mark is Mark.PRIMARY and value < k - 1)


def can_fall(mark: Mark, value: int, k: int) -> bool:
    return (mark is Mark.PRIMARY and value > 0) or (mark is Mark.COMPLEMENTARY and value > k)


def _steps(
    network: Network, marks: Mapping[Key, Mark], k: int, *, hidden_only: bool
) -> dict[str, list[tuple[str, Key, int]]]:
    """Residual steps: node -> (next node, arc, cost). Along an arc where it may rise,
    against it where it may fall. A shown arc costs its value (it would be hidden, as a
    complementary count, at least k), the grand total costs most; hidden arcs are free."""
    out: dict[str, list[tuple[str, Key, int]]] = {}
    for arc in network.arcs:
        mark = marks[arc.key]
        if mark is Mark.SHOWN:
            if hidden_only:
                continue
            mark, cost = Mark.COMPLEMENTARY, arc.value
            if arc.key == network.total:
                cost = TOTAL_COST + arc.value
        else:
            cost = 0
        if can_rise(mark, arc.value, k):
            out.setdefault(arc.tail, []).append((arc.head, arc.key, cost))
        if can_fall(mark, arc.value, k):
            out.setdefault(arc.head, []).append((arc.tail, arc.key, cost))
    return out


def _cheapest_path(
    steps: Mapping[str, list[tuple[str, Key, int]]], start: str, goal: str, avoid: Key
) -> list[Key] | None:
    """The arcs of the cheapest path from `start` to `goal` not using `avoid`, or None.
    Ties break on node and arc names, so the same counts give the same path."""
    best: dict[str, tuple[int, int]] = {start: (0, 0)}
    came: dict[str, tuple[str, Key]] = {}
    queue: list[tuple[int, int, str]] = [(0, 0, start)]
    while queue:
        cost, hops, node = heapq.heappop(queue)
        if node == goal:
            path: list[Key] = []
            while node != start:
                node, key = came[node]
                path.append(key)
            return path
        if best.get(node, (cost, hops)) < (cost, hops):
            continue
        for nxt, key, step in sorted(steps.get(node, ())):
            if key == avoid:
                continue
            found = (cost + step, hops + 1)
            if nxt not in best or found < best[nxt]:
                best[nxt] = found
                came[nxt] = (node, key)
                heapq.heappush(queue, (*found, nxt))
    return None


def _room(
    network: Network, marks: Mapping[Key, Mark], key: Key, k: int, *, hidden_only: bool
) -> list[Key] | None:
    """A cycle through a hidden count that lets it move by one (the other arcs on it), or
    None. Up: from its head back to its tail; down: from its tail back to its head."""
    arc = network.by_key[key]
    steps = _steps(network, marks, k, hidden_only=hidden_only)
    found: list[list[Key]] = []
    if can_rise(marks[key], arc.value, k):
        up = _cheapest_path(steps, arc.head, arc.tail, key)
        if up is not None:
            found.append(up)
    if can_fall(marks[key], arc.value, k):
        down = _cheapest_path(steps, arc.tail, arc.head, key)
        if down is not None:
            found.append(down)
    if not found:
        return None
    return min(found, key=lambda path: (_cost(network, marks, path), path))


def _cost(network: Network, marks: Mapping[Key, Mark], path: Sequence[Key]) -> int:
    return sum(
        (TOTAL_COST if key == network.total else 0) + network.value(key)
        for key in path
        if marks[key] is Mark.SHOWN
    )


# -- the algorithm and its check ---------------------------------------------------------------


def suppress(network: Network, k: int = K) -> dict[Key, Mark]:
    """Each count's mark: primary under k, then complementary until no hidden count can be
    recovered from what is shown (raises SuppressionError if that cannot be reached)."""
    marks = {a.key: Mark.PRIMARY if a.value < k else Mark.SHOWN for a in network.arcs}
    changed = True
    while changed:
        changed = False
        for arc in network.arcs:
            if marks[arc.key] is Mark.SHOWN:
                continue
            if _room(network, marks, arc.key, k, hidden_only=True) is not None:
                continue
            path = _room(network, marks, arc.key, k, hidden_only=False)
            if path is None:
                raise SuppressionError(f"no protection for {arc.key!r}")
            for key in path:
                if marks[key] is Mark.SHOWN:
                    marks[key] = Mark.COMPLEMENTARY
                    changed = True
    check(network, marks, k)
    return marks


def pinned(network: Network, marks: Mapping[Key, Mark], k: int = K) -> list[Key]:
    """The hidden counts a reader could recover exactly from the shown counts, knowing a
    primary is under k and a complementary at least k: those with no cycle to move on."""
    return [
        a.key
        for a in network.arcs
        if marks[a.key] is not Mark.SHOWN
        and _room(network, marks, a.key, k, hidden_only=True) is None
    ]


def check(network: Network, marks: Mapping[Key, Mark], k: int = K) -> None:
    """The self-check run before anything is published: no count under k is shown, every
    complementary count is at least k (its mark says so), none is recoverable."""
    for arc in network.arcs:
        mark = marks[arc.key]
        if mark is Mark.SHOWN and arc.value < k:
            raise SuppressionError(f"{arc.key!r} is under {k} and shown")
        if mark is Mark.COMPLEMENTARY and arc.value < k:
            raise SuppressionError(f"{arc.key!r} is under {k} and marked complementary")
    found = pinned(network, marks, k)
    if found:
        raise SuppressionError(f"recoverable: {found[0]!r}")


def shown(value: int, mark: Mark) -> int | str:
    """What a reader sees of a count."""
    if mark is Mark.PRIMARY:
        return PRIMARY_MARK
    if mark is Mark.COMPLEMENTARY:
        return COMPLEMENTARY_MARK
    return value


# -- tables as networks ---------------------------------------------------------------------


TOTAL: Key = ("total",)


def one_way(counts: Mapping[str, int]) -> Network:
    """A one-way table: a count per value and the total."""
    network = Network(TOTAL)
    for value, n in counts.items():
        network.add(("cell", value), "in", "out", n)
    network.add(TOTAL, "out", "in", sum(counts.values()))
    return network


def two_way(counts: Sequence[Sequence[int]]) -> Network:
    """A two-way table (rows x columns) with row and column margins and the grand total.
    Keys: ("cell", i, j), ("row", i), ("column", j), TOTAL (indices as text)."""
    network = Network(TOTAL)
    width = len(counts[0]) if counts else 0
    for j in range(width):
        network.add(("column", str(j)), "source", f"c{j}", sum(row[j] for row in counts))
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            network.add(("cell", str(i), str(j)), f"c{j}", f"r{i}", n)
        network.add(("row", str(i)), f"r{i}", "sink", sum(row))
    network.add(TOTAL, "sink", "source", sum(map(sum, counts)))
    return network


@dataclass(frozen=True, slots=True)
class Profile:
    """One counted person as the statistics see them: one value per dimension."""

    place: str
    status: str
    sex: str
    rank: str
    age: str
    month: str


# The dimensions, in the order tables are published. Never how someone came into custody,
# through which channel, or what they wish: there is no such field on a Profile.
DIMENSIONS = ("place_of_internment", "status", "sex", "rank_category", "age_band", "month")
CROSSED = (("place_of_internment", "status"), ("place_of_internment", "sex"))
_FIELD = {
    "place_of_internment": "place",
    "status": "status",
    "sex": "sex",
    "rank_category": "rank",
    "age_band": "age",
    "month": "month",
}


def value_of(profile: Profile, dimension: str) -> str:
    return str(getattr(profile, _FIELD[dimension]))


def _count(profiles: Iterable[Profile], *dimensions: str) -> dict[tuple[str, ...], int]:
    found: dict[tuple[str, ...], int] = {}
    for p in profiles:
        key = tuple(value_of(p, d) for d in dimensions)
        found[key] = found.get(key, 0) + 1
    return found


def linked(profiles: Sequence[Profile], domains: Mapping[str, Sequence[str]]) -> Network:
    """Every table of the statistics as one network, so a count shown in one table and
    hidden in another is impossible, and a reader combining tables is accounted for.

    Source -> status -> place (in -> out) -> sex -> rank -> age band -> month -> source:
    the status x place and place x sex cells are arcs between their values' nodes; the
    margins of a dimension (its one-way table) are arcs into or out of its nodes; the rank,
    age band and month tables are parallel arcs between two nodes each; every stage carries
    the grand total."""
    network = Network(TOTAL)
    one = {d: _count(profiles, d) for d in DIMENSIONS}
    place_status = _count(profiles, "place_of_internment", "status")
    place_sex = _count(profiles, "place_of_internment", "sex")
    places, statuses, sexes = (
        domains["place_of_internment"],
        domains["status"],
        domains["sex"],
    )
    for s in statuses:
        network.add(("status", s), "source", f"status:{s}", one["status"].get((s,), 0))
    for p in places:
        for s in statuses:
            n = place_status.get((p, s), 0)
            network.add(("place_of_internment", p, "status", s), f"status:{s}", f"in:{p}", n)
        network.add(
            ("place_of_internment", p), f"in:{p}", f"out:{p}", one[DIMENSIONS[0]].get((p,), 0)
        )
        for x in sexes:
            n = place_sex.get((p, x), 0)
            network.add(("place_of_internment", p, "sex", x), f"out:{p}", f"sex:{x}", n)
    for x in sexes:
        network.add(("sex", x), f"sex:{x}", "sexes", one["sex"].get((x,), 0))
    stage = "sexes"
    for dimension in ("rank_category", "age_band", "month"):
        for v in domains[dimension]:
            network.add((dimension, v), stage, dimension, one[dimension].get((v,), 0))
        stage = dimension
    network.add(TOTAL, stage, "source", len(profiles))
    return network


# -- what is published ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One published count: `value` of the table's dimension and `across_value` of the
    crossed one; None in either is the total over that dimension (a margin)."""

    value: str | None
    across_value: str | None
    count: int | str


@dataclass(frozen=True, slots=True)
class Table:
    dimension: str
    across: str | None
    rows: tuple[Row, ...]
    total: int | str


def tables(
    profiles: Sequence[Profile], domains: Mapping[str, Sequence[str]], k: int = K
) -> list[Table]:
    """The published tables: one per dimension, then place x status and place x sex, each
    count shown or marked, checked before it is returned."""
    network = linked(profiles, domains)
    marks = suppress(network, k)

    def seen(key: Key) -> int | str:
        return shown(network.value(key), marks[key])

    total = seen(TOTAL)
    out = [
        Table(d, None, tuple(Row(v, None, seen((d, v))) for v in domains[d]), total)
        for d in DIMENSIONS
    ]
    for dimension, across in CROSSED:
        rows: list[Row] = []
        for p in domains[dimension]:
            rows.extend(Row(p, a, seen((dimension, p, across, a))) for a in domains[across])
            rows.append(Row(p, None, seen((dimension, p))))
        rows.extend(Row(None, a, seen((across, a))) for a in domains[across])
        out.append(Table(dimension, across, tuple(rows), total))
    return out

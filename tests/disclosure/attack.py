"""An outside adversary with a full copy of the database and no keys.

It reads every table and column it finds by inspection, turns every plain value, byte length,
physical row position and audit-log neighbourhood into features of a person, and measures how
well they reveal who surrendered (AUC) and which request led to whom (top-1 linking).
"""

from __future__ import annotations

import math
import time
import uuid
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import combinations
from numbers import Number
from typing import Any

import numpy as np
from sqlalchemy import create_engine, inspect, text

PERSONS, REQUESTS, AUDIT = "persons", "surrender_requests", "audit_entries"
WINDOWS = (1, 2, 5, 10)
EDGES = ("first_seq", "first_at", "last_seq", "last_at")
FAR = 1e12  # the gap given to an impossible pairing (seconds or seq)
DAY = 86400.0
# The intercept's penalty: none to speak of, but enough to keep the people's-space steps
# well conditioned (the AUC does not depend on the intercept at all).
INTERCEPT_RIDGE = 1e-6
Vec = np.ndarray[Any, np.dtype[Any]]
Scorer = Callable[[Vec], Vec]


@dataclass
class Table:
    """A table as read: values by column, physical row order, and whose rows they are."""

    name: str
    cols: dict[str, list[Any]]
    rowid: Vec
    pk: list[Any]
    kinds: dict[str, str] = field(default_factory=dict)
    owners: dict[str, list[int]] = field(default_factory=dict)  # root table -> row index or -1


Ids = dict[str, tuple[Table, int]]


@dataclass(frozen=True)
class AttackReport:
    auc_best_single: float
    best_single_name: str
    auc_best_single_holdout: float
    auc_classifier: float
    link_top1: float
    link_best_scorer: str
    link_top1_day_shuffled: float
    link_chance: float
    n_persons: int
    n_voluntary: int
    n_links: int
    seconds: float
    single_aucs: dict[str, float]
    link_scorers: dict[str, float]
    request_tables: tuple[str, ...] = ()  # every table whose rows it tied to requests

    def summary(self) -> str:
        top = sorted(self.single_aucs.items(), key=lambda kv: -kv[1])[1:4]
        return (
            f"persons {self.n_persons} ({self.n_voluntary} voluntary), "
            f"{len(self.single_aucs)} features, {self.seconds:.1f} s\n"
            f"best single AUC {self.auc_best_single:.3f} ({self.best_single_name}); "
            f"chosen on one half, scored on the other: {self.auc_best_single_holdout:.3f}\n"
            f"next: {'; '.join(f'{n} {a:.3f}' for n, a in top)}\n"
            f"classifier AUC (5-fold out-of-fold) {self.auc_classifier:.3f}\n"
            f"linking {self.n_links} requests: top-1 {self.link_top1:.3f} "
            f"({self.link_best_scorer}), day-shuffled {self.link_top1_day_shuffled:.3f}, "
            f"chance {self.link_chance:.4f}"
        )


def _ts(v: Any) -> float:
    """Seconds since the epoch for a date, a datetime or ISO text at any precision; else NaN."""
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=UTC)).timestamp()
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=UTC).timestamp()
    if isinstance(v, str) and 4 <= len(s := v.strip()) <= 40 and s[:4].isdigit():
        s += {4: "-01-01", 7: "-01"}.get(len(s), "")
        try:
            return _ts(datetime.fromisoformat(s.replace("Z", "+00:00")))
        except ValueError:
            return math.nan
    return math.nan


def _kind(values: list[Any]) -> str:
    nn = [v for v in values if v is not None]
    if not nn:
        return "null"
    if isinstance(nn[0], bytes | bytearray | memoryview):
        return "bin"
    if isinstance(nn[0], Number):
        return "num"
    if sum(not math.isnan(_ts(v)) for v in nn[:300]) >= 0.8 * len(nn[:300]):
        return "time"
    distinct = len({str(v) for v in nn})
    return "cat" if distinct <= 30 and distinct < 0.5 * len(nn) else "text"


def _rid(v: Any) -> float:
    if isinstance(v, str):  # PostgreSQL ctid "(page,tuple)"
        page, tup = v.strip("()").split(",")
        return float(int(page) * 65536 + int(tup))
    return float(v)


def _load(db_url: str) -> dict[str, Table]:
    engine = create_engine(db_url)
    rid = {"sqlite": "rowid", "postgresql": "ctid::text"}.get(engine.dialect.name, "NULL")
    tables: dict[str, Table] = {}
    try:
        insp = inspect(engine)
        for name in insp.get_table_names():
            cols = [c["name"] for c in insp.get_columns(name)]
            pk = insp.get_pk_constraint(name).get("constrained_columns") or []
            sel = ", ".join(f'"{c}"' for c in cols)
            with engine.connect() as conn:
                rows = conn.execute(text(f'SELECT {rid} AS "__rid", {sel} FROM "{name}"')).all()
            values = {c: [r[i + 1] for r in rows] for i, c in enumerate(cols)}
            rowid = [_rid(r[0]) if r[0] is not None else i for i, r in enumerate(rows)]
            keys = values[pk[0]] if len(pk) == 1 else [None] * len(rows)
            t = Table(name, values, np.array(rowid, dtype=float), keys)
            t.kinds = {c: _kind(v) for c, v in values.items()}
            tables[name] = t
    finally:
        engine.dispose()
    return tables


def _attribute(tables: dict[str, Table], root: str) -> dict[str, int]:
    """Follow plain references to root's ids through every other table (two hops)."""
    owner = {str(k): i for i, k in enumerate(tables[root].pk) if k is not None}
    for t in tables.values():
        t.owners[root] = list(range(len(t.pk))) if t.name == root else [-1] * len(t.pk)
    for _ in range(2):
        for t in (t for t in tables.values() if t.name not in (root, AUDIT)):
            own = t.owners[root]
            for c in (c for c, k in t.kinds.items() if k in ("text", "cat")):
                for i, v in enumerate(t.cols[c]):
                    if own[i] < 0 and v is not None and str(v) in owner:
                        own[i] = owner[str(v)]
                        if t.pk[i] is not None:
                            owner[str(t.pk[i])] = own[i]
    return owner


def _first_rows(t: Table, root: str, n: int) -> Vec:
    """The first row (in physical order) of t owned by each root row, or -1."""
    first = np.full(n, -1)
    for i in np.argsort(t.rowid, kind="stable")[::-1]:
        if (o := t.owners[root][i]) >= 0:
            first[o] = i
    return first


class Features:
    """Named feature columns over the persons; NaN where a person has no value."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.cols: dict[str, Vec] = {}

    def put(self, name: str, p: Any, value: Any) -> None:
        if name not in self.cols:  # one-hot and count columns default to 0
            self.cols[name] = np.full(self.n, 0.0 if "=" in name else math.nan)
        self.cols[name][p] = value


def _row_features(f: Features, t: Table, i: int, p: int, ids: Ids) -> None:
    for c, k in t.kinds.items():
        v, name = t.cols[c][i], f"{t.name}.{c}"
        f.put(name + ":null", p, float(v is None))
        if v is None or k == "null":
            continue
        if k in ("num", "time"):
            f.put(name, p, float(v) if k == "num" else _ts(v))
        if k == "time":
            f.put(name + ":tod", p, _ts(v) % DAY)
        if k == "cat":
            f.put(f"{name}={v}", p, 1.0)
        elif k in ("text", "time"):
            f.put(name + ":len", p, len(str(v)))
            f.put(name + ":nonascii", p, sum(ord(ch) > 127 for ch in str(v)))
        elif k == "bin":
            _blob_features(f, bytes(v), name, p, ids)


def _blob_features(f: Features, blob: bytes, name: str, p: int, ids: Ids) -> None:
    """Byte length (unpadded ciphertexts), and any row whose id sits in clear in the blob."""
    f.put(name + ":len", p, len(blob))
    for off in range(min(5, len(blob) - 15)):
        if (ref := str(uuid.UUID(bytes=blob[off : off + 16]))) in ids:
            t, i = ids[ref]
            f.put(f"{name}:ref={t.name}", p, 1.0)
            f.put(f"{name}:ref_own=", p, float(t.owners[PERSONS][i] == p))
            f.put(f"{name}:ref_request=", p, float(t.owners[REQUESTS][i] >= 0))
            for c in (c for c, k in t.kinds.items() if k == "cat"):
                f.put(f"{name}:ref.{c}={t.cols[c][i]}", p, 1.0)


def _order_features(f: Features, t: Table) -> None:
    """Where a person's rows sit among rows that belong to no person (e.g. request keys)."""
    own = np.array(t.owners[PERSONS])
    other = np.sort(t.rowid[own < 0])
    if 0 < len(other) < len(own):
        mine = t.rowid[own >= 0]
        j = np.searchsorted(other, mine)
        prev = np.where(j > 0, other[np.maximum(j - 1, 0)], -FAR)
        nxt = np.where(j < len(other), other[np.minimum(j, len(other) - 1)], FAR)
        f.put(f"{t.name}:rowgap_prev_other", own[own >= 0], np.log1p(mine - prev))
        f.put(f"{t.name}:rowgap_next_other", own[own >= 0], np.log1p(nxt - mine))


@dataclass
class Audit:
    seq: Vec
    at: Vec
    types: list[str]
    who: dict[str, list[Any]]  # low-cardinality columns: actor, action, purpose, credential
    person: Vec  # owning person index or -1
    request: Vec
    classes: dict[str, Vec]  # class of entry -> sorted seq values


def _audit(t: Table, owner: dict[str, int], req: dict[str, int], ids: Ids) -> Audit:
    strs = [c for c, k in t.kinds.items() if k in ("cat", "text")]
    subj = max(strs, key=lambda c: sum(str(v) in ids for v in t.cols[c]), default="")
    ints = [c for c, k in t.kinds.items() if k == "num"]
    int_pk = bool(t.pk) and isinstance(t.pk[0], int)
    seq = np.array(t.pk if int_pk else t.cols[ints[0]] if ints else t.rowid, dtype=float)
    order = np.argsort(seq, kind="stable")
    times = [c for c, k in t.kinds.items() if k == "time"]
    at = np.array([_ts(v) for v in t.cols[times[0]]] if times else [math.nan] * len(seq))
    limit = max(30, len(seq) // 2)
    who = {c: [t.cols[c][i] for i in order] for c in strs if len(set(t.cols[c])) <= limit}
    who.pop(subj, None)
    typecols = [c for c in who if t.kinds[c] == "cat"]
    types = ["|".join(str(who[c][k]) for c in typecols if who[c][k]) for k in range(len(seq))]
    sid = [str(t.cols[subj][i]) if subj else "" for i in order]
    classes: dict[str, list[float]] = defaultdict(list)
    for k, i in enumerate(order):
        classes[types[k]].append(seq[i])
        if sid[k] in ids:
            classes["subject=" + ids[sid[k]][0].name].append(seq[i])
    return Audit(
        seq[order],
        at[order],
        types,
        who,
        np.array([owner.get(s, -1) for s in sid]),
        np.array([req.get(s, -1) for s in sid]),
        {c: np.array(v) for c, v in classes.items() if len(v) >= 3},
    )


def _anchors(a: Audit, n: int) -> dict[str, Vec]:
    """For each kind of entry about a person (its creation, say), the first one's index."""
    first: dict[str, Vec] = {}
    for k in np.flatnonzero(a.person >= 0)[::-1]:
        first.setdefault(a.types[k], np.full(n, -1))[a.person[k]] = k
    return {t: v for t, v in first.items() if (v >= 0).mean() >= 0.1}


def _audit_features(f: Features, a: Audit, anchors: dict[str, Vec]) -> None:
    counts: Counter[tuple[str, int]] = Counter()
    for k in np.flatnonzero(a.person >= 0):  # e.g. sealed reads of the custody, by actor
        counts[f"audit.n={a.types[k]}", a.person[k]] += 1
        for c, vals in a.who.items():
            counts[f"audit.n={a.types[k]}|{c}={vals[k]}", a.person[k]] += 1
    for (name, p), n in counts.items():
        f.put(name, p, n)
    for kind, idx in anchors.items():
        ps, ix = np.flatnonzero(idx >= 0), idx[idx >= 0]
        s, t = a.seq[ix], a.at[ix]
        f.put(f"anchor[{kind}]:seq", ps, s)
        f.put(f"anchor[{kind}]:at", ps, t)
        for cname, cs in a.classes.items():
            pre = f"anchor[{kind}]~{cname}"
            j, j2 = np.searchsorted(cs, s), np.searchsorted(cs, s, "right")
            prev = np.where(j > 0, cs[np.maximum(j - 1, 0)], -FAR)
            nxt = np.where(j2 < len(cs), cs[np.minimum(j2, len(cs) - 1)], FAR)
            f.put(pre + ":dseq_prev", ps, np.log1p(s - prev))
            f.put(pre + ":dseq_next", ps, np.log1p(nxt - s))
            for w in WINDOWS:
                f.put(f"{pre}:n_before{w}", ps, j - np.searchsorted(cs, s - w))
                f.put(f"{pre}:n_after{w}", ps, np.searchsorted(cs, s + w, "right") - j2)
            pk, ok = np.searchsorted(a.seq, prev).clip(0, len(a.seq) - 1), j > 0
            f.put(pre + ":dt_prev", ps, np.where(ok, np.log1p(np.abs(t - a.at[pk])), 30.0))
            for c, vals in a.who.items():
                same = [bool(ok[q]) and vals[ix[q]] == vals[pk[q]] for q in range(len(ix))]
                f.put(f"{pre}:same_{c}_prev", ps, np.array(same, dtype=float))


def _pairing_features(f: Features, sources: dict[str, Vec], events: dict[str, Vec]) -> None:
    """Gaps from each of a person's times to the nearest request event, same-day counts, and
    the gaps between a person's own times (registration to custody, say)."""
    for (an, av), (bn, bv) in combinations(sources.items(), 2):
        f.cols[f"diff[{an}-{bn}]"] = av - bv
    for (sn, st), (en, ev) in ((s, e) for s in sources.items() for e in events.items()):
        j, day = np.searchsorted(ev, st, "right"), np.floor(st / DAY) * DAY
        prev = np.where(j > 0, ev[np.maximum(j - 1, 0)], st - FAR)
        nxt = np.where(j < len(ev), ev[np.minimum(j, len(ev) - 1)], st + FAR)
        same = np.searchsorted(ev, day + DAY) - np.searchsorted(ev, day)
        f.cols[f"pair[{sn}~{en}]:gap_prev"] = np.log1p(st - prev)
        f.cols[f"pair[{sn}~{en}]:gap_next"] = np.log1p(nxt - st)
        f.cols[f"pair[{sn}~{en}]:same_day"] = np.where(np.isnan(st), np.nan, same)


def _ranks(x: Vec) -> Vec:
    _, inv, cnt = np.unique(x, return_inverse=True, return_counts=True)
    return np.asarray((np.cumsum(cnt) - (cnt - 1) / 2.0)[inv])


def auc(score: Vec, y: Vec) -> float:
    """Mann-Whitney AUC, ties counted half."""
    n1, n0 = int(y.sum()), int(len(y) - y.sum())
    if n1 == 0 or n0 == 0:
        return 0.5
    return float((_ranks(score)[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _logreg(x: Vec, y: Vec, lam: float = 1.0) -> Vec:
    """L2-regularised logistic regression by Newton steps; the intercept (column 0) is
    penalised only as much as keeps the steps solvable, so, in effect, not at all.

    With more features than people (thousands of features, about a thousand people per
    fold) each step is solved in the people's space instead (Woodbury's identity): the same
    steps to rounding, in a fraction of the time."""
    n, d = x.shape
    pen = np.full(d, lam)
    pen[0] = 0.0
    ridge = pen + np.where(pen > 0, 1e-9, INTERCEPT_RIDGE)
    step_of = _primal_steps(x, ridge) if d <= n else _dual_steps(x, ridge)
    w = np.zeros(d)
    for _ in range(30):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        step = step_of(p * (1 - p), x.T @ (p - y) + pen * w)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def _primal_steps(x: Vec, ridge: Vec) -> Callable[[Vec, Vec], Vec]:
    """(XᵀWX + Λ)⁻¹g, solved in the features' space."""
    return lambda weight, grad: np.linalg.solve((x.T * weight) @ x + np.diag(ridge), grad)


def _dual_steps(x: Vec, ridge: Vec) -> Callable[[Vec, Vec], Vec]:
    """(XᵀWX + Λ)⁻¹g = Λ⁻¹g - Λ⁻¹XᵀS(I + SXΛ⁻¹XᵀS)⁻¹SXΛ⁻¹g with S = W^½, solved in the
    people's space; XΛ⁻¹Xᵀ is the same at every step."""
    inv = 1.0 / ridge
    gram = (x * inv) @ x.T

    def step(weight: Vec, grad: Vec) -> Vec:
        s = np.sqrt(weight)
        inner = np.eye(len(s)) + s[:, None] * gram * s[None, :]
        scaled = inv * grad
        return np.asarray(scaled - inv * (x.T @ (s * np.linalg.solve(inner, s * (x @ scaled)))))

    return step


def holdout_best_auc(x: Vec, y: Vec, seed: int = 0) -> float:
    """Pick the best single feature (and its direction) on one half of the people, score it
    on the other half, both ways round: the best of thousands of features scores well on
    the people it was picked on by chance alone; on fresh people only a real signal does."""
    rng = np.random.default_rng(seed)
    half = np.zeros(len(y), dtype=bool)
    for label in (0.0, 1.0):  # stratified, so each half has its share of surrenders
        members = np.flatnonzero(y == label)
        half[rng.permutation(members)[: len(members) // 2]] = True
    scores = []
    for pick, score in ((half, ~half), (~half, half)):
        raw = [auc(x[pick, j], y[pick]) for j in range(x.shape[1])]
        j = int(np.nanargmax([max(a, 1 - a) for a in raw]))
        held = auc(x[score, j], y[score])
        scores.append(held if raw[j] >= 0.5 else 1 - held)
    return float(np.mean(scores))


def cv_auc(x: Vec, y: Vec, folds: int = 5, seed: int = 0) -> float:
    """Out-of-fold AUC of the logistic regression on standardised features."""
    fold = np.random.default_rng(seed).permutation(len(y)) % folds
    out = np.zeros(len(y))
    for k in range(folds):
        tr, te = fold != k, fold == k
        mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-9
        w = _logreg(np.hstack([np.ones((tr.sum(), 1)), (x[tr] - mu) / sd]), y[tr])
        out[te] = np.hstack([np.ones((te.sum(), 1)), (x[te] - mu) / sd]) @ w
    return auc(out, y)


def _matrix(f: Features, rows: Vec) -> tuple[list[str], Vec]:
    names, cols = [], []
    for name, col in f.cols.items():
        c = np.asarray(col, dtype=float)[rows]
        c = np.where(np.isnan(c), np.nanmedian(c) if (~np.isnan(c)).any() else 0.0, c)
        if np.ptp(c) > 0:
            names.append(name)
            cols.append(c)
    return names, np.column_stack(cols)


def _last_rows(t: Table, root: str, n: int) -> Vec:
    """The last row (in physical order) of t owned by each root row, or -1."""
    last = np.full(n, -1)
    for i in np.argsort(t.rowid, kind="stable"):
        if (o := t.owners[root][i]) >= 0:
            last[o] = i
    return last


def _times(
    tables: dict[str, Table], root: str, n: int
) -> tuple[dict[str, Vec], dict[str, Vec], dict[str, Vec]]:
    """Each temporal column of the rows owned by each root row (the first row, and the last
    where a root row owns several: a request's replies, its steps), their physical order,
    and every owned row's times pooled."""
    times: dict[str, Vec] = {}
    rows: dict[str, Vec] = {}
    pooled: dict[str, Vec] = {}
    for t in tables.values():
        if t.name == AUDIT or max(t.owners[root], default=-1) < 0:
            continue
        first, last = _first_rows(t, root, n), _last_rows(t, root, n)
        many = bool((first != last).any())
        rows[t.name] = np.where(first >= 0, t.rowid[first], np.nan)
        owned = np.array(t.owners[root]) >= 0
        for c in (c for c, k in t.kinds.items() if k == "time"):
            stamps = np.array([_ts(v) for v in t.cols[c]] + [math.nan])
            times[f"{t.name}.{c}"] = stamps[first]
            if many:
                times[f"{t.name}.{c}:last"] = stamps[last]
                values = stamps[:-1][owned]
                pooled[f"{t.name}.{c}:all"] = np.sort(values[~np.isnan(values)])
    return times, rows, pooled


def _request_audit(a: Audit, m: int) -> dict[str, Vec]:
    """When (in time and in seq) each request was last touched, and accepted; and, for each
    action done to requests (its creation, a submission through the public face, a reply,
    a message written again, the destruction of its channel data...), when each request
    had it first and last."""
    edges = ("last_seq", "last_at", "accepted_seq", "accepted_at")
    out = {k: np.full(m, np.nan) for k in edges}
    actions = [str(v) for v in a.who.get("action", [""] * len(a.seq))]
    per: dict[str, dict[str, Vec]] = {}
    for k in np.flatnonzero(a.request >= 0):  # in seq order: the last one wins
        r = a.request[k]
        out["last_seq"][r], out["last_at"][r] = a.seq[k], a.at[k]
        if any("accept" in str(v[k]).lower() for v in a.who.values()):
            out["accepted_seq"][r], out["accepted_at"][r] = a.seq[k], a.at[k]
        if actions[k]:
            got = per.setdefault(actions[k], {e: np.full(m, np.nan) for e in EDGES})
            if np.isnan(got["first_seq"][r]):
                got["first_seq"][r], got["first_at"][r] = a.seq[k], a.at[k]
            got["last_seq"][r], got["last_at"][r] = a.seq[k], a.at[k]
    for action, got in per.items():
        if (~np.isnan(got["first_seq"])).mean() >= 0.05:  # rarer ones are noise here
            out |= {f"{edge.split('_')[0]}[{action}]_{edge.split('_')[1]}": v
                    for edge, v in got.items()}  # fmt: skip
    return {"audit." + k: v for k, v in out.items()}


def _request_events(a: Audit) -> dict[str, Vec]:
    """Every entry about a request, by action, pooled: the times a person's are put beside
    (a registration on the day of many replies, say)."""
    actions = [str(v) for v in a.who.get("action", [""] * len(a.seq))]
    pooled: dict[str, list[float]] = defaultdict(list)
    for k in np.flatnonzero(a.request >= 0):
        pooled[f"audit.at[{actions[k]}]"].append(a.at[k])
    return {k: np.sort(np.array(v)) for k, v in pooled.items() if len(v) >= 20}


def _gap_score(gap: Vec, strict: bool) -> Vec:
    ok = ((gap > 0) if strict else (gap >= 0)) & ~np.isnan(gap)
    return np.asarray(-np.log1p(np.where(ok, gap, FAR)))


def _scorers(p: dict[str, Vec], r: dict[str, Vec]) -> dict[str, Scorer]:
    """Each way of pairing: a person after a request, by seq, by time, or by row order."""

    def after(pv: Vec, rv: Vec, strict: bool) -> Scorer:
        return lambda rr: _gap_score(pv[None, :] - rv[rr, None], strict)

    out: dict[str, Scorer] = {}
    for (pn, pv), (rn, rv) in ((a, b) for a in p.items() for b in r.items()):
        kind, rkind = pn.split(":")[0], rn.split(":")[0]
        if kind == rkind == "t" or (kind == rkind == "row" and pn == rn) or kind == rkind == "seq":
            out[f"{pn}~{rn}"] = after(pv, rv, kind != "t")
    return out


def _link(
    scorers: dict[str, Scorer], rr: Vec, truth: Vec, day: Vec
) -> tuple[dict[str, float], str, float, float]:
    """Top-1 of each scorer and of their sum. The scorer used on each half of the requests is
    the best on the other half (no choosing on the answer), then also against day-shuffled
    truth: a random other person registered on the true person's day."""

    def votes(score: Vec) -> Vec:  # 1/k to each of the k tied at the top
        tied = score >= score.max(1, keepdims=True)
        return np.asarray(tied / tied.sum(1, keepdims=True))

    def credit(score: Vec, who: Vec) -> Vec:
        return votes(score)[np.arange(len(who)), who]

    per: dict[str, Vec] = {}
    combined = np.zeros((len(rr), len(day)))  # the scorers' votes, added up
    for name, fn in scorers.items():
        combined += (v := votes(fn(rr)))
        per[name] = v[np.arange(len(truth)), truth]
    per["combined"] = credit(combined, truth)
    half = np.random.default_rng(5).permutation(len(rr)) % 2
    chosen = [max(per, key=lambda k: float(per[k][half != 0].mean()))]
    chosen.append(max(per, key=lambda k: float(per[k][half != 1].mean())))
    score = {k: combined if k == "combined" else scorers[k](rr) for k in set(chosen)}

    def top1(who: Vec) -> float:
        cr = [credit(score[chosen[h]], who) for h in (0, 1)]
        return float(np.where(half == 0, cr[0], cr[1]).mean())

    groups = {d: np.flatnonzero(day == d) for d in np.unique(day[truth])}
    rng, shuffled = np.random.default_rng(20), []
    for _ in range(20):
        fake = []
        for q in truth:
            g = groups[day[q]]
            u = rng.integers(max(len(g) - 1, 1))
            fake.append(q if len(g) < 2 else g[u + (u >= np.searchsorted(g, q))])
        shuffled.append(top1(np.array(fake, dtype=int)))
    results = {k: float(v.mean()) for k, v in per.items()}
    return results, " / ".join(dict.fromkeys(chosen)), top1(truth), float(np.mean(shuffled))


def _registration(p_t: dict[str, Vec], n: int) -> Vec:
    """A person's registration time: the first audit entry about them, else the earliest of
    their own times that look like registration (not a birth date: recent medians only)."""
    cols = [v for k, v in p_t.items() if k.startswith("anchor")] or list(p_t.values())
    if not cols:
        return np.zeros(n)
    med = [np.nanmedian(v) if (~np.isnan(v)).any() else -FAR for v in cols]
    return np.asarray(
        np.nanmin([v for v, md in zip(cols, med, strict=True) if md >= max(med) - 365 * DAY], 0)
    )


def attack(
    db_url: str, truth_voluntary: dict[str, bool], truth_links: dict[str, str]
) -> AttackReport:
    """Read the whole database without keys and measure what it gives away.

    truth_voluntary (person id -> surrendered) and truth_links (request id -> person id) only
    score the attack, and train the classifier inside cross-validation."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns are expected
        return _attack(db_url, truth_voluntary, truth_links)


def _attack(
    db_url: str, truth_voluntary: dict[str, bool], truth_links: dict[str, str]
) -> AttackReport:
    start = time.monotonic()
    tables = _load(db_url)
    people, reqs = tables[PERSONS], tables[REQUESTS]
    n, m = len(people.pk), len(reqs.pk)
    owner, req_owner = _attribute(tables, PERSONS), _attribute(tables, REQUESTS)
    ids: Ids = {  # every row by its key; integer keys (counters) say nothing
        str(k): (t, i)
        for t in tables.values()
        for i, k in enumerate(t.pk)
        if k and not isinstance(k, int)
    }
    f = Features(n)
    for t in (
        t for t in tables.values() if t.name != AUDIT and max(t.owners[PERSONS], default=-1) >= 0
    ):
        first = _first_rows(t, PERSONS, n)
        f.put(f"{t.name}:rowid", np.flatnonzero(first >= 0), t.rowid[first[first >= 0]])
        for p in np.flatnonzero(first >= 0):
            _row_features(f, t, int(first[p]), int(p), ids)
        _order_features(f, t)
    a = _audit(tables[AUDIT], owner, req_owner, ids)
    anchors = _anchors(a, n)
    _audit_features(f, a, anchors)
    p_t, p_row, _ = _times(tables, PERSONS, n)
    p_t |= {f"anchor[{k}]": np.where(v >= 0, a.at[v], np.nan) for k, v in anchors.items()}
    r_t, r_row, r_pooled = _times(tables, REQUESTS, m)
    r_t |= _request_audit(a, m)
    r_seq = {f"seq:{k[6:-4]}": r_t.pop(k) for k in list(r_t) if k.endswith("_seq")}
    # Each request's own times, pooled, except the per-action ones: those pool into every
    # entry of the action, and the last rows into all rows.
    events = {k: np.sort(v[~np.isnan(v)]) for k, v in r_t.items() if "[" not in k}
    events = {k: v for k, v in events.items() if not k.endswith(":last")}
    _pairing_features(f, p_t, events | r_pooled | _request_events(a))

    index = {str(k): i for i, k in enumerate(people.pk)}
    rows = np.array([index[p] for p in truth_voluntary if p in index])
    y = np.array([float(truth_voluntary[p]) for p in truth_voluntary if p in index])
    names, x = _matrix(f, rows)
    aucs = {nm: max(auc(x[:, j], y), 1 - auc(x[:, j], y)) for j, nm in enumerate(names)}
    best = max(aucs, key=lambda k: aucs[k])

    rindex = {str(k): i for i, k in enumerate(reqs.pk)}
    pairs = [(rindex[q], index[p]) for q, p in truth_links.items() if q in rindex and p in index]
    rr, truth = (np.array([pr[i] for pr in pairs], dtype=int) for i in (0, 1))
    day = np.floor(_registration(p_t, n) / DAY)
    acc = r_t["audit.accepted_at"]
    for v in (r_t["audit.last_at"], np.nanmax(list(r_t.values()), 0)):
        acc = np.where(np.isnan(acc), v, acc)
    acc = np.floor(acc / DAY)[rr]
    within = (day[None, :] >= acc[:, None]) & (day[None, :] <= acc[:, None] + 14)
    p_all = {f"t:{k}": v for k, v in p_t.items()} | {f"row:{k}": v for k, v in p_row.items()}
    p_all |= {f"seq:{k}": np.where(v >= 0, a.seq[v], np.nan) for k, v in anchors.items()}
    r_all = {f"t:{k}": v for k, v in r_t.items()} | {f"row:{k}": v for k, v in r_row.items()}
    scorers = _scorers(p_all, r_all | r_seq)
    link = _link(scorers, rr, truth, day) if len(rr) else ({}, "none", 0.0, 0.0)
    results, best_link, top1, shuffled = link
    return AttackReport(
        auc_best_single=aucs[best],
        best_single_name=best,
        auc_best_single_holdout=holdout_best_auc(x, y),
        auc_classifier=cv_auc(x, y),
        link_top1=top1,
        link_best_scorer=best_link,
        link_top1_day_shuffled=shuffled,
        link_chance=float(np.mean(1 / np.maximum(within.sum(1), 1))) if len(rr) else 0.0,
        n_persons=len(rows),
        n_voluntary=int(y.sum()),
        n_links=len(rr),
        seconds=time.monotonic() - start,
        single_aucs=aucs,
        link_scorers=results,
        request_tables=tuple(
            sorted(t.name for t in tables.values() if max(t.owners[REQUESTS], default=-1) >= 0)
        ),
    )

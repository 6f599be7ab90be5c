"""Find people by any mix of name words, date of birth and service number, in any script.

Every registered person carries precomputed keys (`PersonSearchKey`; what they are, and
what a query looks for, is in `search_keys`). A query is cut into tokens, each token into
probes of those keys, so a stored name is looked up through the index on key, never
scanned. People must match every token: candidates come from the rarest token (or the
two rarest, when even the rarest is common), and the other tokens are weighed on each
candidate's own keys. When no one matches every token, those matching the most are listed
instead. The best two hundred are then ordered by how closely their names are spelled
like the query's.

Keys follow every write of a `Person` through mapper events (registered on import), so the
service, the demo seed and tests stay indexed; `reindex` rebuilds them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    delete,
    event,
    func,
    insert,
    inspect,
    intersect,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session

from safeconduct.people.models import Person, PersonSearchKey
from safeconduct.people.search_keys import (
    Group,
    Probe,
    closeness,
    date_probes,
    name_probes,
    parse_date,
    person_keys,
    query_groups,
    successor,
)
from safeconduct.tracing.names import words

_KEYS = PersonSearchKey.metadata.tables[PersonSearchKey.__tablename__]
# Counting a token's candidates stops after this many keys: enough to tell a rare token
# from a common one.
_COUNT_CAP = 20_000
# A token matching more keys than this is common (a frequent given name, a year).
_COMMON = 3000
# How many of the best by key weights are ordered again by spelling.
_RERANKED = 200
_INDEXED = (
    "surname",
    "given_names",
    "patronymic",
    "date_of_birth",
    "service_number",
    "name_original_script",
    "erased_on",
)


# --- index maintenance ------------------------------------------------------------------


def _rows(person_id: str, person: Any) -> list[dict[str, str]]:
    return [{"person_id": person_id, "field": f, "key": k} for f, k in person_keys(person)]


def _insert_keys(connection: Connection, person: Person) -> None:
    if rows := _rows(person.id, person):
        connection.execute(insert(_KEYS), rows)


def _write_keys(connection: Connection, person: Person) -> None:
    connection.execute(delete(_KEYS).where(_KEYS.c.person_id == person.id))
    _insert_keys(connection, person)


def _after_insert(_mapper: Mapper[Person], connection: Connection, person: Person) -> None:
    _insert_keys(connection, person)


def _after_update(_mapper: Mapper[Person], connection: Connection, person: Person) -> None:
    # Rank or place of birth changing leaves the keys as they are.
    state = inspect(person)
    if any(state.attrs[name].history.has_changes() for name in _INDEXED):
        _write_keys(connection, person)


# Mapper events run inside the flush, on its connection: the keys land in the same
# transaction as the change, whatever wrote it (service, demo seed, a test).
event.listen(Person, "after_insert", _after_insert)
event.listen(Person, "after_update", _after_update)


def reindex(session: Session, *, missing_only: bool = False, batch: int = 2000) -> int:
    """Rebuild every registered person's keys, or (`missing_only`) give keys to those who
    have none (rows written before keys existed, or without the ORM); return how many
    people were indexed. The caller commits."""
    columns = [Person.__table__.c[name] for name in ("id", *_INDEXED)]
    stmt = select(*columns).where(Person.erased_on.is_(None)).order_by(Person.id)
    if missing_only:
        stmt = stmt.where(~select(_KEYS.c.person_id).where(_KEYS.c.person_id == Person.id).exists())
    else:
        session.execute(delete(_KEYS))
    count, last = 0, ""
    # In slices by id: memory stays flat, and no read is left open while keys are written.
    while rows := session.execute(stmt.where(Person.id > last).limit(batch)).all():
        if keys := [key for row in rows for key in _rows(row.id, row)]:
            session.execute(insert(_KEYS), keys)
        count, last = count + len(rows), rows[-1].id
    return count


# --- the SQL ----------------------------------------------------------------------------


def _condition(probe: Probe, dialect: str) -> ColumnElement[bool]:
    """The SQL condition a key row meets to match `probe`."""
    field, key = _KEYS.c.field, _KEYS.c.key
    if probe.prefix is not None:
        # An index range scan: [prefix, its successor) holds exactly the keys starting
        # with it, on any collation, since keys use one alphabet ordered alike by all.
        start = and_(field == probe.field, key >= probe.prefix)
        upper = successor(probe.prefix)
        return start if upper is None else and_(start, key < upper)
    return and_(field == probe.field, one_of(key, probe.keys, dialect))


def one_of(column: ColumnElement[str], values: frozenset[str], dialect: str) -> Any:
    """`column IN values`, the values sent as one parameter (a JSON list on SQLite, an
    array on PostgreSQL): a typo's hundreds of neighbours cost one bind, not hundreds."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return column == ordered[0]
    if dialect == "postgresql":
        return column == any_(bindparam(None, ordered, type_=ARRAY(String)))
    if dialect == "sqlite":
        listed = func.json_each(bindparam(None, json.dumps(ordered), type_=String))
        return column.in_(select(literal_column("value")).select_from(listed))
    return column.in_(ordered)


def _weight(group: Group, dialect: str) -> ColumnElement[int]:
    """The best weight a key row earns for `group` (NULL for none)."""
    ordered = sorted(group.probes, key=lambda p: -p.weight)
    return case(*((_condition(p, dialect), p.weight) for p in ordered), else_=None)


def _lookup(group: Group, name: str, dialect: str) -> Any:
    """Every (person_id, weight) `group` finds through the index on key: one simple
    lookup per probe, so neither database is tempted into scanning the whole table."""
    arms = [
        select(_KEYS.c.person_id, literal(p.weight).label("w")).where(_condition(p, dialect))
        for p in group.probes
    ]
    return union_all(*arms).subquery(name)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _by_rarity(session: Session, groups: Sequence[Group], among: Sequence[int]) -> list[int]:
    """The groups `among`, fewest matching keys first, counted up to a cap in one round
    trip. Only the index on key is read (whatever the field): close enough to choose, and
    a fraction of the cost of reading the rows."""
    if len(among) == 1:
        return list(among)
    dialect = _dialect(session)
    counts = []
    for i in among:
        probes = groups[i].probes
        listed = frozenset(k for p in probes for k in p.keys)
        arms = [select(_KEYS.c.key).where(one_of(_KEYS.c.key, listed, dialect))]
        arms += [
            select(_KEYS.c.key).where(_KEYS.c.key >= p.prefix, _KEYS.c.key < upper)
            for p in probes
            if p.prefix is not None and (upper := successor(p.prefix)) is not None
        ]
        capped = union_all(*arms).subquery(f"n{i}").select().limit(_COUNT_CAP).subquery()
        counts.append(select(func.count()).select_from(capped).scalar_subquery())
    found = session.execute(select(*counts)).one()
    order = sorted(range(len(among)), key=lambda j: found[j])
    # Both of the rarest are common: drawing from their intersection beats weighing
    # thousands of candidates one by one.
    drawn = 2 if found[order[0]] > _COMMON else 1
    return [among[j] for j in order[:drawn]]


def _ranked(
    session: Session, groups: Sequence[Group], required: Sequence[int]
) -> tuple[Select[Any], ColumnElement[int]]:
    """People matching every `required` group, and their score: the sum of the best
    weights of every group they match. The candidates come from the rarest required group
    (or the two rarest, when even the rarest is common); each other group is weighed on
    the candidate's own keys (the primary key's index)."""
    dialect = _dialect(session)
    drawn_from = _by_rarity(session, groups, required)
    if len(drawn_from) == 1:
        first = drawn_from[0]
        lookup = _lookup(groups[first], "drawn", dialect)
        listed = (
            select(lookup.c.person_id, func.max(lookup.c.w).label(f"w{first}"))
            .group_by(lookup.c.person_id)
            .subquery("candidates")
        )
    else:
        # INTERSECT, not a join: no planner can turn it into a nested loop over thousands.
        both = [_lookup(groups[i], f"drawn{i}", dialect) for i in drawn_from]
        listed = intersect(*(select(b.c.person_id) for b in both)).subquery("candidates")
    weights: list[ColumnElement[Any]] = []
    for i, group in enumerate(groups):
        if f"w{i}" in listed.c:
            weights.append(listed.c[f"w{i}"])
            continue
        # On the candidate's own keys (a few dozen, through the primary key's index): NULL
        # when none matches.
        best = (
            select(func.max(_weight(group, dialect)))
            .where(_KEYS.c.person_id == listed.c.person_id)
            .scalar_subquery()
        )
        weights.append(best.label(f"w{i}"))
    # Materialised, so each candidate's weights are computed once, not again for ordering.
    scored = select(listed.c.person_id, *weights).cte("scored").prefix_with("MATERIALIZED")
    score = sum((func.coalesce(scored.c[f"w{i}"], 0) for i in range(len(groups))), literal(0))
    stmt = (
        select(Person)
        .join(scored, scored.c.person_id == Person.id)
        .where(Person.erased_on.is_(None), *(scored.c[f"w{i}"].is_not(None) for i in required))
    )
    return stmt, score


def _most_matched(
    session: Session, groups: Sequence[Group]
) -> tuple[Select[Any], ColumnElement[int]]:
    """People matching the most groups when no one matches them all, and their score."""
    per_group = []
    for i, group in enumerate(groups):
        found = _lookup(group, f"g{i}", _dialect(session))
        per_group.append(
            select(found.c.person_id, func.max(found.c.w).label("w")).group_by(found.c.person_id)
        )
    matches = union_all(*per_group).subquery()
    scores = (
        select(
            matches.c.person_id,
            func.count().label("hits"),
            func.sum(matches.c.w).label("score"),
        )
        .group_by(matches.c.person_id)
        .cte("scores")
    )
    most = select(func.max(scores.c.hits)).scalar_subquery()
    stmt = (
        select(Person)
        .join(scores, scores.c.person_id == Person.id)
        .where(Person.erased_on.is_(None), scores.c.hits == most)
    )
    return stmt, scores.c.score


def _page(
    session: Session,
    stmt: Select[Any],
    score: ColumnElement[int],
    groups: Sequence[Group],
    offset: int,
    limit: int,
) -> tuple[list[Person], int]:
    """One page, best first, and the total (a window count). The first `_RERANKED` in the
    order of the SQL score are ordered again by how closely their names are spelled like
    the query's (Sukhanov for "Sukhnov" before Sosnov, whose sounds are the same); then
    by surname."""
    names = (Person.surname, Person.given_names, Person.patronymic, Person.name_original_script)
    ordered = stmt.with_only_columns(
        Person.id,
        *names,
        score.label("score"),
        func.count().over().label("total"),
        maintain_column_froms=True,
    ).order_by(score.desc(), Person.surname, Person.id)
    rows: list[Any] = []
    total: int | None = None
    if offset < _RERANKED:
        head = session.execute(ordered.limit(_RERANKED)).all()
        total = int(head[0].total) if head else 0
        ranked = sorted(head, key=lambda r: (-closeness(groups, r[1:5]), -r.score, r.surname, r.id))
        rows = ranked[offset : offset + limit]
    beyond = max(offset, _RERANKED)
    if offset + limit > beyond and (total is None or total > beyond):
        rows += session.execute(ordered.offset(beyond).limit(offset + limit - beyond)).all()
    if total is None:
        # Past the last page, the count alone, so the caller can show the last one.
        total = int(rows[0].total) if rows else _count(session, stmt)
    ids = [r.id for r in rows]
    found = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
    return [found[i] for i in ids if i in found], total


def _count(session: Session, stmt: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _everyone(session: Session, offset: int, limit: int) -> tuple[list[Person], int]:
    registered = Person.erased_on.is_(None)
    total = session.scalar(select(func.count()).select_from(Person).where(registered)) or 0
    stmt = select(Person).where(registered).order_by(Person.surname, Person.id)
    return list(session.scalars(stmt.offset(offset).limit(limit))), total


def search(
    session: Session, *, q: str | None = None, offset: int = 0, limit: int = 20
) -> tuple[list[Person], int]:
    """Return a page of registered people matching `q`, best first, and the total.

    Every word of `q` is a surname, given name, patronymic, date of birth (YYYY, YYYY-MM,
    YYYY-MM-DD, DD.MM.YYYY) or service number, in any order, script or transliteration,
    within one typo, or the beginning of one. People matching every word are returned,
    the closest spellings first, then by surname; when no one matches them all, those
    matching the most. An empty `q` lists everyone by surname.
    """
    groups = query_groups(q or "")
    if not groups:
        return _everyone(session, offset, limit)
    stmt, score = _ranked(session, groups, range(len(groups)))
    rows, total = _page(session, stmt, score, groups, offset, limit)
    if total == 0 and len(groups) > 1:
        stmt, score = _most_matched(session, groups)
        rows, total = _page(session, stmt, score, groups, offset, limit)
    return rows, total


def _name_group(texts: Iterable[str | None]) -> Group | None:
    names = tuple(w for text in texts for w in words(text or ""))
    probes = tuple(p for w in names for p in name_probes(w) if p)
    return Group(probes, names) if probes else None


def _split_original(text: str | None) -> tuple[str, str, str]:
    """Split "Surname Given Patronymic" as the original-script name is written."""
    parts = (text or "").split()
    return (parts[0] if parts else "", " ".join(parts[1:2]), " ".join(parts[2:]))


def similar(
    session: Session,
    *,
    surname: str,
    given_names: str,
    patronymic: str | None = None,
    date_of_birth: str | None = None,
    name_original_script: str | None = None,
    limit: int = 5,
) -> list[Person]:
    """Return registered people who may be this one: surname and given names matching
    across scripts and transliterations (or one typo apart), best first; a matching
    patronymic and date of birth rank them higher."""
    orig_surname, orig_given, orig_patronymic = _split_original(name_original_script)
    surname_group = _name_group([surname, orig_surname])
    given_group = _name_group([given_names, orig_given])
    if surname_group is None or given_group is None:
        return []
    groups = [surname_group, given_group]
    if (patronymic_group := _name_group([patronymic, orig_patronymic])) is not None:
        groups.append(patronymic_group)
    if date_of_birth and (iso := parse_date(date_of_birth)) is not None:
        groups.append(Group(tuple(p for p in date_probes(iso) if p)))
    stmt, score = _ranked(session, groups, [0, 1])
    return _page(session, stmt, score, groups, 0, limit)[0]

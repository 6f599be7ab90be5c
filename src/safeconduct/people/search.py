"""Find people by any mix of name words, date of birth and service number, in any script.

Every registered person carries precomputed keys (`PersonSearchKey`): for each name word,
whatever its script or transliteration, its canonical Latin spelling (`w`) and its sounds
(`s`: the coarse phonetic skeleton, and that of its Russian/Ukrainian equivalent); for the
date of birth its year (`y`), year-month (`m`) and the date as known (`dob`); the service
number without spaces or dashes (`n`). A few keys a word, so the index stays small.

A query is cut into tokens, each token into probes of the same keys. One typo is allowed
by probing every string one edit away from the query word (in sounds and in spelling), so
a stored name is looked up, never scanned; the last word also matches by its beginning
(it may still be being typed). People must match every token: candidates come from the
rarest token, and the others are weighed on each candidate's own keys, so a common given
name costs little when a rare surname comes with it. When no one matches every token,
those matching the most are listed instead.

Keys follow every write of a `Person` through mapper events (registered on import), so the
service, the demo seed and tests stay indexed; `reindex` rebuilds them all.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    String,
    Table,
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
from safeconduct.tracing.names import coarse, word_skeleton, words
from safeconduct.tracing.person_names import given_key, patronymic_key

KEY_LENGTH = 80  # PersonSearchKey.key
_KEYS = PersonSearchKey.metadata.tables[PersonSearchKey.__tablename__]
# Below this length a word one edit away is another name, not a typo ("ara" is not "abra").
MIN_TYPO_LENGTH = 4
MIN_SOUND_TYPO_LENGTH = 5
# How well a query token matched a person's key: exact spelling, same sounds, a date known
# in part; one edit away, or the beginning of a word.
EXACT, SOUND, PARTIAL, NEAR = 4, 3, 2, 1
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
_LETTERS = string.ascii_lowercase
# Every letter a coarse skeleton can hold (vowels fold to "a", sibilants and gutturals to
# "z", and so on): the alphabet of its one-edit neighbours.
_SKELETON_LETTERS = "".join(sorted({coarse(word_skeleton(c)) for c in _LETTERS} - {""}))
_NUMBER_ALPHABET = string.digits + string.ascii_uppercase
_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_FULL_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED_DATE = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_DOTTED_MONTH = re.compile(r"(\d{1,2})[./](\d{4})")
_NOT_ALNUM = re.compile(r"[\W_]+")
_HARD_C = re.compile(r"c(?=[abcdfgklmnopqrstuvwxz]|$)")
_J_AS_ZH = re.compile(r"j(?=[aeiouy])")
_TOKEN_SPLIT = re.compile(r"[\s,;]+")


# --- keys -------------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _spellings(word: str) -> frozenset[str]:
    """The word, and its readings in the French or Romanian manner, which no skeleton
    folds: a hard "c" (Cosolobenco, Olecsandr) where "c" cannot be ц, ч or ш (not before
    e, i, y or h), and "j" before a vowel as ж (Jukov)."""
    return frozenset({word, _HARD_C.sub("k", word), _J_AS_ZH.sub("zh", word)})


@lru_cache(maxsize=200_000)
def sounds(word: str) -> frozenset[str]:
    """Return the sound keys of one canonical Latin word: its coarse skeleton, and that of
    the Russian form its given-name or patronymic equivalents share (Mykola ~ Nikolai)."""
    keys: set[str] = set()
    for spelled in _spellings(word):
        if sk := word_skeleton(spelled):
            keys |= {coarse(sk), coarse(given_key(spelled)), coarse(patronymic_key(spelled))}
    return frozenset(keys)


def word_keys(word: str) -> set[tuple[str, str]]:
    """Return the stored keys of one canonical Latin word: its spelling and its sounds."""
    return {("w", word), *(("s", key) for key in sounds(word))}


def service_number_key(text: str) -> str:
    """Return a service number as compared: upper case, letters and digits only."""
    return _NOT_ALNUM.sub("", text).upper()


def date_keys(date_of_birth: str) -> set[tuple[str, str]]:
    """Return the stored keys of a date of birth (YYYY, YYYY-MM or YYYY-MM-DD)."""
    keys = {("dob", date_of_birth)}
    if len(date_of_birth) >= 4:
        keys.add(("y", date_of_birth[:4]))
    if len(date_of_birth) >= 7:
        keys.add(("m", date_of_birth[:7]))
    return keys


def person_keys(person: Any) -> set[tuple[str, str]]:
    """Return every search key of a person (any object with the Person fields)."""
    if getattr(person, "erased_on", None) is not None:
        return set()
    keys: set[tuple[str, str]] = set()
    names = (person.surname, person.given_names, person.patronymic, person.name_original_script)
    for text in names:
        for word in words(text or ""):
            keys |= word_keys(word)
    if person.date_of_birth:
        keys |= date_keys(person.date_of_birth)
    if person.service_number and (number := service_number_key(person.service_number)):
        keys.add(("n", number))
    return {(field, key[:KEY_LENGTH]) for field, key in keys}


def _rows(person_id: str, person: Any) -> list[dict[str, str]]:
    return [{"person_id": person_id, "field": f, "key": k} for f, k in person_keys(person)]


# --- index maintenance ------------------------------------------------------------------


def _write_keys(connection: Connection, person: Person) -> None:
    connection.execute(delete(_KEYS).where(_KEYS.c.person_id == person.id))
    rows = _rows(person.id, person)
    if rows:
        connection.execute(insert(_KEYS), rows)


def _after_insert(_mapper: Mapper[Person], connection: Connection, person: Person) -> None:
    _write_keys(connection, person)


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


# --- what a query looks for -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    """Keys of one field that count as a match of a given weight, or (`prefix`) the keys
    starting with it: a word being typed, a service number half known."""

    field: str
    keys: frozenset[str]
    weight: int
    prefix: str | None = None

    def __bool__(self) -> bool:
        return bool(self.keys or self.prefix)

    def condition(self, keys: Table | Any, dialect: str) -> ColumnElement[bool]:
        """The SQL condition on a row of `keys` (the key table or an alias of it)."""
        if self.prefix is not None:
            # An index range scan: [prefix, its successor) holds exactly the keys starting
            # with it, on any collation, since keys use one alphabet ordered alike by all.
            start = and_(keys.c.field == self.field, keys.c.key >= self.prefix)
            upper = successor(self.prefix)
            return start if upper is None else and_(start, keys.c.key < upper)
        return and_(keys.c.field == self.field, one_of(keys.c.key, self.keys, dialect))


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


@dataclass(frozen=True, slots=True)
class Group:
    """What one query token may match: any of its probes; the best weight counts.
    `names`: the Latin words it stands for, if a name (to rank close spellings first)."""

    probes: tuple[Probe, ...]
    names: tuple[str, ...] = ()

    def weight(self, keys: Table | Any, dialect: str) -> ColumnElement[int]:
        """The best weight a row of `keys` earns (NULL for none)."""
        ordered = sorted(self.probes, key=lambda p: -p.weight)
        return case(*((p.condition(keys, dialect), p.weight) for p in ordered), else_=None)

    def lookup(self, name: str, dialect: str) -> Any:
        """Every (person_id, weight) this group finds through the index on key: one simple
        lookup per probe, so neither database is tempted into scanning the whole table."""
        arms = [
            select(_KEYS.c.person_id, literal(p.weight).label("w")).where(
                p.condition(_KEYS, dialect)
            )
            for p in self.probes
        ]
        return union_all(*arms).subquery(name)


def successor(prefix: str) -> str | None:
    """Return the first string after every string starting with `prefix`, in the order of
    the keys' alphabets (a-z for names; 0-9 then A-Z for service numbers); None if none."""
    alphabet = _NUMBER_ALPHABET if prefix.isupper() or prefix.isdigit() else _LETTERS
    stem = prefix.rstrip(alphabet[-1])
    if not stem:
        return None
    return stem[:-1] + alphabet[alphabet.index(stem[-1]) + 1]


def one_edit(word: str, alphabet: str) -> set[str]:
    """Return every string one letter lost, added, changed or swapped away from `word`
    (none for short words, and none shorter than a typo can be)."""
    if len(word) < MIN_TYPO_LENGTH:
        return set()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    near = {a + b[1:] for a, b in splits if b}
    near |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    near |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    near |= {a + c + b for a, b in splits for c in alphabet}
    return {n for n in near if len(n) >= MIN_TYPO_LENGTH} - {word}


def _probe(field: str, keys: Iterable[str], weight: int) -> Probe:
    return Probe(field, frozenset(k[:KEY_LENGTH] for k in keys if k), weight)


def _prefix(field: str, start: str, alphabet: str) -> Probe:
    """Keys starting with `start`, from three characters on (fewer would match too many)."""
    usable = len(start) >= 3 and set(start) <= set(alphabet)
    return Probe(field, frozenset(), NEAR, start[:KEY_LENGTH] if usable else None)


def name_probes(word: str, *, typing: bool = False) -> list[Probe]:
    """Probes of one canonical Latin query word: its spelling, its sounds, one edit away
    (in sounds, or in spelling when a typo merges sounds: Iaanov), and (`typing`: the last
    word, maybe not finished) its beginning."""
    near_sounds: set[str] = set()
    for spelled in _spellings(word):
        rough = coarse(word_skeleton(spelled))
        # Short skeletons have too many neighbours (vowels all fold to "a").
        if len(rough) >= MIN_SOUND_TYPO_LENGTH:
            near_sounds |= one_edit(rough, _SKELETON_LETTERS)
    probes = [
        _probe("w", [word], EXACT),
        _probe("s", sounds(word), SOUND),
        _probe("s", near_sounds, NEAR),
        _probe("w", one_edit(word, _LETTERS), NEAR),
    ]
    if typing:
        probes.append(_prefix("w", word, _LETTERS))
    return probes


def _iso(year: str, month: str, day: str | None = None) -> str | None:
    if not 1 <= int(month) <= 12 or (day is not None and not 1 <= int(day) <= 31):
        return None
    return f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day is not None else "")


def parse_date(token: str) -> str | None:
    """Read a full or partial date (YYYY, YYYY-MM, YYYY-MM-DD, MM.YYYY, DD.MM.YYYY) as ISO."""
    if _YEAR.fullmatch(token):
        return token
    if m := _FULL_DATE.fullmatch(token):
        return _iso(m[1], m[2], m[3])
    if m := _YEAR_MONTH.fullmatch(token):
        return _iso(m[1], m[2])
    if m := _DOTTED_DATE.fullmatch(token):
        return _iso(m[3], m[2], m[1])
    if m := _DOTTED_MONTH.fullmatch(token):
        return _iso(m[2], m[1])
    return None


def date_probes(iso: str) -> list[Probe]:
    """Probes of a query date: people born then, and people whose known date holds it."""
    field = {4: "y", 7: "m", 10: "dob"}[len(iso)]
    # A person known only by year (or year and month) may be the one asked about.
    return [
        _probe(field, [iso], EXACT),
        _probe("dob", [iso[:7]] if len(iso) == 10 else [], PARTIAL),
        _probe("dob", [iso[:4]] if len(iso) > 4 else [], NEAR),
    ]


def token_groups(token: str, *, typing: bool = False) -> list[Group]:
    """Turn one whitespace-separated query token into what it may match; `typing`: it is
    the last one, maybe not finished."""
    if any(c.isdigit() for c in token):
        number = service_number_key(token)
        probes = [_probe("n", [number], EXACT), _prefix("n", number, _NUMBER_ALPHABET)]
        if (iso := parse_date(token)) is not None:
            probes += date_probes(iso)
        return [Group(tuple(p for p in probes if p))]
    # "Petrova-Vodkina" is two words, each its own group.
    names = words(token)
    return [
        Group(tuple(p for p in name_probes(w, typing=typing and i == len(names) - 1) if p), (w,))
        for i, w in enumerate(names)
    ]


def query_groups(q: str) -> list[Group]:
    """Cut a query into groups. A service number typed with spaces ("AB 123 456") also
    counts whole: each group accepts it, so its holder matches every group."""
    tokens = [t for t in _TOKEN_SPLIT.split(q.strip()) if t]
    last = len(tokens) - 1
    groups = [
        g for i, t in enumerate(tokens) for g in token_groups(t, typing=i == last) if g.probes
    ]
    whole = service_number_key(q)
    if len(tokens) > 1 and any(c.isdigit() for c in whole):
        extra = _probe("n", [whole], EXACT)
        groups = [Group((*g.probes, extra), g.names) for g in groups]
    return groups


# --- the SQL ----------------------------------------------------------------------------


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
        lookup = groups[first].lookup("drawn", dialect)
        listed = (
            select(lookup.c.person_id, func.max(lookup.c.w).label(f"w{first}"))
            .group_by(lookup.c.person_id)
            .subquery("candidates")
        )
    else:
        # INTERSECT, not a join: no planner can turn it into a nested loop over thousands.
        both = [groups[i].lookup(f"drawn{i}", dialect) for i in drawn_from]
        listed = intersect(*(select(b.c.person_id) for b in both)).subquery("candidates")
    weights: list[ColumnElement[Any]] = []
    for i, group in enumerate(groups):
        if f"w{i}" in listed.c:
            weights.append(listed.c[f"w{i}"])
            continue
        # On the candidate's own keys (a few dozen, through the primary key's index): NULL
        # when none matches.
        best = (
            select(func.max(group.weight(_KEYS, dialect)))
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
        found = group.lookup(f"g{i}", _dialect(session))
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
        ranked = sorted(head, key=lambda r: (-_closeness(groups, r), -r.score, r.surname, r.id))
        rows = ranked[offset : offset + limit]
    beyond = max(offset, _RERANKED)
    if offset + limit > beyond and total != 0:
        rows += session.execute(ordered.offset(beyond).limit(offset + limit - beyond)).all()
    if total is None:
        # Past the last page, the count alone, so the caller can show the last one.
        total = int(rows[0].total) if rows else _count(session, stmt)
    ids = [r.id for r in rows]
    found = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
    return [found[i] for i in ids if i in found], total


def _count(session: Session, stmt: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _closeness(groups: Sequence[Group], row: Any) -> float:
    """How closely a person's name words match the query's name words: for each query
    word, the best likeness to one of theirs, summed."""
    theirs = [w for text in row[1:5] for w in words(text or "")]
    return sum(
        max((_likeness(mine, other) for other in theirs), default=0.0)
        for group in groups
        for mine in group.names
    )


@lru_cache(maxsize=200_000)
def _likeness(mine: str, theirs: str) -> float:
    """1 for the same spelling, 0.95 for the same fine sounds (Sergei, Sergey), else how many
    letter pairs (bigrams) the spellings share (Dice): Sukhanov is like "Sukhnov"."""
    if mine == theirs:
        return 1.0
    if _fine_sounds(mine) & _fine_sounds(theirs):
        return 0.95
    return _dice(_bigrams(mine), _bigrams(theirs))


@lru_cache(maxsize=200_000)
def _fine_sounds(word: str) -> frozenset[str]:
    # Sounds before the coarse merge: Sukhnov and Sosnov sound alike only coarsely.
    return frozenset(
        key
        for spelled in _spellings(word)
        for key in (word_skeleton(spelled), given_key(spelled), patronymic_key(spelled))
    )


@lru_cache(maxsize=50_000)
def _bigrams(word: str) -> frozenset[str]:
    padded = f"^{word}$"
    return frozenset(padded[i : i + 2] for i in range(len(padded) - 1))


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b))


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

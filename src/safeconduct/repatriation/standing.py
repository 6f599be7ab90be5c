"""Read, set-based, what eligibility turns on for many people at once: their custody, their
erasure and their wish records (`policy.Standing`), and what the builder ranks them by."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, String, any_, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from safeconduct.custody.models import Custody, CustodyStatus
from safeconduct.custody.policy import FINAL
from safeconduct.people.models import Person
from safeconduct.repatriation.models import Wish, WishRecord, WishSource
from safeconduct.repatriation.policy import PRESENT, Heard, Standing
from safeconduct.treatment.models import TreatmentEvent, TreatmentKind

# Bound every IN list: SQLite and drivers have limits, and plans stay cached.
CHUNK = 2000


def among(
    session: Session, column: InstrumentedAttribute[str], ids: list[str]
) -> ColumnElement[bool]:
    """`column IN ids`. On PostgreSQL one array parameter (`= ANY(:ids)`): two thousand
    bound values cost more to render and send than the query costs to run."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(ids, type_=ARRAY(String)))
    return column.in_(ids)


def chunks(ids: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


@dataclass(frozen=True, slots=True)
class _Custody:
    id: str
    status: CustodyStatus
    place: str
    since: date


def _current(custodies: list[_Custody]) -> _Custody | None:
    """A person's custody that has not ended, else the latest that has."""
    open_ = [c for c in custodies if c.status not in FINAL]
    pool = open_ or custodies
    return max(pool, key=lambda c: (c.since, c.id)) if pool else None


def standings(session: Session, person_ids: Collection[str]) -> dict[str, Standing]:
    """Each person's standing, by id; an unknown id has none. Plain columns only: no
    sealed value is read, and no ORM object is made for each of thousands of rows."""
    erased: dict[str, bool] = {}
    custodies: dict[str, list[_Custody]] = {}
    records: dict[str, list[Heard]] = {}
    for chunk in chunks(person_ids):
        for pid, erased_on in session.execute(
            select(Person.id, Person.erased_on).where(among(session, Person.id, chunk))
        ):
            erased[pid] = erased_on is not None
        stmt = select(
            Custody.person_id,
            Custody.id,
            Custody.status,
            Custody.place_of_internment,
            Custody.since,
        ).where(among(session, Custody.person_id, chunk))
        for pid, cid, status, place, since in session.execute(stmt):
            custodies.setdefault(pid, []).append(_Custody(cid, CustodyStatus(status), place, since))
        wishes = select(
            WishRecord.person_id,
            WishRecord.number,
            WishRecord.wish,
            WishRecord.source,
            WishRecord.stated_on,
            WishRecord.without_witnesses,
        ).where(among(session, WishRecord.person_id, chunk))
        for row in session.execute(wishes):
            heard = Heard(row[1], Wish(row[2]), WishSource(row[3]), row[4], row[5])
            records.setdefault(row[0], []).append(heard)
    found: dict[str, Standing] = {}
    for pid, is_erased in erased.items():
        current = _current(custodies.get(pid, []))
        found[pid] = Standing(
            person_id=pid,
            records=tuple(records.get(pid, ())),
            custody_id=None if current is None else current.id,
            status=None if current is None else current.status,
            place=None if current is None else current.place,
            erased=is_erased,
            since=None if current is None else current.since,
        )
    return found


def verified_return_since(session: Session, day: date, *, window_days: int) -> dict[str, date]:
    """Who may be eligible on `day`: present in custody, with a private
    interview that found a wish to return, held on or after `day - window_days`, and no
    later record of another wish. A superset of the eligible, read by index; the rules
    (`policy`) then decide on each. Each with the first day of the custody they are held
    in (the latest, should there be two)."""
    later = aliased(WishRecord)
    otherwise = (
        select(later.id)
        .where(
            later.person_id == WishRecord.person_id,
            later.number > WishRecord.number,
            later.wish != Wish.RETURN.value,
        )
        .exists()
    )
    stmt = (
        select(WishRecord.person_id, func.max(Custody.since))
        .join(Custody, Custody.person_id == WishRecord.person_id)
        .where(
            WishRecord.source == WishSource.INTERVIEW.value,
            WishRecord.wish == Wish.RETURN.value,
            WishRecord.stated_on >= day - timedelta(days=window_days),
            WishRecord.without_witnesses.is_(True),
            Custody.status.in_([s.value for s in PRESENT]),
            ~otherwise,
        )
        .group_by(WishRecord.person_id)
    )
    return {pid: since for pid, since in session.execute(stmt)}


def seriously_ill(session: Session, custody_ids: Collection[str]) -> set[str]:
    """The custodies whose latest health status in force says seriously ill or wounded.
    A correction is of its event's kind and custody, so what a chunk's rows supersede is
    among them: no scan of every correction in the store."""
    ill: set[str] = set()
    for chunk in chunks(custody_ids):
        stmt = select(
            TreatmentEvent.custody_id,
            TreatmentEvent.occurred_on,
            TreatmentEvent.recorded_on,
            TreatmentEvent.id,
            TreatmentEvent.seriously_ill,
            TreatmentEvent.supersedes_id,
        ).where(
            among(session, TreatmentEvent.custody_id, chunk),
            TreatmentEvent.kind == TreatmentKind.HEALTH_STATUS.value,
        )
        rows = session.execute(stmt).all()
        replaced = {row[5] for row in rows if row[5] is not None}
        latest: dict[str, tuple[date, date, str, bool]] = {}
        for cid, occurred, recorded, eid, is_ill, _ in rows:
            if eid in replaced:
                continue
            key = (occurred, recorded, eid, bool(is_ill))
            if cid not in latest or key[:3] > latest[cid][:3]:
                latest[cid] = key
        ill |= {cid for cid, key in latest.items() if key[3]}
    return ill


def ranks(session: Session, person_ids: Collection[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for chunk in chunks(person_ids):
        for pid, rank in session.execute(
            select(Person.id, Person.rank).where(among(session, Person.id, chunk))
        ):
            found[pid] = rank
    return found


def names(session: Session, person_ids: Collection[str]) -> dict[str, str]:
    """Each person's name as the lists show it: surname, given names, patronymic."""
    found: dict[str, str] = {}
    for chunk in chunks(person_ids):
        stmt = select(Person.id, Person.surname, Person.given_names, Person.patronymic).where(
            among(session, Person.id, chunk)
        )
        for pid, surname, given, patronymic in session.execute(stmt):
            found[pid] = " ".join(p for p in (surname, given, patronymic) if p)
    return found

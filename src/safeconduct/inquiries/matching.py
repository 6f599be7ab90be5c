"""Standing inquiries: each new inquiry is matched against the live registry, and each new
or changed registration against every open inquiry, incrementally, through blinded
blocking keys (the tracing engine's own, see tracing.pairs) and the engine's pair score.

Blinding: a key is stored as HMAC-SHA256 under the tracing index secret, which only the
operator face holds (Keyring.service_secret). Equal keys still find each other; a copy of
the database cannot be searched for a name."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from safeconduct.db import in_chunks as _chunks
from safeconduct.db import new_id, today
from safeconduct.inquiries.models import (
    Inquiry,
    InquiryCandidate,
    InquiryKey,
    InquiryStatus,
    PersonTracingKey,
)
from safeconduct.people.models import Person, PersonChange
from safeconduct.people.policy import PartialDate, PartialDateError
from safeconduct.security.service import Keyring
from safeconduct.tracing import pairs
from safeconduct.tracing.features import feature_record
from safeconduct.tracing.matcher import CANDIDATE_THRESHOLD, CANDIDATE_TOP_K
from safeconduct.tracing.splink_matcher import MIN_POPULATION, PRIOR_SHARE_IN_REGISTRY

INDEX_SECRET = "tracing-index"  # noqa: S105 - the name of a secret, not one


@dataclass(frozen=True, slots=True)
class Found:
    """A proposed person for an inquiry, with the engine's score."""

    inquiry_id: str
    person_id: str
    score: float


def _dob(text: str | None) -> PartialDate:
    try:
        return PartialDate.parse(text or "")
    except PartialDateError:
        return PartialDate()


def sought_record(inquiry_id: str, sought: Mapping[str, str]) -> dict[str, Any]:
    """The engine's record of the person an inquiry seeks."""
    return feature_record(
        inquiry_id,
        sought.get("surname", ""),
        sought.get("given_name", ""),
        sought.get("patronymic", ""),
        _dob(sought.get("date_of_birth")),
    )


def person_record(person: Person) -> dict[str, Any]:
    """The engine's record of a registered person."""
    return feature_record(
        person.id, person.surname, person.given_names, person.patronymic or "",
        _dob(person.date_of_birth),
    )  # fmt: skip


def _secret(session: Session, keyring: Keyring) -> bytes:
    return keyring.service_secret(session, INDEX_SECRET)


def blind_key(secret: bytes, key: str) -> str:
    """The stored form of a blocking key."""
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def blind(secret: bytes, keys: Iterable[str]) -> list[str]:
    """The stored form of blocking keys."""
    return sorted({blind_key(secret, k) for k in keys})


# The registry's size sets the prior, an order of magnitude: counting a million rows for
# every inquiry would cost more than the matching. A count a minute old is as good.
_COUNTS: dict[str, tuple[float, int]] = {}
COUNT_SECONDS = 60.0


def prior(session: Session) -> float:
    """The chance two random records match, as the batch engine sets it."""
    where = str(session.get_bind().engine.url)
    kept = _COUNTS.get(where)
    if kept is None or time.monotonic() - kept[0] > COUNT_SECONDS:
        count = session.scalar(select(func.count()).select_from(Person)) or 0
        kept = _COUNTS[where] = (time.monotonic(), int(count))
    return PRIOR_SHARE_IN_REGISTRY / max(kept[1], MIN_POPULATION)


def _best(
    record: Mapping[str, Any], others: Iterable[Mapping[str, Any]], p: float
) -> list[tuple[str, float]]:
    scored = [(o["unique_id"], pairs.score(record, o, prior=p).probability) for o in others]
    kept = sorted((s for s in scored if s[1] >= CANDIDATE_THRESHOLD), key=lambda s: -s[1])
    return kept[:CANDIDATE_TOP_K]


# New inquiries against the registry ---------------------------------------------------


def index_inquiry(
    session: Session, *, keyring: Keyring, inquiry_id: str, sought: Mapping[str, str]
) -> list[Found]:
    """Store an inquiry's blinded keys and propose registered people for it."""
    return index_inquiries(session, keyring=keyring, sought={inquiry_id: sought})


def index_inquiries(
    session: Session, *, keyring: Keyring, sought: Mapping[str, Mapping[str, str]]
) -> list[Found]:
    """Store each inquiry's blinded keys and propose registered people for it: a batch
    (the inbox taken in at once) looks each key up once."""
    if not sought:
        return []
    secret = _secret(session, keyring)
    records = {q: sought_record(q, s) for q, s in sought.items()}
    spaces = {q: _blinded_spaces(secret, r, "inquiry") for q, r in records.items()}
    for part in _chunks(sorted(records)):
        session.execute(delete(InquiryKey).where(InquiryKey.inquiry_id.in_(part)))
    rows = [{"inquiry_id": q, "key": k} for q, keys in spaces.items() for k in sorted(keys)]
    if rows:
        session.execute(insert(InquiryKey), rows)
    holders, people = _people_sharing(session, sorted({k for ks in spaces.values() for k in ks}))
    p, found = prior(session), []
    for q, record in records.items():
        shared = _shared_spaces(spaces[q], holders)
        others = (
            people[pid] for pid, via in shared.items() if pairs.blocked(record, people[pid], via)
        )
        found += [Found(q, pid, score) for pid, score in _best(record, others, p)]
    return _propose(session, found)


def _blinded_spaces(
    secret: bytes, record: Mapping[str, Any], side: pairs.KeySide
) -> dict[str, str]:
    """A record's blinded keys, each with the keyspace (blocking rule) it stands for: only
    the rules whose keys two records share can bring them together."""
    keys = pairs.blocking_keys(record, side=side)
    return {blind_key(secret, k): pairs.keyspace(k) for k in keys}


def _shared_spaces(
    spaces: Mapping[str, str], holders: Mapping[str, Iterable[str]]
) -> dict[str, set[str]]:
    """Each holder of one of a record's keys (`holders`: key -> holders), with the keyspaces
    of the keys the two share."""
    shared: dict[str, set[str]] = {}
    for key, space in spaces.items():
        for holder in holders.get(key, ()):
            shared.setdefault(holder, set()).add(space)
    return shared


def _people_sharing(
    session: Session, keys: Sequence[str]
) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """Who holds each key (registered, not erased), and each holder's engine record. Rows,
    not objects: a key brings a hundred people at a million registered."""
    holders: dict[str, list[str]] = {}
    people: dict[str, dict[str, Any]] = {}
    for part in _chunks(keys):
        stmt = (
            select(PersonTracingKey.key, *_PERSON_FIELDS)
            .join(Person, Person.id == PersonTracingKey.person_id)
            .where(PersonTracingKey.key.in_(part), Person.erased_on.is_(None))
        )
        for key, pid, surname, given, patronymic, dob in session.execute(stmt):
            holders.setdefault(key, []).append(pid)
            if pid not in people:
                people[pid] = feature_record(pid, surname, given, patronymic or "", _dob(dob))
    return holders, people


_PERSON_FIELDS = (Person.id, Person.surname, Person.given_names, Person.patronymic,
                  Person.date_of_birth)  # fmt: skip


def _propose(session: Session, found: Sequence[Found]) -> list[Found]:
    """Add candidates not proposed before (a rejected one stays rejected) and flag their
    inquiries for the officer."""
    if not found:
        return []
    inquiry_ids = sorted({f.inquiry_id for f in found})
    known: set[tuple[str, str]] = set()
    for part in _chunks(inquiry_ids):
        stmt = select(InquiryCandidate.inquiry_id, InquiryCandidate.person_id).where(
            InquiryCandidate.inquiry_id.in_(part)
        )
        known.update((a, b) for a, b in session.execute(stmt))
    fresh = [f for f in found if (f.inquiry_id, f.person_id) not in known]
    if fresh:
        rows = [
            {"id": new_id(), "inquiry_id": f.inquiry_id, "person_id": f.person_id,
             "score": round(f.score, 4), "found_on": today()}
            for f in fresh
        ]  # fmt: skip
        session.execute(insert(InquiryCandidate), rows)
        flagged = sorted({f.inquiry_id for f in fresh})
        for part in _chunks(flagged):
            # Synchronised with the session (the default): an inquiry already loaded sees
            # the flag, so an officer's decision in the same transaction clears it for real.
            flag = update(Inquiry).where(Inquiry.id.in_(part)).values(new_candidates=True)
            session.execute(flag)
    return fresh


def mark_rekeyed(session: Session, inquiry_ids: Sequence[str]) -> None:
    """Record that these inquiries' keys follow the current scheme (new ones are made so)."""
    for part in _chunks(inquiry_ids):
        stmt = update(Inquiry).where(Inquiry.id.in_(part))
        session.execute(stmt.values(keys_version=pairs.KEYS_VERSION))


def stale_inquiries(session: Session, limit: int) -> list[str]:
    """Inquiries still matched whose keys follow an older scheme (oldest scheme first)."""
    stmt = (
        select(Inquiry.id)
        .where(Inquiry.keys_version < pairs.KEYS_VERSION)
        .where(Inquiry.status != InquiryStatus.CLOSED.value)
        .order_by(Inquiry.keys_version, Inquiry.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


# New registrations against open inquiries ----------------------------------------------


def _changed_people(session: Session, limit: int) -> list[tuple[str, Person | None]]:
    """People on the feed of identity changes (people.models.PersonChange), oldest id first,
    each with their record (None once erased: their keys go)."""
    stmt = (
        select(PersonChange.person_id, Person)
        .join(Person, Person.id == PersonChange.person_id)
        .order_by(PersonChange.person_id)
        .limit(limit)
    )
    return [(pid, None if p.erased_on is not None else p) for pid, p in session.execute(stmt)]


@dataclass
class IndexReport:
    indexed: int = 0
    proposed: int = 0


OpenSought = Callable[[Session, Sequence[str]], Mapping[str, Mapping[str, str]]]


def index_registrations(
    session: Session, *, keyring: Keyring, open_sought: OpenSought, limit: int = 2000
) -> IndexReport:
    """Index new or changed registrations and match each against the open inquiries.
    `open_sought(session, inquiry_ids)` opens the sought person of each inquiry (the
    service's: it knows the seal)."""
    changes = _changed_people(session, limit)
    if not changes:
        return IndexReport()
    secret = _secret(session, keyring)
    changed: list[tuple[Person, dict[str, Any], dict[str, str]]] = []
    for person_id, person in changes:
        if person is None:
            _replace_person_keys(session, person_id, [])
            continue
        record = person_record(person)
        keys = _blinded_spaces(secret, record, "registry")
        _replace_person_keys(session, person.id, sorted(keys))
        changed.append((person, record, keys))
    consumed = [pid for pid, _ in changes]
    for part in _chunks(consumed):
        session.execute(delete(PersonChange).where(PersonChange.person_id.in_(part)))
    session.flush()
    return IndexReport(len(changed), len(_match_people(session, changed, open_sought)))


def _replace_person_keys(session: Session, person_id: str, keys: Sequence[str]) -> None:
    session.execute(delete(PersonTracingKey).where(PersonTracingKey.person_id == person_id))
    if keys:
        session.execute(
            insert(PersonTracingKey), [{"person_id": person_id, "key": k} for k in keys]
        )


def _match_people(
    session: Session,
    changed: Sequence[tuple[Person, dict[str, Any], dict[str, str]]],
    open_sought: OpenSought,
) -> list[Found]:
    by_key: dict[str, set[str]] = {}
    all_keys = sorted({k for _, _, keys in changed for k in keys})
    for part in _chunks(all_keys):
        stmt = (
            select(InquiryKey.key, InquiryKey.inquiry_id)
            .join(Inquiry, Inquiry.id == InquiryKey.inquiry_id)
            .where(InquiryKey.key.in_(part), Inquiry.status != InquiryStatus.CLOSED.value)
        )
        for key, inquiry_id in session.execute(stmt):
            by_key.setdefault(key, set()).add(inquiry_id)
    wanted = sorted({q for ids in by_key.values() for q in ids})
    if not wanted:
        return []
    sought = open_sought(session, wanted)
    records = {q: sought_record(q, s) for q, s in sought.items()}
    p = prior(session)
    found: list[Found] = []
    for person, record, keys in changed:
        shared = _shared_spaces(keys, by_key)
        for q in sorted(shared):
            if q not in records or not pairs.blocked(records[q], record, shared[q]):
                continue
            score = pairs.score(records[q], record, prior=p).probability
            if score >= CANDIDATE_THRESHOLD:
                found.append(Found(q, person.id, score))
    return _propose(session, found)

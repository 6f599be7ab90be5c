"""Use cases for exchanges: an event with its quotas, the builder that proposes eligible
people only, additions and removals, approval by a second exchange officer that freezes and
signs the list, export, completion, and the verifier's schedule. The caller commits.

Locks, where the store has them, in one order: people, custodies, the event, its list (see
`guard`)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyEventKind
from safeconduct.custody.schemas import CustodyEventCreate
from safeconduct.db import new_id, today
from safeconduct.people.models import Person
from safeconduct.repatriation import documents, guard, policy, standing
from safeconduct.repatriation.models import (
    Category,
    EventStatus,
    ExchangeEvent,
    ExchangeList,
    ExchangeListAuthor,
    ExchangeListMember,
    Invalidation,
    ListStatus,
    RemovalReason,
)
from safeconduct.repatriation.schemas import (
    ExchangeEventCreate,
    ExchangeEventRead,
    ExchangeListRead,
    InvalidationRead,
    MemberRead,
    Problem,
    ScheduleEntry,
)
from safeconduct.security.service import Keyring
from safeconduct.security.signing import Signer

EDITABLE = (ListStatus.DRAFT.value, ListStatus.INVALIDATED.value)
# How many of the pool the builder weighs at a time: a list of a thousand is usually
# filled from the first few thousand longest held.
FIRST_CHUNK = 1000
EXPORTABLE_EVENTS = (EventStatus.OPEN.value, EventStatus.COMPLETED.value)


class ListConflictError(Exception):
    """A change refused because of the state of the list or of people on it: each problem
    names the person it is about (or None) and why. Never a wish, never a note."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(reason for _, reason in problems))

    @classmethod
    def naming(cls, found: dict[str, policy.Ineligible]) -> ListConflictError:
        """A refusal naming each ineligible person and why, in a stable order."""
        return cls([(pid, why.value) for pid, why in sorted(found.items())])


def named_problems(session: Session, exc: ListConflictError) -> list[Problem]:
    """A refusal's problems with each person's name, as the API and the UI show them."""
    names = standing.names(session, {pid for pid, _ in exc.problems if pid is not None})
    return [
        Problem(person_id=pid, name=None if pid is None else names.get(pid), reason=reason)
        for pid, reason in exc.problems
    ]


def _refuse(reason: str, person_id: str | None = None) -> ListConflictError:
    return ListConflictError([(person_id, reason)])


def quotas(event: ExchangeEvent) -> dict[Category, int]:
    return {
        Category.WOUNDED_SICK: event.quota_wounded_sick,
        Category.OFFICER: event.quota_officer,
        Category.ENLISTED: event.quota_enlisted,
    }


def create_event(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    event_in: ExchangeEventCreate,
    window_days: int,
) -> ExchangeEvent:
    """Create an exchange event and its (empty) draft list."""
    if event_in.planned_on < today():
        raise custody_service.InvalidFieldError(("planned_on",), "must not be in the past")
    event = ExchangeEvent(
        **event_in.model_dump(), window_days=window_days, created_by=actor.name, version=1
    )
    session.add(event)
    session.flush()
    lst = ExchangeList(event_id=event.id, created_by=actor.name)
    session.add(lst)
    session.flush()
    session.add(ExchangeListAuthor(list_id=lst.id, actor=actor.name))
    audit.record(session, actor=actor, tag=AuditAction.EXCHANGE_EVENT_CREATE, subject_id=event.id)
    return event


def get_event(session: Session, *, event_id: str) -> ExchangeEvent | None:
    return session.get(ExchangeEvent, event_id)


def events(session: Session) -> list[ExchangeEvent]:
    """Every event, open ones first, by planned day."""
    stmt = select(ExchangeEvent).order_by(
        ExchangeEvent.status != EventStatus.OPEN.value, ExchangeEvent.planned_on, ExchangeEvent.id
    )
    return list(session.scalars(stmt))


def list_of(session: Session, event: ExchangeEvent) -> ExchangeList:
    return session.scalars(select(ExchangeList).where(ExchangeList.event_id == event.id)).one()


def _locked(session: Session, event: ExchangeEvent, version: int | None = None) -> ExchangeList:
    """The event and its list, locked in that order; refuse a closed event or a stale one."""
    session.refresh(event, with_for_update=True)
    if event.status != EventStatus.OPEN.value:
        raise _refuse("event_closed")
    if version is not None and version != event.version:
        raise _refuse("stale_version")
    lst = list_of(session, event)
    session.refresh(lst, with_for_update=True)
    return lst


def _editable(session: Session, event: ExchangeEvent, actor: Actor) -> ExchangeList:
    lst = _locked(session, event)
    if lst.status not in EDITABLE:
        raise _refuse("frozen")
    # Changing an invalidated list is reworking it: a draft again, until a new approval.
    # Its invalidations stay on record under the approval they were found against.
    lst.status = ListStatus.DRAFT.value
    if session.get(ExchangeListAuthor, (lst.id, actor.name)) is None:
        session.add(ExchangeListAuthor(list_id=lst.id, actor=actor.name))
    event.version += 1
    return lst


def _next_position(session: Session, list_id: str) -> int:
    top = session.scalar(
        select(func.max(ExchangeListMember.position)).where(ExchangeListMember.list_id == list_id)
    )
    return (top or 0) + 1


def _counts(on_list: list[ExchangeListMember]) -> dict[Category, int]:
    counts = dict.fromkeys(Category, 0)
    for member in on_list:
        counts[Category(member.category)] += 1
    return counts


def _candidates(
    session: Session, person_ids: Collection[str], *, on: date, window_days: int
) -> list[policy.Candidate]:
    """The eligible among these people, with what the builder ranks them by."""
    found = standing.standings(session, person_ids)
    eligible = [
        s for s in found.values() if policy.ineligible(s, on=on, window_days=window_days) is None
    ]
    return _ranked(session, eligible)


def _ranked(session: Session, eligible: list[policy.Standing]) -> list[policy.Candidate]:
    """Eligible people (so each held in a custody) with their category and custody."""
    held = [(s, s.custody_id, s.since) for s in eligible]
    ill = standing.seriously_ill(session, [cid for _, cid, _ in held if cid is not None])
    ranks = standing.ranks(session, [s.person_id for s in eligible])
    return [
        policy.Candidate(
            person_id=s.person_id,
            custody_id=cid,
            category=policy.category_of(ranks.get(s.person_id), cid in ill),
            seriously_ill=cid in ill,
            since=since,
        )
        for s, cid, since in held
        if cid is not None and since is not None
    ]


def _first_candidates(
    session: Session,
    pool: dict[str, date],
    left: dict[Category, int],
    *,
    on: date,
    window_days: int,
) -> list[policy.Candidate]:
    """The eligible of the pool, longest in custody first, read a chunk at a time until
    every category has the places it has left: the builder ranks within a category by
    custody (all in the first category are seriously ill, none in the others), so the
    chunks not read hold no one it would take."""
    found: list[policy.Candidate] = []
    got = dict.fromkeys(Category, 0)
    ordered = [pid for _, pid in sorted((since, pid) for pid, since in pool.items())]
    for start in range(0, len(ordered), FIRST_CHUNK):
        chunk = ordered[start : start + FIRST_CHUNK]
        for candidate in _candidates(session, chunk, on=on, window_days=window_days):
            found.append(candidate)
            got[candidate.category] += 1
        if all(got[c] >= n for c, n in left.items()):
            break
    return found


def _put_on(
    session: Session, *, actor: Actor, lst: ExchangeList, chosen: list[policy.Candidate]
) -> list[ExchangeListMember]:
    position = _next_position(session, lst.id)
    added = [
        ExchangeListMember(
            id=new_id(),
            list_id=lst.id,
            person_id=c.person_id,
            custody_id=c.custody_id,
            category=c.category.value,
            position=position + i,
            added_by=actor.name,
            place=None,
            removed_on=None,
            removed_by=None,
            removed_reason=None,
        )
        for i, c in enumerate(chosen)
    ]
    if added:
        # One bulk INSERT, not the unit of work's bookkeeping for a thousand objects; the
        # objects returned are the rows' values, not attached to the session.
        columns = [c.key for c in ExchangeListMember.__table__.columns]
        rows = [{k: getattr(m, k) for k in columns} for m in added]
        session.execute(insert(ExchangeListMember), rows)
    return added


def build(
    session: Session, *, audit: AuditLog, actor: Actor, event: ExchangeEvent
) -> list[ExchangeListMember]:
    """Propose eligible people for the places left in each category: the seriously wounded
    and sick first, then the longest in custody. Nobody taken off this list comes back by
    the builder; an officer may add them again."""
    lst = _editable(session, event, actor)
    day = today()
    seen = set(session.scalars(select(ExchangeListMember.person_id).where(
        ExchangeListMember.list_id == lst.id)))  # fmt: skip
    counts = _counts(guard.members(session, lst.id))
    left = {c: max(0, q - counts[c]) for c, q in quotas(event).items()}
    pool = standing.verified_return_since(session, day, window_days=event.window_days)
    pool = {pid: since for pid, since in pool.items() if pid not in seen}
    candidates = _first_candidates(session, pool, left, on=day, window_days=event.window_days)
    added = _put_on(session, actor=actor, lst=lst, chosen=policy.proposal(candidates, left))
    audit.record(
        session, actor=actor, tag=AuditAction.EXCHANGE_BUILD, subject_id=lst.id,
        purpose=f"{len(added)} proposed",
    )  # fmt: skip
    return added


def add(
    session: Session, *, audit: AuditLog, actor: Actor, event: ExchangeEvent, person_id: str
) -> ExchangeListMember:
    """Put an eligible person on the list, in their category, within its quota."""
    lst = _editable(session, event, actor)
    if session.get(Person, person_id) is None:
        raise _refuse("unknown_person", person_id)
    on_list = guard.members(session, lst.id)
    if any(m.person_id == person_id for m in on_list):
        raise _refuse("already_on_list", person_id)
    found = standing.standings(session, [person_id])[person_id]
    why = policy.ineligible(found, on=today(), window_days=event.window_days)
    if why is not None:
        raise _refuse(why.value, person_id)
    [candidate] = _ranked(session, [found])
    if _counts(on_list)[candidate.category] >= quotas(event)[candidate.category]:
        raise _refuse("quota_full", person_id)
    [member] = _put_on(session, actor=actor, lst=lst, chosen=[candidate])
    audit.record(
        session, actor=actor, tag=AuditAction.EXCHANGE_ADD, subject_id=person_id, purpose=lst.id
    )
    return member


def remove(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    event: ExchangeEvent,
    person_id: str,
    reason: RemovalReason,
) -> ExchangeListMember:
    """Take a person off the list, for a reason from the fixed choice."""
    lst = _editable(session, event, actor)
    member = next((m for m in guard.members(session, lst.id) if m.person_id == person_id), None)
    if member is None:
        raise _refuse("not_on_list", person_id)
    member.removed_on = today()
    member.removed_by = actor.name
    member.removed_reason = reason.value
    session.flush()
    audit.record(
        session, actor=actor, tag=AuditAction.EXCHANGE_REMOVE, subject_id=person_id,
        purpose=f"{lst.id}: {reason.value}",
    )  # fmt: skip
    return member


def reopen(session: Session, *, audit: AuditLog, actor: Actor, event: ExchangeEvent) -> None:
    """Turn an approved list back into a draft, to change it; it needs a new approval."""
    lst = _locked(session, event)
    if lst.status != ListStatus.APPROVED.value:
        raise _refuse("not_approved")
    lst.status = ListStatus.DRAFT.value
    event.version += 1
    session.flush()
    audit.record(session, actor=actor, tag=AuditAction.EXCHANGE_REOPEN, subject_id=lst.id)


def _lock_people(session: Session, person_ids: list[str]) -> None:
    # FOR SHARE, people then custodies, before the event: a statement or a custody event
    # on one of them either committed before (and is seen) or waits for this approval (and
    # then invalidates it). SQLite serialises every writer already.
    for chunk in standing.chunks(person_ids):
        session.execute(
            select(Person.id)
            .where(standing.among(session, Person.id, chunk))
            .with_for_update(read=True)
        )
        session.execute(
            select(Custody.id)
            .where(standing.among(session, Custody.person_id, chunk))
            .with_for_update(read=True)
        )


def _identities(session: Session, on_list: list[ExchangeListMember]) -> list[dict[str, Any]]:
    people = {
        p.id: p
        for chunk in standing.chunks({m.person_id for m in on_list})
        for p in session.scalars(select(Person).where(standing.among(session, Person.id, chunk)))
    }
    fields = documents.PERSON_FIELDS
    return [
        {"category": m.category, **{f: getattr(people[m.person_id], f) for f in fields}}
        for m in on_list
    ]


def approve(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    signer: Signer,
    event: ExchangeEvent,
    version: int,
) -> ExchangeList:
    """Approve the list as it stands at `version`, by an exchange officer who did not build
    or change it: every person on it must be eligible for the planned day. The list is
    frozen into a signed document of Art. 17 identities."""
    lst = list_of(session, event)
    _lock_people(session, sorted(m.person_id for m in guard.members(session, lst.id)))
    lst = _locked(session, event, version)
    if lst.status == ListStatus.APPROVED.value:
        raise _refuse("already_approved")
    if session.get(ExchangeListAuthor, (lst.id, actor.name)) is not None:
        raise _refuse("own_list")
    day = today()
    if event.planned_on < day:
        raise _refuse("past_date")
    on_list = guard.members(session, lst.id)
    if not on_list:
        raise _refuse("empty")
    found = guard.problems(session, event, on_list, frozen=False)
    if found:
        raise ListConflictError.naming(found)
    now = standing.standings(session, {m.person_id for m in on_list})
    for member in on_list:
        member.custody_id = now[member.person_id].custody_id or member.custody_id
        member.place = now[member.person_id].place
    lst.approvals += 1
    doc = documents.document(
        list_id=lst.id,
        event_id=event.id,
        counterpart=event.counterpart,
        planned_on=event.planned_on,
        approval=lst.approvals,
        approved_on=day,
        people=_identities(session, on_list),
    )
    signed = documents.sign(signer, doc)
    lst.status = ListStatus.APPROVED.value
    lst.approved_by, lst.approved_on, lst.invalidated_on = actor.name, day, None
    lst.document = documents.canonical(doc).decode("utf-8")
    lst.sha256, lst.signature, lst.key_id = signed.sha256, signed.signature, signed.key_id
    event.version += 1
    session.flush()
    audit.record(
        session, actor=actor, tag=AuditAction.EXCHANGE_APPROVE, subject_id=lst.id,
        purpose=signed.sha256,
    )  # fmt: skip
    return lst


def signed_of(lst: ExchangeList) -> documents.Signed | None:
    if lst.document is None or lst.sha256 is None or lst.signature is None or lst.key_id is None:
        return None
    return documents.Signed(json.loads(lst.document), lst.sha256, lst.signature, lst.key_id)


@dataclass(frozen=True, slots=True)
class Export:
    content: bytes
    file_name: str
    media_type: str


def export(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    event: ExchangeEvent,
    fmt: documents.ExportFormat,
) -> Export | ListConflictError:
    """Export the approved list, after checking everyone on it once more. When someone no
    longer is eligible, the list is invalidated here (the caller commits that) and the
    refusal is returned, not raised."""
    lst = list_of(session, event)
    if event.status not in EXPORTABLE_EVENTS:
        return _refuse("event_closed")
    if lst.status != ListStatus.APPROVED.value:
        return _refuse("not_approved")
    if event.status == EventStatus.OPEN.value:
        found = guard.problems(session, event, guard.members(session, lst.id), frozen=True)
        if found:
            session.refresh(event, with_for_update=True)
            session.refresh(lst, with_for_update=True)
            guard.invalidate(session, audit=audit, actor=actor, lst=lst, found=found)
            return ListConflictError.naming(found)
    signed = signed_of(lst)
    if signed is None:  # pragma: no cover - an approved list has its document
        return _refuse("not_approved")
    audit.record(
        session, actor=actor, tag=AuditAction.EXCHANGE_EXPORT, subject_id=lst.id,
        purpose=f"{fmt.value}: {signed.sha256}",
    )  # fmt: skip
    return Export(
        documents.render(signed, fmt), documents.file_name(signed, fmt), documents.MEDIA_TYPES[fmt]
    )


def reschedule(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    event: ExchangeEvent,
    planned_on: date,
    version: int,
) -> list[Invalidation]:
    """Move the planned day; an approved list is checked again for it (an interview fresh
    for the old day may be stale for the new one)."""
    if planned_on < today():
        raise custody_service.InvalidFieldError(("planned_on",), "must not be in the past")
    lst = _locked(session, event, version)
    event.planned_on = planned_on
    event.version += 1
    session.flush()
    audit.record(
        session, actor=actor, tag=AuditAction.EXCHANGE_EVENT_RESCHEDULE, subject_id=event.id
    )
    if lst.status not in guard.WATCHED:
        return []
    found = guard.problems(session, event, guard.members(session, lst.id), frozen=True)
    return guard.invalidate(session, audit=audit, actor=actor, lst=lst, found=found)


def complete(
    session: Session, *, keyring: Keyring, audit: AuditLog, actor: Actor, event: ExchangeEvent
) -> int:
    """The exchange took place: everyone on the approved list is repatriated (a custody
    event each, on the day), and the event is closed. Return how many."""
    lst = _locked(session, event)
    if lst.status != ListStatus.APPROVED.value:
        raise _refuse("not_approved")
    on_list = guard.members(session, lst.id)
    event.status = EventStatus.COMPLETED.value
    event.version += 1
    session.flush()
    audit.record(session, actor=actor, tag=AuditAction.EXCHANGE_EVENT_COMPLETE, subject_id=event.id)
    for member in on_list:
        custody = session.get(Custody, member.custody_id)
        if custody is None:  # pragma: no cover - the foreign key keeps it
            continue
        custody_service.record_event(
            session,
            keyring=keyring,
            audit=audit,
            actor=actor,
            custody=custody,
            event_in=CustodyEventCreate(
                kind=CustodyEventKind.REPATRIATION, occurred_on=today(), reason="exchange"
            ),
        )
    return len(on_list)


def cancel(session: Session, *, audit: AuditLog, actor: Actor, event: ExchangeEvent) -> None:
    _locked(session, event)
    event.status = EventStatus.CANCELLED.value
    event.version += 1
    session.flush()
    audit.record(session, actor=actor, tag=AuditAction.EXCHANGE_EVENT_CANCEL, subject_id=event.id)


def event_read(event: ExchangeEvent) -> ExchangeEventRead:
    return ExchangeEventRead.model_validate(event, from_attributes=True)


def view(session: Session, *, event: ExchangeEvent) -> ExchangeListRead:
    """The list as the exchange role sees it: each person, their category and whether they
    are eligible for the planned day (and why not), and what invalidated it."""
    lst = list_of(session, event)
    on_list = guard.members(session, lst.id)
    frozen = lst.status != ListStatus.DRAFT.value
    found = guard.problems(session, event, on_list, frozen=frozen) if on_list else {}
    names = standing.names(session, {m.person_id for m in on_list})
    return ExchangeListRead(
        event=event_read(event),
        status=ListStatus(lst.status),
        approvals=lst.approvals,
        approved_on=lst.approved_on,
        sha256=lst.sha256,
        signature=lst.signature,
        key_id=lst.key_id,
        members=[
            MemberRead(
                person_id=m.person_id,
                name=names.get(m.person_id, ""),
                category=Category(m.category),
                position=m.position,
                reason=found.get(m.person_id),
            )
            for m in on_list
        ],
        invalidations=invalidations(session, lst),
    )


def invalidations(session: Session, lst: ExchangeList) -> list[InvalidationRead]:
    """Whom an invalidated list names, and why, under its last approval; none otherwise."""
    if lst.status != ListStatus.INVALIDATED.value:
        return []
    stmt = select(Invalidation).where(
        Invalidation.list_id == lst.id, Invalidation.approval == lst.approvals
    )
    found = list(session.scalars(stmt))
    names = standing.names(session, {i.person_id for i in found})
    return [
        InvalidationRead(
            person_id=i.person_id,
            name=names.get(i.person_id, ""),
            reason=policy.Ineligible(i.reason),
            found_on=i.found_on,
            approval=i.approval,
        )
        for i in found
    ]


def notices(session: Session) -> list[tuple[ExchangeEvent, list[InvalidationRead]]]:
    """The open exchanges whose list is invalidated, each with whom and why: for the
    exchange and verifier roles, without checking every list's people again."""
    stmt = (
        select(ExchangeEvent, ExchangeList)
        .join(ExchangeList, ExchangeList.event_id == ExchangeEvent.id)
        .where(
            ExchangeEvent.status == EventStatus.OPEN.value,
            ExchangeList.status == ListStatus.INVALIDATED.value,
        )
        .order_by(ExchangeEvent.planned_on, ExchangeEvent.id)
    )
    return [(event, invalidations(session, lst)) for event, lst in session.execute(stmt)]


def schedule(session: Session) -> list[ScheduleEntry]:
    """Whom the verifier must hear, and by when: people on the lists of open exchanges not
    yet past whose wish in effect on the planned day is not verified."""
    day = today()
    stmt = (
        select(ExchangeListMember.person_id, ExchangeEvent)
        .join(ExchangeList, ExchangeList.id == ExchangeListMember.list_id)
        .join(ExchangeEvent, ExchangeEvent.id == ExchangeList.event_id)
        .where(
            ExchangeListMember.removed_on.is_(None),
            ExchangeEvent.status == EventStatus.OPEN.value,
            ExchangeEvent.planned_on >= day,
        )
    )
    rows = session.execute(stmt).all()
    found = standing.standings(session, {pid for pid, _ in rows})
    names = standing.names(session, found)
    entries = []
    for pid, event in rows:
        person = found[pid]
        if person.erased or person.status not in policy.PRESENT:
            continue
        why = policy.needs_interview(
            person.records, planned_on=event.planned_on, window_days=event.window_days
        )
        if why is None:
            continue
        start, by = policy.interview_window(event.planned_on, event.window_days)
        entries.append(
            ScheduleEntry(
                person_id=pid,
                name=names.get(pid, ""),
                event_id=event.id,
                counterpart=event.counterpart,
                planned_on=event.planned_on,
                interview_from=max(start, day),
                interview_by=by,
                finding=why,
            )
        )
    entries.sort(key=lambda e: (e.interview_by, e.name, e.person_id))
    return entries

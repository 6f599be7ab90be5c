"""Invalidation: whatever makes a person on an approved list ineligible (a new statement, a
custody event, an erasure, a later exchange day) marks the list invalidated in the same
transaction, naming the people and why. Every write that can change eligibility calls
`recheck` with the people it touched; approval and export check again themselves.

Locks are taken in one order everywhere (person or custody first, then the list), so a
recheck and an approval never wait on each other in a circle."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import today
from safeconduct.repatriation import policy, standing
from safeconduct.repatriation.models import (
    EventStatus,
    ExchangeEvent,
    ExchangeList,
    ExchangeListMember,
    Invalidation,
    ListStatus,
)

WATCHED = (ListStatus.APPROVED.value, ListStatus.INVALIDATED.value)


def members(session: Session, list_id: str) -> list[ExchangeListMember]:
    """The people on a list now (not those taken off it), in list order."""
    stmt = (
        select(ExchangeListMember)
        .where(ExchangeListMember.list_id == list_id, ExchangeListMember.removed_on.is_(None))
        .order_by(ExchangeListMember.position, ExchangeListMember.id)
    )
    return list(session.scalars(stmt))


def problems(
    session: Session, event: ExchangeEvent, on_list: list[ExchangeListMember], *, frozen: bool
) -> dict[str, policy.Ineligible]:
    """Who on a list may not be on it for the event's day, and why. A frozen (approved)
    list holds people in the custody and at the place it was approved with."""
    found = standing.standings(session, {m.person_id for m in on_list})
    out: dict[str, policy.Ineligible] = {}
    for member in on_list:
        person = found.get(member.person_id)
        if person is None:  # pragma: no cover - the foreign key keeps the person
            out[member.person_id] = policy.Ineligible.NOT_IN_CUSTODY
            continue
        why = policy.ineligible(
            person,
            on=event.planned_on,
            window_days=event.window_days,
            custody_id=member.custody_id if frozen else None,
            place=member.place if frozen else None,
        )
        if why is not None:
            out[member.person_id] = why
    return out


def _named(session: Session, lst: ExchangeList) -> set[str]:
    stmt = select(Invalidation.person_id).where(
        Invalidation.list_id == lst.id, Invalidation.approval == lst.approvals
    )
    return set(session.scalars(stmt))


def invalidate(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    lst: ExchangeList,
    found: dict[str, policy.Ineligible],
) -> list[Invalidation]:
    """Mark a list invalidated for these people, naming each once per approval."""
    fresh = {pid: why for pid, why in found.items() if pid not in _named(session, lst)}
    if not fresh:
        return []
    lst.status = ListStatus.INVALIDATED.value
    if lst.invalidated_on is None:
        lst.invalidated_on = today()
    made = [
        Invalidation(list_id=lst.id, approval=lst.approvals, person_id=pid, reason=why.value)
        for pid, why in sorted(fresh.items())
    ]
    session.add_all(made)
    event = session.get(ExchangeEvent, lst.event_id)
    if event is not None:
        event.version += 1
    session.flush()
    audit.record(session, actor=actor, tag=AuditAction.EXCHANGE_INVALIDATE, subject_id=lst.id)
    return made


def recheck(
    session: Session, *, audit: AuditLog, actor: Actor, person_ids: Collection[str]
) -> list[Invalidation]:
    """Check again every approved (or already invalidated) list of an open event that holds
    one of these people; invalidate it for whoever on it is no longer eligible."""
    if not person_ids:
        return []
    stmt = (
        select(ExchangeList, ExchangeEvent)
        .join(ExchangeEvent, ExchangeEvent.id == ExchangeList.event_id)
        .join(ExchangeListMember, ExchangeListMember.list_id == ExchangeList.id)
        .where(
            ExchangeListMember.person_id.in_(sorted(person_ids)),
            ExchangeListMember.removed_on.is_(None),
            ExchangeList.status.in_(WATCHED),
            ExchangeEvent.status == EventStatus.OPEN.value,
        )
        .order_by(ExchangeList.id)
        .distinct()
    )
    made: list[Invalidation] = []
    for lst, event in session.execute(stmt).all():
        session.refresh(event, with_for_update=True)
        session.refresh(lst, with_for_update=True)
        if lst.status not in WATCHED:  # pragma: no cover - changed while we waited
            continue
        found = problems(session, event, members(session, lst.id), frozen=True)
        made += invalidate(session, audit=audit, actor=actor, lst=lst, found=found)
    return made

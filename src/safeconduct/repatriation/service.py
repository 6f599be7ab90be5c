"""Use cases for wishes: a statement heard by welfare or the registrar, the verifier's
private interview, the wish in effect, and the plans of those who stay (Art. 118). Records
are never edited, only superseded; every write checks the approved lists again in the same
transaction (`guard`). The caller commits."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.custody.models import Custody
from safeconduct.custody.service import InvalidFieldError
from safeconduct.db import new_id
from safeconduct.people.models import Person
from safeconduct.people.service import NotFoundError, person_owner
from safeconduct.repatriation import guard, policy, standing
from safeconduct.repatriation.models import (
    StayPlan,
    StayPlanRecord,
    Wish,
    WishRecord,
    WishSource,
)
from safeconduct.repatriation.schemas import (
    EffectiveWishRead,
    InterviewCreate,
    StatementCreate,
    StayCount,
)
from safeconduct.security.sealing import FieldRef, Sealed
from safeconduct.security.service import ErasedError, Keyring

__all__ = ["InvalidFieldError", "NotFoundError"]

TABLE = WishRecord.__tablename__
# Every note and every risk's reasons seal to this one size, and every interview carries
# both, empty or not: how much was said, and whether anything was, is no one's to read.
# 2,000 characters of four UTF-8 bytes each, escaped, fit.
NOTE_BYTES = 8192


def _locked_person(session: Session, person_id: str) -> Person:
    # The person row first, FOR UPDATE: wish numbers follow one another, and an approval
    # that locks its people FOR SHARE waits for this write or sees it (guard's lock order).
    person = session.get(Person, person_id, with_for_update=True)
    if person is None:
        raise NotFoundError(f"person {person_id} not found")
    if person.erased_on is not None:
        raise ErasedError("the person was erased")
    return person


def _check_day(session: Session, person_id: str, day: date, field: str) -> None:
    first = session.scalar(select(func.min(Custody.since)).where(Custody.person_id == person_id))
    if first is None:
        raise InvalidFieldError(("person_id",), "has no custody record: a wish is heard in custody")
    if day < first:
        raise InvalidFieldError((field,), f"must not be before the custody began ({first})")


def _seal(
    session: Session, keyring: Keyring, person_id: str, record_id: str, column: str, text: str
) -> Sealed:
    return keyring.seal(
        session,
        owner=person_owner(person_id),
        field=FieldRef(TABLE, column, record_id),
        plaintext=text.encode("utf-8"),
        size=NOTE_BYTES,
    )


def _next_number(session: Session, person_id: str) -> int:
    latest = session.scalar(
        select(func.max(WishRecord.number)).where(WishRecord.person_id == person_id)
    )
    return (latest or 0) + 1


def _add(
    session: Session, *, audit: AuditLog, actor: Actor, record: WishRecord, tag: AuditAction
) -> WishRecord:
    session.add(record)
    session.flush()
    # Who heard it, about whom; never the wish, never the note: the log outlives erasure
    # and the auditor may not know a wish.
    audit.record(session, actor=actor, tag=tag, subject_id=record.person_id)
    guard.recheck(session, audit=audit, actor=actor, person_ids={record.person_id})
    return record


def record_statement(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    role: Role,
    person_id: str,
    statement_in: StatementCreate,
) -> WishRecord:
    """Record a wish the person stated, heard in `role`. A statement after the verifier's
    interview that says otherwise ends the verified wish at once."""
    person = _locked_person(session, person_id)
    _check_day(session, person.id, statement_in.stated_on, "stated_on")
    record_id = new_id()
    record = WishRecord(
        id=record_id,
        person_id=person.id,
        number=_next_number(session, person.id),
        wish=statement_in.wish.value,
        source=WishSource.STATEMENT.value,
        role=role.value,
        actor=actor.name,
        stated_on=statement_in.stated_on,
        note=_seal(session, keyring, person.id, record_id, "note", statement_in.note or ""),
    )
    return _add(session, audit=audit, actor=actor, record=record, tag=AuditAction.WISH_STATEMENT)


def record_interview(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    person_id: str,
    interview_in: InterviewCreate,
) -> WishRecord:
    """Record the verifier's interview and the wish it found. Held before witnesses it
    verifies nothing: it is kept as what the person said there."""
    if interview_in.risk_reasons is not None and not interview_in.risk_on_return:
        raise InvalidFieldError(("risk_reasons",), "are given only with a risk on return")
    person = _locked_person(session, person_id)
    _check_day(session, person.id, interview_in.held_on, "held_on")
    record_id = new_id()

    def seal(column: str, text: str) -> Sealed:
        return _seal(session, keyring, person.id, record_id, column, text)

    record = WishRecord(
        id=record_id,
        person_id=person.id,
        number=_next_number(session, person.id),
        wish=interview_in.wish.value,
        source=WishSource.INTERVIEW.value,
        role=Role.VERIFIER.value,
        actor=actor.name,
        stated_on=interview_in.held_on,
        note=seal("note", interview_in.notes or ""),
        without_witnesses=interview_in.without_witnesses,
        interpreter=interview_in.interpreter,
        language=interview_in.language,
        risk_on_return=interview_in.risk_on_return,
        risk_reasons=seal("risk_reasons", interview_in.risk_reasons or ""),
    )
    return _add(session, audit=audit, actor=actor, record=record, tag=AuditAction.WISH_INTERVIEW)


def records(session: Session, *, person_id: str) -> list[WishRecord]:
    """A person's wish records, in the order they were recorded."""
    stmt = select(WishRecord).where(WishRecord.person_id == person_id).order_by(WishRecord.number)
    return list(session.scalars(stmt))


def get_record(session: Session, *, record_id: str) -> WishRecord | None:
    return session.get(WishRecord, record_id)


def effective(
    session: Session, *, person_id: str, on: date, window_days: int
) -> EffectiveWishRead | None:
    """The wish in effect for an exchange on `on`, and whether the person is eligible."""
    found = standing.standings(session, [person_id]).get(person_id)
    if found is None:
        return None
    wish = policy.effective_wish(found.records, on=on, window_days=window_days)
    reason = policy.ineligible(found, on=on, window_days=window_days)
    return EffectiveWishRead(
        person_id=person_id,
        on=on,
        finding=wish.finding,
        wish=wish.wish,
        verified_on=wish.verified_on,
        eligible=reason is None,
        reason=reason,
    )


def set_stay_plan(
    session: Session, *, audit: AuditLog, actor: Actor, person_id: str, plan: StayPlan
) -> StayPlanRecord:
    """Record the end-of-hostilities plan of a person (Art. 118); the latest is in force."""
    person = _locked_person(session, person_id)
    latest = session.scalar(
        select(func.max(StayPlanRecord.number)).where(StayPlanRecord.person_id == person.id)
    )
    record = StayPlanRecord(
        person_id=person.id, number=(latest or 0) + 1, plan=plan.value, actor=actor.name
    )
    session.add(record)
    session.flush()
    audit.record(session, actor=actor, tag=AuditAction.STAY_PLAN, subject_id=person.id)
    return record


def stay_plan(session: Session, *, person_id: str) -> StayPlan | None:
    stmt = (
        select(StayPlanRecord.plan)
        .where(StayPlanRecord.person_id == person_id)
        .order_by(StayPlanRecord.number.desc())
        .limit(1)
    )
    plan = session.scalar(stmt)
    return None if plan is None else StayPlan(plan)


def stays(session: Session, *, on: date, window_days: int) -> set[str]:
    """Those in custody whose verified wish in effect on `on` is not to return."""
    stmt = select(WishRecord.person_id).where(
        WishRecord.source == WishSource.INTERVIEW.value, WishRecord.wish == Wish.STAY.value
    )
    found = standing.standings(session, set(session.scalars(stmt)))
    return {pid for pid, s in found.items() if _stays(s, on=on, window_days=window_days)}


def stays_on(session: Session, *, person_id: str, on: date, window_days: int) -> bool:
    """Whether this person is one who stays: in custody, with a verified wish not to return
    that nothing recorded since contradicts."""
    found = standing.standings(session, [person_id]).get(person_id)
    return found is not None and _stays(found, on=on, window_days=window_days)


def _stays(person: policy.Standing, *, on: date, window_days: int) -> bool:
    # A wish to stay stays verified when the interview grows old: freshness guards a
    # return, not a stay. A later record that says otherwise ends it.
    if person.erased or person.status not in policy.PRESENT:
        return False
    wish = policy.effective_wish(person.records, on=on, window_days=window_days)
    return wish.last_verified is Wish.STAY and wish.finding is not policy.WishFinding.CHANGED


def stay_counts(session: Session, *, on: date, window_days: int) -> list[StayCount]:
    """How many of those who stay have each plan, and how many none yet: counts only, for
    the bureau; their names are in no exchange output."""
    people = stays(session, on=on, window_days=window_days)
    plans: dict[str, str] = {}
    for chunk in standing.chunks(people):
        stmt = select(StayPlanRecord.person_id, StayPlanRecord.plan, StayPlanRecord.number).where(
            standing.among(session, StayPlanRecord.person_id, chunk)
        )
        latest: dict[str, tuple[int, str]] = {}
        for pid, plan, number in session.execute(stmt):
            if pid not in latest or number > latest[pid][0]:
                latest[pid] = (number, plan)
        plans.update({pid: plan for pid, (_, plan) in latest.items()})
    counted = Counter(plans.get(pid) for pid in people)
    order: list[StayPlan | None] = [*StayPlan, None]
    return [StayCount(plan=p, count=counted.get(None if p is None else p.value, 0)) for p in order]

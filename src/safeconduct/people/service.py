"""Use cases for people: register, read, correct (keeping a history), erase. The caller
commits."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.db import new_id, today
from safeconduct.people import family
from safeconduct.people.models import Person, PersonChange, PersonRevision
from safeconduct.people.policy import IDENTITY_FIELDS, Change, Values, changed, registered
from safeconduct.people.schemas import (
    FamilyDetails,
    PersonCreate,
    PersonRevisionRead,
    PersonUpdate,
)
from safeconduct.security.sealing import Sealed
from safeconduct.security.service import KeyOwner, Keyring

ERASED = "[erased]"


class NotFoundError(LookupError):
    """No record with that id."""


class EditConflictError(RuntimeError):
    """The record changed after the correction was prepared: saving would undo that change
    unseen."""


def person_owner(person_id: str) -> KeyOwner:
    """The data key owner for a person's sealed values."""
    return KeyOwner("person", person_id)


def get(session: Session, *, person_id: str) -> Person | None:
    return session.get(Person, person_id)


def get_or_raise(session: Session, *, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"person {person_id} not found")
    return person


def get_registered(session: Session, *, person_id: str) -> Person | None:
    """Return the person unless unknown or erased (an erased person has no identity left)."""
    person = session.get(Person, person_id)
    return None if person is None or person.erased_on is not None else person


def _revision_rows(session: Session, person_id: str) -> list[PersonRevision]:
    stmt = (
        select(PersonRevision)
        .where(PersonRevision.person_id == person_id)
        .order_by(PersonRevision.number.desc())
    )
    return list(session.scalars(stmt))


def revisions(session: Session, *, person_id: str) -> list[PersonRevisionRead]:
    """A person's revisions, newest first, with their fields and values read."""
    return [PersonRevisionRead.model_validate(r) for r in _revision_rows(session, person_id)]


def latest_revision(session: Session, *, person_id: str) -> int:
    """The number of a person's latest revision; 0 for a person registered before histories."""
    stmt = select(func.max(PersonRevision.number)).where(PersonRevision.person_id == person_id)
    return session.scalar(stmt) or 0


def _identity(person: Person) -> Values:
    return {name: getattr(person, name) for name in IDENTITY_FIELDS}


def _as_json(values: Values) -> str | None:
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else None


def _add_revision(
    session: Session, *, person_id: str, actor: Actor, change: Change, reason: str | None
) -> PersonRevision:
    revision = PersonRevision(
        person_id=person_id,
        number=latest_revision(session, person_id=person_id) + 1,
        actor=actor.name,
        fields=",".join(change.fields),
        reason=reason,
        before=_as_json(change.before),
        after=_as_json(change.after),
    )
    session.add(revision)
    note_change(session, person_id)
    return revision


def note_change(session: Session, person_id: str) -> None:
    """Put the person on the feed of identity changes (see models.PersonChange)."""
    if session.get(PersonChange, person_id) is None:
        session.add(PersonChange(person_id=person_id))


def _sealed_family(
    session: Session, keyring: Keyring | None, person_id: str, details: FamilyDetails
) -> Sealed | None:
    if not details.given():
        return None
    if keyring is None:
        # A caller's mistake, never a user's: family details are sealed or not stored.
        raise ValueError("family details are sealed: pass the keyring")
    return family.seal(
        session,
        keyring=keyring,
        owner=person_owner(person_id),
        person_id=person_id,
        details=details,
    )


def create(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    person_in: PersonCreate,
    keyring: Keyring | None = None,
) -> Person:
    """Register a person, with the family details sealed (`keyring` needed only for them),
    write revision 1 of their history, and audit it."""
    person_id = new_id()
    values = person_in.model_dump(mode="json", exclude={"family"})
    sealed = _sealed_family(session, keyring, person_id, person_in.family or FamilyDetails())
    person = Person(id=person_id, family=sealed, **values)
    session.add(person)
    session.flush()
    change = registered(_identity(person), family=sealed is not None)
    _add_revision(session, person_id=person_id, actor=actor, change=change, reason=None)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.PERSON_CREATE,
        subject_id=person.id,
    )
    return person


def update(
    session: Session,
    *,
    audit: AuditLog,
    actor: Actor,
    person: Person,
    person_in: PersonUpdate,
    keyring: Keyring | None = None,
    expected_revision: int | None = None,
) -> Person:
    """Correct the identity fields given, replace the family details if given, and record
    the change in the person's history with its reason; audit which fields changed, never
    their values. Nothing changed: nothing written. `expected_revision`: the revision the
    correction was prepared from; if another was saved since, raise EditConflictError."""
    # Lock the person and read them afresh: two corrections at once would both take the
    # same revision number, and the later one's "before" would be stale.
    session.refresh(person, with_for_update=True)
    if expected_revision is not None and expected_revision != latest_revision(
        session, person_id=person.id
    ):
        raise EditConflictError(f"person {person.id} changed since revision {expected_revision}")
    wanted = person_in.model_dump(mode="json", exclude_unset=True, exclude={"family", "reason"})
    replaces_family = "family" in person_in.model_fields_set and (
        person_in.family is not None or person.family is not None
    )
    change = changed(_identity(person), wanted, family=replaces_family)
    if not change.fields:
        return person
    for name in change.after:
        setattr(person, name, wanted[name])
    if replaces_family:
        details = person_in.family or FamilyDetails()
        person.family = _sealed_family(session, keyring, person.id, details)
    _add_revision(session, person_id=person.id, actor=actor, change=change, reason=person_in.reason)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.PERSON_UPDATE,
        subject_id=person.id,
        purpose="fields: " + ",".join(sorted(change.fields)),
    )
    return person


def _blank_history(session: Session, person_id: str) -> None:
    # The names of the fields changed stay (they say nothing about the person); the values
    # and the reasons, which may name or describe them, go.
    for revision in _revision_rows(session, person_id):
        revision.before = revision.after = revision.reason = None
    # Imported here, not above: custody's service imports this module.
    from safeconduct.custody import service as custody_service

    custody_service.blank_events(session, person_id=person_id)


def erase(
    session: Session,
    *,
    keyring: Keyring,
    audit: AuditLog,
    actor: Actor,
    person: Person,
    reason: str,
) -> None:
    """Erase a person: destroy their data key (sealed values everywhere, backups included,
    the family details among them), blank their identity and the values and reasons of
    their history and custody events."""
    keyring.destroy(session, person_owner(person.id))
    person.surname = person.given_names = ERASED
    for name in IDENTITY_FIELDS:
        if name not in ("surname", "given_names", "sex"):
            setattr(person, name, None)
    person.erased_on = today()
    note_change(session, person.id)
    _blank_history(session, person.id)
    session.flush()
    audit.record(
        session,
        actor=actor,
        tag=AuditAction.PERSON_ERASE,
        subject_id=person.id,
        purpose=reason,
    )
    # Imported here, as custody is above: an erased person is on no approved list.
    from safeconduct.repatriation import guard

    guard.recheck(session, audit=audit, actor=actor, person_ids={person.id})

"""Eligibility as the issue states it, written again, plainly and apart from the engine, so
the property tests compare the service with the rule and not with itself.

  "The effective wish is the latest verified wish if it was verified within the freshness
  window (30 days before the exchange date) and no later statement contradicts it;
  otherwise unverified. Only 'verified: return' is eligible." A verification is a private
  interview: held without witnesses. Anyone dead, escaped, released, repatriated or erased
  is not there to be exchanged; on an approved list, nor is anyone moved since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.custody.models import Custody
from safeconduct.people.models import Person
from safeconduct.repatriation.models import WishRecord


@dataclass(frozen=True)
class Said:
    number: int
    wish: str
    private_interview: bool
    day: date


def fresh_return(said: list[Said], *, exchange_on: date, window_days: int) -> bool:
    """Walk back from the newest record: every record newer than the last private
    interview must agree with it; that interview must say "return" and be recent enough."""
    newest_first = sorted(said, key=lambda s: s.number, reverse=True)
    later_wishes: set[str] = set()
    for record in newest_first:
        if record.private_interview:
            if later_wishes - {record.wish}:
                return False
            return record.wish == "return" and (exchange_on - record.day).days <= window_days
        later_wishes.add(record.wish)
    return False


def said_by(session: Session, person_id: str) -> list[Said]:
    rows = session.scalars(select(WishRecord).where(WishRecord.person_id == person_id))
    return [
        Said(r.number, r.wish, r.source == "interview" and r.without_witnesses is True, r.stated_on)
        for r in rows
    ]


def may_be_exchanged(
    session: Session,
    person_id: str,
    *,
    exchange_on: date,
    window_days: int,
    custody_id: str | None = None,
    place: str | None = None,
) -> bool:
    """Whether a person may be on a list for an exchange on a day; given the custody and
    place a frozen list holds them in, also that neither changed."""
    person = session.get(Person, person_id)
    if person is None or person.erased_on is not None:
        return False
    custodies = list(session.scalars(select(Custody).where(Custody.person_id == person_id)))
    present = [c for c in custodies if c.status in ("held", "hospitalised")]
    if len(present) != 1:
        return False
    [custody] = present
    if custody_id is not None and custody.id != custody_id:
        return False
    if place is not None and custody.place_of_internment != place:
        return False
    return fresh_return(
        said_by(session, person_id), exchange_on=exchange_on, window_days=window_days
    )

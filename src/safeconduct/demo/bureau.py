"""The bureau's outputs in the demo: the capture cards of the people registered last are
issued and most of them sent to the family channel, so the card panel, the transmission log
and the Art. 70 duty all have something on them. No batch to the Central Tracing Agency is
made: the registrar makes the first one from /bureau/cta, and the duties dashboard keeps its
overdue notifications until then."""

from __future__ import annotations

from sqlalchemy import select

from safeconduct.accounts.policy import Role
from safeconduct.bureau import cards
from safeconduct.bureau.models import Recipient
from safeconduct.custody.models import Custody, CustodyStatus
from safeconduct.demo.accounts import acting_as
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime

CARDS = 6  # issued; all but the last two sent


def add_bureau(rt: Runtime) -> int:
    """Issue the cards of the people held who came in last; return how many were sent."""
    with rt.transaction() as session:
        actor = acting_as(session, Role.REGISTRAR, "demo-registrar")
        stmt = (
            select(Person.id)
            .join(Custody, Custody.person_id == Person.id)
            .where(Custody.status == CustodyStatus.HELD.value, Person.erased_on.is_(None))
            .order_by(Custody.since.desc(), Person.id)
            .limit(CARDS)
        )
        people = list(session.scalars(stmt))
        for person_id in people:
            cards.issue(
                session, keyring=rt.keyring, audit=rt.audit, actor=actor, person_id=person_id
            )
        for person_id in people[:-2]:
            cards.send(
                session,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=actor,
                person_id=person_id,
                recipient=Recipient.FAMILY,
                language="ru",
            )
    return max(0, len(people) - 2)

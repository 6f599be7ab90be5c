"""Family inquiries in the demo: families ask about some of the people held, in the
people's own script; the engine proposes them; one inquiry is confirmed and answered,
one waits for the tracing officer with a new candidate, one finds no one. Some prisoners
have said their family may be told (one also the place), one that it may not."""

from __future__ import annotations

from sqlalchemy import select

from safeconduct.accounts.policy import Role
from safeconduct.custody.models import Custody, CustodyStatus
from safeconduct.demo.accounts import acting_as
from safeconduct.inquiries import service
from safeconduct.inquiries.policy import Consent, check_fields
from safeconduct.intake.models import Channel
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime

ASKED = 3  # inquiries about people held; one more about someone not in the register


def _form(person: Person, contact: str) -> dict[str, str]:
    # The family writes the name as the person does, when the registry has it.
    words = (person.name_original_script or "").split()
    surname, given = (
        (words[0], words[1]) if len(words) >= 2 else (person.surname, person.given_names)
    )
    return {"surname": surname, "given_name": given, "date_of_birth": person.date_of_birth or "",
            "contact": contact, "relationship": "parent", "language": "ru"}  # fmt: skip


def add_inquiries(rt: Runtime) -> int:
    """Make the demo's inquiries; return how many."""
    with rt.transaction() as session:
        registrar = acting_as(session, Role.REGISTRAR, "demo-registrar")
        tracer = acting_as(session, Role.TRACING, "demo-tracing")
        stmt = (
            select(Person)
            .join(Custody, Custody.person_id == Person.id)
            .where(Custody.status == CustodyStatus.HELD.value, Person.erased_on.is_(None))
            .order_by(Person.id)
            .limit(ASKED + 1)
        )
        people = list(session.scalars(stmt))
        for i, person in enumerate(people):
            told = Consent(family_may_be_told=i != ASKED, place_may_be_told=i == 0)
            service.record_consent(session, audit=rt.audit, actor=registrar,
                                   person_id=person.id, consent=told)  # fmt: skip
        forms = [_form(p, f"+380 50 000 00{i:02d}") for i, p in enumerate(people[:ASKED])]
        forms.append({"surname": "Дорошенко", "given_name": "Устим", "date_of_birth": "1979",
                      "contact": "+380 50 000 0099", "relationship": "sibling"})  # fmt: skip
        made = []
        for form in forms:
            entered = service.enter(session, keyring=rt.keyring, keys=rt.channels,
                                    audit=rt.audit, actor=tracer, fields=check_fields(form),
                                    channel=Channel.PHONE)  # fmt: skip
            made.append(entered.inquiry)
        first = made[0]
        for candidate, person in service.candidates(session, first.id):
            if person.id == people[0].id:
                service.decide(session, audit=rt.audit, actor=tracer, candidate=candidate,
                               confirm=True)  # fmt: skip
                step = service.steps_for(session, first)[-1]
                service.answer(session, keyring=rt.keyring, audit=rt.audit, actor=tracer,
                               inquiry=first, step=step)  # fmt: skip
        return len(made)

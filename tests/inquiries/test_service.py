"""Inquiries through their services: matching both ways (a new inquiry against the
registry, a new registration against the standing inquiries), the officer's decisions, the
answer sealed for the codename and readable only from its release day, and the audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from safeconduct import clock
from safeconduct.audit import service as audit_service
from safeconduct.audit.models import AuditEntry
from safeconduct.channels import service as channels
from safeconduct.channels.models import Ticket
from safeconduct.inquiries import service
from safeconduct.inquiries.models import (
    CandidateStatus,
    Inquiry,
    InquiryCandidate,
    InquiryKey,
    InquiryStatus,
)
from safeconduct.inquiries.policy import (
    Consent,
    Step,
    StepNotSupportedError,
    check_fields,
    read_answer,
)
from safeconduct.intake.models import Channel
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from safeconduct.tracing.pairs import KEYS_VERSION
from tests.factories import ACTOR, add_custody, add_person
from tests.inquiries.helpers import add_visit, enter


def _candidates(rt: Runtime, inquiry_id: str) -> list[tuple[str, str]]:
    with rt.sessions() as s:
        return [(c.person_id, c.status) for c, _ in service.candidates(s, inquiry_id)]


def _tags(rt: Runtime, subject_id: str) -> list[str]:
    with rt.sessions() as s:
        stmt = select(AuditEntry.action).where(AuditEntry.subject_id == subject_id)
        return list(s.scalars(stmt.order_by(AuditEntry.seq)))


def test_an_inquiry_in_cyrillic_finds_a_person_registered_in_latin(rt: Runtime) -> None:
    person = add_person(rt, "KOVALENKO", given_names="Petro", date_of_birth="1990-04-12")
    add_person(rt, "SHEVCHUK", given_names="Ivan", date_of_birth="1990-04-12")
    with rt.transaction() as s:
        assert service.index_registrations(s, keyring=rt.keyring) == 0  # no inquiry yet
    entered = enter(rt, date_of_birth="1990-04-12")
    assert entered.issued is not None
    assert [pid for pid, _ in _candidates(rt, entered.inquiry.id)] == [person.id]


def test_a_registration_after_the_inquiry_is_matched_and_flagged(rt: Runtime) -> None:
    entered = enter(rt, surname="Мельник", given_name="Олександр", patronymic="Іванович",
                    date_of_birth="1988")  # fmt: skip
    assert _candidates(rt, entered.inquiry.id) == []
    person = add_person(rt, "MELNYK", given_names="Oleksandr", patronymic="Ivanovych",
                        date_of_birth="1988-02-03")  # fmt: skip
    with rt.transaction() as s:
        assert service.index_registrations(s, keyring=rt.keyring) == 1
        # Indexed once: the next pass proposes nothing new.
        assert service.index_registrations(s, keyring=rt.keyring) == 0
    assert _candidates(rt, entered.inquiry.id) == [(person.id, "pending")]
    with rt.sessions() as s:
        assert service.with_new_candidates(s) == 1
        assert service.queue(s)[0].id == entered.inquiry.id
        assert service.queue(s)[0].new_candidates


def test_an_identity_change_is_matched_again(rt: Runtime) -> None:
    entered = enter(rt, surname="Бондаренко", given_name="Андрій", date_of_birth="1995-01-01")
    person = add_person(rt, "SMIRNOV", given_names="Oleg", date_of_birth="1975-05-05")
    with rt.transaction() as s:
        service.index_registrations(s, keyring=rt.keyring)
    assert _candidates(rt, entered.inquiry.id) == []
    from safeconduct.people import service as people
    from safeconduct.people.schemas import PersonUpdate

    with rt.transaction() as s:
        row = people.get_or_raise(s, person_id=person.id)
        people.update(s, audit=rt.audit, actor=ACTOR, person=row, person_in=PersonUpdate(
            surname="BONDARENKO", given_names="Andrii", date_of_birth="1995-01-01",
            reason="identity corrected"))  # fmt: skip
        assert service.index_registrations(s, keyring=rt.keyring) == 1
    assert [p for p, _ in _candidates(rt, entered.inquiry.id)] == [person.id]


def _linked(rt: Runtime, **person: str) -> tuple[service.Entered, str]:
    registered = add_person(rt, "KOVALENKO", given_names="Petro", date_of_birth="1990-04-12",
                            **person)  # fmt: skip
    entered = enter(rt, date_of_birth="1990-04-12")
    with rt.transaction() as s:
        [(candidate, _)] = service.candidates(s, entered.inquiry.id)
        service.decide(s, audit=rt.audit, actor=ACTOR, candidate=candidate, confirm=True)
    return entered, registered.id


def _answer(rt: Runtime, inquiry_id: str, step: Step, spread: int = 0) -> None:
    with rt.transaction() as s:
        inquiry = s.get(Inquiry, inquiry_id)
        assert inquiry is not None
        service.answer(s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, inquiry=inquiry,
                       step=step, spread=spread)  # fmt: skip


def _read(rt: Runtime, codename: str) -> list[dict[str, str]]:
    with rt.sessions() as s:
        ticket = channels.find_ticket(s, keys=rt.channels, typed=codename)
        assert ticket is not None
        replies = channels.read_replies(s, ticket=ticket, typed=codename)
    return [a for r in replies if (a := read_answer(r.text)) is not None]


def test_without_consent_the_answer_is_no_information(rt: Runtime) -> None:
    entered, _person_id = _linked(rt)
    with rt.sessions() as s:
        inquiry = s.get(Inquiry, entered.inquiry.id)
        assert inquiry is not None
        assert service.steps_for(s, inquiry) == (Step.NO_INFORMATION,)
    with pytest.raises(StepNotSupportedError):
        _answer(rt, entered.inquiry.id, Step.REGISTERED)


def test_the_answer_is_read_with_the_codename_from_its_release_day_only(rt: Runtime) -> None:
    entered, person_id = _linked(rt)
    custody = add_custody(rt, _person(rt, person_id))
    add_visit(rt, custody, date(2026, 4, 1))
    with rt.transaction() as s:
        service.record_consent(s, audit=rt.audit, actor=ACTOR, person_id=person_id,
                               consent=Consent(True, place_may_be_told=False))  # fmt: skip
    _answer(rt, entered.inquiry.id, Step.IN_CUSTODY_VISITED)
    assert entered.issued is not None
    codename = entered.issued.codename
    assert _read(rt, codename) == []  # not on the day it is given
    later = datetime.now(UTC) + timedelta(days=4)
    with clock.using(clock.ManualClock(later)):
        [answer] = _read(rt, codename)
    assert answer["step"] == "in_custody_visited"
    assert answer["visited_on"] == "2026-04-01"
    assert "place_of_internment" not in answer
    assert "Camp" not in str(answer)


def test_decisions_and_answers_are_audited(rt: Runtime) -> None:
    entered, _ = _linked(rt)
    _answer(rt, entered.inquiry.id, Step.NO_INFORMATION)
    assert _tags(rt, entered.inquiry.id) == ["inquiry:create", "inquiry:confirm", "inquiry:answer"]
    with rt.sessions() as s:
        inquiry = s.get(Inquiry, entered.inquiry.id)
        assert inquiry is not None
        assert inquiry.status == InquiryStatus.ANSWERED.value


def test_one_confirmed_person_per_inquiry(rt: Runtime) -> None:
    _entered, _first = _linked(rt)
    second = add_person(rt, "KOVALENKO", given_names="Petro", date_of_birth="1990-04-12")
    with rt.transaction() as s:
        service.index_registrations(s, keyring=rt.keyring)
    with rt.transaction() as s:
        stmt = select(InquiryCandidate).where(InquiryCandidate.person_id == second.id)
        candidate = s.scalars(stmt).one()
        with pytest.raises(service.InquiryStateError):
            service.decide(s, audit=rt.audit, actor=ACTOR, candidate=candidate, confirm=True)
        service.decide(s, audit=rt.audit, actor=ACTOR, candidate=candidate, confirm=False)
        assert candidate.status == CandidateStatus.REJECTED.value


def test_nothing_personal_is_in_the_clear(rt: Runtime) -> None:
    entered = enter(rt, surname="Тарасенко", given_name="Богдан", contact="+380 67 999 1234",
                    place_last_seen="Бригада 77")  # fmt: skip
    with rt.sessions() as s:
        inquiry = s.get(Inquiry, entered.inquiry.id)
        ticket = s.get(Ticket, entered.inquiry.id)
        assert inquiry is not None
        assert ticket is not None
        stored = " ".join(str(getattr(inquiry, c.key)) for c in Inquiry.__table__.c)
    for secret in ("Тарасенко", "Богдан", "999 1234", "Бригада", "TARASENKO"):
        assert secret not in stored
    assert ticket.kind == "inquiry"


def _person(rt: Runtime, person_id: str):  # type: ignore[no-untyped-def]
    from safeconduct.people.models import Person

    with rt.sessions() as s:
        return s.get(Person, person_id)


def test_a_decision_in_the_same_transaction_clears_the_new_candidate_flag(rt: Runtime) -> None:
    add_person(rt, "KOVALENKO", given_names="Petro", date_of_birth="1990-04-12")
    form = check_fields({"surname": "Коваленко", "given_name": "Петро", "contact": "+1 2",
                         "relationship": "parent", "date_of_birth": "1990-04-12"})  # fmt: skip
    with rt.transaction() as s:
        entered = service.enter(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit,
                                actor=ACTOR, fields=form, channel=Channel.PHONE)  # fmt: skip
        [(candidate, _)] = service.candidates(s, entered.inquiry.id)
        service.decide(s, audit=rt.audit, actor=ACTOR, candidate=candidate, confirm=True)
    with rt.sessions() as s:
        assert service.with_new_candidates(s) == 0


_ASKED = [
    {"surname": "Коваленко", "given_name": "Петро", "date_of_birth": "1990-04-12"},
    {"surname": "Шевчук", "given_name": "Іван", "patronymic": "Петрович", "date_of_birth": "1985"},
    {"surname": "Мельник", "given_name": "Олександр", "date_of_birth": "1988"},
    {"surname": "Іваненко", "given_name": "Петро"},
    {"surname": "Бондар", "given_name": "Олег", "date_of_birth": "1970-01-01"},
]


def _registered(rt: Runtime) -> None:
    add_person(rt, "KOVALENKO", given_names="Petro", date_of_birth="1990-04-12")
    add_person(rt, "KOVALENKO", given_names="Petro", date_of_birth="1990-04-13")
    add_person(rt, "SHEVCHUK", given_names="Ivan", patronymic="Petrovych", date_of_birth="1985")
    add_person(rt, "MELNYK", given_names="Oleksandr", date_of_birth="1988-02-03")
    add_person(rt, "IVANENKO", given_names="Petro")


def _found(rt: Runtime, inquiry_ids: list[str]) -> list[list[tuple[str, str]]]:
    with rt.sessions() as s:
        names = {p.id: (p.surname, p.date_of_birth or "") for p in s.scalars(select(Person))}
    return [sorted(names[pid] for pid, _ in _candidates(rt, q)) for q in inquiry_ids]


def test_an_inbox_taken_in_at_once_finds_what_one_at_a_time_finds(rt: Runtime) -> None:
    _registered(rt)
    form = {"contact": "+380 50 000 0002", "relationship": "sibling"}
    with rt.transaction() as s:
        for asked in _ASKED:
            service.submit(s, keys=rt.channels, audit=rt.audit, channel=Channel.WEB_FORM,
                           fields=check_fields(asked | form))  # fmt: skip
    with rt.transaction() as s:
        assert service.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit) == 5
        batch = list(s.scalars(select(Inquiry.id)))
    # The same inquiries, one at a time, against the same registry.
    single = [enter(rt, **asked).inquiry.id for asked in _ASKED]
    found = sorted(_found(rt, batch))
    assert found == sorted(_found(rt, single))
    assert [("KOVALENKO", "1990-04-12"), ("KOVALENKO", "1990-04-13")] in found
    assert [("SHEVCHUK", "1985")] in found
    with rt.sessions() as s:
        keys = rt.audit_keys()
        assert audit_service.verify(s, keys[0], keys[1:]).ok
    assert all(_tags(rt, q).count("inquiry:create") == 1 for q in batch)


def test_inquiries_keyed_by_an_older_scheme_are_keyed_again(rt: Runtime) -> None:
    person = add_person(rt, "KOVALENKO", given_names="Petro", date_of_birth="1990-04-12")
    entered = enter(rt, date_of_birth="1990-04-12")
    # As migration 0013 leaves a store keyed by the first scheme: stale, and (here) keyless.
    with rt.transaction() as s:
        s.execute(delete(InquiryKey))
        s.execute(delete(InquiryCandidate))
        s.execute(update(Inquiry).values(keys_version=0))
    with rt.transaction() as s:
        assert service.index_registrations(s, keyring=rt.keyring) == 1
    assert [pid for pid, _ in _candidates(rt, entered.inquiry.id)] == [person.id]
    with rt.transaction() as s:
        assert s.scalar(select(func.count()).select_from(InquiryKey)) > 0
        assert s.scalars(select(Inquiry.keys_version)).all() == [KEYS_VERSION]
        assert service.index_registrations(s, keyring=rt.keyring) == 0  # nothing stale now

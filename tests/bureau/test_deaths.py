"""Death notices and certificates (GC III Art. 120): the name in Cyrillic and in Latin and the
day of death on both; a notice never holds the cause, the place of death or anything of the
circumstances of surrender; a certificate holds the cause and its opening is audited;
sending a notice meets the Art. 120/122 duty and lands in the transmission log and the
verified audit chain."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.accounts.service import Principal
from safeconduct.audit import service as audit_service
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import deaths, gate
from safeconduct.bureau.models import DeathDocument, DeathDocumentKind, Recipient
from safeconduct.custody.models import Custody, CustodyEventKind
from safeconduct.custody.schemas import CustodyEventCreate, DeathDetails, SurrenderMode
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.people.schemas import PersonCreate
from safeconduct.runtime import Runtime
from safeconduct.treatment import engine
from tests import factories

NOW = datetime(2026, 3, 20, 9, tzinfo=UTC)
TODAY = NOW.date()
DIED_ON = date(2026, 3, 14)
REGISTRAR = factories.principal(Role.REGISTRAR, "registrar")
MEDICAL = factories.principal(Role.MEDICAL, "medical")
# Beside the browser tests' screenshots (test-artifacts/, not in the repository): look at it.
ARTIFACT = (
    Path(__file__).resolve().parents[2] / "test-artifacts" / "bureau" / "death_certificate_uk.png"
)
NOTICE = DeathDocumentKind.NOTICE
CERTIFICATE = DeathDocumentKind.CERTIFICATE


@pytest.fixture(autouse=True)
def manual_clock() -> Iterator[clock.ManualClock]:
    moved = clock.ManualClock(NOW)
    with clock.using(moved):
        yield moved


def add_person(rt: Runtime, surname: str = "Шевченко", given_names: str = "Тарас") -> Person:
    with rt.transaction() as s:
        return people_service.create(
            s,
            audit=rt.audit,
            actor=factories.ACTOR,
            person_in=PersonCreate(
                surname=surname,
                given_names=given_names,
                patronymic="Григорович",
                date_of_birth="1991-03-09",
                rank="солдат",
                service_number="UA-778899",
            ),
        )


def die(
    rt: Runtime,
    custody: Custody,
    *,
    place: str | None = "hospital ward 3",
    cause: str | None = "pneumonia",
) -> None:
    factories.add_custody_event(
        rt,
        custody.id,
        CustodyEventCreate(
            kind=CustodyEventKind.DEATH,
            occurred_on=DIED_ON,
            reason="died in custody",
            details=DeathDetails(place=place, cause=cause),
        ),
    )


def deceased(
    rt: Runtime,
    *,
    surname: str = "Шевченко",
    how: str = "white flag",
    place: str = "river crossing",
    mode: SurrenderMode = SurrenderMode.VOLUNTARY,
    cause: str | None = "pneumonia",
    death_place: str | None = "hospital ward 3",
) -> tuple[Person, Custody]:
    person = add_person(rt, surname)
    custody = factories.add_custody(
        rt, person, how=how, place=place, mode=mode, since=date(2026, 3, 1)
    )
    die(rt, custody, place=death_place, cause=cause)
    return person, custody


def issue(rt: Runtime, person: Person, kind: DeathDocumentKind, who: Principal) -> DeathDocument:
    with rt.transaction() as s:
        return deaths.issue(s, audit=rt.audit, who=who, person_id=person.id, kind=kind)


def pdf_of(rt: Runtime, document: DeathDocument, who: Principal, language: str = "ru") -> bytes:
    with rt.transaction() as s:
        row = deaths.get(s, document_id=document.id)
        assert row is not None
        return deaths.render(
            s, keyring=rt.keyring, audit=rt.audit, who=who, document=row, language=language
        )


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    # PDF text extraction may break a line anywhere: compare without whitespace.
    return "".join(text.split())


def test_a_notice_holds_the_name_in_cyrillic_and_latin_and_the_day_of_death(rt: Runtime) -> None:
    person, _ = deceased(rt)
    notice = issue(rt, person, NOTICE, REGISTRAR)
    text = flat(text_of(pdf_of(rt, notice, REGISTRAR, "ru")))
    assert flat("Шевченко Тарас Григорович") in text
    assert flat("Shevchenko Taras Grigorovich") in text
    assert DIED_ON.isoformat() in text
    assert flat("Извещение о смерти") in text
    assert flat("Death notice") in text
    assert "Camp1" in text  # the place of internment
    assert deaths.file_name(notice) == f"death-notice-{notice.id}.pdf"


def test_ukrainian_names_use_the_national_scheme_and_captions_are_ukrainian(rt: Runtime) -> None:
    person, _ = deceased(rt, surname="Ковальчук")
    with rt.transaction() as s:
        row = s.get(Person, person.id)
        assert row is not None
        row.given_names = "Юрій"
    notice = issue(rt, person, NOTICE, REGISTRAR)
    text = flat(text_of(pdf_of(rt, notice, REGISTRAR, "uk")))
    assert flat("Kovalchuk Yurii Hryhorovych") in text
    assert flat("Повідомлення про смерть") in text


def test_a_notice_never_holds_the_cause_the_place_of_death_or_the_circumstances(
    rt: Runtime,
) -> None:
    person, _ = deceased(
        rt,
        how="PLANTED-HOW",
        place="PLANTED-PLACE",
        cause="PLANTED-CAUSE",
        death_place="PLANTED-DP",
    )
    notice = issue(rt, person, NOTICE, REGISTRAR)
    for language in ("en", "ru", "uk"):
        pdf = pdf_of(rt, notice, REGISTRAR, language)
        text = text_of(pdf)
        assert "PLANTED" not in text
        assert b"PLANTED" not in pdf
        assert "Cause" not in text


def test_the_gate_refuses_a_cause_on_a_notice() -> None:
    with pytest.raises(gate.NotAllowedError):
        gate.admit(gate.Output.DEATH_NOTICE, {"cause_of_death": "x"})


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    secret=st.text(
        alphabet=st.characters(whitelist_categories=["Lu", "Ll", "Nd"]), min_size=6, max_size=20
    ),
    mode=st.sampled_from(list(SurrenderMode)),
)
def test_planted_sealed_values_never_reach_a_notice(
    rt: Runtime, secret: str, mode: SurrenderMode
) -> None:
    secret = "Z" + secret  # never a piece of a caption or a name
    person, _ = deceased(
        rt,
        surname="Петренко",
        how=secret,
        place=secret,
        mode=mode,
        cause=secret,
        death_place=secret,
    )
    text = flat(text_of(pdf_of(rt, issue(rt, person, NOTICE, REGISTRAR), REGISTRAR, "en")))
    assert flat(secret) not in text


def test_a_notice_is_the_same_for_a_surrender_and_a_capture(rt: Runtime) -> None:
    texts = []
    for mode in (SurrenderMode.VOLUNTARY, SurrenderMode.CAPTURED):
        person, _ = deceased(rt, mode=mode, how=f"how-{mode.value}")
        notice = issue(rt, person, NOTICE, REGISTRAR)
        texts.append(flat(text_of(pdf_of(rt, notice, REGISTRAR, "en"))).replace(notice.id, "ID"))
    assert texts[0] == texts[1]


def test_a_certificate_holds_the_cause_and_its_opening_is_audited(rt: Runtime) -> None:
    person, _ = deceased(rt, cause="myocardial infarction", death_place="Camp 1 infirmary")
    certificate = issue(rt, person, CERTIFICATE, MEDICAL)
    pdf = pdf_of(rt, certificate, MEDICAL, "uk")
    text = flat(text_of(pdf))
    assert flat("myocardial infarction") in text
    assert flat("Camp 1 infirmary") in text
    assert flat("Шевченко Тарас Григорович") in text
    assert "Shevchenko" in text
    assert flat("Причина смерті") in text
    assert deaths.file_name(certificate) == f"death-notice-{certificate.id}.pdf"
    with rt.transaction() as s:
        stmt = select(AuditEntry).where(
            AuditEntry.action == AuditAction.DEATH_DOCUMENT_ISSUE.value,
            AuditEntry.subject_id == person.id,
        )
        # One entry for the issue, one for opening the sealed place and cause.
        assert sorted(e.purpose or "" for e in s.scalars(stmt)) == ["certificate", "certificate"]
        keys = rt.audit_keys()
        assert audit_service.verify(s, keys[0], keys[1:]).ok
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    with rt.transaction() as s:
        row = deaths.get(s, document_id=certificate.id)
        assert row is not None
        png = deaths.render(
            s, keyring=rt.keyring, audit=rt.audit, who=MEDICAL, document=row, language="uk", ppi=80
        )
    assert png.startswith(b"\x89PNG")
    ARTIFACT.write_bytes(png)


def test_a_certificate_of_an_unknown_cause_says_so(rt: Runtime) -> None:
    person, _ = deceased(rt, cause=None, death_place=None)
    certificate = issue(rt, person, CERTIFICATE, MEDICAL)
    text = text_of(pdf_of(rt, certificate, MEDICAL, "en"))
    assert "Cause of death" in text


def test_the_registrar_issues_a_notice_but_not_a_certificate(rt: Runtime) -> None:
    person, _ = deceased(rt)
    with pytest.raises(deaths.DeathDocumentDeniedError):
        issue(rt, person, CERTIFICATE, REGISTRAR)
    certificate = issue(rt, person, CERTIFICATE, MEDICAL)
    with pytest.raises(deaths.DeathDocumentDeniedError):
        pdf_of(rt, certificate, REGISTRAR)
    with pytest.raises(deaths.DeathDocumentDeniedError):
        issue(rt, person, NOTICE, MEDICAL)
    unapproved = factories.principal(Role.MEDICAL, "new-medical", approved=False)
    with pytest.raises(deaths.DeathDocumentDeniedError):
        pdf_of(rt, certificate, unapproved)


def test_a_living_person_has_no_death_document(rt: Runtime) -> None:
    person = add_person(rt)
    with pytest.raises(deaths.NotDeceasedError):
        issue(rt, person, NOTICE, REGISTRAR)
    factories.add_custody(rt, person)
    with pytest.raises(deaths.NotDeceasedError):
        issue(rt, person, NOTICE, REGISTRAR)
    with rt.transaction() as s:
        assert deaths.of_person(s, person_id=person.id) == []


def test_a_language_outside_the_three_is_refused_naming_the_field(rt: Runtime) -> None:
    person, _ = deceased(rt)
    notice = issue(rt, person, NOTICE, REGISTRAR)
    with pytest.raises(deaths.InvalidFieldError) as refused:
        pdf_of(rt, notice, REGISTRAR, "de")
    assert refused.value.field == ("language",)


def test_sending_a_notice_meets_the_duty_and_is_in_the_verified_chain(rt: Runtime) -> None:
    person, custody = deceased(rt)
    with rt.transaction() as s:
        before = engine.standings(s, today=TODAY, custody_id=custody.id)
    assert before[0].states["death_notification"].value != "met"
    notice = issue(rt, person, NOTICE, REGISTRAR)
    with rt.transaction() as s:
        row = deaths.get(s, document_id=notice.id)
        assert row is not None
        sent = deaths.send(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            who=REGISTRAR,
            document=row,
            recipient=Recipient.FAMILY,
            language="uk",
        )
        sent_id, sha = sent.id, sent.sha256
    pdf = pdf_of(rt, notice, REGISTRAR, "uk")
    with rt.transaction() as s:
        after = engine.standings(s, today=TODAY, custody_id=custody.id)
        assert after[0].states["death_notification"].value == "met"
        row = deaths.get(s, document_id=notice.id)
        assert row is not None
        [logged] = deaths.sent(s, document=row)
        assert (logged.id, logged.output, logged.recipient) == (sent_id, "death_notice", "family")
        assert sha == hashlib.sha256(pdf).hexdigest()  # the same bytes, printed again
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.TRANSMISSION.value,
                AuditEntry.subject_id == sent_id,
            )
        ).one()
        assert entry.purpose == f"death_notice:family:sha256={sha}"
        keys = rt.audit_keys()
        assert audit_service.verify(s, keys[0], keys[1:]).ok


def test_a_certificate_is_not_sent_and_nor_to_an_unknown_recipient(rt: Runtime) -> None:
    person, _ = deceased(rt)
    certificate = issue(rt, person, CERTIFICATE, MEDICAL)
    notice = issue(rt, person, NOTICE, REGISTRAR)
    for document, recipient, field in (
        (certificate, Recipient.CTA, "document"),
        (notice, Recipient.COUNTERPART, "recipient"),
    ):
        with rt.transaction() as s:
            row = deaths.get(s, document_id=document.id)
            assert row is not None
            with pytest.raises(deaths.InvalidFieldError) as refused:
                deaths.send(
                    s,
                    keyring=rt.keyring,
                    audit=rt.audit,
                    who=MEDICAL if document is certificate else REGISTRAR,
                    document=row,
                    recipient=recipient,
                    language="en",
                )
            assert refused.value.field == (field,)

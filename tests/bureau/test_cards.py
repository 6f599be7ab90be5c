"""Capture cards (GC III Art. 70): the name in Cyrillic and in Latin, fonts embedded, versions
keyed by what the card says, the same card for a surrender and a capture, no sealed value on
it, and sending meets the Art. 70 duty with the transmission in the verified audit chain."""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit import service as audit_service
from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import cards, gate
from safeconduct.bureau import cards_policy as policy
from safeconduct.bureau.models import CaptureCard, Recipient
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import SurrenderMode
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.people.schemas import FamilyDetails, PersonCreate, PersonUpdate
from safeconduct.runtime import Runtime
from safeconduct.security.service import ErasedError
from safeconduct.treatment import engine
from safeconduct.treatment import service as treatment_service
from safeconduct.treatment.models import TreatmentKind
from safeconduct.treatment.schemas import TreatmentEventCreate
from tests import factories

NOW = datetime(2026, 3, 5, 9, tzinfo=UTC)
TODAY = NOW.date()
REGISTRAR = Actor("account:registrar", "test:credential")
# Beside the browser tests' screenshots (test-artifacts/, not in the repository): look at it.
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "bureau" / "capture_card_ru.png"
FAMILY = FamilyDetails(
    father_first_name="Іван",
    mother_maiden_name="Шевченко",
    person_to_inform="Коваленко Марія, вул. Садова 5, Житомир",
    address_for_correspondence="вул. Садова 5, кв. 12, Житомир",
)


@pytest.fixture(autouse=True)
def manual_clock() -> Iterator[clock.ManualClock]:
    moved = clock.ManualClock(NOW)
    with clock.using(moved):
        yield moved


def add_person(rt: Runtime, family: FamilyDetails | None = FAMILY, **fields: Any) -> Person:
    values: dict[str, Any] = {
        "surname": "Коваленко",
        "given_names": "Петро",
        "patronymic": "Іванович",
        "date_of_birth": "1990-04-02",
        "place_of_birth": "Житомир",
        "rank": "сержант",
        "service_number": "AB-123456",
        "sex": "male",
        "nationality": "Держава А",
        **fields,
    }
    with rt.transaction() as s:
        return people_service.create(
            s,
            audit=rt.audit,
            actor=factories.ACTOR,
            person_in=PersonCreate(**values, family=family),
            keyring=rt.keyring,
        )


def held(
    rt: Runtime,
    *,
    mode: SurrenderMode = SurrenderMode.CAPTURED,
    place: str = "river crossing",
    how: str = "white flag",
    since: date = date(2026, 3, 1),
    **fields: Any,
) -> tuple[Person, Custody]:
    person = add_person(rt, **fields)
    custody = factories.add_custody(rt, person, mode=mode, place=place, how=how, since=since)
    return person, custody


def issue(rt: Runtime, person: Person) -> CaptureCard:
    with rt.transaction() as s:
        return cards.issue(
            s, keyring=rt.keyring, audit=rt.audit, actor=REGISTRAR, person_id=person.id
        )


def render(rt: Runtime, person: Person, language: str = "ru") -> bytes:
    with rt.transaction() as s:
        return cards.render(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=REGISTRAR,
            person_id=person.id,
            language=language,
        )


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def font_files(pdf: bytes) -> list[tuple[str, bool]]:
    """(font name, whether its program is embedded) for every font descriptor."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                found.append((str(descriptor["/FontName"]), embedded))
    return found


# --- the card itself ----------------------------------------------------------------------


def test_a_cyrillic_name_is_on_the_card_in_cyrillic_and_latin(rt: Runtime, tmp_path: Path) -> None:
    person, _custody = held(rt)
    pdf = render(rt, person)
    text = text_of(pdf)
    for expected in ("Коваленко", "Петро", "Іванович", "Kovalenko Petro Ivanovych"):
        assert expected in text
    # The captions: the language chosen beside the model card's English and French.
    assert "Фамилия / Surname / Nom" in text
    assert "Шевченко" in text  # the mother's maiden name, opened for the card
    with rt.transaction() as s:
        image = cards.png(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=REGISTRAR,
            person_id=person.id,
            language="ru",
        )
    assert image.startswith(b"\x89PNG")
    kept = tmp_path / "capture_card_ru.png"
    kept.write_bytes(image)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(kept, ARTIFACT)


def test_every_font_is_embedded(rt: Runtime) -> None:
    person, _custody = held(rt)
    fonts = font_files(render(rt, person, "uk"))
    assert fonts
    assert all(embedded for _name, embedded in fonts), fonts


def test_opening_the_family_details_is_audited_for_the_card(rt: Runtime) -> None:
    person, _custody = held(rt)
    issue(rt, person)
    with rt.transaction() as s:
        stmt = select(AuditEntry).where(
            AuditEntry.action == AuditAction.FAMILY_OPEN.value,
            AuditEntry.subject_id == person.id,
        )
        opened = list(s.scalars(stmt))
    assert [e.purpose for e in opened] == ["capture_card"]


def test_latin_names_stay_as_typed_and_russian_uses_icao(rt: Runtime) -> None:
    assert policy.names("Smith", "John", None, None) == (None, "Smith John")
    assert policy.names("Щербаков", "Юрий", "Сергеевич", None) == (
        "Щербаков Юрий Сергеевич",
        "Shcherbakov Iurii Sergeevich",
    )
    assert policy.names("Kovalenko", "Petro", None, "Коваленко Петро") == (
        "Коваленко Петро",
        "Kovalenko Petro",
    )
    assert policy.to_latin("ЩЕРБА Євген") == "SHCHERBA Yevhen"


# --- versions -----------------------------------------------------------------------------


def test_same_content_same_version_an_edit_makes_a_new_one(rt: Runtime) -> None:
    person, _custody = held(rt)
    first = issue(rt, person)
    again = issue(rt, person)
    assert (first.version, again.version, again.id) == (1, 1, first.id)
    with rt.transaction() as s:
        row = s.get(Person, person.id)
        assert row is not None
        people_service.update(
            s,
            audit=rt.audit,
            actor=factories.ACTOR,
            person=row,
            person_in=PersonUpdate(surname="Коваленко-Шевченко", reason="spelling corrected"),
        )
    second = issue(rt, person)
    assert second.version == 2
    assert second.id != first.id
    assert "Kovalenko-Shevchenko" in text_of(render(rt, person))
    with rt.transaction() as s:
        stmt = select(AuditEntry.purpose).where(
            AuditEntry.action == AuditAction.CAPTURE_CARD_ISSUE.value,
            AuditEntry.subject_id == person.id,
        )
        assert list(s.scalars(stmt)) == ["version 1", "version 2"]


def test_a_health_status_in_force_is_on_the_card_and_changes_its_version(rt: Runtime) -> None:
    person, custody = held(rt)
    first = issue(rt, person)
    with rt.transaction() as s:
        row = s.get(Custody, custody.id)
        assert row is not None
        treatment_service.record_event(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=factories.ACTOR,
            role=Role.MEDICAL,
            custody=row,
            event_in=TreatmentEventCreate(
                kind=TreatmentKind.HEALTH_STATUS, occurred_on=TODAY, seriously_ill=True
            ),
        )
    assert issue(rt, person).version == first.version + 1
    assert "тяжёлое ранение или болезнь" in text_of(render(rt, person))


def test_an_erased_person_gets_no_card(rt: Runtime) -> None:
    person, _custody = held(rt)
    with rt.transaction() as s:
        row = s.get(Person, person.id)
        assert row is not None
        people_service.erase(
            s, keyring=rt.keyring, audit=rt.audit, actor=factories.ACTOR, person=row,
            reason="court order",
        )  # fmt: skip
    with pytest.raises(ErasedError), rt.transaction() as s:
        cards.issue(s, keyring=rt.keyring, audit=rt.audit, actor=REGISTRAR, person_id=person.id)


# --- surrender and capture give the same card; nothing sealed is on it ---------------------


def test_surrender_and_capture_give_byte_identical_cards(rt: Runtime) -> None:
    documents = []
    for mode, place, how in (
        (SurrenderMode.VOLUNTARY, "a hotline pickup point", "by appointment"),
        (SurrenderMode.CAPTURED, "a trench by the river", "in a raid"),
    ):
        person, _custody = held(rt, mode=mode, place=place, how=how)
        with rt.transaction() as s:
            row = s.get(Person, person.id)
            assert row is not None
            said = cards.content_of(
                s, keyring=rt.keyring, audit=rt.audit, actor=REGISTRAR, person=row
            )
        documents.append(said)
    assert documents[0] == documents[1]
    # Printed as the same card id and day, the two PDFs are the same bytes.
    pdfs = [
        cards.typeset(
            [policy.document(d, card_id="same", version=1, issued_on=TODAY, language="uk")]
        )
        for d in documents
    ]
    assert pdfs[0] == pdfs[1]


# Text a sealed value may hold, marked so that it is found only where it was planted.
sealed_text = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=30
).map(lambda t: f"SEALED-{t}")


@given(place=sealed_text, how=sealed_text, note=sealed_text)
def test_only_family_details_are_taken_from_what_was_opened(
    place: str, how: str, note: str
) -> None:
    # Whatever else an opened value carries (circumstances, a note), the card takes the
    # four family details and nothing more.
    said = policy.content(
        policy.Identity("Коваленко", "Петро", None, None, None, None, None, "male", None, None),
        family={"place": place, "how": how, "notes": note, "mode": "voluntary"},
        captured_on=date(2026, 3, 1),
        place_of_internment="Camp 1",
        health_state=None,
    )
    flat = gate.canonical_json(gate.admit(gate.Output.CAPTURE_CARD, said)).decode()
    assert "SEALED-" not in flat
    assert "voluntary" not in flat


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(place=sealed_text, how=sealed_text, mode=st.sampled_from(SurrenderMode))
def test_sealed_values_planted_in_the_circumstances_never_reach_the_pdf(
    rt: Runtime, place: str, how: str, mode: SurrenderMode
) -> None:
    # Each example registers a new person in the same store: they do not meet.
    person, _custody = held(rt, mode=mode, place=place, how=how)
    text = text_of(render(rt, person, "en"))
    assert "Kovalenko" in text
    assert "SEALED" not in text
    for word in ("voluntary", "surrender", "captured"):
        assert word not in text.casefold()


# --- sending --------------------------------------------------------------------------------


def test_sending_meets_the_art_70_duty_and_is_in_the_verified_chain(rt: Runtime) -> None:
    person, custody = held(rt)
    with rt.transaction() as s:
        before = engine.states(s, today=TODAY, custody_id=custody.id, duty="capture_card")
    assert [r.state.value for r in before] == ["due"]
    with rt.transaction() as s:
        sent = cards.send(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=REGISTRAR,
            person_id=person.id,
            recipient=Recipient.FAMILY,
            language="uk",
        )
        sent_id, sha = sent.id, sent.sha256
    with rt.transaction() as s:
        after = engine.standings(s, today=TODAY, custody_id=custody.id)
        assert after[0].states["capture_card"].value == "met"
        card = cards.latest(s, person_id=person.id)
        assert card is not None
        [logged] = cards.sent(s, card=card)
        assert (logged.id, logged.recipient, logged.output) == (sent_id, "family", "capture_card")
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.TRANSMISSION.value,
                AuditEntry.subject_id == sent_id,
            )
        ).one()
        assert entry.purpose == f"capture_card:family:sha256={sha}"
        keys = rt.audit_keys()
        verdict = audit_service.verify(s, keys[0], keys[1:])
    assert verdict.ok, verdict
    # The hash logged is the hash of the card as printed.
    assert hashlib.sha256(render(rt, person, "uk")).hexdigest() == sha


def test_only_the_family_and_the_cta_are_sent_a_card(rt: Runtime) -> None:
    person, _custody = held(rt)
    with pytest.raises(cards.InvalidFieldError) as refused, rt.transaction() as s:
        cards.send(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=REGISTRAR,
            person_id=person.id,
            recipient=Recipient.COUNTERPART,
            language="en",
        )
    assert refused.value.field == ("recipient",)


# --- intake batches -------------------------------------------------------------------------


def test_a_batch_is_by_name_one_card_a_page(rt: Runtime) -> None:
    # Registered in the reverse of the order of their names, and in custody in that order.
    for n, surname in enumerate(("Яковенко", "Бондар", "Андрієнко")):
        held(rt, surname=surname, since=date(2026, 3, 1 + n))
    held(rt, surname="Outside", since=date(2026, 2, 1))
    with rt.transaction() as s:
        pdf = cards.batch_pdf(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=REGISTRAR,
            place="Camp 1",
            since=date(2026, 3, 1),
            until=date(2026, 3, 5),
            language="uk",
        )
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 3
    firsts = [next(n for n in ("Андрієнко", "Бондар", "Яковенко") if n in p) for p in pages]
    assert firsts == ["Андрієнко", "Бондар", "Яковенко"]


@pytest.mark.parametrize(
    ("place", "since", "until", "field"),
    [
        ("Camp 1", date(2026, 3, 1), date(2026, 4, 1), "until"),
        ("Camp 1", date(2026, 3, 5), date(2026, 3, 1), "until"),
        ("", date(2026, 3, 1), date(2026, 3, 5), "place"),
        ("Camp 9", date(2026, 3, 1), date(2026, 3, 5), "place"),
    ],
)
def test_a_batch_too_long_backwards_or_empty_is_refused_naming_the_field(
    rt: Runtime, place: str, since: date, until: date, field: str
) -> None:
    held(rt)
    with pytest.raises(policy.InvalidRangeError) as refused, rt.transaction() as s:
        cards.batch_pdf(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=REGISTRAR,
            place=place,
            since=since,
            until=until,
            language="en",
        )
    assert refused.value.field == field


def test_31_days_is_the_longest_batch() -> None:
    policy.check_batch("Camp 1", date(2026, 3, 1), date(2026, 3, 31))
    with pytest.raises(policy.InvalidRangeError):
        policy.check_batch("Camp 1", date(2026, 3, 1), date(2026, 4, 1))

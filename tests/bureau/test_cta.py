"""Notifications to the Central Tracing Agency: a batch validates against the published
schema, verifies with the published key alone, is in the verified audit chain; corrections
and changes carry exactly what changed; nothing sealed leaks; voluntary and captured give
the same documents; sending meets the Art. 122 duty."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from safeconduct import clock
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.service import verify as verify_chain
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import cta
from safeconduct.bureau.models import CtaBatch, CtaRecord, Transmission
from safeconduct.config import Settings
from safeconduct.custody.models import CustodyEventKind
from safeconduct.custody.schemas import DeathDetails, SurrenderMode
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.people.schemas import FamilyDetails, PersonUpdate
from safeconduct.runtime import Runtime, open_runtime
from safeconduct.treatment import engine
from safeconduct.treatment.models import TreatmentEvent
from safeconduct.treatment.policy import DutyState
from tests.bureau import cta_helpers as h
from tests.factories import ACTOR

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def manual_clock() -> Iterator[clock.ManualClock]:
    moved = clock.ManualClock(NOW)
    with clock.using(moved):
        yield moved


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        h.schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(h.schema())


def test_batch_validates_verifies_with_the_published_key_and_is_in_the_audit_chain(
    rt: Runtime,
) -> None:
    first = h.held(rt, "ADAMENKO", rank="captain", date_of_birth="1985-02-03")
    h.held(rt, "ШЕВЧЕНКО", given_names="Тарас", name_original_script="Шевченко Тарас")
    h.event(rt, first.id, CustodyEventKind.TRANSFER, date(2027, 2, 1), place="Camp 2")
    files = h.made(rt)
    _validator().validate(h.doc(files))
    check = cta.verify(files.json, files.signature, h.published_keys(rt))
    assert check.ok, check.problem
    assert check.key is not None
    assert check.key.use == "service"
    assert [n for n, _ in files.named()] == [
        "cta-batch-1.json",
        "cta-batch-1.csv",
        "cta-batch-1.json.sig",
    ]
    with rt.transaction() as s:
        assert verify_chain(s, rt.audit.signer.public, rt.audit_keys()).ok
        sent = s.scalars(select(Transmission)).one()
        assert sent.sha256 == files.sha256
        assert sent.recipient == "cta"
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.TRANSMISSION.value)
        ).one()
        assert entry.subject_id == sent.id
        assert f"sha256={files.sha256}" in (entry.purpose or "")
        made = s.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.CTA_BATCH_MAKE.value)
        ).one()
        assert made.purpose == "records=2"


def test_a_changed_byte_or_an_unpublished_key_fails(rt: Runtime) -> None:
    h.held(rt)
    files = h.made(rt)
    keys = h.published_keys(rt)
    altered = files.json.replace(b"KOVALENKO", b"KOVALENKA")
    assert not cta.verify(altered, files.signature, keys).ok
    assert not cta.verify(files.json, files.signature, [k for k in keys if k.use != "service"]).ok
    assert not cta.verify(files.json, b"not json", keys).ok


def test_records_are_in_name_order_never_custody_order(rt: Runtime) -> None:
    for surname in ("PETRENKO", "ADAMENKO", "MELNYK"):
        h.held(rt, surname)
    names = [r["surname"] for r in h.doc(h.made(rt))["records"]]
    assert names == ["ADAMENKO", "MELNYK", "PETRENKO"]


def test_a_corrected_surname_is_one_correction_record_naming_it(rt: Runtime) -> None:
    custody = h.held(rt, "KOVALENKO")
    h.held(rt, "MELNYK")
    h.made(rt)
    with rt.transaction() as s:
        person = s.get(Person, custody.person_id)
        assert person is not None
        people_service.update(
            s,
            audit=rt.audit,
            actor=ACTOR,
            person=person,
            person_in=PersonUpdate(surname="KOVALENKA", reason="misspelt"),
        )
    files = h.made(rt)
    records = h.doc(files)["records"]
    assert len(records) == 1
    assert records[0]["record_type"] == "correction"
    assert records[0]["corrected_fields"] == ["surname"]
    assert records[0]["surname"] == "KOVALENKA"
    assert records[0]["person_ref"] == custody.person_id
    _validator().validate(h.doc(files))


def test_a_family_correction_names_the_family_field(rt: Runtime) -> None:
    custody = h.held(rt)
    h.made(rt)
    with rt.transaction() as s:
        person = s.get(Person, custody.person_id)
        assert person is not None
        people_service.update(
            s,
            audit=rt.audit,
            actor=ACTOR,
            keyring=rt.keyring,
            person=person,
            person_in=PersonUpdate(
                family=FamilyDetails(father_first_name="Ivan", person_to_inform="Olena, Lviv"),
                reason="moved",
            ),
        )
    (record,) = h.doc(h.made(rt))["records"]
    assert record["corrected_fields"] == ["person_to_inform"]
    assert record["person_to_inform"] == "Olena, Lviv"


def test_a_transfer_is_a_change_record_with_the_transfer(rt: Runtime) -> None:
    custody = h.held(rt)
    h.event(rt, custody.id, CustodyEventKind.HOSPITALISATION, date(2027, 2, 1), place="Hospital")
    first = h.doc(h.made(rt))["records"][0]
    assert [e["kind"] for e in first["events"]] == ["hospitalisation"]
    assert first["events"][0]["place"] is None  # a hospital is not named
    h.event(rt, custody.id, CustodyEventKind.DISCHARGE, date(2027, 3, 1))
    h.event(rt, custody.id, CustodyEventKind.TRANSFER, date(2027, 4, 1), place="Camp 2")
    files = h.made(rt)
    (record,) = h.doc(files)["records"]
    assert record["record_type"] == "change"
    assert record["corrected_fields"] == []
    assert record["place_of_internment"] == "Camp 2"
    assert record["events"] == [
        {"kind": "discharge", "occurred_on": "2027-03-01", "place": None},
        {"kind": "transfer", "occurred_on": "2027-04-01", "place": "Camp 2"},
    ]
    _validator().validate(h.doc(files))


def test_nothing_changed_is_no_batch_and_a_past_batch_is_made_again_byte_for_byte(
    rt: Runtime, manual_clock: clock.ManualClock
) -> None:
    custody = h.held(rt, "ADAMENKO")
    h.held(rt, '=HYPERLINK("http://evil","x")')
    h.event(rt, custody.id, CustodyEventKind.TRANSFER, date(2027, 2, 1), place="Camp 2")
    first = h.made(rt)
    assert h.make(rt) is None
    manual_clock.set(datetime(2027, 6, 9, 12, tzinfo=UTC))
    assert h.make(rt) is None
    h.event(rt, custody.id, CustodyEventKind.ESCAPE, date(2027, 6, 5))
    second = h.made(rt)
    assert second.number == 2
    with rt.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CtaBatch)) == 2
        again = cta.files(s, keyring=rt.keyring, number=1)
        assert cta.files(s, keyring=rt.keyring, number=2) == second
    assert again == first
    assert (again.json, again.csv, again.signature) == (first.json, first.csv, first.signature)


def test_every_sealed_record_is_one_size(rt: Runtime) -> None:
    custody = h.held(rt, "A", family=FamilyDetails(father_first_name="I"))
    h.held(rt, "B" * 200, given_names="Ж" * 200, family=FamilyDetails(
        father_first_name="Ж" * 200, mother_maiden_name="Ж" * 200,
        person_to_inform="Ж" * 300, address_for_correspondence="Ж" * 300))  # fmt: skip
    h.made(rt)
    h.event(rt, custody.id, CustodyEventKind.TRANSFER, date(2027, 2, 1), place="Camp 2")
    h.made(rt)
    with rt.transaction() as s:
        sizes = {len(r.envelope) for r in s.scalars(select(CtaRecord.record))}
    assert len(sizes) == 1


def test_a_hostile_name_is_neutralised_in_the_csv(rt: Runtime) -> None:
    hostile = '=HYPERLINK("http://evil","click")'
    h.held(rt, hostile, given_names="+1", place_of_birth="@SUM(A1)")
    files = h.made(rt)
    header_at = files.csv.decode().splitlines().index(",".join(cta.policy.CSV_COLUMNS))
    rows = list(csv.DictReader(io.StringIO("\n".join(files.csv.decode().splitlines()[header_at:]))))
    assert rows[0]["surname"] == "'" + hostile
    assert rows[0]["given_names"] == "'+1"
    assert rows[0]["place_of_birth"] == "'@SUM(A1)"
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_an_erased_person_is_not_sent_and_their_batch_cannot_be_made_again(
    rt: Runtime,
) -> None:
    gone = h.held(rt, "ADAMENKO")
    h.held(rt, "MELNYK")
    h.made(rt)
    with rt.transaction() as s:
        person = s.get(Person, gone.person_id)
        assert person is not None
        people_service.erase(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, person=person, reason="court order"
        )
    assert h.make(rt) is None
    with rt.transaction() as s, pytest.raises(cta.BatchError, match="erased"):
        cta.files(s, keyring=rt.keyring, number=1)
    with rt.transaction() as s, pytest.raises(cta.BatchNotFoundError):
        cta.files(s, keyring=rt.keyring, number=7)


@pytest.mark.parametrize("few", [0, 50], ids=["bulk", "one-by-one"])
def test_sending_meets_the_art_122_duty_of_everyone_in_custody(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    monkeypatch.setattr(cta, "FEW", few)
    held = [h.held(rt, f"P{i}", since=date(2027, 5, 1)) for i in range(3)]
    ended = h.held(rt, "RELEASED", since=date(2027, 5, 1))
    h.event(rt, ended.id, CustodyEventKind.RELEASE, date(2027, 5, 20))
    states = _cta_states(rt)
    assert DutyState.MET not in {states[c.id] for c in held}
    h.made(rt)
    states = _cta_states(rt)
    assert {states[c.id] for c in held} == {DutyState.MET}
    with rt.transaction() as s:
        events = s.scalars(select(TreatmentEvent)).all()
        assert sorted(e.custody_id for e in events) == sorted(c.id for c in held)
        assert {(e.kind, e.role, e.occurred_on) for e in events} == {
            ("cta_notification", "registrar", TODAY)
        }
        # The marks kept by the batch are what a rebuild from the events makes.
        exact = engine.states(s, today=TODAY, exact=True, duty="cta_notification")
        kept = engine.states(s, today=TODAY, exact=False, duty="cta_notification")
        assert exact == kept


def _cta_states(rt: Runtime) -> dict[str, DutyState]:
    with rt.transaction() as s:
        rows = engine.states(s, today=TODAY, duty="cta_notification")
    return {r.custody_id: r.state for r in rows}


def test_a_death_goes_out_without_its_sealed_place_or_cause(rt: Runtime) -> None:
    custody = h.held(rt)
    h.event(
        rt,
        custody.id,
        CustodyEventKind.DEATH,
        date(2027, 5, 2),
        details=DeathDetails(place="SEALEDPLACEOFDEATH", cause="SEALEDCAUSEOFDEATH"),
    )
    files = h.made(rt)
    (record,) = h.doc(files)["records"]
    assert record["status"] == "deceased"
    assert record["events"] == [{"kind": "death", "occurred_on": "2027-05-02", "place": None}]
    for blob in (files.json, files.csv, files.signature):
        assert b"SEALED" not in blob


# --- the guarantees, over generated people ---------------------------------------------------

MARK = st.text(alphabet="QXZJWжщюя", min_size=10, max_size=20).map(lambda t: "PLANT" + t)
NAME = st.text(alphabet="ABCDEFGHIJKLMNOPRSTUVYабвгдежзиклмнопрстуфхцчшщ", min_size=1, max_size=12)
PERSON = st.fixed_dictionaries(
    {
        "surname": NAME,
        "given_names": NAME,
        "place": MARK,
        "how": MARK,
        "transfer": st.booleans(),
        "father": st.none() | NAME,
    }
)


@pytest.fixture
def twin(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """A second store with the same keys: the same people, surrendered the other way."""
    if settings.db_url.startswith("sqlite"):
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "twin.db"
        shutil.copy(template, target)
        url = f"sqlite:///{target}"
    else:
        dbs = request.getfixturevalue("pg_databases")
        url = dbs.fresh()
    runtime = open_runtime(settings.model_copy(update={"db_url": url}))
    yield runtime
    runtime.close()
    if not url.startswith("sqlite"):
        dbs.drop(url)


def _normalised(files: cta.BatchFiles) -> list[dict[str, Any]]:
    records = h.doc(files)["records"]
    for r in records:
        r["record_id"] = r["person_ref"] = ""
    return sorted(records, key=lambda r: json.dumps(r, sort_keys=True))


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(PERSON, min_size=1, max_size=4), data=st.data())
def test_voluntary_and_captured_give_the_same_batches_and_nothing_sealed_leaks(
    rt: Runtime, twin: Runtime, people: list[dict[str, Any]], data: st.DataObject
) -> None:
    # Each example adds its people to both stores and makes the next batch in each.
    modes = [data.draw(st.sampled_from(SurrenderMode)) for _ in people]
    made = []
    for store, flip in ((rt, False), (twin, True)):
        for p, mode in zip(people, modes, strict=True):
            other = SurrenderMode.CAPTURED if mode is SurrenderMode.VOLUNTARY else mode
            custody = h.held(
                store,
                p["surname"],
                given_names=p["given_names"],
                mode=other if flip else mode,
                place=p["place"],
                how=p["how"],
                family=FamilyDetails(father_first_name=p["father"]),
            )
            if p["transfer"]:
                h.event(store, custody.id, CustodyEventKind.TRANSFER, date(2027, 2, 1),
                        place="Camp 2")  # fmt: skip
        made.append(h.made(store))
    assert _normalised(made[0]) == _normalised(made[1])
    assert made[0].records == made[1].records == len(people)
    for files in made:
        _validator().validate(h.doc(files))
        for p in people:
            for secret in (p["place"], p["how"]):
                assert secret.encode() not in files.json
                assert secret.encode() not in files.csv


def test_two_makers_at_once_send_each_record_once(rt: Runtime) -> None:
    for surname in ("ADAMENKO", "MELNYK", "PETRENKO"):
        h.held(rt, surname)
    barrier = threading.Barrier(2)
    found: list[cta.BatchFiles | None] = []

    def maker() -> None:
        barrier.wait()
        with clock.using(clock.ManualClock(NOW)):
            found.append(h.make(rt))

    threads = [threading.Thread(target=maker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [f for f in found if f is not None]
    assert len(found) == 2
    assert [f.records for f in made] == [3]
    with rt.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CtaRecord)) == 3


VALUE = st.none() | st.sampled_from(["a", "b", "Ж"])
VALUES = st.fixed_dictionaries(
    {k: VALUE for k in (*cta.policy.CORRECTABLE, *cta.policy.STATE_KEYS)}
)


@given(before=VALUES, after=VALUES, seen=st.integers(0, 3), now=st.integers(0, 3))
def test_a_record_carries_exactly_what_changed(
    before: dict[str, str | None], after: dict[str, str | None], seen: int, now: int
) -> None:
    events = tuple(
        cta.policy.Event(n, "transfer", date(2027, 1, n), "Camp") for n in range(1, now + 1)
    )
    current = cta.policy.Current("p", after, "c", events)
    decision = cta.policy.decide(current, cta.policy.Sent(before, "c", min(seen, now)))
    corrected = [k for k in cta.policy.CORRECTABLE if before[k] != after[k]]
    moved = any(before[k] != after[k] for k in cta.policy.STATE_KEYS) or now > min(seen, now)
    if not corrected and not moved:
        assert decision is None
        return
    assert decision is not None
    assert list(decision.corrected_fields) == corrected
    assert decision.record_type == ("correction" if corrected else "change")
    assert [e.number for e in decision.events] == list(range(min(seen, now) + 1, now + 1))
    assert cta.policy.decide(current, None) == cta.policy.Decision(
        cta.policy.RecordType.NEW, (), events
    )

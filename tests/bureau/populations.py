"""Generated populations for the export-gate properties: people in custody with a distinctive
sealed value planted in every place a sealed text lives (the circumstances of surrender and
their day, the surrender request they came from with its note, medical notes and a
diagnosis, a wish statement's note, what a verifier heard, the cause and place of a death),
and a crowd of bystanders with sealed circumstances, built through the services on a fresh
store; and the same population with the surrender mode flipped for some of them, to compare
what leaves.

A planted text is a mark ("SEALx" or "ТАЙНАж") and a run of random letters of one script:
the mark alone in any output is a leak, whatever became of the rest. A day of surrender
falls in 2025, a year no other date of a population falls in."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path

import pytest
from hypothesis import assume
from hypothesis import strategies as st

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.bureau import cta
from safeconduct.config import Settings
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import CustodyEventKind
from safeconduct.custody.schemas import (
    Circumstances,
    CustodyCreate,
    CustodyEventCreate,
    DeathDetails,
    SurrenderMode,
)
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import Channel, RequestStatus, SurrenderRequest
from safeconduct.intake.schemas import SurrenderRequestCreate
from safeconduct.people import service as people_service
from safeconduct.people.models import Sex
from safeconduct.people.schemas import FamilyDetails, PersonCreate
from safeconduct.repatriation.models import Wish
from safeconduct.runtime import Runtime, create_demo_channel_keys, open_runtime
from safeconduct.security.keys import FileKeyProvider
from safeconduct.security.signing import create_signer
from safeconduct.treatment.models import TreatmentKind
from tests.factories import ACTOR, add_custody_event
from tests.repatriation.conftest import approve, build, interview, new_event, statement
from tests.treatment.conftest import record

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)
TODAY = NOW.date()
LATIN_MARK, CYRILLIC_MARK = "SEALx", "ТАЙНАж"
MARKS = (LATIN_MARK, CYRILLIC_MARK)
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯіїєґ"
LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# People's names: Latin as registered, and in their own script. Fixed, so no name can
# contain a planted value by chance.
NAMES = (
    ("ADAMENKO", "Адаменко"),
    ("BONDAR", "Бондар"),
    ("CHORNY", "Чорний"),
    ("DOVZHENKO", "Довженко"),
    ("HONCHARENKO", "Гончаренко"),
    ("KOVALENKO", "Коваленко"),
    ("LYSENKO", "Лисенко"),
    ("MELNYK", "Мельник"),
    ("PETRENKO", "Петренко"),
    ("SHEVCHUK", "Шевчук"),
)
GIVEN = (("Petro", "Петро"), ("Ivan", "Іван"), ("Oksana", "Оксана"), ("Taras", "Тарас"))
RANKS = ("private", "sergeant", "lieutenant", "captain")
CAMPS = ("Camp 1", "Camp 2")
MODES = (SurrenderMode.VOLUNTARY, SurrenderMode.CAPTURED)


class Fate(StrEnum):
    """What becomes of a person: held (and perhaps moved), on an exchange list, or dead."""

    HELD = "held"
    RETURNS = "returns"
    DIES = "dies"


def _marked(alphabet: str, mark: str) -> st.SearchStrategy[str]:
    # Not a run of one letter: a short run could be anywhere.
    body = st.text(st.sampled_from(alphabet), min_size=10, max_size=30)
    return body.filter(lambda t: len(set(t)) >= 5).map(lambda t: mark + t)


planted_text = st.one_of(_marked(LATIN, LATIN_MARK), _marked(CYRILLIC, CYRILLIC_MARK))


@dataclass(frozen=True)
class Secrets:
    """One person's sealed values, each planted where its name says."""

    place: str  # custody circumstances: where
    how: str  # custody circumstances: how
    contact: str  # the surrender request's contact
    content: str  # the surrender request's content
    request_note: str  # an intake note on the request
    medical: str  # a medical examination's sealed notes
    diagnosis: str  # the sealed notes of a health status (the seriously ill)
    statement: str  # a wish statement's note (welfare)
    interview: str  # the verifier's interview notes
    risk: str  # the reasons of a risk on return (people who stay)
    death_place: str  # a death's sealed details: where
    death_cause: str  # a death's sealed details: of what


@dataclass(frozen=True)
class PersonSpec:
    surname: str
    original: str  # the name in the person's own script
    given_names: str
    sex: Sex
    date_of_birth: str
    rank: str
    camp: str
    since: date
    mode: SurrenderMode
    fate: Fate
    moved: bool  # transferred to the other camp (held people only)
    ill: bool  # seriously ill: a health status with a diagnosis sealed
    secrets: Secrets
    surrendered_at: datetime  # sealed in the circumstances: a day no other date falls on

    def unplanted(self) -> frozenset[str]:
        """The secrets this person's life leaves unused: only the dead have death details,
        only the seriously ill a diagnosis, and people on an exchange list carry no risk on
        return (it would keep them off it)."""
        unused = set() if self.ill else {"diagnosis"}
        if self.fate is not Fate.DIES:
            unused |= {"death_place", "death_cause"}
        if self.fate is Fate.RETURNS:
            unused.add("risk")
        return frozenset(unused)

    @property
    def held_at(self) -> str:
        """Where the person is held now: the other camp after a move."""
        return CAMPS[1 - CAMPS.index(self.camp)] if self.moved else self.camp


@dataclass(frozen=True)
class Bystander:
    """One of the crowd held with them: in custody with sealed circumstances, nothing more;
    there so the statistics have cells large enough to show."""

    surname: str
    sex: Sex
    rank: str
    camp: str
    since: date
    mode: SurrenderMode
    place: str
    how: str
    surrendered_at: datetime


@dataclass(frozen=True)
class Population:
    people: tuple[PersonSpec, ...]
    crowd: tuple[Bystander, ...] = ()

    def flipped(self, which: frozenset[int]) -> Population:
        """The same population, the surrender mode flipped for the people at `which`,
        counting the crowd after them (and round: any number picks someone)."""
        size = len(self.people) + len(self.crowd)
        which = frozenset(i % size for i in which)
        other = {SurrenderMode.VOLUNTARY: SurrenderMode.CAPTURED}
        other[SurrenderMode.CAPTURED] = SurrenderMode.VOLUNTARY
        people = tuple(
            replace(p, mode=other[p.mode]) if i in which else p for i, p in enumerate(self.people)
        )
        crowd = tuple(
            replace(b, mode=other[b.mode]) if len(self.people) + j in which else b
            for j, b in enumerate(self.crowd)
        )
        return Population(people, crowd)

    def planted(self) -> dict[str, str]:
        """Every value planted, by where: "person 2 death_cause". A value a person's fate
        does not plant (the cause of death of someone alive) is not in it."""
        found: dict[str, str] = {}
        for i, person in enumerate(self.people):
            for f in fields(Secrets):
                if f.name in person.unplanted():
                    continue
                found[f"person {i} {f.name}"] = getattr(person.secrets, f.name)
            found[f"person {i} surrendered_on"] = person.surrendered_at.date().isoformat()
        for j, one in enumerate(self.crowd):
            found[f"bystander {j} place"], found[f"bystander {j} how"] = one.place, one.how
            found[f"bystander {j} surrendered_on"] = one.surrendered_at.date().isoformat()
        return found


CROWD = (
    "BOIKO",
    "HRYTSENKO",
    "KOZAK",
    "KRAVCHUK",
    "MARCHENKO",
    "MOROZ",
    "OLIINYK",
    "POLISHCHUK",
    "RUDENKO",
    "SAVCHUK",
    "TKACHENKO",
    "ZINCHENKO",
)
# Few months and mostly men: cells of five and more, as in a real camp.
CROWD_SINCE = (date(2026, 11, 3), date(2026, 12, 8), date(2027, 1, 12))
CROWD_SEX = (Sex.MALE, Sex.MALE, Sex.MALE, Sex.FEMALE)
PER_PERSON = len(fields(Secrets))


def _distinct(values: list[str]) -> bool:
    # No planted value inside another: a leak must name the one that leaked.
    return not any(a != b and a in b for a in values for b in values)


@st.composite
def populations(
    draw: st.DrawFn, min_size: int = 3, max_size: int = 6, crowd: tuple[int, int] = (6, 10)
) -> Population:
    """3 to 6 people, at least one of each fate, in a drawn order, and a crowd of 6 to 10
    bystanders; every planted value distinct."""
    size = draw(st.integers(min_size, max_size))
    many = draw(st.integers(*crowd))
    names = draw(st.permutations(range(len(NAMES))))[:size]
    fates = [Fate.RETURNS, Fate.DIES, Fate.HELD]
    fates += draw(st.lists(st.sampled_from(list(Fate)), min_size=size - 3, max_size=size - 3))
    fates = draw(st.permutations(fates))
    count = size * PER_PERSON + 2 * many
    values = draw(st.lists(planted_text, min_size=count, max_size=count, unique=True))
    assume(_distinct(values))
    # Days of surrender in 2025, a year no other date of a population falls in, so that
    # the day in an output can only have come from the sealed circumstances.
    days = draw(
        st.lists(st.dates(date(2025, 1, 1), date(2025, 12, 31)), min_size=size + many,
                 max_size=size + many, unique=True)
    )  # fmt: skip
    moments = [
        datetime.combine(d, time(draw(st.integers(0, 23)), draw(st.integers(0, 59))), UTC)
        for d in days
    ]
    people = []
    for i, (name, fate) in enumerate(zip(names, fates, strict=True)):
        surname, original = NAMES[name]
        given, given_original = draw(st.sampled_from(GIVEN))
        people.append(
            PersonSpec(
                surname=surname,
                original=f"{original} {given_original}",
                given_names=given,
                sex=draw(st.sampled_from([Sex.MALE, Sex.FEMALE, Sex.UNKNOWN])),
                date_of_birth=f"{draw(st.integers(1960, 2005))}-0{draw(st.integers(1, 9))}-1{i}",
                rank=draw(st.sampled_from(RANKS)),
                camp=draw(st.sampled_from(CAMPS)),
                since=draw(st.dates(date(2026, 9, 1), TODAY - timedelta(days=40))),
                mode=draw(st.sampled_from(MODES)),
                fate=fate,
                moved=fate is Fate.HELD and draw(st.booleans()),
                ill=draw(st.booleans()),
                secrets=Secrets(*values[PER_PERSON * i : PER_PERSON * (i + 1)]),
                surrendered_at=moments[i],
            )
        )
    rest = values[PER_PERSON * size :]
    bystanders = tuple(
        Bystander(
            surname=CROWD[j],
            sex=draw(st.sampled_from(CROWD_SEX)),
            rank=draw(st.sampled_from(RANKS)),
            camp=draw(st.sampled_from(CAMPS)),
            since=draw(st.sampled_from(CROWD_SINCE)),
            mode=draw(st.sampled_from(MODES)),
            place=rest[2 * j],
            how=rest[2 * j + 1],
            surrendered_at=moments[size + j],
        )
        for j in range(many)
    )
    return Population(tuple(people), bystanders)


flips = st.frozensets(st.integers(0, 15), min_size=1)


# A fresh store per hypothesis example -----------------------------------------------------


def store_keys(folder: Path) -> Path:
    """The keys of a store (made once: two stores of one example share them, so their
    signatures differ only by what they sign)."""
    keys = folder / "keys"
    FileKeyProvider.create(keys / "kek.json")
    service = create_signer(keys / "signing.pem")
    create_demo_channel_keys(_settings("sqlite://", keys), service)
    return keys


def _settings(db_url: str, keys: Path) -> Settings:
    return Settings(
        db_url=db_url,
        kek_file=keys / "kek.json",
        signing_key_file=keys / "signing.pem",
        audit_checkpoint_every=10,
        intake_key_file=keys / "intake.pem",
        intake_public_key_file=keys / "intake.pub.pem",
        channel_key_file=keys / "channel.pem",
        channel_keys_file=keys / "channel-keys.json",
        channel_secret_file=keys / "channel-secret.key",
    )


@contextmanager
def fresh_runtime(request: pytest.FixtureRequest, db_url: str, keys: Path) -> Iterator[Runtime]:
    """A runtime on a new migrated store of the kind of `db_url` (SQLite or PostgreSQL),
    dropped afterwards."""
    drop = None
    if db_url.startswith("sqlite"):
        target = keys.parent / f"store-{uuid.uuid4().hex[:10]}.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        url = f"sqlite:///{target}"
    else:
        drop = request.getfixturevalue("pg_databases")
        url = drop.fresh()
    rt = open_runtime(_settings(url, keys))
    try:
        yield rt
    finally:
        rt.close()
        if drop is not None:
            drop.drop(url)


# Building a population through the services ------------------------------------------------


@dataclass
class Built:
    """A population in a store: the ids of what was made, in the order it was made, each
    with a label that is the same in any store the same population is built in."""

    population: Population
    person_ids: list[str] = field(default_factory=list)
    custody_ids: list[str] = field(default_factory=list)
    event_id: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, record_id: str, name: str) -> str:
        self.labels[record_id] = name
        return record_id


def _request(rt: Runtime, secrets: Secrets) -> SurrenderRequest:
    """A surrender request with its contact, content and a note, accepted."""
    with rt.transaction() as s:
        made = intake_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            request_in=SurrenderRequestCreate(
                channel=Channel.WEB_FORM, contact=secrets.contact, content=secrets.content
            ),
        )
        intake_service.add_note(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, request=made,
            text=secrets.request_note,
        )  # fmt: skip
        for status in (RequestStatus.IN_REVIEW, RequestStatus.ACCEPTED):
            intake_service.move(
                s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, request=made, status=status
            )
        return made


def _person(rt: Runtime, built: Built, i: int, spec: PersonSpec) -> str:
    """The person, their request (every person has one: only a voluntary surrender names
    it), and their custody with the circumstances sealed."""
    request = _request(rt, spec.secrets)
    built.label(request.id, f"request {i}")
    with rt.transaction() as s:
        person = people_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            person_in=PersonCreate(
                surname=spec.surname,
                given_names=spec.given_names,
                name_original_script=spec.original,
                sex=spec.sex,
                date_of_birth=spec.date_of_birth,
                rank=spec.rank,
                service_number=f"SN-{spec.surname[:3]}-{i}",
                nationality="Ruritania",
                # Art. 122(4) details are sealed too, but a card and a CTA record carry them
                # by law: plain values, not planted; there so that path is taken.
                family=FamilyDetails(father_first_name="Mykhailo", person_to_inform="Olena")
                if i % 2 == 0
                else None,
            ),
        )
        built.person_ids.append(built.label(person.id, f"person {i}"))
        voluntary = spec.mode is SurrenderMode.VOLUNTARY
        custody = custody_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            custody_in=CustodyCreate(
                person_id=person.id,
                since=spec.since,
                place_of_internment=spec.camp,
                circumstances=Circumstances(
                    mode=spec.mode,
                    place=spec.secrets.place,
                    how=spec.secrets.how,
                    occurred_at=spec.surrendered_at,
                    request_id=request.id if voluntary else None,
                ),
            ),
        )
        built.custody_ids.append(built.label(custody.id, f"custody {i}"))
        return person.id


def _bystander(rt: Runtime, built: Built, j: int, one: Bystander) -> None:
    with rt.transaction() as s:
        person = people_service.create(
            s,
            audit=rt.audit,
            actor=ACTOR,
            person_in=PersonCreate(
                surname=one.surname, given_names="Mykola", sex=one.sex, rank=one.rank,
                date_of_birth="1995", service_number=f"SN-C-{j}",
            ),
        )  # fmt: skip
        built.label(person.id, f"bystander {j}")
        custody = custody_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            custody_in=CustodyCreate(
                person_id=person.id,
                since=one.since,
                place_of_internment=one.camp,
                circumstances=Circumstances(
                    mode=one.mode, place=one.place, how=one.how, occurred_at=one.surrendered_at
                ),
            ),
        )
        built.label(custody.id, f"bystander custody {j}")


def _examination(rt: Runtime, built: Built, i: int, spec: PersonSpec) -> None:
    """A medical examination with notes; for the seriously ill, a health status with the
    diagnosis in its notes."""
    done = record(
        rt, built.custody_ids[i], Role.MEDICAL, kind=TreatmentKind.MEDICAL_EXAMINATION.value,
        occurred_on=spec.since + timedelta(days=3),
        notes={"text": spec.secrets.medical, "weight_kg": 71.5},
    )  # fmt: skip
    built.label(done.id, f"examination {i}")
    if spec.ill:
        done = record(
            rt, built.custody_ids[i], Role.MEDICAL, kind=TreatmentKind.HEALTH_STATUS.value,
            occurred_on=spec.since + timedelta(days=5), seriously_ill=True,
            notes={"text": spec.secrets.diagnosis},
        )  # fmt: skip
        built.label(done.id, f"health status {i}")


def _heard(rt: Runtime, built: Built, i: int, spec: PersonSpec) -> None:
    """A wish statement with its note, and the verifier's interview with notes (and the
    reasons of a risk on return, for those who stay)."""
    s = spec.secrets
    wish = Wish.RETURN if spec.fate is Fate.RETURNS else Wish.STAY
    risk = None if spec.fate is Fate.RETURNS else s.risk
    statement(rt, built.person_ids[i], wish, note=s.statement)
    interview(rt, built.person_ids[i], wish, notes=s.interview, risk=risk)


def _fate(rt: Runtime, built: Built, i: int, spec: PersonSpec) -> None:
    """A death with its sealed place and cause, or a move to the other camp, or nothing."""
    if spec.fate is Fate.DIES:
        details = DeathDetails(place=spec.secrets.death_place, cause=spec.secrets.death_cause)
        event_in = CustodyEventCreate(
            kind=CustodyEventKind.DEATH,
            occurred_on=TODAY - timedelta(days=2),
            reason="reported by the camp doctor",
            details=details,
        )
    elif spec.moved:
        event_in = CustodyEventCreate(
            kind=CustodyEventKind.TRANSFER,
            occurred_on=TODAY - timedelta(days=3),
            reason="moved for space",
            place=spec.held_at,
        )
    else:
        return
    add_custody_event(rt, built.custody_ids[i], event_in)


def _first_cta_batch(rt: Runtime) -> None:
    """The CTA hears of everyone once registered, so a later batch carries what changed."""
    with rt.transaction() as s:
        made = cta.make_batch(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, signer=rt.audit.signer
        )
        assert made is not None


def build_population(rt: Runtime, population: Population) -> Built:
    """Ten days ago: everyone registered, in custody with their sealed values, examined,
    and a first batch to the CTA. Six days ago: their wishes heard. Today: the deaths and
    moves, then an exchange list of those who return, approved by a second officer."""
    built = Built(population)
    people = list(enumerate(population.people))
    with clock.using(clock.ManualClock(NOW - timedelta(days=10))):
        for i, spec in people:
            _person(rt, built, i, spec)
        for j, one in enumerate(population.crowd):
            _bystander(rt, built, j, one)
        for i, spec in people:
            _examination(rt, built, i, spec)
        _first_cta_batch(rt)
    with clock.using(clock.ManualClock(NOW - timedelta(days=6))):
        for i, spec in people:
            _heard(rt, built, i, spec)
    with clock.using(clock.ManualClock(NOW)):
        for i, spec in people:
            _fate(rt, built, i, spec)
        event = new_event(rt, TODAY + timedelta(days=10))
        built.event_id = built.label(event.id, "exchange event")
        listed = build(rt, event.id)
        approve(rt, event.id)
    returners = [built.person_ids[i] for i, p in people if p.fate is Fate.RETURNS]
    assert sorted(listed) == sorted(returners)
    return built


# Comparing what two stores made -----------------------------------------------------------

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SHA256 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
# An Ed25519 signature in base64: 64 bytes, 88 characters with the padding.
SIGNATURE = re.compile(r"[A-Za-z0-9+/]{86}==")
# A browser session as the audit log names the credential: a random handle.
SESSION = re.compile(r"(?<=session:)[0-9a-f]{16}\b")


def normalised(text: str, labels: dict[str, str]) -> str:
    """The text with what differs between two stores anyway made the same: record ids as
    their labels (an id no label names: "<id>"), hashes, signatures and session handles as
    placeholders."""
    text = UUID.sub(lambda m: f"<{labels.get(m.group(0), 'id')}>", text)
    text = SHA256.sub("<sha256>", text)
    text = SESSION.sub("<session>", text)
    return SIGNATURE.sub("<signature>", text)

"""The export gate's two guarantees as properties, on SQLite and PostgreSQL.

1. Whatever the sealed values of generated people say (where, when and how they
   surrendered, the contact, content and notes of the request they came from, medical
   notes, a wish statement's note, the verifier's notes and the reasons of a risk on
   return, the place and cause of a death), no output the system makes carries any of them:
   not its text (a PDF's as a PDF library extracts it, a CSV's, a JSON's, an SVG's), not its
   raw bytes, not its file name. One exemption: a death certificate carries its own
   person's place and cause of death, which is what it is for.
2. Two populations that differ only in how people came into custody (the mode flipped for
   some, and with it the request a voluntary surrender names) make the same outputs, ids,
   hashes and signatures apart: same file names, same text, same order.

Every output is a producer below: a name and a function of a store holding a built
population to {file name: bytes}. A new output is one more line in PRODUCERS."""

from __future__ import annotations

import functools
import io
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from pypdf import PdfReader
from typer.testing import CliRunner

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.bureau import cards, cta, deaths, statistics
from safeconduct.bureau.models import DeathDocumentKind, Recipient
from safeconduct.bureau.statistics import StatisticsFormat
from safeconduct.bureau.subjects import LANGUAGES
from safeconduct.channels import service as channels
from safeconduct.cli import app as cli_app
from safeconduct.custody.models import Custody
from safeconduct.inquiries import service as inquiries
from safeconduct.inquiries.policy import Consent, check_fields, read_answer
from safeconduct.intake.models import Channel
from safeconduct.repatriation import documents, exchange
from safeconduct.repatriation.documents import ExportFormat
from safeconduct.repatriation.models import ExchangeEvent
from safeconduct.runtime import Runtime
from safeconduct.security.sealing import FieldRef
from safeconduct.tracing.cli import trace_app
from safeconduct.treatment import reports
from safeconduct.web.app import create_app
from tests.bureau.populations import (
    CAMPS,
    MARKS,
    NOW,
    TODAY,
    UUID,
    Built,
    Fate,
    Population,
    build_population,
    flips,
    fresh_runtime,
    normalised,
    populations,
    store_keys,
)
from tests.factories import ACTOR, add_account, add_session, principal
from tests.repatriation.api_helpers import headers_for
from tests.repatriation.conftest import BUILDER

Outputs = dict[str, bytes]
Producer = Callable[[Runtime, Built], Outputs]


# The producers: every output the system makes ----------------------------------------------


def exchange_list(rt: Runtime, built: Built) -> Outputs:
    """The approved exchange list as JSON, CSV and PDF (repatriation.exchange.export)."""
    out: Outputs = {}
    with rt.transaction() as s:
        event = s.get(ExchangeEvent, built.event_id)
        assert event is not None
        for fmt in ExportFormat:
            made = exchange.export(s, audit=rt.audit, actor=BUILDER, event=event, fmt=fmt)
            assert isinstance(made, exchange.Export), made
            out[made.file_name] = made.content
    return out


def overdue_duties(rt: Runtime, built: Built) -> Outputs:
    """The protecting power's CSV of overdue duties per place (treatment.reports)."""
    with rt.sessions() as s:
        lines = reports.overdue(s, today=TODAY)
    assert lines  # every population has someone behind on the capture card
    return {"overdue-duties.csv": reports.overdue_csv(lines).encode()}


def trace_matches(rt: Runtime, built: Built) -> Outputs:
    """`safeconduct trace match --db`: a family's inquiry for each person, matched. (About
    a second a store, most of it the matcher's engine starting: kept.)"""
    with tempfile.TemporaryDirectory() as folder:
        inquiries, out = Path(folder) / "inquiries.csv", Path(folder) / "matches.csv"
        rows = ["inquiry_id,surname,given_name,patronymic,date_of_birth"]
        for i, person in enumerate(built.population.people):
            rows.append(f"Q{i},{person.surname},{person.given_names},,{person.date_of_birth}")
        inquiries.write_text("\n".join(rows) + "\n", encoding="utf-8")
        args = ["match", "--db", rt.settings.db_url, "--inquiries", str(inquiries)]
        result = CliRunner().invoke(trace_app, [*args, "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        return {"matches.csv": out.read_bytes()}


def audit_export(rt: Runtime, built: Built) -> Outputs:
    """The auditor's CSV of the whole audit log, through the page that serves it. Last:
    it covers what the other producers logged."""
    auditor, _secret = add_account(rt, "leaks-auditor", Role.AUDITOR, enrolled=True)
    cookie = add_session(rt, auditor)
    client = TestClient(create_app(rt), base_url="https://testserver")
    answer = client.get("/audit/export.csv", headers={"Cookie": f"sc_session={cookie}"})
    assert answer.status_code == 200, answer.text
    name = re.search(r'filename="([^"]+)"', answer.headers["content-disposition"])
    assert name is not None
    return {name.group(1): answer.content}


def _languages(i: int) -> str:
    # Each person's documents in one of the three languages, in turn: all three are read.
    return LANGUAGES[i % len(LANGUAGES)]


def capture_cards(rt: Runtime, built: Built) -> Outputs:
    """Each person's capture card (bureau.cards.printed), one sent to the CTA, and the
    printable page of a camp's intake batch (bureau.cards.batch_pdf)."""
    out: Outputs = {}
    with rt.transaction() as s:
        for i, person_id in enumerate(built.person_ids):
            card, pdf = cards.printed(
                s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, person_id=person_id,
                language=_languages(i),
            )  # fmt: skip
            built.label(card.id, f"card {i}")
            out[cards.file_name(card)] = pdf
        cards.send(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, person_id=built.person_ids[0],
            recipient=Recipient.CTA, language="uk",
        )  # fmt: skip
        first = built.population.people[0]
        out["intake-batch.pdf"] = cards.batch_pdf(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, place=first.held_at,
            since=first.since, until=first.since + timedelta(days=30), language="ru",
        )  # fmt: skip
    return out


KEY_FILES = (
    "kek_file",
    "signing_key_file",
    "intake_key_file",
    "intake_public_key_file",
    "channel_key_file",
    "channel_keys_file",
    "channel_secret_file",
)


def cta_batches(rt: Runtime, built: Built) -> Outputs:
    """The CTA batches: the second, of what changed since the first (deaths, transfers),
    made by `safeconduct bureau batch --out DIR` (its files and what it prints); then both
    downloaded again from their sealed records (bureau.cta.download)."""
    env = {f"SAFECONDUCT_{k.upper()}": str(getattr(rt.settings, k)) for k in KEY_FILES}
    env["SAFECONDUCT_DB_URL"] = rt.settings.db_url
    out: Outputs = {}
    with tempfile.TemporaryDirectory() as folder, mock.patch.dict(os.environ, env):
        made = CliRunner().invoke(cli_app, ["bureau", "batch", "--out", folder])
        assert made.exit_code == 0, made.output
        out["bureau batch (printed)"] = made.output.replace(folder, "DIR").encode()
        for path in sorted(Path(folder).iterdir()):
            out[f"cli/{path.name}"] = path.read_bytes()
    with rt.transaction() as s:
        for number in (1, 2):
            for kind in cta.FILE_KINDS:
                name, content = cta.download(
                    s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, number=number, kind=kind
                )
                out[name] = content
    return out


def statistics_exports(rt: Runtime, built: Built) -> Outputs:
    """The statistics as JSON, CSV and an SVG chart of every dimension (bureau.statistics)."""
    asked: list[tuple[StatisticsFormat, str | None]] = [
        (StatisticsFormat.JSON, None),
        (StatisticsFormat.CSV, None),
    ]
    asked += [(StatisticsFormat.SVG, d) for d in statistics.ONE_WAY]
    out: Outputs = {}
    with rt.transaction() as s:
        for fmt, dimension in asked:
            made = statistics.export(
                s, audit=rt.audit, actor=ACTOR, on=TODAY, fmt=fmt, dimension=dimension
            )
            out[made.file_name] = made.content
    return out


def _death_documents(rt: Runtime, built: Built, kind: DeathDocumentKind) -> Outputs:
    who = principal(Role.MEDICAL if kind is DeathDocumentKind.CERTIFICATE else Role.REGISTRAR)
    out: Outputs = {}
    with rt.transaction() as s:
        for i, person in enumerate(built.population.people):
            if person.fate is not Fate.DIES:
                continue
            document = deaths.issue(
                s, audit=rt.audit, who=who, person_id=built.person_ids[i], kind=kind
            )
            built.label(document.id, f"{kind.value} {i}")
            name, pdf = deaths.printed(
                s, keyring=rt.keyring, audit=rt.audit, who=who, document=document,
                language=_languages(i),
            )  # fmt: skip
            # Whose document it is, for the one exemption below (a certificate's cause).
            out[f"{i}/{name}"] = pdf
    return out


def death_notices(rt: Runtime, built: Built) -> Outputs:
    """Each dead person's death notice (bureau.deaths, registrar): never the cause."""
    return _death_documents(rt, built, DeathDocumentKind.NOTICE)


def death_certificates(rt: Runtime, built: Built) -> Outputs:
    """Each dead person's death certificate (bureau.deaths, medical)."""
    return _death_documents(rt, built, DeathDocumentKind.CERTIFICATE)


class Downloads:
    """What the bureau's API hands a registrar: each answer by the file name it gives
    (Content-Disposition), else by its address."""

    def __init__(self, rt: Runtime) -> None:
        self.client = TestClient(create_app(rt), base_url="https://testserver")
        self.headers = headers_for(rt, "leaks-registrar", Role.REGISTRAR)
        self.out: Outputs = {}

    def keep(self, method: str, url: str, body: object = None) -> Any:
        answer = self.client.request(method, url, headers=self.headers, json=body)
        assert answer.status_code in (200, 201), (url, answer.text)
        named = re.search(r'filename="([^"]+)"', answer.headers.get("content-disposition", ""))
        self.out[named.group(1) if named else f"{method} {url}"] = answer.content
        return answer.json() if "json" in answer.headers["content-type"] else None


def bureau_api(rt: Runtime, built: Built) -> Outputs:
    """The same outputs through /api/v1 as a registrar fetches them (cards, a camp's
    batch, a card sent, the CTA batches' files, statistics, a death notice issued, printed
    and sent), and the answers that say what was made and sent (the transmission log)."""
    api, v1 = Downloads(rt), "/api/v1"
    people = built.population.people
    for i, person_id in enumerate(built.person_ids):
        api.keep("POST", f"{v1}/persons/{person_id}/capture-card")
        api.keep("GET", f"{v1}/persons/{person_id}/capture-card.pdf?language={_languages(i)}")
    first = people[0]
    camp = f"place={first.held_at}&since={first.since}&until={first.since + timedelta(days=30)}"
    api.keep("GET", f"{v1}/capture-cards/batch.pdf?{camp}&language=uk")
    sent = {"recipient": "family", "language": "ru"}
    api.keep("POST", f"{v1}/persons/{built.person_ids[0]}/capture-card/send", sent)
    for batch in api.keep("GET", f"{v1}/cta/batches"):
        for kind in ("json", "csv", "sig"):
            api.keep("GET", f"{v1}/cta/batches/{batch['number']}.{kind}")
    api.keep("GET", f"{v1}/statistics")
    api.keep("GET", f"{v1}/statistics.csv")
    api.keep("GET", f"{v1}/statistics/month.svg")
    for i, person in enumerate(people):
        if person.fate is Fate.DIES:
            url = f"{v1}/persons/{built.person_ids[i]}/death-notice"
            notice = api.keep("POST", url)
            built.label(notice["id"], f"api notice {i}")
            api.keep("GET", f"{v1}/death-documents/{notice['id']}.pdf?language=en")
            api.keep("POST", f"{v1}/death-documents/{notice['id']}/send", sent)
    api.keep("GET", f"{v1}/transmissions")
    return api.out


def inquiry_answers(rt: Runtime, built: Built) -> Outputs:
    """A family's inquiry for each person, confirmed by the officer, answered on the highest
    step the record supports (the family may be told of everyone; the place named for every
    other person), read with the codename on its release day. The random reference is left
    out: it is the same kind of id as a record's."""
    out: Outputs = {}
    for i, person in enumerate(built.population.people):
        person_id = built.person_ids[i]
        with rt.transaction() as s:
            consent = Consent(True, place_may_be_told=i % 2 == 0)
            inquiries.record_consent(s, audit=rt.audit, actor=ACTOR, person_id=person_id,
                                     consent=consent)  # fmt: skip
        # The family writes in the person's own script (the registry holds Latin).
        surname, given = person.original.split(" ", 1)
        form = {"surname": surname, "given_name": given,
                "date_of_birth": person.date_of_birth, "contact": f"+000 {i}",
                "relationship": "parent"}  # fmt: skip
        with rt.transaction() as s:
            entered = inquiries.enter(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit,
                                      actor=ACTOR, fields=check_fields(form),
                                      channel=Channel.PHONE)  # fmt: skip
            found = [c for c, _ in inquiries.candidates(s, entered.inquiry.id)
                     if c.person_id == person_id]  # fmt: skip
            assert found, f"person {i} was not proposed for their family's inquiry"
            inquiries.decide(s, audit=rt.audit, actor=ACTOR, candidate=found[0], confirm=True)
            step = inquiries.steps_for(s, entered.inquiry)[-1]
            inquiries.answer(s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR,
                             inquiry=entered.inquiry, step=step, spread=0)  # fmt: skip
        assert entered.issued is not None
        with clock.using(clock.ManualClock(NOW + timedelta(days=30))), rt.sessions() as s:
            codename = entered.issued.codename
            ticket = channels.find_ticket(s, keys=rt.channels, typed=codename)
            assert ticket is not None
            [reply] = channels.read_replies(s, ticket=ticket, typed=codename)
        answer = read_answer(reply.text)
        assert answer is not None
        answer.pop("reference")
        out[f"{i}/answer.json"] = json.dumps(answer, sort_keys=True).encode()
    return out


PRODUCERS: dict[str, Producer] = {
    "exchange list": exchange_list,
    "overdue duties": overdue_duties,
    "trace matches": trace_matches,
    "capture cards": capture_cards,
    "cta batches": cta_batches,
    "statistics": statistics_exports,
    "death notices": death_notices,
    "death certificates": death_certificates,
    "bureau api": bureau_api,
    "inquiry answers": inquiry_answers,
    "audit export": audit_export,  # keep last
}


def exempt(producer: str, name: str) -> frozenset[str]:
    """The planted values an output may carry. One: a death certificate exists to carry the
    place and cause of death (Art. 120), so the certificate of person i may carry person
    i's; no other output may, a notice included, nor a certificate anyone else's."""
    if producer != "death certificates":
        return frozenset()
    i = name.split("/", 1)[0]
    return frozenset({f"person {i} death_cause", f"person {i} death_place"})


def produce(rt: Runtime, built: Built) -> dict[str, Outputs]:
    with clock.using(clock.ManualClock(NOW)):
        return {name: producer(rt, built) for name, producer in PRODUCERS.items()}


# What an output says ------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@functools.lru_cache(maxsize=256)
def text_of(name: str, data: bytes) -> str:
    """The text a reader of the output gets: a PDF's extracted, anything else decoded; in
    one Unicode form (an extracted "й" may come as "и" and a combining breve)."""
    text = pdf_text(data) if data.startswith(b"%PDF") else data.decode("utf-8")
    return unicodedata.normalize("NFC", text)


def _squeezed(text: str) -> str:
    # A PDF breaks a long word across lines, and may hyphenate it.
    return re.sub(r"[\s\u00ad-]+", "", text)


def _forms(value: str) -> list[str]:
    """How a value could appear in a text: as is, escaped in JSON (ASCII or not)."""
    return [value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]]


def _raw_forms(value: str) -> list[bytes]:
    return [value.encode(), value.encode("utf-16-be"), json.dumps(value)[1:-1].encode()]


def _carried(name: str, data: bytes, value: str) -> bool:
    text = text_of(name, data)
    return (
        any(f in text for f in _forms(value))
        or value in _squeezed(text)
        or value in name
        or any(r in data for r in _raw_forms(value))
    )


def _marked(name: str, data: bytes, allowed: list[str]) -> list[str]:
    """The marks an output carries once the values it may carry are taken out."""
    text, raw = text_of(name, data), data
    for value in allowed:
        for form in _forms(value):
            text = text.replace(form, "")
        for form_bytes in _raw_forms(value):
            raw = raw.replace(form_bytes, b"")
    squeezed = _squeezed(text)
    for value in allowed:
        squeezed = squeezed.replace(value, "")
    return [m for m in MARKS if m in text or m in squeezed or m.encode() in raw]


def leaks(outputs: dict[str, Outputs], planted: dict[str, str]) -> list[tuple[str, str, str]]:
    """(producer, file, what) for every planted value, or mark, an output carries."""
    found = []
    for producer, files in outputs.items():
        for name, data in files.items():
            allowed = exempt(producer, name)
            for where, value in planted.items():
                if where not in allowed and _carried(name, data, value):
                    found.append((producer, name, where))
            kept = [v for w, v in planted.items() if w in allowed]
            found += [(producer, name, f"the mark {m}") for m in _marked(name, data, kept)]
    return found


DAY = re.compile(r"\d{4}-\d{2}")
# Known to break the rule as the issue states it, and reported: the auditor's export is
# named by the day it was made (web/ui/routes_audit.py, deliberately; that day tells
# nothing of anyone). Strict: if the name changes, this fails until the entry goes.
KNOWN_NAMES = frozenset({("audit export", "audit-log-2027-06-01.csv")})


def names_telling(outputs: dict[str, Outputs], population: Population) -> set[tuple[str, str]]:
    """(producer, file name) for every name that carries a person's name, a place or a
    day: a file name travels further than its content. (An answer kept by its address,
    "GET ...", has no file name.)"""
    words = {p.surname.casefold() for p in population.people}
    words |= {b.surname.casefold() for b in population.crowd}
    words |= {p.original.split()[0].casefold() for p in population.people}
    words |= {c.casefold() for c in CAMPS} | {c.replace(" ", "-").casefold() for c in CAMPS}
    found = set()
    for producer, files in outputs.items():
        for name in files:
            if name.startswith(("GET ", "POST ")):
                continue
            bare = UUID.sub("<id>", name.split("/", 1)[-1].casefold())
            if DAY.search(bare) or any(w in bare for w in words):
                found.add((producer, name))
    return found


def assert_read(outputs: dict[str, Outputs], built: Built) -> None:
    """The outputs do carry what they should: a check that reads nothing finds nothing."""
    people = built.population.people
    for producer, files in outputs.items():
        assert files, producer
        for name, data in files.items():
            assert text_of(name, data).strip(), (producer, name)
    listed = [p.surname for p in people if p.fate is Fate.RETURNS]
    for name, data in outputs["exchange list"].items():
        for surname in listed:
            assert surname in text_of(name, data), (name, surname)
    cards_text = [text_of(n, d) for n, d in outputs["capture cards"].items()]
    for person in people:
        assert any(person.surname in t and person.original in t for t in cards_text)
    # The one exemption is no blind spot: a certificate does carry its own cause.
    for name, data in outputs["death certificates"].items():
        i = int(name.split("/", 1)[0])
        assert _carried(name, data, people[i].secrets.death_cause), name


# The properties -----------------------------------------------------------------------------


# Each example builds a store (two for the second property): few examples, no shrinking (a
# failure names the producer, the file and the planted value), the store made in the body.
def few(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
    )


@few(4)
@given(population=populations())
def test_no_output_carries_a_sealed_value(
    request: pytest.FixtureRequest, db_url: str, tmp_path_factory: pytest.TempPathFactory,
    population: Population,
) -> None:  # fmt: skip
    keys = store_keys(tmp_path_factory.mktemp("leaks"))
    with fresh_runtime(request, db_url, keys) as rt:
        built = build_population(rt, population)
        outputs = produce(rt, built)
    assert_read(outputs, built)
    assert leaks(outputs, population.planted()) == []
    assert names_telling(outputs, population) == KNOWN_NAMES


# Answers in an order of random ids by design (the transmission log: by day, then by id):
# two stores order them apart whatever the mode, so they are compared as sets.
UNORDERED = frozenset({"GET /api/v1/transmissions"})


def comparable(outputs: dict[str, Outputs], built: Built) -> dict[str, dict[str, str]]:
    """Each output as text, ids labelled, hashes and signatures blanked."""
    found: dict[str, dict[str, str]] = {}
    for producer, files in outputs.items():
        found[producer] = {}
        for name, data in files.items():
            text = normalised(text_of(name, data), built.labels)
            if name in UNORDERED:
                text = json.dumps(sorted(json.dumps(x) for x in json.loads(text)))
            found[producer][normalised(name, built.labels)] = text
    return found


@few(2)
@given(population=populations(), which=flips)
def test_the_surrender_mode_changes_no_output(
    request: pytest.FixtureRequest, db_url: str, tmp_path_factory: pytest.TempPathFactory,
    population: Population, which: frozenset[int],
) -> None:  # fmt: skip
    keys = store_keys(tmp_path_factory.mktemp("modes"))
    made = []
    for one in (population, population.flipped(which)):
        with fresh_runtime(request, db_url, keys) as rt:
            built = build_population(rt, one)
            outputs = produce(rt, built)
        assert leaks(outputs, one.planted()) == []
        made.append(comparable(outputs, built))
    first, second = made
    for producer in PRODUCERS:
        assert first[producer] == second[producer], producer


# The check itself finds a leak ------------------------------------------------------------


def leaky(rt: Runtime, built: Built) -> Outputs:
    """What a careless output would be: each person's opened circumstances, as a CSV and
    as the names on an exchange list PDF."""
    rows, people = [], []
    with rt.sessions() as s:
        for custody_id in built.custody_ids:
            custody = s.get(Custody, custody_id)
            assert custody is not None
            field = FieldRef(Custody.__tablename__, "circumstances", custody_id)
            opened = json.loads(rt.keyring.open(s, sealed=custody.circumstances, field=field))
            rows.append(f"{opened['mode']},{opened['how']},{opened['occurred_at']}")
            people.append({"category": "enlisted", "surname": opened["place"], "given_names": "X"})
    doc = documents.document(
        list_id="l", event_id="e", counterpart="c", planned_on=TODAY, approval=1,
        approved_on=TODAY, people=people,
    )  # fmt: skip
    signed = documents.Signed(doc, "0" * 64, "A" * 86 + "==", "k")
    pdf = documents.render(signed, ExportFormat.PDF)
    return {"leaky.csv": "\n".join(rows).encode(), "leaky.pdf": pdf}


@few(1)
@given(population=populations(max_size=3, crowd=(0, 0)), which=flips)
def test_the_checks_find_a_leak(
    request: pytest.FixtureRequest, db_url: str, tmp_path_factory: pytest.TempPathFactory,
    population: Population, which: frozenset[int],
) -> None:  # fmt: skip
    keys = store_keys(tmp_path_factory.mktemp("leaky"))
    made = []
    for one in (population, population.flipped(which)):
        with fresh_runtime(request, db_url, keys) as rt:
            built = build_population(rt, one)
            outputs = {"leaky": leaky(rt, built)}
        found = {(name, where) for _p, name, where in leaks(outputs, one.planted())}
        for i in range(len(one.people)):
            assert ("leaky.csv", f"person {i} how") in found
            assert ("leaky.csv", f"person {i} surrendered_on") in found
            assert ("leaky.pdf", f"person {i} place") in found
        made.append(comparable(outputs, built))
    assert made[0]["leaky"]["leaky.csv"] != made[1]["leaky"]["leaky.csv"]

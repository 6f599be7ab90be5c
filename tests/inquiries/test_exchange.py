"""Inquiries exchanged with other tracing services: the open inquiries' persons sought go
out (never the inquirer), another service's file comes in as inquiries of ours, all or
nothing and once per record; both are audited; only the approved tracing officer may."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.channels.models import Ticket
from safeconduct.cli import app as cli_app
from safeconduct.config import Settings
from safeconduct.db import today
from safeconduct.inquiries import exchange, service
from safeconduct.inquiries.exchange import Format
from safeconduct.inquiries.exchange_formats import ExchangeFormatError, from_csv, from_pfif
from safeconduct.inquiries.models import Inquiry, InquiryStatus
from safeconduct.runtime import Runtime, create_demo_channel_keys, open_runtime
from safeconduct.security.keys import FileKeyProvider
from safeconduct.security.signing import create_signer
from safeconduct.web.app import create_app
from tests import factories
from tests.inquiries.helpers import OFFICER, enter

CONTACT = "+380 50 000 0777"
SOUGHT = (
    {"surname": "Коваленко", "given_name": "Петро", "patronymic": "Іванович",
     "date_of_birth": "1990-04-12", "place_last_seen": "Ізюм"},
    {"surname": "Бондар", "given_name": "Олена", "date_of_birth": "1988"},
)  # fmt: skip
SOURCE = "safeconduct.example"
CSV_HEADER = "record_id,surname,given_name,patronymic,date_of_birth,place_last_seen,entered_on"


def _sought(fields: Any) -> dict[str, str]:
    return {k: getattr(fields, k) for k in exchange_keys()}


def exchange_keys() -> tuple[str, ...]:
    return ("surname", "given_name", "patronymic", "date_of_birth", "place_last_seen")


def _opened(rt: Runtime) -> list[tuple[dict[str, str], dict[str, str]]]:
    """Every inquiry's (person sought, inquirer), opened as the officer would."""
    with rt.transaction() as s:
        rows = s.scalars(select(Inquiry).order_by(Inquiry.reference))
        got = [service.reveal(s, keyring=rt.keyring, audit=rt.audit, actor=OFFICER, inquiry=q)
               for q in rows]  # fmt: skip
    return [(_sought(f), f.inquirer()) for f in got]


def _export(rt: Runtime, fmt: Format) -> bytes:
    with rt.transaction() as s:
        return exchange.export_open(s, keyring=rt.keyring, audit=rt.audit, actor=OFFICER,
                                    fmt=fmt, source=SOURCE)  # fmt: skip


def _import(rt: Runtime, data: bytes, fmt: Format) -> exchange.ImportReport:
    with rt.transaction() as s:
        return exchange.import_records(s, keyring=rt.keyring, audit=rt.audit, actor=OFFICER,
                                       data=data, fmt=fmt)  # fmt: skip


def _purposes(rt: Runtime, action: str) -> list[str | None]:
    with rt.sessions() as s:
        stmt = select(AuditEntry.purpose).where(AuditEntry.action == action)
        return list(s.scalars(stmt.order_by(AuditEntry.seq)))


def _count(rt: Runtime, model: type[Any]) -> int:
    with rt.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def other_rt(sqlite_template: Path, tmp_path: Path) -> Iterator[Runtime]:
    """A second service's store (SQLite, keys of its own)."""
    folder = tmp_path / "other"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "store.db")
    keys = folder / "keys"
    FileKeyProvider.create(keys / "kek.json")
    signer = create_signer(keys / "signing.pem")
    settings = Settings(
        db_url=f"sqlite:///{folder / 'store.db'}", kek_file=keys / "kek.json",
        signing_key_file=keys / "signing.pem", intake_key_file=keys / "intake.pem",
        intake_public_key_file=keys / "intake.pub.pem", channel_key_file=keys / "channel.pem",
        channel_keys_file=keys / "channel-keys.json",
        channel_secret_file=keys / "channel-secret.key",
    )  # fmt: skip
    create_demo_channel_keys(settings, signer)
    runtime = open_runtime(settings)
    yield runtime
    runtime.close()


def _two_open_one_closed(rt: Runtime) -> None:
    for sought in SOUGHT:
        enter(rt, **sought, contact=CONTACT)
    closed = enter(rt, surname="Закрита", given_name="Справа", contact=CONTACT)
    with rt.transaction() as s:
        row = s.get(Inquiry, closed.inquiry.id)
        assert row is not None
        service.close(s, audit=rt.audit, actor=OFFICER, inquiry=row)


# The use cases -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(Format))
def test_round_trip_into_a_second_store_gives_the_same_persons_sought(
    rt: Runtime, other_rt: Runtime, fmt: Format
) -> None:
    _two_open_one_closed(rt)
    data = _export(rt, fmt)
    report = _import(other_rt, data, fmt)
    assert len(report.created) == 2
    assert report.skipped == 0
    theirs = _opened(other_rt)
    expected = [{k: s.get(k, "") for k in exchange_keys()} for s in SOUGHT]
    assert sorted(json.dumps(t[0], sort_keys=True) for t in theirs) == sorted(
        json.dumps(e, sort_keys=True) for e in expected
    )
    # The inquirer at the other service is this service's record, nothing of the family.
    ours = {q.reference for q in _queue(rt) if q.status == InquiryStatus.OPEN.value}
    contacts = {t[1]["contact"] for t in theirs}
    assert contacts == {f"via {SOURCE}/{ref}" for ref in ours}
    assert {t[1]["relationship"] for t in theirs} == {"other"}


def _queue(rt: Runtime) -> list[service.QueueRow]:
    with rt.sessions() as s:
        return service.queue(s)


@pytest.mark.parametrize("fmt", list(Format))
def test_an_export_holds_the_open_persons_sought_never_the_inquirer(
    rt: Runtime, fmt: Format
) -> None:
    _two_open_one_closed(rt)
    data = _export(rt, fmt)
    text = data.decode("utf-8")
    assert "Коваленко" in text
    assert "Бондар" in text
    assert "Закрита" not in text  # closed: not sought any more
    assert CONTACT not in text
    assert "000 0777" not in text
    assert "parent" not in text
    records = from_pfif(data) if fmt == Format.PFIF else from_csv(text)
    refs = sorted(q.reference for q in _queue(rt) if q.status == InquiryStatus.OPEN.value)
    assert sorted(r.record_id for r in records) == [f"{SOURCE}/{ref}" for ref in refs]
    assert {r.entered_on for r in records} == {today()}


def test_exports_and_imports_are_audited_by_count_never_by_name(
    rt: Runtime, other_rt: Runtime
) -> None:
    _two_open_one_closed(rt)
    data = _export(rt, Format.CSV)
    _export(rt, Format.PFIF)
    assert _purposes(rt, "inquiry:export") == ["csv:count=2", "pfif:count=2"]
    _import(other_rt, data, Format.CSV)
    _import(other_rt, data, Format.CSV)
    assert _purposes(other_rt, "inquiry:import") == [
        "csv:count=2,skipped=0",
        "csv:count=0,skipped=2",
    ]
    with other_rt.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "inquiry:import")).first()
        assert entry is not None
        assert entry.actor == OFFICER.name


def test_a_record_imported_before_is_skipped(rt: Runtime, other_rt: Runtime) -> None:
    _two_open_one_closed(rt)
    data = _export(rt, Format.PFIF)
    assert len(_import(other_rt, data, Format.PFIF).created) == 2
    again = _import(other_rt, data, Format.PFIF)
    assert (again.created, again.skipped) == ([], 2)
    assert _count(other_rt, Inquiry) == 2
    # The foreign id is kept only as a keyed hash, and only there.
    with other_rt.sessions() as s:
        indexes = set(s.scalars(select(Inquiry.contact_index)))
    assert all(i is not None and SOURCE not in i and len(i) == 64 for i in indexes)


@pytest.mark.parametrize("fmt", list(Format))
def test_imported_inquiries_are_never_sent_back(
    rt: Runtime, other_rt: Runtime, fmt: Format
) -> None:
    _two_open_one_closed(rt)
    _import(other_rt, _export(rt, fmt), fmt)
    enter(other_rt, surname="Мельник", given_name="Олег", contact=CONTACT)
    back = _export(other_rt, fmt)
    records = from_pfif(back) if fmt == Format.PFIF else from_csv(back.decode("utf-8"))
    # Only the other service's own inquiry: a round trip never duplicates ours.
    assert [r.surname for r in records] == ["Мельник"]
    assert _purposes(other_rt, "inquiry:export") == [f"{fmt.value}:count=1"]


def test_imported_inquiries_are_matched_against_the_register(other_rt: Runtime) -> None:
    person = factories.add_person(other_rt, "KOVALENKO", given_names="Petro",
                                  date_of_birth="1990-04-12")  # fmt: skip
    data = f"{CSV_HEADER}\nicrc.example/1,Коваленко,Петро,,1990-04-12,,\n".encode()
    [reference] = _import(other_rt, data, Format.CSV).created
    with other_rt.sessions() as s:
        inquiry = s.scalars(select(Inquiry).where(Inquiry.reference == reference)).one()
        assert [p.id for _c, p in service.candidates(s, inquiry.id)] == [person.id]
        ticket = s.get(Ticket, inquiry.id)
        assert ticket is not None
        assert ticket.kind == "inquiry"
        assert ticket.codename_hash is None
        assert inquiry.channel == exchange.IMPORT_CHANNEL.value


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("icrc.example/2,Бондар,,,1988,,", "given_name"),  # our rule: a given name
        ("icrc.example/2,Бондар,Олена,,12.04.1988,,", "date_of_birth"),
        ("no-slash,Бондар,Олена,,,,", "record_id"),
        ("icrc.example/2," + "Б" * 150 + ",Олена,,,,", "surname"),  # ours: at most 100
    ],
)
def test_a_bad_record_stops_the_whole_file_naming_record_and_field(
    rt: Runtime, row: str, field: str
) -> None:
    data = f"{CSV_HEADER}\nicrc.example/1,Коваленко,Петро,,,,\n{row}\n".encode()
    with pytest.raises(ExchangeFormatError) as caught:
        _import(rt, data, Format.CSV)
    assert (caught.value.record, caught.value.field) == (2, field)
    assert "Бондар" not in str(caught.value)
    assert _count(rt, Inquiry) == 0
    assert _count(rt, Ticket) == 0
    assert _purposes(rt, "inquiry:import") == []


def test_pfif_carries_another_middle_name_with_the_given_name(rt: Runtime) -> None:
    enter(rt, surname="Smith", given_name="John", patronymic="Edward", contact=CONTACT)
    [record] = from_pfif(_export(rt, Format.PFIF))
    assert (record.given_name, record.patronymic) == ("John Edward", "")
    [row] = from_csv(_export(rt, Format.CSV).decode())
    assert (row.given_name, row.patronymic) == ("John", "Edward")


# The API and the UI ------------------------------------------------------------------------


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt), base_url="https://testserver")


def bearer(rt: Runtime, name: str, role: Role, approved: bool = True) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.add_token(rt, name, role, approved=approved)[0]}"}


@pytest.mark.parametrize(("fmt", "media"), [("pfif", "application/xml"), ("csv", "text/csv")])
def test_api_downloads_carry_no_personal_data_in_their_names(
    rt: Runtime, client: TestClient, fmt: str, media: str
) -> None:
    enter(rt, **SOUGHT[0], contact=CONTACT)
    answer = client.get(f"/api/v1/inquiries/export.{fmt}", headers=bearer(rt, "t", Role.TRACING))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(media)
    ext = "xml" if fmt == "pfif" else "csv"
    name = f'attachment; filename="inquiries-{today().isoformat()}.{ext}"'
    assert answer.headers["content-disposition"] == name
    assert answer.headers["cache-control"] == "no-store"
    assert "Коваленко" in answer.text
    assert CONTACT not in answer.text


def test_api_import_then_a_bad_file_is_a_422_naming_record_and_field(
    rt: Runtime, client: TestClient
) -> None:
    tracing = bearer(rt, "t", Role.TRACING)
    good = f"{CSV_HEADER}\nicrc.example/1,Коваленко,Петро,,,,\n".encode()
    made = client.post("/api/v1/inquiries/import?format=csv", content=good, headers=tracing)
    assert made.status_code == 201, made.text
    assert len(made.json()["created"]) == 1
    bad = good + "icrc.example/2,Бондар,Олена,,1988-13,,\n".encode()
    refused = client.post("/api/v1/inquiries/import?format=csv", content=bad, headers=tracing)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "body.records.2.date_of_birth"
    assert "1988-13" not in refused.text
    assert _count(rt, Inquiry) == 1  # the first file's only
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    xml = client.post("/api/v1/inquiries/import?format=pfif", content=hostile, headers=tracing)
    assert xml.status_code == 422
    assert xml.json()["detail"][0]["field"] == "body"


def test_api_refuses_other_roles_and_an_unapproved_officer(rt: Runtime, client: TestClient) -> None:
    calls = (("GET", "/api/v1/inquiries/export.pfif"), ("GET", "/api/v1/inquiries/export.csv"),
             ("POST", "/api/v1/inquiries/import?format=csv"))  # fmt: skip
    callers = [bearer(rt, f"o-{r.value}", r) for r in Role if r is not Role.TRACING]
    callers.append(bearer(rt, "unapproved", Role.TRACING, approved=False))
    for headers in callers:
        for method, url in calls:
            answer = client.request(method, url, headers=headers, content=b"x")
            assert answer.status_code == 403, (method, url, answer.status_code)
    assert _purposes(rt, "inquiry:export") == []


def _ui(rt: Runtime, role: Role = Role.TRACING) -> tuple[TestClient, dict[str, str]]:
    account, _secret = factories.add_account(rt, f"ui-{role.value}", role, enrolled=True)
    client = TestClient(create_app(rt), base_url="https://testserver")
    return client, factories.session_headers(factories.add_session(rt, account))


def test_ui_page_downloads_and_takes_a_file_in(rt: Runtime) -> None:
    enter(rt, **SOUGHT[0], contact=CONTACT)
    client, headers = _ui(rt)
    page = client.get("/inquiries/exchange", headers=headers)
    assert page.status_code == 200
    assert 'action="/inquiries/exchange/import"' in page.text
    assert "Коваленко" not in page.text
    got = client.post("/inquiries/exchange/export", data={"format": "csv"}, headers=headers)
    assert got.status_code == 200
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "Коваленко" in got.text
    upload = f"{CSV_HEADER}\nicrc.example/9,Бондар,Олена,,1988,,\n".encode()
    url, form = "/inquiries/exchange/import", {"format": "csv"}
    taken = client.post(url, data=form, files={"file": ("in.csv", upload)}, headers=headers)
    assert taken.status_code == 200
    assert 'id="imported"' in taken.text
    assert _count(rt, Inquiry) == 2
    bad = upload.replace(b"1988", b"88")
    refused = client.post(url, data=form, files={"file": ("in.csv", bad)}, headers=headers)
    assert refused.status_code == 422
    assert "Record 1, field date_of_birth:" in refused.text
    assert _count(rt, Inquiry) == 2


def test_ui_refuses_another_role(rt: Runtime) -> None:
    client, headers = _ui(rt, Role.REGISTRAR)
    assert client.get("/inquiries/exchange", headers=headers).status_code == 403
    sent = client.post("/inquiries/exchange/export", data={"format": "csv"}, headers=headers)
    assert sent.status_code == 403


# The command line ------------------------------------------------------------------------------


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The command line sees the test store's keys, as a deployment's environment gives."""
    for name in (
        "kek_file", "signing_key_file", "intake_key_file", "intake_public_key_file",
        "channel_key_file", "channel_keys_file", "channel_secret_file",
    ):  # fmt: skip
        monkeypatch.setenv(f"SAFECONDUCT_{name.upper()}", str(getattr(settings, name)))
    monkeypatch.setenv("SAFECONDUCT_DB_URL", settings.db_url)
    return settings


def test_cli_exports_and_imports(rt: Runtime, env: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    enter(rt, **SOUGHT[0], contact=CONTACT)
    out = tmp_path / "out.xml"
    args = ["inquiries", "export", "--format", "pfif", "--out", str(out), "--source", SOURCE]
    done = runner.invoke(cli_app, args)
    assert done.exit_code == 0, done.output
    assert "Коваленко" not in done.output
    assert out.stat().st_mode & 0o077 == 0
    [record] = from_pfif(out.read_bytes())
    assert record.surname == "Коваленко"
    again = runner.invoke(cli_app, args)
    assert again.exit_code == 2  # never overwritten
    assert _purposes(rt, "inquiry:export") == ["pfif:count=1"]
    # Taken back in: the ids are new to this store, so it is a second inquiry; then skipped.
    first = runner.invoke(cli_app, ["inquiries", "import", str(out), "--format", "pfif"])
    assert first.exit_code == 0, first.output
    assert "imported 1, skipped 0" in first.output
    second = runner.invoke(cli_app, ["inquiries", "import", str(out), "--format", "pfif"])
    assert "imported 0, skipped 1" in second.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{CSV_HEADER}\nicrc.example/1,Коваленко,,,,,\n", encoding="utf-8")
    refused = runner.invoke(cli_app, ["inquiries", "import", str(bad), "--format", "csv"])
    assert refused.exit_code == 1
    assert "record 1, field given_name" in refused.output
    assert _count(rt, Inquiry) == 2

"""Guarantee 3 through the HTTP API, on SQLite and PostgreSQL: a refusal to put someone on a
list, or to approve it, is 409 naming the person (id and name) and why; bad input is 422
naming the field; missing records are 404; the exchange role never reads a wish or a note.
An approved list exports as JSON, CSV and PDF, each verifiable offline (by our code, by
plain `cryptography`, by the CLI) and broken by any changed byte; a death between approval
and export refuses the export and invalidates the list for good."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from typer.testing import CliRunner

from safeconduct.accounts.policy import Role
from safeconduct.cli import app as cli_app
from safeconduct.config import Settings
from safeconduct.repatriation import documents, guard
from safeconduct.repatriation.reasons import message
from safeconduct.runtime import Runtime
from safeconduct.security.statements import read_key_set
from safeconduct.web.app import create_app
from tests.repatriation.api_helpers import (
    PLANNED,
    REVEAL,
    Api,
    check_by_hand,
    conflict,
    fields,
    ok,
    wish_free,
)
from tests.repatriation.conftest import TODAY

MISSING = "00000000-0000-0000-0000-000000000000"
FORMATS = ("json", "csv", "pdf")


@pytest.fixture
def api(rt: Runtime) -> Api:
    return Api(rt, TestClient(create_app(rt), base_url="https://testserver"))


def _one(problems: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(problems) == 1, problems
    return problems[0]


def _names(api: Api, person_id: str) -> str:
    person = ok(api.get(f"/api/v1/persons/{person_id}", Role.REGISTRAR))
    return " ".join(p for p in (person["surname"], person["given_names"]) if p)


# Refusals that name the person ---------------------------------------------------------


def _no_interview(api: Api, pid: str) -> None:
    del api, pid


def _wants_to_stay(api: Api, pid: str) -> None:
    api.interview(pid, "stay")


def _undecided(api: Api, pid: str) -> None:
    api.interview(pid, "undecided")


def _before_witnesses(api: Api, pid: str) -> None:
    api.interview(pid, private=False)


def _changed(api: Api, pid: str) -> None:
    api.interview(pid)
    api.statement(pid, "stay", who=Role.REGISTRAR)


def _stale(api: Api, pid: str) -> None:
    api.interview(pid, held_on=TODAY - timedelta(days=40))


def _died(api: Api, pid: str) -> None:
    api.interview(pid)
    api.custody_event(pid, "death")


def _escaped(api: Api, pid: str) -> None:
    api.interview(pid)
    api.custody_event(pid, "escape")


def _released(api: Api, pid: str) -> None:
    api.interview(pid)
    api.custody_event(pid, "release")


INELIGIBLE = [
    (_no_interview, "unverified"),
    (_wants_to_stay, "unverified"),
    (_undecided, "unverified"),
    (_before_witnesses, "unverified"),
    (_changed, "unverified"),
    (_stale, "stale"),
    (_died, "deceased"),
    (_escaped, "escaped"),
    (_released, "released"),
]


@pytest.mark.parametrize(("make", "reason"), INELIGIBLE, ids=[r[0].__name__ for r in INELIGIBLE])
def test_adding_an_ineligible_person_is_409_naming_them_and_why(
    api: Api, make: Any, reason: str
) -> None:
    pid = api.person("HRYTSENKO", given_names="Ostap")
    make(api, pid)
    event_id = api.event()
    before = api.listed(event_id)
    answer = api.add(event_id, pid)
    problem = _one(conflict(answer))
    assert problem == {
        "person_id": pid,
        "name": "HRYTSENKO Ostap",
        "reason": reason,
        "message": message(reason),
    }
    # Never the wish, whatever it was; and nothing was written (the version did not move).
    wish_free(answer.json())
    after = api.listed(event_id)
    assert after["members"] == []
    assert after["event"]["version"] == before["event"]["version"]


def test_other_refusals_of_an_addition_name_the_person(api: Api) -> None:
    nobody_in_custody = ok(
        api.post("/api/v1/persons", Role.REGISTRAR, {"surname": "LYSENKO", "given_names": "Ivan"}),
        201,
    )["id"]
    one, two = api.person("ADAMENKO"), api.person("BONDAR")
    api.interview(one)
    api.interview(two)
    event_id = api.event(sick=0, officers=0, enlisted=1)
    assert _one(conflict(api.add(event_id, nobody_in_custody)))["reason"] == "not_in_custody"
    unknown = _one(conflict(api.add(event_id, MISSING)))
    assert (unknown["person_id"], unknown["name"], unknown["reason"]) == (
        MISSING,
        None,
        "unknown_person",
    )
    ok(api.add(event_id, one))
    again = _one(conflict(api.add(event_id, one)))
    assert (again["person_id"], again["name"], again["reason"]) == (
        one,
        "ADAMENKO Petro",
        "already_on_list",
    )
    full = _one(conflict(api.add(event_id, two)))
    assert (full["person_id"], full["name"], full["reason"]) == (two, "BONDAR Petro", "quota_full")


def test_the_author_and_whoever_changed_the_list_cannot_approve_it(api: Api) -> None:
    one, two = api.person("ADAMENKO"), api.person("BONDAR")
    api.interview(one)
    api.interview(two)
    event_id = api.event()
    ok(api.add(event_id, one))
    refused = _one(conflict(api.approve(event_id, "builder")))
    assert refused == {
        "person_id": None,
        "name": None,
        "reason": "own_list",
        "message": message("own_list"),
    }
    # A second officer who changes the list becomes one of its authors too.
    ok(api.add(event_id, two, "approver"))
    assert _one(conflict(api.approve(event_id, "approver")))["reason"] == "own_list"
    third = api.approve(event_id, Role.EXCHANGE)
    assert ok(third)["status"] == "approved"


def test_approving_a_list_with_an_ineligible_person_names_them(api: Api) -> None:
    fresh, aging = api.person("ADAMENKO"), api.person("BONDAR", given_names="Oleh")
    api.interview(fresh)
    # Fresh today, stale for the planned day: the verifier's schedule names them.
    api.interview(aging, held_on=TODAY - timedelta(days=25))
    event_id = api.event()
    ok(api.add(event_id, fresh))
    ok(api.add(event_id, aging))
    problem = _one(conflict(api.approve(event_id)))
    assert (problem["person_id"], problem["name"], problem["reason"]) == (
        aging,
        "BONDAR Oleh",
        "stale",
    )
    schedule = ok(api.get("/api/v1/exchange/schedule", Role.VERIFIER))
    assert [(e["person_id"], e["finding"]) for e in schedule] == [(aging, "stale")]
    assert api.listed(event_id)["status"] == "draft"


def test_a_stale_version_is_409(api: Api) -> None:
    pid = api.person("ADAMENKO")
    api.interview(pid)
    event_id = api.event()
    ok(api.add(event_id, pid))
    version = api.listed(event_id)["event"]["version"]
    stale = _one(conflict(api.approve(event_id, version=version - 1)))
    assert (stale["person_id"], stale["reason"]) == (None, "stale_version")
    moved = api.post(
        f"/api/v1/exchange-events/{event_id}/reschedule",
        "builder",
        {"planned_on": (PLANNED + timedelta(days=1)).isoformat(), "version": version - 1},
    )
    assert _one(conflict(moved))["reason"] == "stale_version"
    assert ok(api.approve(event_id, version=version))["status"] == "approved"


# Bad input: 422 naming the field -------------------------------------------------------


def test_bad_input_is_422_naming_the_field(api: Api) -> None:
    pid = api.person("ADAMENKO", since="2027-03-01")
    statements = f"/api/v1/persons/{pid}/wishes/statements"
    interviews = f"/api/v1/persons/{pid}/wishes/interviews"
    interview = {
        "wish": "return",
        "held_on": TODAY.isoformat(),
        "without_witnesses": True,
        "interpreter": False,
        "language": "ru",
    }
    day = TODAY.isoformat()
    cases: list[tuple[str, Role | str, dict[str, Any], str]] = [
        (statements, Role.WELFARE, {"wish": "maybe", "stated_on": day}, "body.wish"),
        (statements, Role.WELFARE, {"wish": "RETURN", "stated_on": day}, "body.wish"),
        (statements, Role.WELFARE, {"wish": "stay", "stated_on": "2027-02-01"}, "body.stated_on"),
        (statements, Role.WELFARE, {"wish": "stay", "stated_on": "2030-01-01"}, "body.stated_on"),
        (statements, Role.WELFARE, {"wish": "stay", "stated_on": day, "note": ""}, "body.note"),
        (statements, Role.WELFARE, {"wish": "stay", "stated_on": day, "x": 1}, "body.x"),
        (interviews, Role.VERIFIER, interview | {"wish": "go home"}, "body.wish"),
        (interviews, Role.VERIFIER, interview | {"language": "Russian"}, "body.language"),
        (interviews, Role.VERIFIER, interview | {"language": "r1"}, "body.language"),
        (interviews, Role.VERIFIER, interview | {"language": "RU"}, "body.language"),
        (
            interviews,
            Role.VERIFIER,
            interview | {"risk_on_return": False, "risk_reasons": "reprisals at home"},
            "body.risk_reasons",
        ),
        (interviews, Role.VERIFIER, interview | {"risk_reasons": "reprisals"}, "body.risk_reasons"),
        (interviews, Role.VERIFIER, interview | {"held_on": "2027-02-28"}, "body.held_on"),
        (
            f"/api/v1/persons/{pid}/stay-plan",
            Role.WELFARE,
            {"plan": "go wherever"},
            "body.plan",
        ),
    ]
    event = {"counterpart": "Counterpart", "quota_enlisted": 1}
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    events = "/api/v1/exchange-events"
    cases += [
        (events, "builder", event | {"planned_on": yesterday}, "body.planned_on"),
        (events, "builder", event | {"planned_on": "1940-01-01"}, "body.planned_on"),
        (events, "builder", event | {"planned_on": day, "counterpart": ""}, "body.counterpart"),
        (events, "builder", event | {"planned_on": day, "quota_officer": -1}, "body.quota_officer"),
    ]
    for url, who, body, field in cases:
        answer = api.post(url, who, body)
        assert field in fields(answer), (url, body, answer.text)
        # Never an echo of what was typed.
        assert "reprisals" not in answer.text
    event_id = api.event()
    version = api.listed(event_id)["event"]["version"]
    base = f"/api/v1/exchange-events/{event_id}"
    more: list[tuple[str, dict[str, Any], str]] = [
        (f"{base}/reschedule", {"planned_on": yesterday, "version": version}, "body.planned_on"),
        (f"{base}/list/members/{pid}/remove", {"reason": "he wants to stay"}, "body.reason"),
        (f"{base}/list/export", {"format": "xlsx"}, "body.format"),
        (f"{base}/list/approve", {"version": 0}, "body.version"),
        (f"{base}/list/members", {"person_id": ""}, "body.person_id"),
    ]
    for url, body, field in more:
        assert field in fields(api.post(url, "builder", body)), (url, body)
    # Nothing was written by any of them.
    assert ok(api.get(f"/api/v1/persons/{pid}/wishes", Role.VERIFIER)) == []
    assert [e["id"] for e in ok(api.get("/api/v1/exchange-events", "builder"))] == [event_id]


def test_missing_records_are_404(api: Api) -> None:
    pid = api.person("ADAMENKO")
    interview = {
        "wish": "return",
        "held_on": TODAY.isoformat(),
        "without_witnesses": True,
        "interpreter": False,
        "language": "ru",
    }
    statement = {"wish": "stay", "stated_on": TODAY.isoformat()}
    person = f"/api/v1/persons/{MISSING}"
    event = f"/api/v1/exchange-events/{MISSING}"
    posts: list[tuple[str, Role | str, dict[str, Any] | None]] = [
        (f"{person}/wishes/statements", Role.WELFARE, statement),
        (f"{person}/wishes/interviews", Role.VERIFIER, interview),
        (f"{person}/stay-plan", Role.WELFARE, {"plan": "remain_interned"}),
        (f"/api/v1/wish-records/{MISSING}/reveal", Role.VERIFIER, REVEAL),
        (f"{event}/reschedule", "builder", {"planned_on": PLANNED.isoformat(), "version": 1}),
        (f"{event}/list/build", "builder", None),
        (f"{event}/list/members", "builder", {"person_id": pid}),
        (f"{event}/list/members/{pid}/remove", "builder", {"reason": "quota"}),
        (f"{event}/list/approve", "approver", {"version": 1}),
        (f"{event}/list/reopen", "builder", None),
        (f"{event}/list/export", "builder", {"format": "json"}),
        (f"{event}/complete", "builder", None),
        (f"{event}/cancel", "builder", None),
    ]
    for url, who, body in posts:
        assert api.post(url, who, body).status_code == 404, url
    gets: list[tuple[str, Role | str]] = [
        (f"{person}/wishes", Role.VERIFIER),
        (f"{person}/wishes/effective", Role.WELFARE),
        (f"{event}/list", "builder"),
    ]
    for url, who in gets:
        assert api.get(url, who).status_code == 404, url
    # A statement's note opens; a record that is not there does not.
    record = api.statement(pid, "stay", note="would rather stay")
    opened = ok(api.post(f"/api/v1/wish-records/{record['id']}/reveal", Role.WELFARE, REVEAL))
    assert opened["note"] == "would rather stay"


def test_the_exchange_role_never_reads_a_wish_or_a_note(api: Api) -> None:
    """Whatever the exchange role reads or is refused carries no wish and no note: lists,
    events, 409s, exports; the wish routes and reveals refuse it."""
    stays = api.person("ADAMENKO", given_names="Stay")
    returns = api.person("BONDAR", given_names="Return")
    changed = api.person("CHORNY", given_names="Changed")
    api.statement(stays, "stay", note="NOTE-stay-statement")
    stay_interview = api.interview(stays, "stay", notes="NOTE-stay", risk="RISK-stay")
    api.interview(returns, notes="NOTE-return", risk="RISK-return")
    api.interview(changed)
    answers = []
    event_id = api.event()
    built = api.build(event_id)
    assert {m["person_id"] for m in built["members"]} == {returns, changed}
    answers.append(built)
    answers.append(api.add(event_id, stays).json())
    answers.append(ok(api.approve(event_id)))
    api.statement(changed, "undecided", note="NOTE-changed")
    for who in ("builder", "approver"):
        answers.append(api.listed(event_id, who))
        answers.append(ok(api.get("/api/v1/exchange-events", who)))
    answers.append(api.export(event_id, "json").json())
    for answer in answers:
        wish_free(answer)
        assert "NOTE-" not in json.dumps(answer)
        assert "RISK-" not in json.dumps(answer)
    listed = api.listed(event_id)
    assert listed["status"] == "invalidated"
    assert [(i["person_id"], i["reason"]) for i in listed["invalidations"]] == [
        (changed, "unverified")
    ]
    for who in ("builder", "approver"):
        for url in (f"/api/v1/persons/{stays}/wishes", f"/api/v1/persons/{stays}/wishes/effective"):
            assert api.get(url, who).status_code == 403
        reveal = api.post(f"/api/v1/wish-records/{stay_interview['id']}/reveal", who, REVEAL)
        assert reveal.status_code == 403
        assert api.get("/api/v1/exchange/schedule", who).status_code == 403
        custody = api.get(f"/api/v1/custodies/{api.custody_id(stays)}", who)
        wish_free(ok(custody))


# Exports -------------------------------------------------------------------------------


@pytest.fixture
def exported(api: Api) -> dict[str, bytes]:
    """An approved list of three (an officer and two enlisted, one with a Cyrillic name, one
    with hostile text in their names) exported in every format."""
    people = [
        api.person("ADAMENKO", rank="captain", service_number="SN-1"),
        api.person("ШЕВЧЕНКО", given_names="Тарас", date_of_birth="1991"),
        # A name that is a spreadsheet formula, a patronymic that is Typst markup: text.
        api.person(
            "O'HARA",
            given_names="=cmd|' /C calc'!A0",
            patronymic='#panic("x") *b* $m$ <l> @r ] \\',
            service_number="SN-3",
        ),
    ]
    for pid in people:
        api.interview(pid)
    event_id = api.approved_list(people)
    out = {}
    for fmt in FORMATS:
        answer = api.export(event_id, fmt)
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["content-type"].startswith(
            documents.MEDIA_TYPES[documents.ExportFormat(fmt)].split(";")[0]
        )
        out[fmt] = answer.content
    return out


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _keys(settings: Settings) -> list[Any]:
    assert settings.channel_keys_file is not None
    return read_key_set(settings.channel_keys_file)


def test_every_format_verifies_and_carries_the_same_signed_document(
    exported: dict[str, bytes], settings: Settings
) -> None:
    keys = _keys(settings)
    signed = {}
    for fmt, data in exported.items():
        check = documents.verify(data, keys)
        assert check.ok, (fmt, check.problem)
        assert check.fmt is not None
        assert check.fmt.value == fmt
        assert check.key is not None
        assert check.key.use == "service"
        assert check.signed is not None
        signed[fmt] = check.signed
    assert signed["json"] == signed["csv"] == signed["pdf"]
    doc = signed["json"].document
    assert [p["category"] for p in doc["people"]] == ["officer", "enlisted", "enlisted"]
    assert all(set(p) == {"number", "category", *documents.PERSON_FIELDS} for p in doc["people"])
    assert signed["json"].sha256 in exported["csv"].decode()
    rows = list(csv.reader(io.StringIO(exported["csv"].decode())))
    hostile = next(r for r in rows if len(r) > 2 and r[2] == "O'HARA")
    assert hostile[3] == "'=cmd|' /C calc'!A0"
    assert "@r" in _pdf_text(exported["pdf"])
    assert signed["json"].sha256.encode() in exported["pdf"]


def test_the_json_export_verifies_without_our_code(
    exported: dict[str, bytes], settings: Settings
) -> None:
    doc = check_by_hand(settings, exported["json"])
    assert doc["format"] == documents.FORMAT
    assert doc["planned_on"] == PLANNED.isoformat()
    assert [p["surname"] for p in doc["people"]] == ["ADAMENKO", "O'HARA", "ШЕВЧЕНКО"]
    # The CSV's and PDF's embedded envelopes are the same signed bytes.
    for fmt in ("csv", "pdf"):
        mark = documents.CSV_MARK.encode() if fmt == "csv" else documents.PDF_MARK
        tail = exported[fmt][exported[fmt].rindex(b"\n" + mark) + 1 + len(mark) :]
        embedded = json.loads(tail)
        assert check_by_hand(settings, json.dumps(embedded).encode()) == doc


def _flip(data: bytes, at: int, mask: int) -> bytes:
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_flipping_any_byte_of_a_text_export_fails(
    exported: dict[str, bytes], settings: Settings, fmt: str
) -> None:
    keys = _keys(settings)
    data = exported[fmt]
    for at in range(len(data)):
        for mask in (0x01, 0x20):
            check = documents.verify(_flip(data, at, mask), keys)
            assert not check.ok, (fmt, at, mask)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    where=st.floats(0, 1, exclude_max=True), mask=st.integers(1, 255), fmt=st.sampled_from(FORMATS)
)
def test_flipping_a_byte_anywhere_fails(
    exported: dict[str, bytes], settings: Settings, where: float, mask: int, fmt: str
) -> None:
    data = exported[fmt]
    at = int(where * len(data))
    assert not documents.verify(_flip(data, at, mask), _keys(settings)).ok


def test_flipping_sampled_bytes_of_the_pdf_fails(
    exported: dict[str, bytes], settings: Settings
) -> None:
    keys = _keys(settings)
    data = exported["pdf"]
    trailer = data.rindex(b"\n" + documents.PDF_MARK)
    # The header, the body at even steps, the %%EOF, and every region of the trailer.
    positions = {0, 1, 4, len(data) - 1, trailer, trailer + 1, trailer + 5}
    positions |= set(range(0, trailer, max(1, trailer // 25)))
    positions |= set(range(trailer, len(data), max(1, (len(data) - trailer) // 25)))
    for at in sorted(positions):
        assert not documents.verify(_flip(data, at, 0x01), keys).ok, at


def test_the_cli_says_valid_then_not_valid_once_a_byte_changed(
    exported: dict[str, bytes], settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    keys = str(settings.channel_keys_file)
    for fmt, data in exported.items():
        good = tmp_path / f"list.{fmt}"
        good.write_bytes(data)
        result = runner.invoke(cli_app, ["exchange", "verify", str(good), "--keys", keys])
        assert result.exit_code == 0, (fmt, result.output)
        assert "people: 3" in result.output
        assert f"planned day: {PLANNED.isoformat()}" in result.output
        bad = tmp_path / f"bad.{fmt}"
        bad.write_bytes(_flip(data, len(data) // 2, 0x04))
        result = runner.invoke(cli_app, ["exchange", "verify", str(bad), "--keys", keys])
        assert result.exit_code == 1, (fmt, result.output)
        assert "NOT VALID" in result.output


def test_export_needs_an_approved_list(api: Api) -> None:
    pid = api.person("ADAMENKO")
    api.interview(pid)
    event_id = api.event()
    ok(api.add(event_id, pid))
    refused = _one(conflict(api.export(event_id, "json")))
    assert (refused["person_id"], refused["reason"]) == (None, "not_approved")
    assert api.export(event_id, "json").json()["error"] == "conflict"


# A death between approval and export ---------------------------------------------------


def test_a_death_recorded_after_approval_invalidates_and_export_is_refused(api: Api) -> None:
    one, two = api.person("ADAMENKO"), api.person("BONDAR", given_names="Oleh")
    api.interview(one)
    api.interview(two)
    event_id = api.approved_list([one, two])
    api.custody_event(two, "death")
    listed = api.listed(event_id)
    assert listed["status"] == "invalidated"
    assert [(i["person_id"], i["name"], i["reason"]) for i in listed["invalidations"]] == [
        (two, "BONDAR Oleh", "deceased")
    ]
    refused = _one(conflict(api.export(event_id, "pdf")))
    assert refused["reason"] == "not_approved"


def test_export_itself_finds_a_death_the_recheck_missed_and_commits_the_invalidation(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export checks everyone again: a death that reached the store without the
    recheck (another process, a write path that forgot it) refuses the export, names the
    person, and the invalidation stays when the request ends."""
    one, two = api.person("ADAMENKO"), api.person("BONDAR", given_names="Oleh")
    api.interview(one)
    api.interview(two)
    event_id = api.approved_list([one, two])
    with monkeypatch.context() as patched:
        patched.setattr(guard, "recheck", lambda *a, **k: [])
        api.custody_event(two, "death")
    assert api.listed(event_id)["status"] == "approved"
    answer = api.export(event_id, "csv")
    assert answer.status_code == 409
    assert answer.json()["error"] == "conflict"
    assert _one(conflict(answer)) == {
        "person_id": two,
        "name": "BONDAR Oleh",
        "reason": "deceased",
        "message": message("deceased"),
    }
    listed = api.listed(event_id)
    assert listed["status"] == "invalidated"
    assert [(i["person_id"], i["reason"]) for i in listed["invalidations"]] == [(two, "deceased")]
    assert [(m["person_id"], m["reason"]) for m in listed["members"]] == [
        (one, None),
        (two, "deceased"),
    ]
    assert _one(conflict(api.export(event_id, "json")))["reason"] == "not_approved"
    # Taken off and approved anew, the list exports again, without them.
    ok(api.post(f"/api/v1/exchange-events/{event_id}/list/members/{two}/remove", "builder",
                {"reason": "ineligible"}))  # fmt: skip
    ok(api.approve(event_id))
    data = api.export(event_id, "json")
    assert data.status_code == 200
    assert [p["surname"] for p in json.loads(data.content)["document"]["people"]] == ["ADAMENKO"]
    assert json.loads(data.content)["document"]["approval"] == 2

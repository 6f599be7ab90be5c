"""Guarantee 2 for treatment: whatever medical notes say (an examination's findings, a death
certificate's cause of death), no page, API answer, audit view, log line or table row
carries them, for any role; the one way out is the purpose-bound reveal by the medical role.
A sibling of `test_sealed_never_leaves.py`."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text

from safeconduct.accounts.policy import Role
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.web.test_authorization import all_routes

Bearer = Callable[[Role], dict[str, str]]
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=60).map(
    str.strip
)
PARAM = re.compile(r"{(\w+)}")
REASON = {"purpose": "data_correction", "reason": "checking the record"}


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        yield caplog


def _post(client: TestClient, url: str, headers: dict[str, str], body: object) -> dict[str, str]:
    answer = client.post(url, headers=headers, json=body)
    assert answer.status_code in (200, 201), (url, answer.text)
    result: dict[str, str] = answer.json()
    return result


def _plant(client: TestClient, bearer: Bearer, texts: list[str], nonce: str) -> dict[str, str]:
    """A person examined, then dead in custody: the examination's notes and weight, and the
    death certificate's cause of death, marked with the nonce."""
    secret = [f"{nonce}{t}" for t in texts]
    registrar, medical = bearer(Role.REGISTRAR), bearer(Role.MEDICAL)
    person = _post(
        client, "/api/v1/persons", registrar, {"surname": "BONDARENKO", "given_names": "Oleh"}
    )
    custody = _post(
        client,
        "/api/v1/custodies",
        registrar,
        {
            "person_id": person["id"],
            "since": "2026-05-01",
            "place_of_internment": "Camp 4",
            "circumstances": {"mode": "captured", "place": "a village", "how": "in a raid"},
        },
    )
    events = f"/api/v1/custodies/{custody['id']}/treatment-events"
    examination = _post(
        client,
        events,
        medical,
        {
            "kind": "medical_examination",
            "occurred_on": "2026-05-03",
            "notes": {"text": secret[0] + secret[1], "weight_kg": 58.25},
        },
    )
    death = {"kind": "death", "occurred_on": "2026-05-20", "reason": "reported by the camp doctor"}
    _post(client, f"/api/v1/custodies/{custody['id']}/events", registrar, death)
    certificate = _post(
        client,
        events,
        medical,
        {
            "kind": "death_certificate",
            "occurred_on": "2026-05-21",
            "cause_known": True,
            "other_person_involved": False,
            "notes": {"text": f"cause of death: {secret[2]} {secret[3]}"},
        },
    )
    # A correction carries its own notes: they are as sealed as the first.
    _post(
        client,
        f"/api/v1/treatment-events/{certificate['id']}/corrections",
        medical,
        {
            "kind": "death_certificate",
            "occurred_on": "2026-05-21",
            "cause_known": True,
            "other_person_involved": False,
            "notes": {"text": f"cause of death: {secret[4]}"},
        },
    )
    return {
        "person_id": person["id"],
        "custody_id": custody["id"],
        "examination_id": examination["id"],
        "certificate_id": certificate["id"],
    }


def _readable(app: FastAPI, ids: dict[str, str]) -> list[str]:
    """Every GET the app serves whose path names only this person, custody or an event of
    it (new pages included as they come), and the lists and logs that name no one."""
    values = {
        "person_id": [ids["person_id"]],
        "custody_id": [ids["custody_id"]],
        "event_id": [ids["examination_id"], ids["certificate_id"]],
    }
    urls = []
    for path, methods, route in all_routes(app):
        if not isinstance(route, APIRoute) or "GET" not in methods:
            continue
        names = PARAM.findall(path)
        if not set(names) <= set(values):
            continue
        paths = [path]
        for name in names:
            paths = [p.replace(f"{{{name}}}", v) for p in paths for v in values[name]]
        urls += paths
    return [
        *urls,
        "/api/v1/audit/entries?size=200",
        "/api/v1/persons",
        "/requests?status=all",
        "/api/v1/duties?place=Camp%204&at=2026-05-25",
        "/api/v1/duties/overdue.csv?at=2026-05-25",
    ]


def _store(db_url: str) -> Iterator[tuple[str, str]]:
    """Every row of every table, as text: what a copy of the store holds."""
    engine = create_engine(db_url)
    try:
        for table in inspect(engine).get_table_names():
            with engine.connect() as conn:
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    yield (
                        table,
                        " ".join(
                            bytes(v).decode("utf-8", "replace")
                            if isinstance(v, bytes | memoryview)
                            else str(v)
                            for v in row
                        ),
                    )
    finally:
        engine.dispose()


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(free_text, min_size=5, max_size=5))
def test_medical_notes_leave_only_through_the_medical_reveal(
    rt: Runtime,
    db_url: str,
    bearer: Bearer,
    logs: pytest.LogCaptureFixture,
    texts: list[str],
) -> None:
    app = create_app(rt)
    client = TestClient(app, base_url="https://testserver")
    nonce = f"Z{secrets.token_hex(8)}"  # any leak, escaped or not, shows this verbatim
    ids = _plant(client, bearer, texts, nonce)
    urls = _readable(app, ids)
    custody = f"/api/v1/custodies/{ids['custody_id']}"
    assert {
        f"{custody}/treatment-events",
        f"{custody}/duties",
        f"/people/{ids['person_id']}",
    } <= set(urls)
    for role in Role:
        for url in urls:
            answer = client.get(url, headers=bearer(role), follow_redirects=False)
            assert nonce not in answer.text, (role.value, url)
            assert nonce not in str(dict(answer.headers)), (role.value, url)
        # Every role but the medical one is refused the notes of both, and logs no read.
        if role is not Role.MEDICAL:
            for event in ("examination_id", "certificate_id"):
                refused = client.post(
                    f"/api/v1/treatment-events/{ids[event]}/notes/reveal",
                    headers=bearer(role),
                    json=REASON,
                )
                assert refused.status_code == 403, (role.value, event)
                assert nonce not in refused.text
    for table, row in _store(db_url):
        assert nonce not in row, table
    assert nonce not in logs.text
    # The one way out, and it works: the examination's findings, the cause of death.
    for event in ("examination_id", "certificate_id"):
        opened = client.post(
            f"/api/v1/treatment-events/{ids[event]}/notes/reveal",
            headers=bearer(Role.MEDICAL),
            json=REASON,
        )
        assert opened.status_code == 200, opened.text
        assert nonce in opened.text
    # Having been opened, it is still in no log, no audit view, no row.
    entries = client.get("/api/v1/audit/entries?size=200", headers=bearer(Role.AUDITOR))
    assert entries.text.count("treatment_notes:open") >= 2
    for url in ("/api/v1/audit/entries?size=200", "/audit", "/audit/export.csv"):
        assert nonce not in client.get(url, headers=bearer(Role.AUDITOR)).text
    access = f"/api/v1/persons/{ids['person_id']}/access-log"
    assert nonce not in client.get(access, headers=bearer(Role.REGISTRAR)).text
    for table, row in _store(db_url):
        assert nonce not in row, table
    assert nonce not in logs.text

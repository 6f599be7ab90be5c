"""The auditor's audit view: filters in the address, words instead of codes, records as
links the auditor may follow, and a CSV export without free text, itself audited."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from markupsafe import Markup
from sqlalchemy import select

from safeconduct.accounts.policy import Role
from safeconduct.accounts.service import Principal
from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import SUBJECT_TYPES, AuditAction
from safeconduct.disclosure import service as disclosure
from safeconduct.disclosure.policy import Purpose
from safeconduct.runtime import Runtime
from safeconduct.web.ui import i18n, render
from tests.factories import add_account, add_custody, add_person
from tests.web.ui.conftest import csrf_of

UiLogin = Callable[[Role], TestClient]
REASON = "the family asked on the phone"
TAG = re.compile(r"<[^>]+>")


def _macros(name: str) -> object:
    return render.env.get_template(name).module


def _say(macro: str, *args: object) -> str:
    with i18n.active("en"):
        out = getattr(_macros("_audit_macros.html"), macro)(*args)
    assert isinstance(out, Markup)
    return html.unescape(TAG.sub("", str(out))).strip()


def _visible(page: str) -> str:
    """The text a reader sees: no tags, no attribute values."""
    body = page[page.index("<main") :]
    return html.unescape(TAG.sub(" ", body))


def test_every_action_has_its_own_words() -> None:
    labels = {tag: _say("action_label", tag.value) for tag in AuditAction}
    raw = [tag.value for tag, label in labels.items() if label == tag.value or ":" in label]
    assert raw == []  # a tag added to AuditAction needs its words in _audit_macros.html
    assert all(labels.values())
    assert len(set(labels.values())) == len(labels)


def test_every_kind_of_record_has_words() -> None:
    for kind in set(SUBJECT_TYPES.values()):
        assert _say("subject_label", kind) not in ("", kind), kind


def test_a_sealed_read_shows_its_purpose_in_words_and_its_reason() -> None:
    for purpose in Purpose:
        shown = _say("purpose_text", "circumstances:open", f"{purpose.value}: {REASON}", {})
        assert purpose.value not in shown
        assert shown.endswith(f": {REASON}")


@pytest.mark.parametrize(
    ("action", "purpose", "expected"),
    [
        ("account:create", "role: verifier", "Role: Verifier"),
        ("account:role", "role: tracing -> auditor", "Role: Tracing → Auditor"),
        ("request:status", "in_review", "Status: In review"),
        ("person:update", "fields: rank,surname", "Fields: Rank, Surname"),
        ("account:login_fail", "bad_password; client:0123456789abcdef", "wrong password"),
        ("custody:event", "transfer", "Event: Transfer"),
        ("request:assign", "unassigned", "Assignment removed"),
        ("person:erase", "duplicate of another record", "duplicate of another record"),
    ],
)
def test_purposes_read_as_words(action: str, purpose: str, expected: str) -> None:
    assert expected in _say("purpose_text", action, purpose, {})


def test_actors_and_credentials_read_as_words() -> None:
    names = {"account:abc": "clerk"}
    assert _say("actor_label", "account:abc", names) == "clerk"
    assert _say("actor_label", "cli", names) == "Command line"
    assert _say("actor_label", "anonymous", names) == "Not signed in"
    assert _say("actor_label", "channel:phone", names) == "Channel: Phone"
    assert _say("credential_label", "session:0123") == "Session 0123"
    assert _say("credential_label", "token:tid") == "API token tid"
    assert _say("credential_label", "login") == "Login form"
    assert _say("credential_label", "demo:seed") == "Demo data"


def _reveal(rt: Runtime) -> tuple[str, str, str]:
    """A verifier opens circumstances; return the person, the custody and the verifier."""
    person = add_person(rt)
    custody = add_custody(rt, person)
    account, _secret = add_account(rt, "reading-verifier", Role.VERIFIER, enrolled=True)
    who = Principal(
        account.id, account.username, Role.VERIFIER, credential="session:0f0f", sealed_approved=True
    )
    with rt.transaction() as s:
        disclosure.reveal_circumstances(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            who=who,
            custody=s.merge(custody),
            purpose=Purpose.PROTECTION_ASSESSMENT.value,
            reason=REASON,
        )
    return person.id, custody.id, account.username


def test_the_log_reads_as_words_with_usernames(ui_login: UiLogin, rt: Runtime) -> None:
    _person, custody_id, verifier = _reveal(rt)
    page = ui_login(Role.AUDITOR).get("/audit")
    assert page.status_code == 200
    seen = _visible(page.text)
    assert f"Protection assessment: {REASON}" in seen
    assert "Circumstances of surrender opened" in seen
    assert verifier in seen
    for tag in AuditAction:
        assert not re.search(rf"(?<![\w:]){re.escape(tag.value)}(?![\w:])", seen), tag
    assert f'href="/audit?record={custody_id}"' in page.text
    assert 'class="stack"' in page.text
    assert 'data-label="Action"' in page.text


def test_an_auditor_gets_no_link_to_a_person(ui_login: UiLogin, rt: Runtime) -> None:
    person_id, _custody, _verifier = _reveal(rt)
    auditor = ui_login(Role.AUDITOR)
    page = auditor.get("/audit").text
    assert 'href="/people/' not in page
    assert f'href="/audit?record={person_id}"' in page
    narrowed = auditor.get(f"/audit?record={person_id}")
    assert "Entries: 1" in narrowed.text
    assert "Person registered" in _visible(narrowed.text)


def _many(rt: Runtime, count: int) -> None:
    with rt.transaction() as s:
        for _ in range(count):
            rt.audit.record(s, actor=Actor("cli", "os:root"), tag=AuditAction.KEYS_ROTATE)


def test_the_filters_live_in_the_address_and_paging_keeps_them(
    ui_login: UiLogin, rt: Runtime
) -> None:
    _many(rt, 60)
    auditor = ui_login(Role.AUDITOR)
    page = auditor.get("/audit", params={"action": "keys:rotate", "actor": "cli"})
    assert "Entries: 60" in page.text
    assert '<option value="keys:rotate" selected>' in page.text
    assert 'value="cli"' in page.text
    assert 'href="/audit?actor=cli&amp;action=keys%3Arotate&amp;page=2"' in page.text
    second = auditor.get("/audit?actor=cli&action=keys%3Arotate&page=2")
    assert "Page 2 of 2" in second.text
    assert _visible(second.text).count("Data keys re-wrapped") >= 10
    export = 'href="/audit/export.csv?actor=cli&amp;action=keys%3Arotate"'
    assert export in second.text
    beyond = auditor.get("/audit?actor=cli&action=keys%3Arotate&page=9999")
    assert beyond.status_code == 200
    assert "Page 2 of 2" in beyond.text


def test_a_username_finds_the_entries_of_its_account(ui_login: UiLogin, rt: Runtime) -> None:
    _reveal(rt)
    page = ui_login(Role.AUDITOR).get("/audit?actor=reading-verifier")
    assert "Entries: 2" in page.text  # its invitation used, its read
    rows = page.text[page.text.index("<tbody>") : page.text.index("</tbody>")]
    assert rows.count("<tr>") == 2
    assert rows.count(">reading-verifier</a>") == 2


def test_wrong_filters_are_named_and_what_was_typed_is_kept(ui_login: UiLogin) -> None:
    auditor = ui_login(Role.AUDITOR)
    page = auditor.get("/audit?action=person%3Afly&from=2026-02-30&to=x&actor=someone")
    assert page.status_code == 422
    seen = _visible(page.text)
    assert "Action: choose one from the list." in seen
    assert "From: give a day as YYYY-MM-DD." in seen
    assert "To: give a day as YYYY-MM-DD." in seen
    assert 'value="someone"' in page.text
    assert 'value="2026-02-30"' in page.text
    backwards = auditor.get("/audit?from=2026-03-02&to=2026-03-01")
    assert backwards.status_code == 422
    assert "To: the last day must not be before the first." in _visible(backwards.text)
    assert auditor.get("/audit?from=" + "9" * 11).status_code == 400  # hostile length


def _export(client: TestClient, query: str = "") -> list[list[str]]:
    answer = client.get("/audit/export.csv" + query)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="audit-log-\d{4}-\d{2}-\d{2}\.csv"', disposition)
    return list(csv.reader(io.StringIO(answer.text)))


def test_the_export_has_codes_and_no_reason(ui_login: UiLogin, rt: Runtime) -> None:
    _person, custody_id, verifier = _reveal(rt)
    rows = _export(ui_login(Role.AUDITOR))
    assert rows[0] == [
        "seq",
        "day",
        "actor",
        "credential",
        "action",
        "subject_type",
        "subject_id",
        "purpose_code",
    ]
    read = next(r for r in rows if r[4] == "circumstances:open")
    assert read[2:] == [
        verifier,
        "session:0f0f",
        "circumstances:open",
        "custody",
        custody_id,
        "protection_assessment",
    ]
    assert REASON not in "\n".join(",".join(r) for r in rows)
    # Accounts made and approved keep `role: <role>` as purpose: not a code, not exported.
    assert {r[7] for r in rows[1:]} == {"", "protection_assessment"}


def test_the_export_follows_the_filters_and_is_audited(ui_login: UiLogin, rt: Runtime) -> None:
    _reveal(rt)
    auditor = ui_login(Role.AUDITOR)
    rows = _export(auditor, "?action=circumstances%3Aopen&actor=Petro+Kovalenko&from=2026-01-01")
    assert rows[1:] == []
    rows = _export(auditor, "?action=circumstances%3Aopen&from=2026-01-01")
    assert [r[4] for r in rows[1:]] == ["circumstances:open"]
    with rt.sessions() as s:
        logged = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == AuditAction.AUDIT_EXPORT.value)
                .order_by(AuditEntry.seq)
            )
        )
    assert [e.purpose for e in logged] == [
        "actor=other,action=circumstances:open,from=2026-01-01,entries=0",
        "action=circumstances:open,from=2026-01-01,entries=1",
    ]
    assert all(e.actor.startswith("account:") and e.credential for e in logged)


def test_the_export_neutralises_spreadsheet_formulas(ui_login: UiLogin, rt: Runtime) -> None:
    with rt.transaction() as s:
        for start in ("=", "+", "-", "@", "\t", "\r"):
            rt.audit.record(
                s,
                actor=Actor(f"{start}HYPERLINK(1)", "os:x"),
                tag=AuditAction.KEYS_ROTATE,
                subject_id=f"{start}cmd|' /C calc'!A0",
            )
    rows = _export(ui_login(Role.AUDITOR), "?action=keys%3Arotate")
    assert len(rows) == 7
    for row in rows[1:]:
        assert row[2].startswith("'"), row
        assert row[6].startswith("'"), row
        assert not row[2][1:].startswith("'")


def test_a_wrong_filter_exports_nothing(ui_login: UiLogin, rt: Runtime) -> None:
    answer = ui_login(Role.AUDITOR).get("/audit/export.csv?from=yesterday")
    assert answer.status_code == 422
    assert "text/html" in answer.headers["content-type"]
    with rt.sessions() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == AuditAction.AUDIT_EXPORT.value)
        assert list(s.scalars(stmt)) == []


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_the_log_renders_in_every_language(ui_login: UiLogin, rt: Runtime, language: str) -> None:
    _reveal(rt)
    auditor = ui_login(Role.AUDITOR)
    token = csrf_of(auditor.get("/audit").text)
    auditor.post("/language", data={"csrf_token": token, "language": language, "next": "/"})
    page = auditor.get("/audit")
    assert page.status_code == 200
    assert f'<html lang="{language}">' in page.text

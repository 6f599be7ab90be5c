"""Intake works its queue: open a request, reveal its contact for a purpose, start the review."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from safeconduct.accounts import service as accounts
from safeconduct.audit.models import AuditEntry
from safeconduct.config import Settings
from safeconduct.intake.models import SurrenderRequest
from safeconduct.runtime import open_runtime
from tests.e2e.conftest import Server, shot, violations

pytestmark = pytest.mark.e2e
REASON = "call back to agree the meeting point"


def _stored(server: Server, request_id: str) -> tuple[str, str, list[AuditEntry]]:
    """Return the request's status, the intake actor, and the audit entries about it."""
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        with rt.sessions() as s:
            found = s.get(SurrenderRequest, request_id)
            account = accounts.get_by_username(s, username="intake")
            assert found is not None
            assert account is not None
            stmt = select(AuditEntry).where(AuditEntry.subject_id == request_id)
            return found.status, f"account:{account.id}", list(s.scalars(stmt))
    finally:
        rt.close()


def _reveal_contact(page: Any) -> None:
    page.get_by_text("Reveal the contact, message and notes").click()
    page.get_by_label("Purpose").select_option("intake_follow_up")
    page.get_by_label("Reason", exact=True).fill(REASON)
    page.get_by_role("button", name="Reveal", exact=True).click()
    expect(page.locator(".revealed")).to_contain_text("Contact")


def test_intake_reveals_a_request_and_starts_its_review(
    server: Server, as_role: Callable[[str], Any], axe_source: str
) -> None:
    page = as_role("intake")  # logs in with TOTP, or reuses this run's intake session
    page.goto("/requests")
    expect(page.get_by_label("Status")).to_have_value("open")
    link = page.locator("tbody a").first
    request_id = str(link.get_attribute("href")).rsplit("/", 1)[-1]
    link.click()
    page.wait_for_url(re.compile(rf"/requests/{request_id}$"))
    expect(page.locator("#request-status")).to_have_text("Received")

    _reveal_contact(page)
    assert page.url == server.url(f"/requests/{request_id}")  # nothing opened in the address
    assert violations(page, axe_source) == []
    shot(page, "intake-request")
    _status, actor, entries = _stored(server, request_id)
    # Other tests on this server may open the same request for their own reasons.
    opened = [e for e in entries if e.action.endswith(":open") and REASON in (e.purpose or "")]
    assert {(e.actor, e.action, e.purpose) for e in opened} == {
        (actor, f"request_{column}:open", f"intake_follow_up: {REASON}")
        for column in ("contact", "content", "notes")
    }

    page.get_by_role("button", name="Start review").click()
    expect(page.locator("#request-status")).to_have_text("In review")
    expect(page.locator(".revealed")).to_have_count(0)  # a new page: the fragment is gone
    expect(page.get_by_role("button", name="Accept", exact=True)).to_be_visible()
    status, actor, entries = _stored(server, request_id)
    assert status == "in_review"
    assert [(e.actor, e.purpose) for e in entries if e.action == "request:status"] == [
        (actor, "in_review")
    ]

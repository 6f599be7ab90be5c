"""Intake works its queue as officers do: log a phone request, take it, note it, reject it
with a reason after a confirmation, and read its history; find it again by its reference."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from safeconduct.audit.models import AuditEntry
from safeconduct.config import Settings
from safeconduct.runtime import open_runtime
from tests.e2e.conftest import Server, check_page

pytestmark = pytest.mark.e2e
CONTACT = "+000 555 0142, after 20:00"
MESSAGE = "Wants to cross near the old mill; two others with him."
NOTE = "Called back: meeting point agreed, he will call again on Friday."
REASON = "The crossing he asks for is under fire: no safe way to arrange it."


def _logged(server: Server, request_id: str) -> list[AuditEntry]:
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        with rt.sessions() as s:
            stmt = select(AuditEntry).where(AuditEntry.subject_id == request_id)
            return list(s.scalars(stmt.order_by(AuditEntry.seq)))
    finally:
        rt.close()


def _log_phone_request(page: Any, axe_source: str) -> str:
    page.goto("/requests")
    page.get_by_role("link", name="Log a phone or walk-in request").click()
    page.wait_for_url(re.compile(r"/requests/new$"))
    check_page(page, axe_source, "intake-new-request")
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Contact", exact=True).fill(CONTACT)
    page.get_by_label("What they said").fill(MESSAGE)
    page.get_by_role("button", name="Log the request").click()
    page.wait_for_url(re.compile(r"/requests/[0-9a-f-]{36}$"))
    expect(page.locator("#request-status")).to_have_text("Received")
    return str(page.url.rsplit("/", 1)[-1])


def _reject_with_reason(page: Any, axe_source: str, reference: str) -> None:
    page.get_by_label("Reason for ending it").fill(REASON)
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reject request {reference}?")
    check_page(page, axe_source, "intake-confirm-reject")
    page.get_by_role("button", name="Reject the request").click()
    expect(page.locator("#request-status")).to_have_text("Rejected")


def test_intake_logs_assigns_notes_and_rejects_a_request(
    server: Server, as_role: Callable[[str], Any], axe_source: str
) -> None:
    page = as_role("intake")
    request_id = _log_phone_request(page, axe_source)
    reference = page.locator("#request-reference").inner_text()
    assert re.fullmatch(r"R-[0-9A-HJKMNP-TV-Z]{4,6}", reference)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Surrender request {reference}")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("#request-assignee")).to_have_text("intake")
    page.get_by_label("Note", exact=True).fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#history")).to_contain_text("Note added")
    _reject_with_reason(page, axe_source, reference)

    history = page.locator("#history tbody tr")
    expect(history).to_have_count(4)
    for row, what in zip(
        range(4),
        ("Request received", "Assigned to intake", "Note added", "Status changed to “Rejected”"),
        strict=True,
    ):
        expect(history.nth(row)).to_contain_text(what)
        expect(history.nth(row)).to_contain_text("intake")
    expect(history.nth(2)).to_contain_text("Sealed")
    expect(history.nth(3)).to_contain_text("Sealed")
    for secret in (CONTACT, MESSAGE, NOTE, REASON):
        assert secret not in page.content()
    check_page(page, axe_source, "intake-request-history")

    page.get_by_text("Reveal the contact, message and notes").click()
    page.get_by_label("Purpose").select_option("intake_follow_up")
    page.get_by_label("Reason", exact=True).fill("check what was agreed before closing")
    page.get_by_role("button", name="Reveal", exact=True).click()
    revealed = page.locator(".revealed")
    for secret in (CONTACT, MESSAGE, NOTE, REASON):
        expect(revealed).to_contain_text(secret)
    expect(revealed).to_contain_text("Reason for “Rejected”")
    check_page(page, axe_source, "intake-request-revealed")

    actions = [e.action for e in _logged(server, request_id)]
    assert actions.count("request:status") == 1  # the rejection: logging it is request:create
    assert actions.count("request:note") == 1
    assert actions.count("request:assign") == 1
    assert actions.count("request_notes:open") == 1
    texts = [e.purpose or "" for e in _logged(server, request_id)]
    assert not [t for t in texts if NOTE in t or REASON in t or CONTACT in t]


def test_the_queue_finds_a_request_by_its_reference_and_by_assignee(
    as_role: Callable[[str], Any], axe_source: str
) -> None:
    page = as_role("intake")
    request_id = _log_phone_request(page, axe_source)
    reference = page.locator("#request-reference").inner_text()
    page.get_by_role("button", name="Assign to me").click()
    page.goto("/requests")
    page.get_by_label("Reference").fill(reference.lower().replace("-", " "))
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    # The first cell's link: the Flags cell may link other requests from the same contact.
    expect(rows.first.locator("td").first.get_by_role("link")).to_have_text(reference)
    assert f"ref={reference.lower().replace('-', '+')}" in page.url  # Back keeps the search
    page.get_by_label("Reference").fill("")
    page.get_by_label("Assigned to").select_option("me")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(f'tbody a[href="/requests/{request_id}"]')).to_have_count(1)
    expect(page.locator("tbody tr").first).to_contain_text("intake")
    check_page(page, axe_source, "intake-queue-mine")

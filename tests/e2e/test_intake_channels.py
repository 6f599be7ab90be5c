"""Intake talks with an applicant who called: log the call, read out a codename and receipt
(shown once, never in the address), reply, see "same contact as", flag a suspected probe
after a confirmation; at 1280 and 390 px, axe-clean."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from safeconduct.audit.models import AuditEntry
from safeconduct.channels import service as channels
from safeconduct.config import Settings
from safeconduct.runtime import open_runtime
from tests.e2e.conftest import Server, check_page

pytestmark = pytest.mark.e2e
CONTACT = "+000 555 0177 (Signal)"
MESSAGE = "Calls from the forest road; wants to know where to go."
REPLY = "Stay where you are; we call you back tonight."
PROBE = "Asked twice for the names of the officers at the crossing."


def _log_call(page: Any, contact: str) -> str:
    page.goto("/requests/new")
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Contact", exact=True).fill(contact)
    page.get_by_label("What they said").fill(MESSAGE)
    page.get_by_role("button", name="Log the request").click()
    page.wait_for_url(re.compile(r"/requests/[0-9a-f-]{36}$"))
    return str(page.url.rsplit("/", 1)[-1])


def _stored(server: Server, request_id: str, codename: str) -> tuple[list[str], list[AuditEntry]]:
    """The replies the codename reads, and the audit entries about the request."""
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        assert rt.channels is not None
        with rt.sessions() as s:
            ticket = channels.find_ticket(s, keys=rt.channels, typed=codename)
            assert ticket is not None
            assert ticket.id == request_id
            replies = [r.text for r in channels.read_replies(s, ticket=ticket, typed=codename)]
            stmt = select(AuditEntry).where(AuditEntry.subject_id == request_id)
            return replies, list(s.scalars(stmt.order_by(AuditEntry.seq)))
    finally:
        rt.close()


def test_intake_reads_out_a_codename_replies_and_flags_a_probe(
    server: Server, as_role: Callable[[str], Any], axe_source: str
) -> None:
    page = as_role("intake")
    first = _log_call(page, CONTACT)
    first_reference = page.locator("#request-reference").inner_text()
    request_id = _log_call(page, CONTACT.replace(" ", "").upper())  # the same caller again
    reference = page.locator("#request-reference").inner_text()
    expect(page.locator("#request-codename")).to_have_text("None issued")
    expect(page.locator("#same-contact")).to_have_text(first_reference)

    page.get_by_role("button", name="Issue codename and receipt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Codename for request {reference}")
    codename = page.locator("#issued-codename").inner_text()
    assert len(codename.split()) == 7
    expect(page.locator("#issued-receipt")).to_contain_text(f"reference: {reference}")
    assert page.url == server.url(f"/requests/{request_id}/codename")  # a POST's answer
    check_page(page, axe_source, "intake-codename")
    page.get_by_role("link", name="Done: back to the request").click()
    expect(page.locator("#request-codename")).to_have_text("The applicant holds one")
    assert codename not in page.content()

    page.get_by_label("Reply", exact=True).fill(REPLY)
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#history")).to_contain_text("Reply sent to the applicant")
    assert REPLY not in page.content()
    check_page(page, axe_source, "intake-reply")

    page.get_by_label("Why you suspect a probe").fill(PROBE)
    page.get_by_role("button", name="Flag as a suspected probe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Flag request {reference} as a suspected probe?"
    )
    check_page(page, axe_source, "intake-confirm-probe")
    page.get_by_role("button", name="Flag as a suspected probe").click()
    expect(page.locator("#probe-flag")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("Flagged as a suspected probe")
    assert PROBE not in page.content()
    check_page(page, axe_source, "intake-probe-flagged")

    # The queue, found by reference (the demo's older requests fill its first pages).
    page.goto(f"/requests?ref={reference}")
    row = page.locator("tbody tr", has=page.locator(f'a[href="/requests/{request_id}"]'))
    expect(row).to_contain_text("Suspected probe")
    expect(row).to_contain_text(f"Same contact as {first_reference}")
    check_page(page, axe_source, "intake-queue-flags")
    assert CONTACT not in page.content()
    row.get_by_role("link", name=first_reference).click()
    other = page.locator("tbody tr", has=page.locator(f'a[href="/requests/{first}"]'))
    expect(other).to_contain_text(f"Same contact as {reference}")
    expect(other).not_to_contain_text("Suspected probe")

    replies, entries = _stored(server, request_id, codename)
    assert replies == [REPLY]
    actions = [(e.action, e.purpose) for e in entries]
    assert ("request:codename", None) in actions
    assert ("request:reply", None) in actions
    assert ("request:probe", "flagged") in actions
    assert not [e for e in entries if codename in (e.purpose or "") or PROBE in (e.purpose or "")]

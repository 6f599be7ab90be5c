"""Four eyes in the browser: an account the admin made opens no sealed value, and an auditor
account it made approves no one, until an approved auditor approves it on the approvals
page, with a confirmation step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e
NAME = "four-eyes-verifier"
REVEAL = "Reveal the circumstances of surrender"
WAITING = "Your account awaits an auditor's approval"
AUDITOR_NAME = "four-eyes-auditor"
AUDITOR_WAITING = "Your account awaits another auditor's approval"


def _set_up(page: Any, invitation: str, landing: str = "**/people") -> None:
    """Use the invitation, then enrol the second factor, as the holder would."""
    page.goto("/invitation")
    page.get_by_label("Invitation code").fill(invitation)
    page.get_by_label("New password (at least 12 characters)").fill("a new long password")
    page.get_by_label("Repeat the password").fill("a new long password")
    page.get_by_role("button", name="Set up account").click()
    page.wait_for_url("**/enrol")
    page.get_by_text("Cannot scan the code? Enter this key instead").click()
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(landing)


def test_the_auditor_approves_a_new_verifier(
    as_role: Callable[[str], Any], new_page: Callable[..., Any]
) -> None:
    admin = as_role("admin")
    admin.goto("/accounts")
    admin.get_by_label("Username").fill(NAME)
    admin.get_by_label("Role").select_option("verifier")
    admin.get_by_role("button", name="Create account").click()
    invitation = admin.locator("code.secret").inner_text()

    holder = new_page()
    _set_up(holder, invitation)
    holder.goto(str(holder.locator("#results tbody a").first.get_attribute("href")))
    expect(holder.get_by_text(WAITING)).to_be_visible()
    expect(holder.get_by_text(REVEAL)).to_have_count(0)
    admin.goto("/accounts")
    row = admin.get_by_role("row").filter(has=admin.get_by_role("cell", name=NAME, exact=True))
    expect(row).to_contain_text("Awaiting auditor approval")

    auditor = as_role("auditor")
    auditor.goto("/audit")
    auditor.get_by_role("link", name="Account approvals").click()
    auditor.wait_for_url("**/audit/approvals")
    shot(auditor, "approvals")
    auditor.get_by_role("button", name=f"Approve {NAME}").click()
    expect(auditor.get_by_role("heading", level=1)).to_have_text(f"Approve {NAME} as Verifier?")
    shot(auditor, "approval-confirm")
    auditor.get_by_role("button", name="Confirm approval").click()
    auditor.wait_for_url("**/audit/approvals")
    expect(auditor.get_by_role("button", name=f"Withdraw approval of {NAME}")).to_be_visible()
    expect(auditor.get_by_role("button", name=f"Approve {NAME}")).to_have_count(0)

    holder.reload()
    expect(holder.get_by_text(WAITING)).to_have_count(0)
    expect(holder.get_by_text(REVEAL).first).to_be_visible()
    admin.reload()
    expect(row).to_contain_text("Approved by an auditor")


def test_a_new_auditor_approves_no_one_until_an_approved_auditor_approves_it(
    as_role: Callable[[str], Any], new_page: Callable[..., Any]
) -> None:
    admin = as_role("admin")
    admin.goto("/accounts")
    admin.get_by_label("Username").fill(AUDITOR_NAME)
    admin.get_by_label("Role").select_option("auditor")
    admin.get_by_role("button", name="Create account").click()
    invitation = admin.locator("code.secret").inner_text()

    holder = new_page()
    _set_up(holder, invitation, landing="**/audit")
    expect(holder.get_by_text(AUDITOR_WAITING)).to_be_visible()
    expect(holder.get_by_role("link", name="Account approvals")).to_have_count(0)
    admin.goto("/accounts")
    row = admin.get_by_role("row").filter(
        has=admin.get_by_role("cell", name=AUDITOR_NAME, exact=True)
    )
    expect(row).to_contain_text("Awaiting auditor approval")

    auditor = as_role("auditor")
    auditor.goto("/audit/approvals")
    auditor.get_by_role("button", name=f"Approve {AUDITOR_NAME}").click()
    expect(auditor.get_by_role("heading", level=1)).to_have_text(
        f"Approve {AUDITOR_NAME} as Auditor?"
    )
    auditor.get_by_role("button", name="Confirm approval").click()
    auditor.wait_for_url("**/audit/approvals")

    holder.reload()
    expect(holder.get_by_text(AUDITOR_WAITING)).to_have_count(0)
    holder.get_by_role("link", name="Account approvals").click()
    holder.wait_for_url("**/audit/approvals")

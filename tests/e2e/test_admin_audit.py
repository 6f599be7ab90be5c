"""The admin's account work and the auditor's audit view in the browser: invite, disable and
enable again (each through its confirmation), revoke a token; filter the log by action and
day, follow a record link, export the entries as CSV without purpose text. Screenshots at
1280 and 390 px; axe-core on every page; nothing wider than a phone at 390 px."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from safeconduct.accounts.policy import Role
from safeconduct.config import Settings
from safeconduct.runtime import Runtime, open_runtime
from tests.e2e.conftest import Server, check_page
from tests.factories import add_token

pytestmark = pytest.mark.e2e
CLERK = "e2e-admin-clerk"
MACHINE = "e2e-admin-machine"


@pytest.fixture
def store(server: Server) -> Iterator[Runtime]:
    """The server's own store, to make records the way a holder would (its token)."""
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    yield rt
    rt.close()


def _confirm(page: Any, heading: str, button: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def _api_status(server: Server, token: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - the test's own loopback server
        server.url("/api/v1/auth/me"), headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_the_admin_invites_disables_enables_and_revokes_a_token(
    server: Server, store: Runtime, as_role: Callable[[str], Any], axe_source: str
) -> None:
    admin = as_role("admin")
    admin.goto("/accounts")
    admin.get_by_label("Username").fill(CLERK)
    admin.get_by_label("Role").select_option("registrar")
    admin.get_by_role("button", name="Create account").click()
    expect(admin.get_by_role("status")).to_have_text(f"Account {CLERK} created.")
    expect(admin.locator("code.secret")).to_be_visible()
    row = admin.get_by_role("row").filter(has=admin.get_by_role("cell", name=CLERK, exact=True))
    expect(row).to_contain_text("Invited")
    check_page(admin, axe_source, "admin-accounts")

    row.get_by_role("link", name=CLERK).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Account {CLERK}")
    admin.get_by_role("button", name="Disable account").click()
    check_page(admin, axe_source, "admin-confirm-disable")
    _confirm(admin, f"Disable {CLERK}?", "Disable account")
    expect(admin.get_by_role("status")).to_have_text(f"Account {CLERK} disabled.")
    expect(admin.locator("dl.facts")).to_contain_text("Disabled")
    check_page(admin, axe_source, "admin-account-disabled")
    admin.get_by_role("button", name="Enable account").click()
    _confirm(admin, f"Enable {CLERK}?", "Enable account")
    expect(admin.get_by_role("status")).to_have_text(f"Account {CLERK} enabled.")
    expect(admin.get_by_role("button", name="Disable account")).to_be_visible()

    # A token is minted by its holder only: made here as the holder would, for an account
    # of this test's own (the demo accounts are shared by every browser test).
    token, minted = add_token(store, MACHINE, Role.TRACING)
    assert _api_status(server, token) == 200
    admin.goto(f"/accounts/{minted.account_id}")
    tokens = admin.get_by_role("table")
    expect(tokens).to_contain_text(f"{MACHINE} token")
    expect(tokens).to_contain_text("Active")
    check_page(admin, axe_source, "admin-account-tokens")
    admin.get_by_role("button", name=f"Revoke token {MACHINE} token").click()
    _confirm(admin, f"Revoke the API token “{MACHINE} token” of {MACHINE}?", "Revoke token")
    expect(admin.get_by_role("status")).to_have_text("API token revoked.")
    expect(tokens).to_contain_text("Revoked on")
    assert _api_status(server, token) == 401


def test_the_auditor_filters_follows_a_record_and_exports(
    as_role: Callable[[str], Any], axe_source: str
) -> None:
    auditor = as_role("auditor")  # its own login is logged today
    today = datetime.now(UTC).date().isoformat()
    auditor.goto("/audit")
    auditor.get_by_label("Action").select_option(label="Logged in")
    auditor.get_by_label("From (day, UTC)").fill(today)
    auditor.get_by_label("To (day, UTC)").fill(today)
    auditor.get_by_role("button", name="Filter").click()
    auditor.wait_for_url("**/audit?*action=account%3Alogin*")
    assert f"from={today}" in auditor.url
    entries = auditor.locator("table.stack tbody tr")
    expect(entries.first).to_contain_text("Logged in")
    assert set(entries.locator("td[data-label='Action']").all_inner_texts()) == {"Logged in"}
    check_page(auditor, axe_source, "audit-filtered")

    auditor.reload()  # the filters live in the address
    expect(auditor.get_by_label("Action")).to_have_value("account:login")
    expect(auditor.get_by_label("From (day, UTC)")).to_have_value(today)

    with auditor.expect_download() as download:
        auditor.get_by_role("link", name="Export these entries as CSV").click()
    assert download.value.suggested_filename == f"audit-log-{today}.csv"
    text = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
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
    assert len(rows) > 1
    assert {r[4] for r in rows[1:]} == {"account:login"}
    assert {r[1] for r in rows[1:]} == {today}
    # A login keeps the client it came from as its purpose: never in the export.
    assert "client:" not in text
    assert {r[7] for r in rows[1:]} == {""}

    record = entries.first.locator("td[data-label='Record'] a")
    record_id = record.inner_text()
    record.click()
    auditor.wait_for_url(f"**/audit?record={record_id}")
    expect(auditor.get_by_role("textbox", name="Record", exact=True)).to_have_value(record_id)
    ids = auditor.locator("table.stack tbody td[data-label='Record'] code").all_inner_texts()
    assert ids
    assert set(ids) == {record_id}
    check_page(auditor, axe_source, "audit-record")

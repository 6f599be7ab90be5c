"""The bureau's outputs in the browser: the registrar issues a capture card for a person
registered in Cyrillic, downloads it (both scripts in the PDF), sends it to the family; makes
the next batch for the Central Tracing Agency and downloads it; the transmission log lists
both, for the registrar and the auditor. Axe-clean at 1280 and 390 px; pages in Russian and
Ukrainian on a phone."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.config import Settings
from safeconduct.demo.accounts import DemoAccount
from safeconduct.runtime import open_runtime
from tests.e2e.conftest import PHONE, Server, check_page, log_in, shot
from tests.factories import PASSWORD, add_account, add_custody, add_person

pytestmark = pytest.mark.e2e


def _in_custody(server: Server, surname: str) -> str:
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        person = add_person(rt, surname=surname, given_names="Петро", patronymic="Іванович")
        add_custody(rt, person, since=datetime.now(UTC).date() - timedelta(days=3))
        return f"/people/{person.id}"
    finally:
        rt.close()


def _own_account(server: Server, username: str, role: Role, language: str) -> DemoAccount:
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        account, secret = add_account(rt, username, role, enrolled=True)
        with rt.transaction() as s:
            accounts.set_language(s, account_id=account.id, language=language)
    finally:
        rt.close()
    return DemoAccount(account.username, PASSWORD, role, secret)


def test_a_card_and_a_batch_leave_and_are_logged(
    as_role: Callable[[str], Any], server: Server, axe_source: str
) -> None:
    tag = uuid.uuid4().hex[:4]
    surname = f"Коваленко{tag}"
    person = _in_custody(server, surname)
    registrar = as_role("registrar")

    registrar.goto(person)
    panel = registrar.locator("#capture-card")
    expect(panel).to_contain_text("No capture card has been issued yet.")
    panel.get_by_role("button", name="Issue the card").click()
    registrar.wait_for_load_state()
    expect(registrar.locator("#card-version")).to_have_text("1")
    with registrar.expect_download() as download:
        registrar.locator("#card-print").get_by_role("button").click()
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages
    )
    assert surname in text
    assert f"Kovalenko{tag}" in text
    registrar.locator("#card-send-recipient").select_option("family")
    registrar.locator("#card-send").get_by_role("button").click()
    registrar.wait_for_load_state()
    expect(registrar.locator("#card-sent")).not_to_contain_text("Not sent yet")
    registrar.locator("#capture-card").scroll_into_view_if_needed()
    check_page(registrar, axe_source, "person-capture-card")

    registrar.goto("/bureau/cta")
    registrar.get_by_role("button", name="Make the next batch").click()
    registrar.wait_for_load_state()
    made = registrar.locator("#made")
    expect(made).to_be_visible()
    number = re.search(r"\d+", made.inner_text())
    assert number is not None
    with registrar.expect_download() as download:
        registrar.locator(f'a[href="/bureau/cta/{number.group()}.json"]').click()
    batch = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert surname in {r["surname"] for r in batch["records"]}
    check_page(registrar, axe_source, "bureau-cta")

    for role in ("registrar", "auditor"):
        page = as_role(role)
        page.goto("/bureau/transmissions")
        rows = page.locator("#transmissions tbody tr")
        expect(rows.filter(has_text="Capture card").first).to_be_visible()
        expect(rows.filter(has_text="Central Tracing Agency").first).to_be_visible()
        assert surname not in page.content()
        check_page(page, axe_source, f"transmissions-{role}")


@pytest.mark.parametrize(
    ("language", "heading"),
    [("ru", "Центральное агентство по розыску"), ("uk", "Центральне агентство з розшуку")],
)
def test_the_bureau_pages_on_a_phone(
    server: Server, new_page: Callable[..., Any], language: str, heading: str
) -> None:
    page = new_page()
    log_in(
        page,
        _own_account(server, f"reg-{language}-{uuid.uuid4().hex[:4]}", Role.REGISTRAR, language),
    )
    page.set_viewport_size(PHONE)
    for path, name in (
        ("/bureau/cta", "cta"),
        ("/bureau/cards", "cards"),
        ("/bureau/transmissions", "log"),
    ):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        shot(page, f"bureau-{name}-{language}-390")
    page.goto("/bureau/cta")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.WELFARE])
def test_the_statistics_page(
    server: Server, new_page: Callable[..., Any], axe_source: str, role: Role
) -> None:
    # Accounts of this test's own: a demo account's TOTP code is accepted once, and
    # tests/e2e/test_flow.py logs in as the demo welfare account.
    page = new_page()
    log_in(page, _own_account(server, f"stats-{role.value}-{uuid.uuid4().hex[:4]}", role, "en"))
    page.goto("/statistics")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    expect(page.locator("#table-place_of_internment")).to_be_visible()
    # Every count shown is a number of at least five, or a mark.
    for text in page.locator("table.counts td.count").all_inner_texts():
        assert text.strip() in {"<5", "x"} or int(text.strip().replace("\u00a0", "")) >= 5, text
    assert page.locator("svg").count() >= 1
    check_page(page, axe_source, f"statistics-{role.value}")

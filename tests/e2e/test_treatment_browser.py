"""Treatment in the browser: medical records an examination, welfare a visit (with script
off, at phone width), the registrar proceedings and their correction; the duties dashboard
shows its counts, each leading to the people behind it, axe-clean, in Russian too."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.config import Settings
from safeconduct.demo.accounts import DemoAccount
from safeconduct.runtime import open_runtime
from tests.e2e.conftest import PHONE, SCREENSHOTS, Server, check_page, log_in, shot, shots
from tests.factories import PASSWORD, add_account, add_custody, add_person

pytestmark = pytest.mark.e2e


def _day(days_ago: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days_ago)).isoformat()


def _in_custody(server: Server) -> tuple[str, str]:
    """Someone of this test's own in custody for 60 days: the person page and the custody."""
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        person = add_person(rt, surname=f"TKACHUK{uuid.uuid4().hex[:4].upper()}")
        since = datetime.now(UTC).date() - timedelta(days=60)
        custody = add_custody(rt, person, since=since)
        return f"/people/{person.id}", custody.id
    finally:
        rt.close()


def _own_account(server: Server, username: str, role: Role, language: str) -> DemoAccount:
    """An account of this test's own in a language (the demo ones are shared)."""
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        account, secret = add_account(rt, username, role, enrolled=True)
        with rt.transaction() as s:
            accounts.set_language(s, account_id=account.id, language=language)
    finally:
        rt.close()
    return DemoAccount(account.username, PASSWORD, role, secret)


@pytest.fixture
def no_script(browser: Any, server: Server, as_role: Callable[[str], Any]) -> Iterator[Any]:
    """Open a page of a role's with JavaScript off: the forms work without it."""
    contexts: list[Any] = []

    def open_page(role: str) -> Any:
        state = as_role(role).context.storage_state()
        context = browser.new_context(
            base_url=server.base_url, storage_state=state, java_script_enabled=False
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _choose(page: Any, custody_id: str, kind: str) -> None:
    page.locator(f"#record-treatment-{custody_id}").click()
    page.get_by_label("Kind of event").select_option(label=kind)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#chosen-kind")).to_have_text(kind)


def _recorded(page: Any, custody_id: str) -> None:
    page.get_by_role("button", name="Record the event").click()
    page.wait_for_url(re.compile(rf"#treatment-{custody_id}$"))


def test_medical_records_an_examination(as_role: Callable[[str], Any], server: Server) -> None:
    person, custody_id = _in_custody(server)
    page = as_role("medical")
    page.goto(person)
    _choose(page, custody_id, "Medical examination")
    # Only what an examination carries: a date, a weight and notes, both sealed.
    expect(page.get_by_label("Letters")).to_have_count(0)
    page.get_by_label("Date it happened").fill(_day(1))
    page.get_by_label("Weight in kg (sealed)").fill("68.4")
    page.get_by_label("Notes (sealed)").fill("E2E-NOTE bruised left wrist")
    _recorded(page, custody_id)
    rows = page.locator(f"#treatment-events-{custody_id} tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Medical examination")
    expect(rows.first).to_contain_text("Notes recorded, sealed")
    duty = page.locator(f"#duties-{custody_id} tr", has_text="Medical inspection every month")
    expect(duty).to_contain_text("Art. 31")
    expect(duty).to_contain_text("Met")
    assert "E2E-NOTE" not in page.content()
    assert "68.4" not in page.content()


def test_welfare_records_a_visit_with_script_off_on_a_phone(
    no_script: Callable[[str], Any], server: Server
) -> None:
    person, custody_id = _in_custody(server)
    page = no_script("welfare")
    page.set_viewport_size(PHONE)
    page.goto(person)
    _choose(page, custody_id, "Visit by a neutral body")
    page.get_by_label("Date it happened").fill(_day(2))
    # Unanswered: refused beside the field, the date kept.
    page.get_by_role("button", name="Record the event").click()
    expect(page.get_by_role("alert")).to_contain_text("Interview without witnesses")
    expect(page.locator("#private_interview-problem")).to_be_visible()
    expect(page.get_by_label("Date it happened")).to_have_value(_day(2))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    shot(page, "treatment-form-refused-390")
    page.get_by_role("group", name="Interview without witnesses").get_by_label("Yes").check()
    _recorded(page, custody_id)
    row = page.locator(f"#treatment-events-{custody_id} tbody tr").first
    expect(row).to_contain_text("Visit by a neutral body")
    expect(row).to_contain_text("Interview without witnesses: Yes")
    visit = page.locator(f"#duties-{custody_id} tr", has_text="Visit with a private interview")
    expect(visit).to_contain_text("Met")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_registrar_records_proceedings_and_corrects_them(
    as_role: Callable[[str], Any], server: Server
) -> None:
    person, custody_id = _in_custody(server)
    page = as_role("registrar")
    page.goto(person)
    _choose(page, custody_id, "Disciplinary or judicial proceedings")
    page.get_by_label("Date it happened").fill(_day(3))
    page.get_by_label("Date of the trial").fill(_day(-30))
    page.get_by_label("Date the Protecting Power was notified").fill(_day(3))
    _recorded(page, custody_id)
    notice = page.locator(f"#duties-{custody_id} tr", has_text="Notice of trial")
    expect(notice).to_contain_text("Art. 104")
    expect(notice).to_contain_text("Met")
    # The notice came later than typed: a correction, the first entry kept beside it.
    page.locator(f"#treatment-events-{custody_id}").get_by_role("link", name="Correct").click()
    expect(page.get_by_label("Date of the trial")).to_have_value(_day(-30))
    page.get_by_label("Date the Protecting Power was notified").fill(_day(0))
    page.get_by_role("button", name="Record the correction").click()
    page.wait_for_url(re.compile(rf"#treatment-{custody_id}$"))
    rows = page.locator(f"#treatment-events-{custody_id} tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(f"#treatment-events-{custody_id}")).to_contain_text(
        "Corrected by a later entry"
    )
    expect(page.locator(f"#treatment-events-{custody_id}")).to_contain_text(
        "Corrects an earlier entry"
    )


def test_the_dashboard_counts_lead_to_their_people(
    as_role: Callable[[str], Any], server: Server, axe_source: str
) -> None:
    _in_custody(server)
    page = as_role("registrar")
    page.goto("/")
    page.locator(".main-nav").get_by_role("link", name="Duties").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Duties under the Third Geneva Convention"
    )
    check_page(page, axe_source, "duties")
    assert page.locator("svg.chart title").count() >= 1
    link = page.locator("#counts-by-duty td.count a").first
    count = int(link.inner_text())
    link.click()
    page.wait_for_url(re.compile(r"/duties/people\?"))
    expect(page.locator("#drill-total")).to_contain_text(str(count))
    people = page.locator("#drill-people tbody tr")
    assert people.count() == min(count, 50)
    check_page(page, axe_source, "duties-people")
    people.first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/people/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name="Treatment and duties").first).to_be_visible()
    # The place filter, and the CSV to download.
    page.goto("/duties")
    page.get_by_label("Place of internment", exact=True).select_option(index=1)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/duties\?place="))
    with page.expect_download() as download:
        page.locator("#overdue-csv").click()
    assert download.value.suggested_filename == "overdue-duties.csv"


def test_the_dashboard_in_russian(server: Server, new_page: Callable[..., Any]) -> None:
    page = new_page()  # the login form in English; the account's own language after it
    log_in(page, _own_account(server, "duties-ru", Role.WELFARE, "ru"))
    page.goto("/duties")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Обязанности по Третьей Женевской конвенции"
    )
    expect(page.locator("#counts-by-duty thead")).to_contain_text("Просрочено")
    expect(page.locator("svg.chart title").first).to_contain_text("Просроченные обязанности")
    shots(page, "duties-ru")
    # The top of the page as a phone shows it first, without scrolling.
    page.set_viewport_size(PHONE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "duties-ru-390-top.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

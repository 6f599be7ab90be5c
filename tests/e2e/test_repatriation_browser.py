"""Repatriation in the browser: welfare hears a wish, the verifier verifies it in a private
interview; exchange officer A builds a list and is refused approving it, officer B approves
and downloads it; a later statement invalidates it, and both the exchange page and the
verifier's schedule name the person. Axe-clean at 1280 and 390 px; one page in Russian."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.config import Settings
from safeconduct.demo.accounts import DemoAccount
from safeconduct.runtime import open_runtime
from tests.e2e.conftest import PHONE, Server, check_page, log_in, shot
from tests.factories import PASSWORD, add_account, add_custody, add_person

pytestmark = pytest.mark.e2e


def _today(days: int = 0) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def _in_custody(server: Server, surname: str) -> str:
    """Someone of this test's own in custody for 60 days: the person page."""
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        person = add_person(rt, surname=surname, given_names="Oleh", rank="major")
        add_custody(rt, person, since=datetime.now(UTC).date() - timedelta(days=60))
        return f"/people/{person.id}"
    finally:
        rt.close()


def _own_account(server: Server, username: str, role: Role, language: str = "en") -> DemoAccount:
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        account, secret = add_account(rt, username, role, enrolled=True)
        with rt.transaction() as s:
            accounts.set_language(s, account_id=account.id, language=language)
    finally:
        rt.close()
    return DemoAccount(account.username, PASSWORD, role, secret)


def _statement(page: Any, person: str, wish: str, note: str) -> None:
    page.goto(person)
    page.get_by_text("Record a statement of the wish").click()
    form = page.locator("#statement-form")
    form.get_by_label(wish).check()
    form.get_by_label("Note (sealed)").fill(note)
    form.get_by_role("button", name="Record the statement").click()
    page.wait_for_url(re.compile(r"#wish$"))


def test_from_a_wish_to_an_invalidated_list(
    as_role: Callable[[str], Any],
    new_page: Callable[..., Any],
    server: Server,
    axe_source: str,
) -> None:
    tag = uuid.uuid4().hex[:4].upper()
    surname = f"BONDAR{tag}"
    person = _in_custody(server, surname)
    name = f"{surname} Oleh"

    # Welfare hears him: he wants to return. The note is sealed, shown nowhere.
    welfare = as_role("welfare")
    _statement(welfare, person, "Wants to return", "E2E-WISH-NOTE")
    row = welfare.locator("#wish-record-1")
    expect(row).to_contain_text("Wants to return")
    expect(row).to_contain_text("Statement")
    assert "E2E-WISH-NOTE" not in welfare.content()

    # The verifier hears him privately; a refused field is marked, what was typed kept.
    verifier = as_role("verifier")
    verifier.goto(person)
    verifier.get_by_text("Record a private interview").click()
    form = verifier.locator("#interview-form")
    form.get_by_label("Interview notes (sealed)").fill("E2E-INTERVIEW-NOTE")
    form.get_by_role("button", name="Record the interview").click()
    expect(verifier.locator("#wish-problems")).to_contain_text("Held without witnesses")
    form = verifier.locator("#interview-form")
    expect(form.get_by_label("Interview notes (sealed)")).to_have_value("E2E-INTERVIEW-NOTE")
    form.get_by_role("group", name="Held without witnesses").get_by_label("Yes").check()
    form.get_by_role("group", name="With an interpreter").get_by_label("No").check()
    form.get_by_label("Language (ISO 639 code)").fill("uk")
    form.get_by_role("group", name="Wish found").get_by_label("Wants to return").check()
    form.get_by_role("button", name="Record the interview").click()
    verifier.wait_for_url(re.compile(r"#wish$"))
    expect(verifier.locator("#wish-record-2")).to_contain_text("Private interview by the verifier")
    expect(verifier.locator("#wish-eligible")).to_have_text("Yes")
    verifier.locator("#wish-records details summary").last.click()
    check_page(verifier, axe_source, "person-wish")
    assert "E2E-INTERVIEW-NOTE" not in verifier.content()

    # Officer A plans an exchange and builds its list.
    officer_a = as_role("exchange")
    officer_a.goto("/exchange")
    officer_a.get_by_label("Counterpart").fill(f"Counterpart {tag}")
    officer_a.get_by_label("Planned day").fill(_today(10))
    officer_a.get_by_label("Places for officers").fill("500")
    officer_a.get_by_label("Places for other ranks").fill("500")
    officer_a.get_by_role("button", name="Plan the exchange").click()
    officer_a.wait_for_url(re.compile(r"/exchange/list\?event="))
    builder = officer_a.url
    officer_a.get_by_role("button", name="Propose the eligible for the places left").click()
    officer_a.wait_for_url(builder)
    member = officer_a.locator("#members tr", has_text=name)
    expect(member).to_contain_text("Officers")
    expect(member).to_contain_text("Eligible")
    check_page(officer_a, axe_source, "exchange-builder")
    assert "Wants to return" not in officer_a.content()
    assert "E2E-" not in officer_a.content()

    # Four eyes: the builder may not approve; the reason is shown in words.
    officer_a.get_by_role("button", name="Approve and sign the list").click()
    expect(officer_a.get_by_role("alert")).to_contain_text(
        "You built or changed this list: another exchange officer approves it"
    )

    # Officer B approves and downloads the signed CSV.
    officer_b = new_page()
    log_in(officer_b, _own_account(server, f"exchange-b-{tag.lower()}", Role.EXCHANGE))
    officer_b.goto(builder)
    officer_b.get_by_role("button", name="Approve and sign the list").click()
    officer_b.wait_for_url(builder)
    expect(officer_b.locator("#list-status")).to_contain_text("Approved and frozen")
    with officer_b.expect_download() as download:
        officer_b.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    assert surname in download.value.path().read_text(encoding="utf-8")

    # He tells welfare he will not go back: the list is invalidated, naming him.
    _statement(welfare, person, "Does not want to return", "E2E-WISH-CHANGED")
    officer_a.goto("/exchange")
    notice = officer_a.locator("#invalidations")
    expect(notice).to_contain_text(name)
    expect(notice).to_contain_text("No wish to return verified by the neutral verifier")
    assert "Does not want to return" not in officer_a.content()
    check_page(officer_a, axe_source, "exchange-events")

    # The verifier's schedule: he is to be heard again; the invalidation is there too.
    verifier.goto("/")
    verifier.locator(".main-nav").get_by_role("link", name="Interview schedule").click()
    expect(verifier.get_by_role("heading", level=1)).to_have_text("Interview schedule")
    row = verifier.locator("#schedule tr", has_text=name)
    expect(row).to_contain_text("A later record says otherwise")
    expect(verifier.locator("#schedule-invalidations")).to_contain_text(name)
    check_page(verifier, axe_source, "exchange-schedule")


def test_the_builder_on_a_phone_and_in_russian(
    server: Server, new_page: Callable[..., Any]
) -> None:
    page = new_page()
    tag = uuid.uuid4().hex[:4]
    log_in(page, _own_account(server, f"exchange-ru-{tag}", Role.EXCHANGE, "ru"))
    page.set_viewport_size(PHONE)
    page.goto("/exchange")
    expect(page.get_by_role("heading", level=1)).to_have_text("Обмены")
    page.get_by_label("Другая сторона").fill(f"Сторона {tag}")
    page.get_by_label("Дата обмена").fill(_today(20))
    page.get_by_role("button", name="Запланировать обмен").click()
    page.wait_for_url(re.compile(r"/exchange/list\?event="))
    expect(page.get_by_role("heading", level=2, name="Составление списка")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "exchange-builder-ru-390")

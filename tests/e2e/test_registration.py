"""A registrar registers a person with a Cyrillic name, meets the possible duplicate of a
near-copy, corrects the record with a reason, sees the history, and finds the person by a
Latin transliteration with a typo."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESK, check_page

pytestmark = pytest.mark.e2e


def _fill_identity(page: Any, surname: str, given: str, service_number: str) -> None:
    page.get_by_label("Surname").fill(surname)
    page.get_by_label("Given names").fill(given)
    page.get_by_label("Rank").select_option("sergeant")
    page.get_by_label(re.compile(r"^Date of birth \(")).fill("1993-07-21")
    page.get_by_label(re.compile(r"^Service number \(")).fill(service_number)


def _register(page: Any) -> str:
    """Register what the form holds, past duplicates of other people; return the new id."""
    page.get_by_role("button", name="Register", exact=True).click()
    page.wait_for_load_state()
    if page.get_by_role("heading", name="Possible duplicates").count():
        page.get_by_role("button", name="None of these: register a new person").click()
    page.wait_for_url(re.compile(r"/people/[0-9a-f-]+$"))
    return str(page.url).rsplit("/", 1)[1]


def test_register_meet_a_duplicate_correct_and_find_across_scripts(
    as_role: Callable[[str], Any], axe_source: str
) -> None:
    page = as_role("registrar")
    page.set_viewport_size(DESK)
    page.goto("/people/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a person")
    check_page(page, axe_source, "registration-form")

    number = f"E2E-{secrets.token_hex(3).upper()}"
    _fill_identity(page, "SYDORENKO", "Oleksandra", number)
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Name in original script").fill("Сидоренко Олександра")
    page.get_by_label("Father's first name").fill("Mykola")
    page.get_by_label("Address for correspondence").fill("Camp 2, block C")
    person_id = _register(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("SYDORENKO Oleksandra")
    expect(page.locator("#family-details")).to_have_text("Recorded, sealed")
    expect(page.locator("#person-history")).to_contain_text("Registered")
    assert "Mykola" not in page.content()

    # A near-copy: another transliteration of the same surname, no service number given.
    page.goto("/people/new")
    page.get_by_label("Surname").fill("SIDORENKO")
    page.get_by_label("Given names").fill("Oleksandra")
    page.get_by_label("Rank").select_option("sergeant")
    page.get_by_label(re.compile(r"^Date of birth \(")).fill("1993-07-21")
    page.get_by_label("Service number not given (refused or unknown)").check()
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_role("heading", name="Possible duplicates")).to_be_visible()
    existing = page.locator(f'#duplicates a[href="/people/{person_id}"]')
    expect(existing).to_have_count(1)
    expect(page.get_by_label("Surname")).to_have_value("SIDORENKO")  # everything kept
    check_page(page, axe_source, "registration-duplicates")
    existing.click()  # it is her: open her record instead of registering again
    page.wait_for_url(re.compile(f"/people/{person_id}$"))

    page.get_by_role("link", name="Edit identity").click()
    expect(page.get_by_label("Surname")).to_have_value("SYDORENKO")
    expect(page.get_by_label("Father's first name")).to_have_value("")  # sealed, not shown
    check_page(page, axe_source, "correction-form")
    page.get_by_label("Rank").select_option("senior sergeant")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_role("alert")).to_contain_text("Reason for the change")  # required
    page.get_by_label("Reason for the change").fill("Promotion confirmed by the unit's list")
    page.get_by_role("button", name="Save the correction").click()
    page.wait_for_url(re.compile(f"/people/{person_id}$"))
    history = page.locator("#person-history tbody tr").first
    expect(history).to_contain_text("Rank: Sergeant → Senior sergeant")
    expect(history).to_contain_text("Promotion confirmed by the unit's list")
    expect(history).to_contain_text("registrar")
    page.locator("#person-history").scroll_into_view_if_needed()
    check_page(page, axe_source, "person-history")

    # Found by a Latin transliteration with one letter wrong (k -> c), the query in the URL.
    page.goto("/people?q=Sydorenco+Oleksandra")
    expect(page.locator(f'#results a[href="/people/{person_id}"]')).to_have_count(1)

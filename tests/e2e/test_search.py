"""Search across scripts in the browser: one box, any script or spelling, a typo, a partial
date, a service number; the search lives in the URL, so Back keeps it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from safeconduct.audit.actors import Actor
from safeconduct.config import Settings
from safeconduct.people import search  # noqa: F401  (its listeners keep the keys of what we add)
from safeconduct.people import service as people_service
from safeconduct.people.schemas import PersonCreate
from safeconduct.runtime import open_runtime
from tests.e2e.conftest import Server, shot, violations

pytestmark = pytest.mark.e2e
BOX = "Surname, given names, patronymic, service number or date of birth"
# Registered in Latin as a Ukrainian passport writes it, with the name as written.
PERSON = PersonCreate(
    surname="SHCHERBATIUK",
    given_names="Yuliia",
    patronymic="Oleksandrivna",
    date_of_birth="1987-03-14",
    service_number="ZT-4471",
    sex="female",
    name_original_script="Щербатюк Юлія Олександрівна",
)


@pytest.fixture(scope="module")
def person_id(server: Server) -> str:
    """A person of this test's own, added to the served store as the service would."""
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    with rt.transaction() as session:
        person = people_service.create(
            session, audit=rt.audit, actor=Actor("test:e2e-search"), person_in=PERSON
        )
        found = person.id
    rt.close()
    return found


def _results(page: Any) -> Any:
    return page.locator("#results")


def _search_by_submit(page: Any, text: str) -> None:
    page.get_by_label(BOX).fill(text)
    page.get_by_label(BOX).press("Enter")
    page.wait_for_url(re.compile(r"/people\?q="))


@pytest.mark.parametrize(
    "text",
    [
        "Щербатюк Юлия",  # the Russian form, in Cyrillic
        "Yuliya Shcherbatyuk",  # another transliteration, the other way round
        "Shcherbatuk Iuliia",  # a typo, in yet another spelling
        "Щербатюк 1987-03",  # a partial date of birth
        "zt 4471",  # the service number, typed loosely
    ],
)
def test_one_box_finds_the_person_however_written(
    text: str, person_id: str, as_role: Callable[[str], Any]
) -> None:
    page = as_role("registrar")
    page.goto("/people")
    _search_by_submit(page, text)
    assert parse_qs(urlparse(page.url).query)["q"] == [text]
    first = _results(page).locator("tbody tr").first
    expect(first).to_contain_text("SHCHERBATIUK")
    expect(first).to_contain_text("Щербатюк Юлія Олександрівна")
    assert first.locator("a").get_attribute("href") == f"/people/{person_id}"


def test_typing_searches_as_you_go(person_id: str, as_role: Callable[[str], Any]) -> None:
    page = as_role("registrar")
    page.goto("/people")
    page.get_by_label(BOX).press_sequentially("Щербатюк", delay=30)
    expect(_results(page).locator("tbody tr").first).to_contain_text("SHCHERBATIUK")
    assert page.locator("#results tbody a", has_text="SHCHERBATIUK").count() == 1
    assert person_id


def test_back_keeps_the_search(
    person_id: str,
    as_role: Callable[[str], Any],
    axe_source: str,
) -> None:
    page = as_role("registrar")
    page.goto("/people")
    _search_by_submit(page, "Щербатюк Юлія")
    shot(page, "search-results")
    assert violations(page, axe_source) == []
    page.locator("#results tbody a", has_text="SHCHERBATIUK").click()
    page.wait_for_url(f"**/people/{person_id}")
    page.go_back()
    expect(page.get_by_label(BOX)).to_have_value("Щербатюк Юлія")
    expect(_results(page).locator("tbody tr").first).to_contain_text("SHCHERBATIUK")


def test_a_page_past_the_last_shows_the_last(as_role: Callable[[str], Any]) -> None:
    page = as_role("registrar")
    page.goto("/people?page=9999")
    pager = page.locator("nav.pager")
    expect(pager).to_contain_text(re.compile(r"Page (\d+) of \1"))
    assert "9999" not in pager.inner_text()


def test_no_match_says_so(as_role: Callable[[str], Any]) -> None:
    page = as_role("registrar")
    page.goto("/people?q=Qqqqzzzxxx")
    expect(_results(page)).to_contain_text("No one matches this search.")
    expect(_results(page)).to_contain_text("Results: 0")


def test_results_at_phone_width(
    person_id: str,
    as_role: Callable[[str], Any],
    axe_source: str,
) -> None:
    page = as_role("registrar")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/people?q=Shcherbatiuk")
    expect(_results(page).locator("tbody tr").first).to_contain_text("SHCHERBATIUK")
    shot(page, "search-results-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert violations(page, axe_source) == []
    assert person_id

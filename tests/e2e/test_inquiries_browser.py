"""Family inquiries end to end, in real browsers: a family asks on the public face (Cyrillic,
JavaScript off) about a person registered in Latin; the operator face takes the inquiry in
and the engine proposes the person; the tracing officer opens the inquiry, sees the
comparison field by field and confirms; answers on the ladder; the family reads the answer
with the codename (once its release day has come). A registration made after another
inquiry is matched against it, and the officer's queue says so."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from safeconduct.accounts.policy import Role
from safeconduct.channels import codenames
from safeconduct.channels.models import TicketReply
from safeconduct.config import Settings
from safeconduct.inquiries import service as inquiries
from safeconduct.inquiries.policy import Consent
from safeconduct.runtime import Runtime, open_runtime
from tests.e2e.conftest import PHONE, PublicServer, Server, log_in, shot
from tests.e2e.test_bureau_browser import _own_account
from tests.e2e.test_public_face import LOCALES, check_page, public_page  # noqa: F401
from tests.factories import ACTOR, add_custody, add_person
from tests.inquiries.helpers import add_visit

pytestmark = pytest.mark.e2e
WAIT_SECONDS = 30


def _with_rt(server: Server, work: Callable[[Runtime], Any]) -> Any:
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        return work(rt)
    finally:
        rt.close()


def _registered_in_latin(rt: Runtime) -> str:
    person = add_person(rt, "HRYTSENKO", given_names="Taras", patronymic="Bohdanovych",
                        date_of_birth="1987-09-14")  # fmt: skip
    custody = add_custody(rt, person, since=datetime.now(UTC).date() - timedelta(days=20))
    add_visit(rt, custody, datetime.now(UTC).date() - timedelta(days=2))
    with rt.transaction() as s:
        inquiries.record_consent(s, audit=rt.audit, actor=ACTOR, person_id=person.id,
                                 consent=Consent(True, place_may_be_told=False))  # fmt: skip
    return person.id


@pytest.fixture
def family(browser: Any, public_server: PublicServer) -> Iterator[Any]:
    context = browser.new_context(base_url=public_server.base_url, locale="ru-RU",
                                  java_script_enabled=False)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    assert context.cookies() == []
    context.close()


def _ask(page: Any, surname: str, given: str, born: str) -> str:
    """Submit an inquiry on the public face in Russian; return the codename shown."""
    page.goto("/inquiry?lang=ru")
    page.fill("#surname", surname)
    page.fill("#given_name", given)
    page.fill("#date_of_birth", born)
    page.fill("#contact", f"+380 50 {uuid.uuid4().int % 10_000_000:07d}")
    page.select_option("#relationship", "parent")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator("h1")).to_have_text("Ваш запрос получен")
    return page.locator("p.codename strong").inner_text()


def _reference_of(page: Any) -> str:
    text = page.locator("p", has_text="Номер").first.inner_text()
    found = re.search(r"R-[0-9A-Z-]+", text)
    assert found is not None
    return found.group(0)


def _wait_in_queue(officer: Any, reference: str, *, new: bool = False) -> None:
    """The queue, reloaded until the inquiry is there (the inbox is taken in, and new
    registrations matched, every few seconds)."""
    deadline = time.monotonic() + WAIT_SECONDS
    row = officer.locator("#inquiries tr", has_text=reference)
    while True:
        officer.goto("/inquiries")
        if row.count() and (not new or row.locator("[data-new]").count()):
            return
        assert time.monotonic() < deadline, f"{reference} not in the queue in time"
        time.sleep(1)


def test_a_family_asks_in_cyrillic_the_officer_confirms_the_family_reads_the_answer(
    server: Server, family: Any, new_page: Callable[..., Any]
) -> None:
    person_id = _with_rt(server, _registered_in_latin)
    codename = _ask(family, "Гриценко", "Тарас", "1987-09-14")
    reference = _reference_of(family)
    shot(family, "inquiry-receipt-ru")

    officer = new_page()
    log_in(officer, _own_account(server, f"tracer-{uuid.uuid4().hex[:4]}", Role.TRACING, "en"))
    _wait_in_queue(officer, reference)
    officer.locator("#inquiries a", has_text=reference).click()
    officer.get_by_role("button", name="Open for review").click()
    comparison = officer.locator(f"#comparison-{person_id}")
    expect(comparison).to_contain_text("Гриценко")
    expect(comparison).to_contain_text("Gritsenko")  # no і ї є ґ: read as Russian
    expect(comparison).to_contain_text("HRYTSENKO")
    expect(comparison.locator(".why")).to_contain_text("Date of birth")
    shot(officer, "inquiry-review-en")
    officer.locator(f"#candidate-{person_id}").get_by_role(
        "button", name="Confirm: this is the person"
    ).click()
    expect(officer.locator(f"#candidate-{person_id}")).to_have_attribute("data-status", "confirmed")
    steps = officer.locator("#answer-form input[name=step]")
    expect(steps).to_have_count(3)  # no information, registered, in custody and visited
    officer.locator("#step-in_custody_visited").check()
    officer.get_by_role("button", name="Give the answer").click()
    expect(officer.locator("#answers li")).to_have_attribute("data-step", "in_custody_visited")

    # Not readable on the day it is given.
    family.goto("/status?lang=ru")
    family.fill("#codename", codename)
    family.get_by_role("button", name="Показать").click()
    expect(family.locator("article.answer")).to_have_count(0)

    # The days pass (the release day is moved to today: the server's clock is real).
    def days_pass(rt: Runtime) -> None:
        with rt.transaction() as s:
            s.execute(update(TicketReply).values(written_on=datetime.now(UTC).date()))

    _with_rt(server, days_pass)
    family.goto("/status?lang=ru")
    family.fill("#codename", codename)
    family.get_by_role("button", name="Показать").click()
    answer = family.locator("article.answer")
    expect(answer).to_have_attribute("data-step", "in_custody_visited")
    expect(answer).to_contain_text("нейтральная организация")
    page_text = family.locator("main").inner_text()
    for never in ("Camp", "Лагерь", "white flag", "HRYTSENKO"):
        assert never not in page_text
    shot(family, "inquiry-answer-ru")


def test_a_registration_after_the_inquiry_is_matched_and_the_officer_is_told(
    server: Server, family: Any, new_page: Callable[..., Any]
) -> None:
    _ask(family, "Бойко", "Остап", "1991-02-02")
    reference = _reference_of(family)
    officer = new_page()
    log_in(officer, _own_account(server, f"tracer-{uuid.uuid4().hex[:4]}", Role.TRACING, "uk"))
    _wait_in_queue(officer, reference)
    row = officer.locator("#inquiries tr", has_text=reference)
    expect(row.locator("[data-new]")).to_have_count(0)
    _with_rt(server, lambda rt: add_person(rt, "BOIKO", given_names="Ostap",
                                           date_of_birth="1991-02-02"))  # fmt: skip
    _wait_in_queue(officer, reference, new=True)
    expect(officer.locator("nav.main-nav")).to_contain_text("Запити родин")
    shot(officer, "inquiries-queue-uk")


@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_the_inquiry_form_and_its_receipt_in_every_language_on_a_phone(
    public_page: Callable[[str], Any], check_page: Callable[..., None], axe_source: str,  # noqa: F811
    lang: str,
) -> None:  # fmt: skip
    page = public_page(LOCALES[lang])
    page.set_viewport_size(PHONE)
    page.goto(f"/inquiry?lang={lang}")
    check_page(page, axe_source, f"public-inquiry-{lang}")
    page.fill("#surname", "Ткаченко")
    page.fill("#given_name", "Олена")
    page.fill("#contact", f"+380 63 {uuid.uuid4().int % 10_000_000:07d}")
    page.locator("form button[type=submit]").click()
    assert codenames.normalise(page.locator("p.codename strong").inner_text()) is not None
    check_page(page, axe_source, f"public-inquiry-receipt-{lang}")
